/*
 * The flash plan: block sizes, decode splits, workspace layout.
 *
 * Block-size rule (docs/flash.md, "Block sizes"), with L1 and L2 the
 * per-core L1 data and L2 sizes read at run time:
 *   dhp = Dh rounded up to the P V tile width
 *   bk  = (L2 / 4) / (4 * (Dh + dhp))   the packed K block (Dh x bk) and V
 *         block (bk x dhp) together fill at most a quarter of L2;
 *         at most (L1 / 2) / (4 * pass)  the scores of one pass of rows
 *         (pass x bk) fill at most half of L1; rounded down to the Q K^T
 *         tile width, clamped to [tile width, 512]
 *   bq  = (2 * L2) / (4 * (Dh + dhp))   the packed Q block (bq x Dh) and
 *         the unnormalised output block (bq x dhp) take at most twice L2
 *         (a pass reads its few Q and O rows once per key block, against
 *         far more arithmetic, so they may come from L3; more rows per
 *         block means fewer times each K and V row is packed, whose reads,
 *         a page apart, cost far more than their bytes);
 *         clamped to [row tile, 1024], and to 256 when the call would
 *         have fewer than 8 query-block tasks; then the G*Sq rows go into
 *         n = ceil(rows / bq) blocks of ceil(rows / n) rows rounded up to
 *         the row tile (less than a row tile over the cap; the last block
 *         takes the rest)
 * The rest of L2 holds the K and V rows being packed, the pass's Q and O rows and the output.
 * Inside a block, one pass of rows (tile->pass, whole register tiles) at
 * a time runs Q K^T, softmax and P V, so L1 holds the pass's scores
 * (pass x bk), its Q rows (pass x Dh) and the K strip (Dh x nr) or V
 * strip (bk x dr) being used: under 32 KiB for Dh <= 128 with the AVX2
 * tile. Large bq amortises packing K and V (done once per query block);
 * causal cost does not grow with the blocks because passes above the
 * diagonal are skipped inside a block.
 * MHA_FLASH_BQ and MHA_FLASH_BK (positive integers, any value, odd ones
 * included) replace the rule so the benchmark can sweep block sizes.
 *
 * Decode split rule (FlashDecoding): when the rows of one (batch, kv head)
 * fit in one query block, number at most MHA_FLASH_SPLIT_MAX_ROWS and
 * Skv >= 2 * MHA_FLASH_SPLIT_MIN_KEYS, the keys
 * are cut into splits of max(MHA_FLASH_SPLIT_MIN_KEYS, ceil(Skv / 16))
 * keys rounded up to a multiple of bk. The cut depends on the shape and
 * the block size only, never on the thread count.
 *
 * Streamed decode: when the rows of one (batch, kv head) fit in one query
 * block and number at most MHA_FLASH_STREAM_ROWS (Sq = 1 and G <= 8, the
 * usual decoding step), whatever Skv, Q K^T and P V are matrix-vector
 * products with nothing to reuse a packed block for: the kernels read K
 * and V rows in place, in key blocks of MHA_FLASH_STREAM_BK keys, and the
 * workspace holds no K or V block.
 *
 * A split or streamed shape takes the decode path (flash_decode.c): tasks
 * of one split and a group of kv heads, then a merge of the splits.
 */
#include "flash.h"
#include "cache_info.h"

#include <stdlib.h>
#include <string.h>

static int64_t round_up(int64_t x, int64_t m)
{
    return (x + m - 1) / m * m;
}

static int64_t clamp64(int64_t x, int64_t lo, int64_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* L2 of this machine (impl/core/cache_info.h: sysfs, sysconf, cpuid, else assumed; never 0). */
size_t mha_flash_l2_size(void)
{
    return mha_cache_info_get()->bytes[1];
}

/* Rows of a pass: tile->pass, or one register tile for a table that names no pass (0). */
static int64_t pass_rows(const mha_flash_tile *tile)
{
    return tile->pass > tile->mr ? tile->pass : tile->mr;
}

/* A positive integer from the environment, or 0. */
static int64_t env_block(const char *name)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0' || v <= 0)
        return 0;
    return v > 65536 ? 65536 : (int64_t)v;
}

/* mha_flash_block_sizes with the overrides eq, ek (0: none) already read */
static void block_sizes(int64_t dh, const mha_flash_tile *tile, int64_t eq, int64_t ek, int64_t *bq, int64_t *bk)
{
    const size_t l1 = mha_cache_info_get()->bytes[0], l2 = mha_flash_l2_size();
    const int64_t dhp = round_up(dh, tile->dr);
    int64_t k = (int64_t)(l2 / 4) / (4 * (dh + dhp));
    const int64_t k_l1 = (int64_t)(l1 / 2) / (4 * pass_rows(tile));
    if (k > k_l1)
        k = k_l1;
    k = clamp64(k / tile->nr * tile->nr, tile->nr, 512);
    int64_t q = (int64_t)(2 * l2) / (4 * (dh + dhp));
    q = clamp64(q, tile->mr, MHA_FLASH_BQ_MAX);
    *bq = eq ? eq : q;
    *bk = ek ? ek : k;
}

void mha_flash_block_sizes(int64_t dh, const mha_flash_tile *tile, int64_t *bq, int64_t *bk)
{
    block_sizes(dh, tile, env_block("MHA_FLASH_BQ"), env_block("MHA_FLASH_BK"), bq, bk);
}

/* The offset *off, then *off advanced by n floats rounded up to 16 (64 bytes). */
static size_t take(size_t *off, int64_t n)
{
    const size_t at = *off;
    *off += (size_t)round_up(n, 16);
    return at;
}

void mha_flash_plan_make(const mha_shape *s, const mha_flash_tile *tile, mha_flash_plan *p)
{
    memset(p, 0, sizeof *p);
    const int64_t dh = s->head_dim;
    p->group = s->heads / s->kv_heads;
    p->rows = p->group * s->q_len;
    /* the overrides, read once per plan (getenv scans the whole environment, about 700 instructions a call
     * here, against about 70k for a whole short decode) */
    const int64_t eq = env_block("MHA_FLASH_BQ"), ek = env_block("MHA_FLASH_BK");
    block_sizes(dh, tile, eq, ek, &p->bq, &p->bk);
    const int64_t heads = s->batch * s->kv_heads;
    if (!eq && p->bq > MHA_FLASH_BQ_FEW_TASKS &&
        heads * ((p->rows + p->bq - 1) / p->bq) < MHA_FLASH_MIN_TASKS)
        p->bq = MHA_FLASH_BQ_FEW_TASKS;
    if (p->bq >= p->rows) {
        p->bq = p->rows;
    } else if (!eq) {
        /* as many blocks as the cap needs, of (nearly) equal size in whole
         * row tiles (1024 rows under a cap of 256: 4 blocks of 258 rows, not
         * 4 of 252 and a fifth of 16 that packs all of K and V for 16 rows) */
        const int64_t nblocks = (p->rows + p->bq - 1) / p->bq;
        p->bq = round_up((p->rows + nblocks - 1) / nblocks, tile->mr);
    }
    if (p->bk > s->kv_len)
        p->bk = s->kv_len;
    p->bq_pad = round_up(p->bq, tile->mr);
    p->bk_pad = round_up(p->bk, tile->nr);
    p->dhp = round_up(dh, tile->dr);
    p->qblocks = (p->rows + p->bq - 1) / p->bq;

    p->nsplit = 1;
    p->split_len = s->kv_len;
    if (p->qblocks == 1 && p->rows <= MHA_FLASH_STREAM_ROWS) {
        /* streamed decode: small key blocks, as they are read in place */
        p->stream = 1;
        /* K and V within a share of the last-level cache may be there from the last call: prefetching them
         * only costs instructions (one per 64 bytes, as many as the FMAs of a one-row decode on those bytes);
         * larger ones are mostly not, though they fit the whole cache. Counted at 4 bytes per element: the
         * plan does not know the dtype. */
        const double kv_bytes = 2.0 * 4.0 * (double)s->batch * (double)s->kv_len * (double)s->kv_heads * (double)dh;
        p->stream_prefetch = kv_bytes > (double)mha_cache_info_get()->bytes[2] / MHA_FLASH_PREFETCH_LLC_SHARE;
        /* a short decode (no split) of K and V not prefetched: one block of every key, each head's rows read in one
         * kernel call, as the row algorithm does (the online softmax runs once, no per-step calls) */
        p->stream_whole = !p->stream_prefetch && !ek && s->kv_len < 2 * MHA_FLASH_SPLIT_MIN_KEYS;
        p->bk = p->stream_whole ? s->kv_len : ek ? ek : MHA_FLASH_STREAM_BK;
        if (p->bk > s->kv_len)
            p->bk = s->kv_len;
        p->bk_pad = round_up(p->bk, tile->nr);
        /* qk_rows and pv_rows take any row count: no padding rows to load, reset and carry (at Sq 1, MHA,
         * an MR-row block would zero 5 spare rows of Q and O per kv head: 40 KiB a call at Hkv 8, Dh 128) */
        p->bq_pad = p->bq;
    }
    if (p->qblocks == 1 && p->rows <= MHA_FLASH_SPLIT_MAX_ROWS && s->kv_len >= 2 * MHA_FLASH_SPLIT_MIN_KEYS) {
        int64_t len = (s->kv_len + MHA_FLASH_MAX_SPLITS - 1) / MHA_FLASH_MAX_SPLITS;
        if (len < MHA_FLASH_SPLIT_MIN_KEYS)
            len = MHA_FLASH_SPLIT_MIN_KEYS;
        p->split_len = round_up(len, p->bk);
        p->nsplit = (s->kv_len + p->split_len - 1) / p->split_len;
    }
    p->decode = p->stream || p->nsplit > 1;
    p->nstates = p->decode ? s->kv_heads : 1;
    if (p->nsplit > 1)
        p->partial_floats = (size_t)round_up(s->kv_heads * MHA_FLASH_MAX_SPLITS * p->bq * (p->dhp + 2), 16);

    /* Per-thread layout; every piece starts on a 64-byte boundary. */
    size_t off = 0;
    const int64_t srows = !p->stream ? pass_rows(tile) : p->rows > tile->mr ? p->rows : tile->mr;
    if (p->stream) {
        /* bf16 / fp16 K and V rows of one step, widened, [step][kv head][dhp] (fp32 rows are read in place) */
        p->off_k = take(&off, s->kv_heads * MHA_FLASH_STREAM_STEP * p->dhp);
        p->off_v = take(&off, s->kv_heads * MHA_FLASH_STREAM_STEP * p->dhp);
    } else {
        p->off_k = take(&off, p->bk_pad * dh);       /* K block, [bk_pad/nr][Dh][nr] */
        p->off_v = take(&off, p->bk_pad * p->dhp);   /* V block, [dhp/dr][bk_pad][dr] */
    }
    p->s_stride = p->stream ? (size_t)round_up(srows * p->bk_pad, 16) : 0;
    /* scores, then p, of one pass of rows [pass][bk_pad]; streamed: of every row, one per kv head */
    p->off_s = take(&off, p->stream ? (int64_t)(p->s_stride * (size_t)p->nstates) : srows * p->bk_pad);
    p->scratch_floats = off;
    off = 0;
    p->off_q = take(&off, p->bq_pad * dh);           /* Q block, [bq_pad][Dh] */
    p->off_o = take(&off, p->bq_pad * p->dhp);       /* unnormalised output, [bq_pad][dhp] */
    p->off_m = take(&off, p->bq_pad);                /* running max */
    p->off_l = take(&off, p->bq_pad);                /* running sum */
    p->off_alpha = take(&off, p->bq_pad);            /* rescale factor of this block */
    p->off_lim = take(&off, p->bq_pad * 2);          /* causal limit per row (int64) */
    p->off_mrow = take(&off, p->bq_pad * 2);         /* mask row pointer per row */
    p->off_flag = take(&off, 4);                     /* streamed decode: block flags (int) */
    p->state_floats = off;
    p->thread_floats = p->scratch_floats + (size_t)p->nstates * p->state_floats;
}

size_t mha_flash_workspace_bytes(const mha_flash_plan *p, int threads)
{
    return ((size_t)threads * p->thread_floats + p->partial_floats) * sizeof(float);
}
