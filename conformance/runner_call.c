/*
 * One call of an implementation with every buffer against a guard page:
 * see runner_call() in runner.h.
 *
 * Each buffer gets its own mapping (guard_pages.h). With guard_start = 0
 * its last byte is followed by a PROT_NONE page, so reading one float past
 * the end faults; with guard_start = 1 its first byte follows one, so
 * reading one float before the start faults. All other bytes of the
 * mapping, on the side away from the page and in the gaps of padded
 * strides, hold a NaN pattern: a port that reads them gets NaN out, one
 * that writes them is caught by the checks after the call (these are the
 * guard bands for writes).
 *
 * Alignment: with guard_start = 1 every buffer starts on a page boundary;
 * with guard_start = 0 it starts 4 x (its extent) bytes before one, which
 * is 4-byte but not 16-byte aligned whenever the extent is not a multiple
 * of 4 floats. Padded strides have odd row gaps (views.c), so the rows of
 * q, k, v, out and the mask start at every 4-byte alignment in any padded
 * call, whatever the base: kernels that assume aligned rows fail there.
 */
#include "guard_pages.h"
#include "hashing.h"
#include "runner.h"
#include "views.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The NaN bit pattern around and between the elements of every float buffer. */
#define SENTINEL 0x7fa5a5a5u
/* The same for 16-bit buffers: 0x7fa5 is a NaN in bf16 and in fp16 (and 0x7fa57fa5 in fp32). */
#define SENTINEL16 0x7fa57fa5u
/* Bytes (0xa5) around the workspace. */
#define WS_FILL 0xa5a5a5a5u
/* Readable NaN floats at least on the side of a buffer away from its guard page. */
#define BAND_FLOATS 17

void call_variant_describe(const call_variant *cv, char *buf, size_t size)
{
    snprintf(buf, size, "layout %s, strides %s, out %s, threads %d, %s guard pages", case_layout_name(cv->layout),
             cv->padded ? "padded" : "dense", case_layout_name(cv->out_layout), cv->threads,
             cv->guard_start ? "starts after" : "ends at");
}

int runner_thread_counts(int counts[3])
{
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    counts[0] = 1;
    counts[1] = 3;
    counts[2] = cores > 3 ? (int)cores : 0;
    return cores > 3 ? 3 : 2;
}

/* "at byte 4 past its end", "at byte 8 before its start", "between its elements, at element 17". */
static void where_changed(ptrdiff_t at, size_t bytes, size_t elem, char *buf, size_t size)
{
    if (at < 0)
        snprintf(buf, size, "at byte %td before its start", -at);
    else if ((size_t)at >= bytes)
        snprintf(buf, size, "at byte %td past its end", at - (ptrdiff_t)bytes + 1);
    else
        snprintf(buf, size, "between its elements (in the gaps of its strides), at element %td",
                 at / (ptrdiff_t)elem);
}

/* One strided tensor of the call, of elements of elem bytes (fp32, or bf16/fp16 bit patterns). */
typedef struct placed {
    const char *name;
    tensor_view view;
    const void *logical; /* inputs: what the view holds; NULL for out */
    size_t elem;
    uint32_t fill;       /* SENTINEL or SENTINEL16 */
    guard_buf g;
} placed;

enum { P_Q, P_K, P_V, P_MASK, P_OUT, P_COUNT };

/* Inputs unchanged, inside the view and around it; 0 or -1 with why. */
static int check_input(placed *t, void *scratch, char *why, size_t why_size)
{
    const size_t n = view_count(&t->view);
    view_gather(&t->view, t->elem, t->g.p, scratch);
    if (memcmp(scratch, t->logical, n * t->elem) != 0) {
        snprintf(why, why_size, "wrote into its input %s (inputs are const)", t->name);
        return -1;
    }
    view_fill(&t->view, t->elem, t->g.p, t->fill);
    ptrdiff_t at;
    if (guard_find_changed(&t->g, t->fill, 0, 0, &at)) {
        char where[96];
        where_changed(at, view_extent(&t->view) * t->elem, t->elem, where, sizeof where);
        snprintf(why, why_size, "wrote into its input %s (inputs are const): changed %s", t->name, where);
        return -1;
    }
    return 0;
}

/* A buffer (of elements of elem bytes) written outside [p + from, p + to): 0, or -1 with why. */
static int check_output(const guard_buf *g, const char *name, uint32_t fill, size_t from, size_t to, size_t bytes,
                        size_t elem, char *why, size_t why_size)
{
    ptrdiff_t at;
    if (!guard_find_changed(g, fill, from, to, &at))
        return 0;
    char where[96];
    where_changed(at, bytes, elem, where, sizeof where);
    snprintf(why, why_size, "out-of-bounds write: %s was changed %s", name, where);
    return -1;
}

int runner_call(const mha_impl *impl, const case_data *d, const call_variant *cv, verdict *v, float *out,
                float *probs, char hash[33], char *why, size_t why_size)
{
    const run_opts *o = v->o;
    call_variant_describe(cv, v->r.variant, sizeof v->r.variant);
    const mha_shape *s = &d->c.shape;
    const int64_t B = s->batch, H = s->heads, Hkv = s->kv_heads, Sq = s->q_len, Skv = s->kv_len, Dh = s->head_dim;
    const size_t np = case_probs_count(s), no = case_out_count(s);
    const int want_probs = probs && (impl->caps & MHA_CAP_PROBS);
    const guard_side side = cv->guard_start ? GUARD_BEFORE_START : GUARD_AFTER_END;
    const size_t band = BAND_FLOATS * sizeof(float);
    const size_t es = mha_dtype_size(d->c.dtype), oes = mha_dtype_size(d->c.out_dtype);
    const uint32_t in_fill = es == 2 ? SENTINEL16 : SENTINEL, out_fill = oes == 2 ? SENTINEL16 : SENTINEL;
    uint16_t *narrow[3];
    const int narrow_failed = case_data_narrow(d, narrow);
    placed t[P_COUNT] = {
        [P_Q] = {"q", view_qkvo(VIEW_Q, cv->layout, cv->padded, B, Sq, H, Dh), narrow[0] ? (const void *)narrow[0]
                 : d->in.q, es, in_fill, {0}},
        [P_K] = {"k", view_qkvo(VIEW_K, cv->layout, cv->padded, B, Skv, Hkv, Dh), narrow[1] ? (const void *)narrow[1]
                 : d->in.k, es, in_fill, {0}},
        [P_V] = {"v", view_qkvo(VIEW_V, cv->layout, cv->padded, B, Skv, Hkv, Dh), narrow[2] ? (const void *)narrow[2]
                 : d->in.v, es, in_fill, {0}},
        [P_MASK] = {"mask", view_mask(cv->padded, d->in.mask_b, d->in.mask_h, Sq, Skv), d->in.mask, sizeof(float),
                    SENTINEL, {0}},
        [P_OUT] = {"out", view_qkvo(VIEW_OUT, cv->out_layout, cv->padded, B, Sq, H, Dh), NULL, oes, out_fill, {0}},
    };
    guard_buf gp = {0}, gw = {0};
    float *scratch = NULL;
    size_t ws_bytes = 0, most = 0;
    int rc = -1;
    if (narrow_failed) {
        snprintf(why, why_size, "out of memory");
        goto done;
    }
    for (int i = 0; i < P_COUNT; i++) {
        if (i == P_MASK && !d->in.mask)
            continue;
        if (guard_map(&t[i].g, view_extent(&t[i].view) * t[i].elem, side, band, t[i].fill)) {
            snprintf(why, why_size, "mapping %s with a guard page: %s", t[i].name, strerror(errno));
            goto done;
        }
        if (t[i].logical)
            view_scatter(&t[i].view, t[i].elem, t[i].logical, t[i].g.p);
        if (view_count(&t[i].view) > most)
            most = view_count(&t[i].view);
    }
    if (want_probs && guard_map(&gp, np * sizeof(float), side, band, SENTINEL)) {
        snprintf(why, why_size, "mapping probs with a guard page: %s", strerror(errno));
        goto done;
    }
    scratch = malloc(most * sizeof *scratch);
    if (!scratch) {
        snprintf(why, why_size, "out of memory");
        goto done;
    }

    case_inputs in = d->in;
    in.mask = d->in.mask ? (float *)t[P_MASK].g.p : NULL;
    mha_args a = case_args(&d->c, &in);
    a.q = t[P_Q].g.p;
    a.k = t[P_K].g.p;
    a.v = t[P_V].g.p;
    a.out = t[P_OUT].g.p;
    a.q_strides = view_strides(&t[P_Q].view);
    a.k_strides = view_strides(&t[P_K].view);
    a.v_strides = view_strides(&t[P_V].view);
    a.out_strides = view_strides(&t[P_OUT].view);
    if (d->in.mask)
        a.mask_strides = view_mask_strides(&t[P_MASK].view);
    a.probs = want_probs ? (float *)gp.p : NULL;
    a.threads = cv->threads;
    /* the caller's workspace, exactly as large as the implementation asked */
    ws_bytes = mha_workspace_size(impl, &a);
    if (ws_bytes) {
        if (guard_map(&gw, ws_bytes, side, 64, WS_FILL)) {
            snprintf(why, why_size, "mapping %zu bytes of workspace with a guard page: %s", ws_bytes,
                     strerror(errno));
            goto done;
        }
        a.workspace = gw.p;
        a.workspace_bytes = ws_bytes;
    }

    /* a touch of a guard page during the call is reported by the fault handler */
    const run_result *rec = &v->r;
    char head[256], tail[1024];
    snprintf(head, sizeof head, "FAIL  %s  %s  (%s)\n", o->label, rec->id, rec->variant);
    snprintf(tail, sizeof tail, "      rerun: %s --case %s\n", o->rerun, rec->id);
    for (int i = 0; i < P_COUNT; i++)
        if (t[i].g.map)
            guard_watch(&t[i].g, t[i].name, rec, head, tail);
    if (gp.map)
        guard_watch(&gp, "probs", rec, head, tail);
    if (gw.map)
        guard_watch(&gw, "workspace", rec, head, tail);
    fflush(stdout); /* the handler writes with write(2) and ends with _exit */
    mha_status st = mha_attention(impl, &a);
    guard_unwatch_all();
    if (st != MHA_OK) {
        snprintf(why, why_size, "mha_attention returned '%s': %s", mha_status_str(st), mha_last_error());
        goto done;
    }

    placed *to = &t[P_OUT];
    if (oes == 2) { /* a 16-bit out, widened (exactly) for judging */
        view_gather(&to->view, 2, to->g.p, scratch);
        case_widen(d->c.out_dtype, (const uint16_t *)scratch, out, no);
    } else {
        view_gather(&to->view, sizeof(float), to->g.p, out);
    }
    view_fill(&to->view, oes, to->g.p, out_fill);
    if (check_output(&to->g, "out", out_fill, 0, 0, view_extent(&to->view) * oes, oes, why, why_size) ||
        (want_probs && check_output(&gp, "probs", SENTINEL, 0, np * sizeof(float), np * sizeof(float),
                                    sizeof(float), why, why_size)) ||
        (ws_bytes && check_output(&gw, "workspace", WS_FILL, 0, ws_bytes, ws_bytes, 1, why, why_size)))
        goto done;
    /* inputs are const: a kernel that scales Q in place corrupts the caller's data */
    for (int i = P_Q; i <= P_MASK; i++)
        if (t[i].g.map && check_input(&t[i], scratch, why, why_size))
            goto done;
    hash_bytes(out, no * sizeof(float), hash);
    if (want_probs)
        memcpy(probs, gp.p, np * sizeof *probs);
    rc = 0;
done:
    for (int i = 0; i < P_COUNT; i++)
        guard_unmap(&t[i].g);
    guard_unmap(&gp);
    guard_unmap(&gw);
    free(scratch);
    for (int i = 0; i < 3; i++)
        free(narrow[i]);
    return rc;
}
