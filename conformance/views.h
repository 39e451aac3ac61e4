/*
 * Where the elements of one tensor sit in memory for one call: the two
 * dense layouts, or a padded one with gaps between rows, heads or tokens,
 * and batches (a different set of gaps for every tensor), and the copies
 * between that placement and the case's logical (dense, row-major) order.
 */
#ifndef MHA_CONF_VIEWS_H
#define MHA_CONF_VIEWS_H

#include "cases.h"

#include <stddef.h>
#include <stdint.h>

/* A 4-D view: sizes outermost first; the innermost axis is contiguous. */
typedef struct tensor_view {
    int64_t size[4];
    int64_t stride[4]; /* in elements; stride[3] == 1 */
} tensor_view;

/* The tensors of one call that have strides. */
typedef enum view_tensor { VIEW_Q, VIEW_K, VIEW_V, VIEW_OUT, VIEW_MASK, VIEW_TENSOR_COUNT } view_tensor;

/*
 * Q, K, V or out ([B][S][H][Dh]) in layout (CASE_LAYOUT_*), dense or padded
 * with the gaps of tensor t.
 */
tensor_view view_qkvo(view_tensor t, int layout, int padded, int64_t B, int64_t S, int64_t H, int64_t Dh);

/*
 * The mask as the case stores it, [mask_b][mask_h][Sq][Skv], dense or with
 * gaps after every row, every head and every batch.
 */
tensor_view view_mask(int padded, int64_t mask_b, int64_t mask_h, int64_t Sq, int64_t Skv);

/* A view's strides as the interface takes them (the mask's: 0 where the size is 1, which broadcasts). */
mha_strides view_strides(const tensor_view *v);
mha_mask_strides view_mask_strides(const tensor_view *v);

/* Elements from the first to one past the last (what the tensor's buffer must hold). */
size_t view_extent(const tensor_view *v);

/* Logical elements (the product of the sizes). */
size_t view_count(const tensor_view *v);

/* logical (dense, v->size order) -> the view's elements (elem bytes each: 4 or 2) in dst, and back. */
void view_scatter(const tensor_view *v, size_t elem, const void *logical, void *dst);
void view_gather(const tensor_view *v, size_t elem, const void *src, void *logical);

/* Sets every element (elem bytes) of the view in dst to the low elem bytes of bits (little-endian). */
void view_fill(const tensor_view *v, size_t elem, void *dst, uint32_t bits);

#endif
