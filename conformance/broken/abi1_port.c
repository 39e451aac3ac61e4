/*
 * A port as one built against ABI version 1 exports it: its descriptor is
 * the version-1 struct (no dtypes field), placed so that its last byte is
 * the last byte of a readable page, the next page mapped without access. A
 * loader that read the version-2 field past its end would crash here; one
 * that copies the version-1 prefix runs it, fp32 only. The attention is
 * libmha's naive; the matmul, of the version-1 signature, aborts if
 * called. conformance/selftest/check_broken.py asserts it passes the
 * check, test_abi1_layer.c that the layer runs it with the portable matmul.
 */
#include "mha.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* mha_impl as ABI version 1 laid it out. */
typedef struct mha_impl_v1 {
    uint32_t abi_version;
    const char *name;
    const char *algorithm;
    const char *isa;
    const char *summary;
    uint32_t cpu_features;
    uint32_t caps;
    int priority;
    mha_workspace_fn *workspace;
    mha_attention_fn *attention;
    /* version 1's MHA_MATMUL_FN: no work buffer */
    void (*matmul)(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                   float *c, int64_t ldc, int threads);
} mha_impl_v1;

static const mha_impl *naive;

/* Version 1's matmul takes no work buffer: the loader must not hand it to
 * the layer, which calls matmuls with one (tests: test_abi1_layer.c). */
static void abi1_matmul(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                        float *c, int64_t ldc, int threads)
{
    (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)c, (void)ldc, (void)threads;
    fputs("abi1_port: the version-1 matmul was called through the version-2 signature\n", stderr);
    abort();
}

static void abi1_attention(const mha_args *args, void *workspace)
{
    naive->attention(args, workspace);
}

static size_t abi1_workspace(const mha_shape *shape, int threads, int want_probs)
{
    return naive->workspace ? naive->workspace(shape, threads, want_probs) : 0;
}

const mha_impl *mha_port_impl(void);
const mha_impl *mha_port_impl(void)
{
    naive = mha_impl_find("naive");
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *pages = naive ? mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                        : MAP_FAILED;
    if (pages == MAP_FAILED || mprotect(pages + page, page, PROT_NONE) != 0)
        return NULL;
    const mha_impl_v1 v1 = {1, "abi1_naive", "naive", "c", "built against ABI 1: naive through the old descriptor",
                            0, naive->caps, -1, abi1_workspace, abi1_attention, abi1_matmul};
    mha_impl_v1 *at_page_end = (mha_impl_v1 *)(pages + page - sizeof v1);
    memcpy(at_page_end, &v1, sizeof v1);
    return (const mha_impl *)(const void *)at_page_end;
}
