/* Reading vectors/MANIFEST (the writer: manifest_format.c); the grammar is in vectors/README.md. */
#include "manifest.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(char *err, size_t err_size, int lineno, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fail(char *err, size_t err_size, int lineno, const char *fmt, ...)
{
    int n = snprintf(err, err_size, "line %d: ", lineno);
    if (n < 0 || (size_t)n >= err_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, err_size - (size_t)n, fmt, ap);
    va_end(ap);
}

static int parse_i64(const char *v, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno || x < min || x > max)
        return -1;
    *out = x;
    return 0;
}

static int parse_f64(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (*v == '\0' || *end != '\0' || errno == ERANGE || !isfinite(x))
        return -1;
    *out = x;
    return 0;
}

static int copy_str(char *dst, size_t size, const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n >= size)
        return -1;
    for (size_t i = 0; i < n; i++) /* names are [A-Za-z0-9_.-] */
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
              v[i] == '_' || v[i] == '.' || v[i] == '-'))
            return -1;
    memcpy(dst, v, n + 1);
    return 0;
}

/* The case fields; the last two exist from version 2 on. */
enum { CASE_KEYS_V1 = 17, CASE_KEYS = 19 };

static int parse_case_field(manifest_case *mc, int version, const char *k, const char *v, unsigned *seen)
{
    static const char *const keys[CASE_KEYS] = {"id", "group", "B", "H", "Hkv", "Sq", "Skv", "Dh", "layout",
                                                "mask", "flags", "scale", "seed", "recipe", "max_abs_v", "err_out",
                                                "err_probs", "dtype", "out_dtype"};
    const unsigned nkeys = version >= 2 ? CASE_KEYS : CASE_KEYS_V1;
    conf_case *c = &mc->c;
    int64_t *dims[] = {&c->shape.batch, &c->shape.heads, &c->shape.kv_heads,
                       &c->shape.q_len, &c->shape.kv_len, &c->shape.head_dim};
    for (unsigned i = 0; i < nkeys; i++) {
        if (strcmp(k, keys[i]) != 0)
            continue;
        if (*seen & (1u << i))
            return -1;
        *seen |= 1u << i;
        switch (i) {
        case 17: return mha_dtype_from_name(v, &c->dtype);
        case 18: return mha_dtype_from_name(v, &c->out_dtype);
        case 0: return copy_str(c->id, sizeof c->id, v);
        case 1: return copy_str(c->group, sizeof c->group, v);
        case 2: case 3: case 4: case 5: case 6: case 7:
            return parse_i64(v, 1, INT64_C(1) << 31, dims[i - 2]);
        case 8:
            if (strcmp(v, "bshd") == 0) c->layout = CASE_LAYOUT_BSHD;
            else if (strcmp(v, "bhsd") == 0) c->layout = CASE_LAYOUT_BHSD;
            else return -1;
            return 0;
        case 9: return case_mask_parse(v, &c->mask);
        case 10:
            if (strcmp(v, "causal") == 0) c->causal = 1;
            else if (strcmp(v, "-") == 0) c->causal = 0;
            else return -1;
            return 0;
        case 11: {
            double x;
            if (parse_f64(v, &x))
                return -1;
            c->scale = (float)x;
            return isfinite(c->scale) ? 0 : -1;
        }
        case 12: {
            char *end;
            errno = 0;
            if (*v < '0' || *v > '9')
                return -1;
            unsigned long long x = strtoull(v, &end, 10);
            if (*end != '\0' || errno)
                return -1;
            c->seed = x;
            return 0;
        }
        case 13: return copy_str(c->recipe, sizeof c->recipe, v);
        case 14: return parse_f64(v, &mc->max_abs_v);
        case 15: return parse_f64(v, &mc->err_out);
        case 16: return parse_f64(v, &mc->err_probs);
        }
    }
    return -1;
}

static int parse_file_field(manifest_file *f, const char *k, const char *v, unsigned *seen)
{
    static const char *const keys[] = {"role", "name", "dtype", "shape", "xxh3"};
    for (unsigned i = 0; i < 5; i++) {
        if (strcmp(k, keys[i]) != 0)
            continue;
        if (*seen & (1u << i))
            return -1;
        *seen |= 1u << i;
        switch (i) {
        case 0:
            if (strcmp(v, "q") && strcmp(v, "k") && strcmp(v, "v") && strcmp(v, "mask") && strcmp(v, "out") &&
                strcmp(v, "probs"))
                return -1;
            return copy_str(f->role, sizeof f->role, v);
        case 1: return copy_str(f->name, sizeof f->name, v);
        case 2:
            if (strcmp(v, "f32") && strcmp(v, "f64") && strcmp(v, "f16") && strcmp(v, "bf16"))
                return -1;
            return copy_str(f->dtype, sizeof f->dtype, v);
        case 3: {
            f->ndim = 0;
            char buf[128];
            if (strlen(v) >= sizeof buf)
                return -1;
            strcpy(buf, v);
            for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (f->ndim == 4 || parse_i64(t, 1, INT64_C(1) << 31, &f->shape[f->ndim]))
                    return -1;
                f->ndim++;
            }
            return f->ndim ? 0 : -1;
        }
        case 4:
            if (strlen(v) != 32 || strspn(v, "0123456789abcdef") != 32)
                return -1;
            return copy_str(f->xxh3, sizeof f->xxh3, v);
        }
    }
    return -1;
}

int manifest_parse(const char *text, size_t len, manifest *m, char *err, size_t err_size)
{
    memset(m, 0, sizeof *m);
    char *buf = malloc(len + 1);
    if (!buf) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    size_t cap = 0;
    int lineno = 0, have_tol = 0;
    if (memchr(text, '\0', len)) {
        snprintf(err, err_size, "NUL byte at offset %zu: a manifest is text",
                 (size_t)((const char *)memchr(text, '\0', len) - text));
        goto bad;
    }
    char *line = buf;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        if (!tok || tok[0] == '#')
            goto next;
        if (lineno == 1 || m->version == 0) {
            int64_t v;
            char *val = strtok_r(NULL, " ", &save);
            if (lineno != 1 || strcmp(tok, "mhalab-vectors") != 0 || !val || strncmp(val, "version=", 8) != 0 ||
                parse_i64(val + 8, 1, 1000000, &v)) {
                fail(err, err_size, lineno, "expected the first line 'mhalab-vectors version=%d'", MANIFEST_VERSION);
                goto bad;
            }
            if (v != 1 && v != MANIFEST_VERSION) {
                fail(err, err_size, lineno, "schema version %lld, this program reads versions 1 and %d", (long long)v, MANIFEST_VERSION);
                goto bad;
            }
            m->version = (int)v;
            if (strtok_r(NULL, " ", &save)) {
                fail(err, err_size, lineno, "unexpected field after the version");
                goto bad;
            }
            goto next;
        }
        if (strcmp(tok, "tolerance") == 0) {
            unsigned seen = 0;
            for (char *kv; (kv = strtok_r(NULL, " ", &save));) {
                char *eq = strchr(kv, '=');
                if (!eq) {
                    fail(err, err_size, lineno, "field '%.40s' is not key=value", kv);
                    goto bad;
                }
                *eq = '\0';
                double *dst = strcmp(kv, "factor") == 0 ? &m->factor : strcmp(kv, "floor") == 0 ? &m->floor : NULL;
                unsigned bit = dst == &m->factor ? 1u : 2u;
                if (!dst || (seen & bit) || parse_f64(eq + 1, dst) || *dst < 0) {
                    fail(err, err_size, lineno, "tolerance field '%.40s=%.40s': expected factor=X floor=Y, non-negative", kv, eq + 1);
                    goto bad;
                }
                seen |= bit;
            }
            if (seen != 3) {
                fail(err, err_size, lineno, "tolerance needs factor= and floor=");
                goto bad;
            }
            have_tol = 1;
        } else if (strcmp(tok, "case") == 0) {
            if (m->count == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                manifest_case *p = realloc(m->cases, ncap * sizeof *p);
                if (!p) {
                    fail(err, err_size, lineno, "out of memory");
                    goto bad;
                }
                m->cases = p;
                cap = ncap;
            }
            manifest_case *mc = &m->cases[m->count];
            memset(mc, 0, sizeof *mc);
            unsigned seen = 0;
            for (char *kv; (kv = strtok_r(NULL, " ", &save));) {
                char *eq = strchr(kv, '=');
                if (!eq) {
                    fail(err, err_size, lineno, "field '%.40s' is not key=value", kv);
                    goto bad;
                }
                *eq = '\0';
                if (parse_case_field(mc, m->version, kv, eq + 1, &seen)) {
                    fail(err, err_size, lineno, "case field '%.40s=%.60s': unknown, repeated or malformed", kv, eq + 1);
                    goto bad;
                }
            }
            if (seen != (1u << (m->version >= 2 ? CASE_KEYS : CASE_KEYS_V1)) - 1) {
                fail(err, err_size, lineno, "case record lacks fields (needs all of id group B H Hkv Sq Skv Dh layout mask flags scale "
                     "seed recipe max_abs_v err_out err_probs%s)", m->version >= 2 ? " dtype out_dtype" : "");
                goto bad;
            }
            if (!mha_dtype_combo(mc->c.dtype, mc->c.out_dtype)) {
                fail(err, err_size, lineno, "case %s: out_dtype %s with dtype %s: expected fp32 or the inputs' dtype", mc->c.id,
                     mha_dtype_name(mc->c.out_dtype), mha_dtype_name(mc->c.dtype));
                goto bad;
            }
            if (mc->c.shape.heads % mc->c.shape.kv_heads != 0) {
                fail(err, err_size, lineno, "case %s: H = %lld is not a multiple of Hkv = %lld", mc->c.id, (long long)mc->c.shape.heads,
                     (long long)mc->c.shape.kv_heads);
                goto bad;
            }
            for (size_t i = 0; i < m->count; i++)
                if (strcmp(m->cases[i].c.id, mc->c.id) == 0) {
                    fail(err, err_size, lineno, "case id %s appears twice", mc->c.id);
                    goto bad;
                }
            m->count++;
        } else if (strcmp(tok, "file") == 0) {
            if (m->count == 0) {
                fail(err, err_size, lineno, "file record before any case record");
                goto bad;
            }
            manifest_case *mc = &m->cases[m->count - 1];
            if (mc->nfiles == MANIFEST_MAX_FILES) {
                fail(err, err_size, lineno, "case %s has more than %d files", mc->c.id, MANIFEST_MAX_FILES);
                goto bad;
            }
            manifest_file *f = &mc->files[mc->nfiles];
            memset(f, 0, sizeof *f);
            unsigned seen = 0;
            for (char *kv; (kv = strtok_r(NULL, " ", &save));) {
                char *eq = strchr(kv, '=');
                if (!eq) {
                    fail(err, err_size, lineno, "field '%.40s' is not key=value", kv);
                    goto bad;
                }
                *eq = '\0';
                if (parse_file_field(f, kv, eq + 1, &seen)) {
                    fail(err, err_size, lineno, "file field '%.40s=%.60s': unknown, repeated or malformed", kv, eq + 1);
                    goto bad;
                }
            }
            if (seen != 31) {
                fail(err, err_size, lineno, "file record needs role name dtype shape xxh3");
                goto bad;
            }
            if (manifest_file_role(mc, f->role)) {
                fail(err, err_size, lineno, "case %s lists role %s twice", mc->c.id, f->role);
                goto bad;
            }
            mc->nfiles++;
        } else { {
            fail(err, err_size, lineno, "unknown record type '%.40s' (expected case, file or tolerance)", tok);
            goto bad;
        }
        }
    next:
        line = nl ? nl + 1 : NULL;
    }
    if (m->version == 0) {
        snprintf(err, err_size, "empty manifest: expected 'mhalab-vectors version=%d'", MANIFEST_VERSION);
        goto bad;
    }
    if (!have_tol) {
        snprintf(err, err_size, "no 'tolerance factor=X floor=Y' record");
        goto bad;
    }
    free(buf);
    return 0;
bad:
    free(buf);
    manifest_free(m);
    return -1;
}

void manifest_free(manifest *m)
{
    free(m->cases);
    memset(m, 0, sizeof *m);
}

const manifest_file *manifest_file_role(const manifest_case *mc, const char *role)
{
    for (int i = 0; i < mc->nfiles; i++)
        if (strcmp(mc->files[i].role, role) == 0)
            return &mc->files[i];
    return NULL;
}
