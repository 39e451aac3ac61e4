/* Writing vectors/MANIFEST (manifest_format); the grammar is in vectors/README.md. */
#include "manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

char *manifest_format(const manifest *m, size_t *len)
{
    sbuf b = {malloc(4096), 0, 4096, 0};
    if (!b.p)
        return NULL;
    put(&b, "mhalab-vectors version=%d\n", MANIFEST_VERSION); /* the fields below are version 2's */
    put(&b, "tolerance factor=%.17g floor=%.17g\n", m->factor, m->floor);
    for (size_t i = 0; i < m->count; i++) {
        const manifest_case *mc = &m->cases[i];
        const conf_case *c = &mc->c;
        const mha_shape *s = &c->shape;
        put(&b, "case id=%s group=%s B=%lld H=%lld Hkv=%lld Sq=%lld Skv=%lld Dh=%lld layout=%s mask=%s flags=%s "
                "scale=%.9g seed=%llu recipe=%s dtype=%s out_dtype=%s max_abs_v=%.17g err_out=%.17g "
                "err_probs=%.17g\n",
            c->id, c->group, (long long)s->batch, (long long)s->heads, (long long)s->kv_heads,
            (long long)s->q_len, (long long)s->kv_len, (long long)s->head_dim, case_layout_name(c->layout),
            case_mask_name(c->mask), c->causal ? "causal" : "-", (double)c->scale, (unsigned long long)c->seed,
            c->recipe, mha_dtype_name(c->dtype), mha_dtype_name(c->out_dtype), mc->max_abs_v, mc->err_out,
            mc->err_probs);
        for (int f = 0; f < mc->nfiles; f++) {
            const manifest_file *mf = &mc->files[f];
            put(&b, "file role=%s name=%s dtype=%s shape=", mf->role, mf->name, mf->dtype);
            for (int d = 0; d < mf->ndim; d++)
                put(&b, "%s%lld", d ? "," : "", (long long)mf->shape[d]);
            put(&b, " xxh3=%s\n", mf->xxh3);
        }
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}
