/*
 * flash: what every flash variant (c, avx2, avx512, neon) shares.
 *
 * The algorithm (FlashAttention-2, Dao 2023, "FlashAttention-2: Faster
 * Attention with Better Parallelism and Work Partitioning", Algorithm 1)
 * is written out in flash_ctx.h; this header holds the plan: block
 * sizes, key splits for decoding, and the workspace layout, all computed
 * by mha_flash_plan() in flash_plan.c (baseline flags) so that the
 * workspace function and the attention function of every variant agree.
 *
 * Rows. For one batch b and one kv head g, the G = H / Hkv query heads
 * that read g are processed together: row r in [0, G*Sq) is query position
 * i = r / G of query head h = g*G + r % G. K and V blocks are then packed
 * once and used by all G heads (GQA and MQA read K and V once). With
 * G == 1 rows are simply query positions. Rows are i-major, so the causal
 * limit never decreases with r and a block of rows has one key range.
 */
#ifndef MHA_FLASH_H
#define MHA_FLASH_H

#include "mha.h"

#include <stddef.h>
#include <stdint.h>

/* Decode split rule: only calls of at most this many rows per (batch, kv
 * head) are split (decoding steps and short chunks; a prefill has work
 * enough in its query blocks) ... */
#define MHA_FLASH_SPLIT_MAX_ROWS 512
/* ... a split holds at least this many keys ... */
#define MHA_FLASH_SPLIT_MIN_KEYS 512
/* ... and there are at most this many splits per (batch, kv head). */
#define MHA_FLASH_MAX_SPLITS 16
/* Query blocks: the cache rule caps them at MHA_FLASH_BQ_MAX rows, and at
 * MHA_FLASH_BQ_FEW_TASKS rows when the call would otherwise have fewer
 * than MHA_FLASH_MIN_TASKS query-block tasks (so that threads, and the
 * unequal blocks of a causal call, still share the work). */
#define MHA_FLASH_BQ_MAX 1024
#define MHA_FLASH_BQ_FEW_TASKS 256
#define MHA_FLASH_MIN_TASKS 8
/* Streamed decode: when the rows of each (batch, kv head) are one query
 * block of at most this many rows, K and V rows are read in place (no
 * packing), whatever Skv ... */
#define MHA_FLASH_STREAM_ROWS 8
/* ... in key blocks of this many keys (MHA_FLASH_BK overrides it), each
 * read in steps of MHA_FLASH_STREAM_STEP token rows. */
#define MHA_FLASH_STREAM_BK 32
#define MHA_FLASH_STREAM_STEP 8
/* The streamed decode prefetches K and V (counted at 4 bytes per element)
 * larger than the last-level cache divided by this: a decode keeps only a
 * share of a shared LLC between calls (docs/decode.md, "Prefetch"). */
#define MHA_FLASH_PREFETCH_LLC_SHARE 4

/* Register tile of a variant: rows x keys (Q K^T) and rows x head-dim (P V). */
typedef struct mha_flash_tile {
    int mr;   /* query rows per microkernel call */
    int nr;   /* keys per Q K^T microkernel call (the packed K strip width) */
    int dr;   /* head-dim columns per P V microkernel call */
    int pass; /* rows whose scores are held at once (a multiple of mr): every
               * K or V strip loaded into L1 serves pass / mr microkernel calls;
               * 0 means mr (one tile) */
} mha_flash_tile;

/* Everything derived from the shape, the caches and the environment. */
typedef struct mha_flash_plan {
    int64_t group;      /* G = H / Hkv */
    int64_t rows;       /* rows per (b, g): G * Sq */
    int64_t bq, bk;     /* block sizes: rows per query block, keys per key block */
    int64_t bq_pad;     /* bq rounded up to mr */
    int64_t bk_pad;     /* bk rounded up to nr and to dr's vector width */
    int64_t dhp;        /* Dh rounded up to dr */
    int64_t qblocks;    /* ceil(rows / bq) */
    int64_t nsplit;     /* key splits per query block (1 unless decoding) */
    int64_t split_len;  /* keys per split (a multiple of bk) */
    int64_t nstates;    /* query-block states per thread: Hkv when decoding, else 1 */
    int stream;         /* streamed decode: K and V read in place, no packed blocks */
    int stream_prefetch; /* streamed decode: K and V (at 4 bytes per element) larger than a share of the LLC, prefetched ahead */
    int stream_whole;    /* streamed decode: one key block of every key, read a head at a time (short, cached K and V) */
    int decode;         /* split or streamed: the decode path (flash_decode.c), one state per kv head */
    /* Per-thread workspace: scratch (packed K, V, scores), then nstates
     * states (Q block, O, m, l, ...). Offsets in floats. */
    size_t off_k, off_v, off_s;                                      /* from the thread's base */
    size_t off_q, off_o, off_m, off_l, off_alpha, off_lim, off_mrow, off_flag; /* from a state's base */
    size_t s_stride; /* streamed decode: scores of state g at off_s + g * s_stride (else 0, shared) */
    size_t scratch_floats, state_floats; /* multiples of 16 */
    size_t thread_floats;   /* scratch_floats + nstates * state_floats */
    size_t partial_floats;  /* split partials of one batch, [Hkv][MAX_SPLITS][slot] (0 unless decoding) */
} mha_flash_plan;

/*
 * Block sizes for head dimension dh, from the cache sizes and the
 * MHA_FLASH_BQ / MHA_FLASH_BK environment variables (see flash_plan.c).
 */
void mha_flash_block_sizes(int64_t dh, const mha_flash_tile *tile, int64_t *bq, int64_t *bk);

/* The whole plan for a shape (threads only scale the workspace, never the blocks). */
void mha_flash_plan_make(const mha_shape *shape, const mha_flash_tile *tile, mha_flash_plan *plan);

/* Workspace bytes for a plan and a thread count. */
size_t mha_flash_workspace_bytes(const mha_flash_plan *plan, int threads);

/* L2 size in bytes (impl/core/cache_info.h). */
size_t mha_flash_l2_size(void);

#endif
