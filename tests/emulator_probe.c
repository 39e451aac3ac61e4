/* Prints what bench_emulated() says; exit 1 when it says "emulated". */
#include "emulator.h"

#include <stdio.h>

int main(void)
{
    char why[400];
    int e = bench_emulated(why, sizeof why);
    printf("%s: %s\n", bench_build_arch(), e ? why : "not emulated");
    return e;
}
