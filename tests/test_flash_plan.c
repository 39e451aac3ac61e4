/*
 * The flash planner (impl/flash/flash_plan.c, docs/flash.md "The
 * planner") for the register tiles of flash_c, flash_avx2 and
 * flash_avx512, over head dims and row counts, with this machine's cache
 * sizes (the rules are stated in terms of them, so any machine checks them):
 *   - a pass's scores (pass x bk floats) fill at most half of L1 unless
 *     bk is already the smallest block, one Q K^T tile wide;
 *   - rows are cut into no more query blocks than the cap bq of
 *     mha_flash_block_sizes needs, each a whole number of row tiles
 *     (none of only a few leftover rows) and less than a tile over the cap;
 *     the cap is MHA_FLASH_BQ_FEW_TASKS when the cap's blocks would give
 *     fewer than MHA_FLASH_MIN_TASKS tasks (kv heads x blocks), and a call
 *     has that many tasks unless its blocks are that small already;
 *   - the Q and O blocks of the cap (bq x (Dh + dhp) floats) take at most
 *     twice L2 unless bq is already one row tile;
 *   - only calls of at most MHA_FLASH_SPLIT_MAX_ROWS rows per kv head are
 *     split over the keys;
 *   - the workspace holds the scores of one pass (of one tile when a
 *     table names no pass, pass 0);
 *   - MHA_FLASH_BQ and MHA_FLASH_BK replace the rule exactly.
 */
#include "flash.h"
#include "cache_info.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>

static const struct {
    const char *name;
    mha_flash_tile tile;
} tiles[] = {
    {"c 4x8", {4, 8, 8, 12}},
    {"avx2 6x16", {6, 16, 16, 12}},
    {"avx512 14x32", {14, 32, 32, 14}},
    {"6x16, no pass named", {6, 16, 16, 0}},
};

static mha_flash_plan plan_for(const mha_flash_tile *t, int64_t heads, int64_t kv_heads, int64_t sq, int64_t dh)
{
    const mha_shape s = {1, heads, kv_heads, sq, sq, dh};
    mha_flash_plan p;
    mha_flash_plan_make(&s, t, &p);
    return p;
}

int main(void)
{
    unsetenv("MHA_FLASH_BQ");
    unsetenv("MHA_FLASH_BK");
    const size_t l1 = mha_cache_info_get()->bytes[0], l2 = mha_flash_l2_size();
    static const int64_t dhs[] = {1, 16, 64, 80, 128, 256};
    static const int64_t sqs[] = {1, 7, 100, 257, 1000, 1024, 4096, 16384};
    for (size_t t = 0; t < sizeof tiles / sizeof *tiles; t++) {
        const mha_flash_tile *tile = &tiles[t].tile;
        for (size_t d = 0; d < sizeof dhs / sizeof *dhs; d++) {
            int64_t cap_q, cap_k;
            mha_flash_block_sizes(dhs[d], tile, &cap_q, &cap_k);
            const int64_t pass = tile->pass ? tile->pass : tile->mr;
            const size_t pass_bytes = (size_t)pass * (size_t)cap_k * sizeof(float);
            CHECK(cap_k == tile->nr || pass_bytes <= l1 / 2,
                  "%s Dh %lld: a pass's scores take %zu bytes with bk %lld, over half of L1 (%zu)", tiles[t].name,
                  (long long)dhs[d], pass_bytes, (long long)cap_k, l1);
            const int64_t dhp = (dhs[d] + tile->dr - 1) / tile->dr * tile->dr;
            const size_t qo_bytes = (size_t)cap_q * (size_t)(dhs[d] + dhp) * sizeof(float);
            CHECK(cap_q == tile->mr || qo_bytes <= 2 * l2,
                  "%s Dh %lld: Q and O blocks of %lld rows take %zu bytes, over twice L2 (%zu)", tiles[t].name,
                  (long long)dhs[d], (long long)cap_q, qo_bytes, l2);
            for (size_t i = 0; i < sizeof sqs / sizeof *sqs; i++)
                for (int64_t g = 1; g <= 8; g *= 2) {
                    /* decoding shapes (one block of few rows) take other paths */
                    const mha_flash_plan p = plan_for(tile, 8, 8 / g, sqs[i], dhs[d]);
                    CHECK(p.nsplit == 1 || p.rows <= MHA_FLASH_SPLIT_MAX_ROWS,
                          "%s Dh %lld: %lld rows per kv head split in %lld over the keys, more than %d rows",
                          tiles[t].name, (long long)dhs[d], (long long)p.rows, (long long)p.nsplit,
                          MHA_FLASH_SPLIT_MAX_ROWS);
                    if (!p.stream)
                        CHECK(p.scratch_floats - p.off_s >= (size_t)(pass * p.bk_pad),
                              "%s Dh %lld rows %lld: %zu floats of scores for %lld rows of %lld", tiles[t].name,
                              (long long)dhs[d], (long long)p.rows, p.scratch_floats - p.off_s, (long long)pass,
                              (long long)p.bk_pad);
                    /* a call with fewer than MHA_FLASH_MIN_TASKS blocks of the cap takes
                     * blocks of at most MHA_FLASH_BQ_FEW_TASKS rows */
                    const int64_t heads = 8 / g, at_cap = heads * ((p.rows + cap_q - 1) / cap_q);
                    const int64_t cap =
                        at_cap < MHA_FLASH_MIN_TASKS && cap_q > MHA_FLASH_BQ_FEW_TASKS ? MHA_FLASH_BQ_FEW_TASKS : cap_q;
                    CHECK(heads * p.qblocks >= MHA_FLASH_MIN_TASKS || p.bq < MHA_FLASH_BQ_FEW_TASKS + tile->mr,
                          "%s Dh %lld rows %lld, %lld kv heads: %lld blocks of %lld rows, fewer than %d tasks",
                          tiles[t].name, (long long)dhs[d], (long long)p.rows, (long long)heads,
                          (long long)p.qblocks, (long long)p.bq, MHA_FLASH_MIN_TASKS);
                    if (p.rows <= cap) {
                        CHECK(p.qblocks == 1 && p.bq == p.rows, "%s Dh %lld rows %lld: one block of all rows, got "
                              "%lld of %lld", tiles[t].name, (long long)dhs[d], (long long)p.rows,
                              (long long)p.qblocks, (long long)p.bq);
                        continue;
                    }
                    const int64_t most = (p.rows + cap - 1) / cap, last = p.rows - (p.qblocks - 1) * p.bq;
                    CHECK(p.qblocks <= most && p.bq % tile->mr == 0 && p.bq < cap + tile->mr && last > 0 &&
                              last > p.bq - p.qblocks * tile->mr,
                          "%s Dh %lld rows %lld cap %lld: %lld blocks of %lld rows, the last %lld", tiles[t].name,
                          (long long)dhs[d], (long long)p.rows, (long long)cap, (long long)p.qblocks,
                          (long long)p.bq, (long long)last);
                }
        }
    }
    /* a decoding step over many keys is split; a prefill chunk of more rows than the split limit is not */
    for (int64_t sq = 1; sq <= 4096; sq *= 4) {
        const mha_shape s = {1, 8, 8, sq, 8192, 64};
        mha_flash_plan p;
        mha_flash_plan_make(&s, &tiles[1].tile, &p);
        const int want_split = p.qblocks == 1 && sq <= MHA_FLASH_SPLIT_MAX_ROWS;
        CHECK((p.nsplit > 1) == want_split, "Sq %lld over 8192 keys: %lld splits, want %s", (long long)sq,
              (long long)p.nsplit, want_split ? "more than 1" : "1");
    }
    /* the overrides, odd values included, are taken as given */
    setenv("MHA_FLASH_BQ", "17", 1);
    setenv("MHA_FLASH_BK", "3", 1);
    const mha_flash_plan p = plan_for(&tiles[1].tile, 8, 8, 1000, 64);
    CHECK(p.bq == 17 && p.bk == 3 && p.qblocks == 59, "overrides 17 and 3: got bq %lld bk %lld blocks %lld",
          (long long)p.bq, (long long)p.bk, (long long)p.qblocks);
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed != 0;
}
