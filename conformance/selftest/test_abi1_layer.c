/*
 * A port built against ABI version 1 in the layer: conformance/broken/
 * abi1_port.c (naive's attention through the version-1 descriptor, and a
 * matmul of the version-1 signature that aborts if called) loaded with
 * port_load() runs mha_layer_forward with the portable matmul and gives
 * the bits of naive's layer (naive has no matmul either).
 *     test_abi1_layer PATH/libabi1_port.so
 */
#include "conformance/port.h"
#include "tests/check.h"

#include <stdlib.h>
#include <string.h>

enum { B = 2, S = 9, D = 12, H = 3 };

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/libabi1_port.so\n", argv[0]);
        return 2;
    }
    char err[512];
    const mha_impl *port = port_load(argv[1], err, sizeof err);
    CHECK(port != NULL, "%s", err);
    if (!port)
        return check_summary();
    mha_rng rng;
    mha_rng_seed(&rng, 7);
    float w[4 * D * D], x[B * S * D], y_port[B * S * D], y_naive[B * S * D];
    mha_rng_fill(&rng, w, 4 * D * D, 0.25f);
    mha_rng_fill(&rng, x, B * S * D, 1.0f);
    const mha_layer layer = {D, H, H, w, w + D * D, w + 2 * D * D, w + 3 * D * D};
    mha_layer_args a = {.batch = B, .seq_len = S, .x = x, .y = y_port, .causal = 1, .threads = 2};
    CHECK(mha_layer_forward(port, &layer, &a) == MHA_OK, "layer of the ABI-1 port: %s", mha_last_error());
    a.y = y_naive;
    CHECK(mha_layer_forward(mha_impl_find("naive"), &layer, &a) == MHA_OK, "layer of naive: %s", mha_last_error());
    CHECK(memcmp(y_port, y_naive, sizeof y_port) == 0, "the ABI-1 port's layer differs from naive's");
    return check_summary();
}
