"""float16 and bfloat16 inputs, where libmha has the dtype interface (ABI 2).

Inputs are taken as given: converted exactly to float64, the reference of
low-precision inputs is the reference of their float32 copies."""
import ml_dtypes
import numpy as np
import pytest

import mhalab
from attention_numpy import attention_bound

pytestmark = pytest.mark.skipif("float16" not in mhalab.dtypes(), reason="this libmha has no dtype interface")
LOW = {"fp16": np.dtype(np.float16), "bf16": np.dtype(ml_dtypes.bfloat16)}


def inputs(dtype):
    rng = np.random.default_rng(20)
    return [rng.uniform(-1, 1, (1, 6, 2, 8)).astype(dtype) for _ in range(3)]


@pytest.mark.parametrize("name", sorted(LOW))
def test_reference_reads_low_precision_inputs(name):
    low = inputs(LOW[name])
    wide = [a.astype(np.float32) for a in low]
    np.testing.assert_array_equal(mhalab.reference(*low, causal=True), mhalab.reference(*wide, causal=True))


@pytest.mark.parametrize("name", sorted(LOW))
def test_attention_takes_what_each_implementation_declares(name):
    low = inputs(LOW[name])
    wide = [a.astype(np.float32) for a in low]
    for impl in mhalab.implementations():
        if not impl.runnable:
            continue
        out = np.empty(low[0].shape, np.float32)
        if f"{name}->fp32" in impl.dtypes:
            mhalab.attention(*low, impl=impl, out=out)
            # the fp32 bound, plus P rounded to the inputs' dtype before P V (docs: DTYPE semantics):
            # each p_j within a relative u = eps/2, so out within u * sum_j p_j |v_j| <= u max|V|
            u = float(np.finfo(LOW[name]).eps) / 2
            bound = attention_bound(*wide)[0] + u * np.abs(wide[2].astype(np.float64)).max()
            assert (np.abs(out - mhalab.reference(*wide)) <= bound).all(), impl.name
        else:
            with pytest.raises(mhalab.MhaError, match=name):
                mhalab.attention(*low, impl=impl, out=out)
