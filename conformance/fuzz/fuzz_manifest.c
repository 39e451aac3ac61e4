/*
 * libFuzzer target: the manifest reader. Any input must be rejected with a
 * message or parsed; a parsed manifest must format and re-parse to the
 * same text (format and parse are inverses).
 */
#include "conformance/manifest.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    manifest m, again;
    char err[256];
    if (manifest_parse((const char *)data, size, &m, err, sizeof err))
        return 0;
    size_t len, len2;
    char *text = manifest_format(&m, &len);
    if (!text)
        abort();
    if (manifest_parse(text, len, &again, err, sizeof err))
        abort(); /* our own output must parse */
    char *text2 = manifest_format(&again, &len2);
    if (!text2 || len2 != len || memcmp(text, text2, len) != 0)
        abort(); /* and be a fixed point */
    free(text);
    free(text2);
    manifest_free(&m);
    manifest_free(&again);
    return 0;
}
