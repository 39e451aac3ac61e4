/* Tensor placements for one call: see views.h. */
#include "views.h"

#include <string.h>

/*
 * Gaps, in floats, of a padded view: after every row of the innermost axis,
 * after every block of the middle axis (a token in bshd, a head in bhsd, a
 * head of the mask), after every batch. Different for every tensor, so a
 * port that reads one tensor with another's strides goes wrong; the row
 * gaps are odd, so consecutive rows start at different alignments.
 */
static const int64_t gaps[VIEW_TENSOR_COUNT][3] = {
    [VIEW_Q] = {1, 3, 5}, [VIEW_K] = {3, 5, 7}, [VIEW_V] = {5, 1, 3}, [VIEW_OUT] = {7, 3, 1}, [VIEW_MASK] = {3, 7, 5},
};

tensor_view view_qkvo(view_tensor t, int layout, int padded, int64_t B, int64_t S, int64_t H, int64_t Dh)
{
    const int64_t *g = gaps[t];
    const int64_t g0 = padded ? g[0] : 0, g1 = padded ? g[1] : 0, g2 = padded ? g[2] : 0;
    tensor_view v = {{B, S, H, Dh}, {0, 0, 0, 1}};
    if (layout == CASE_LAYOUT_BHSD) { /* [B][H][S][Dh] in memory */
        v.stride[1] = Dh + g0;
        v.stride[2] = S * v.stride[1] + g1;
        v.stride[0] = H * v.stride[2] + g2;
    } else { /* [B][S][H][Dh] in memory */
        v.stride[2] = Dh + g0;
        v.stride[1] = H * v.stride[2] + g1;
        v.stride[0] = S * v.stride[1] + g2;
    }
    return v;
}

tensor_view view_mask(int padded, int64_t mask_b, int64_t mask_h, int64_t Sq, int64_t Skv)
{
    const int64_t *g = gaps[VIEW_MASK];
    tensor_view v = {{mask_b, mask_h, Sq, Skv}, {0, 0, 0, 1}};
    v.stride[2] = Skv + (padded ? g[0] : 0);
    v.stride[1] = Sq * v.stride[2] + (padded ? g[1] : 0);
    v.stride[0] = mask_h * v.stride[1] + (padded ? g[2] : 0);
    return v;
}

mha_strides view_strides(const tensor_view *v)
{
    return (mha_strides){v->stride[0], v->stride[1], v->stride[2]};
}

mha_mask_strides view_mask_strides(const tensor_view *v)
{
    return (mha_mask_strides){v->size[0] > 1 ? v->stride[0] : 0, v->size[1] > 1 ? v->stride[1] : 0, v->stride[2]};
}

size_t view_extent(const tensor_view *v)
{
    size_t last = 0;
    for (int a = 0; a < 4; a++) {
        if (v->size[a] <= 0)
            return 0;
        last += (size_t)(v->size[a] - 1) * (size_t)v->stride[a];
    }
    return last + 1;
}

size_t view_count(const tensor_view *v)
{
    return (size_t)(v->size[0] * v->size[1] * v->size[2] * v->size[3]);
}

/*
 * Copies every innermost row (elements of elem bytes) between the view in
 * buf and logical order; to_view picks the direction.
 */
static void copy_rows(const tensor_view *v, size_t elem, char *buf, char *logical, int to_view)
{
    const size_t row_bytes = (size_t)v->size[3] * elem;
    char *lrow = logical;
    for (int64_t i0 = 0; i0 < v->size[0]; i0++)
        for (int64_t i1 = 0; i1 < v->size[1]; i1++)
            for (int64_t i2 = 0; i2 < v->size[2]; i2++, lrow += row_bytes) {
                char *vrow = buf + (size_t)(i0 * v->stride[0] + i1 * v->stride[1] + i2 * v->stride[2]) * elem;
                memcpy(to_view ? vrow : lrow, to_view ? lrow : vrow, row_bytes);
            }
}

void view_scatter(const tensor_view *v, size_t elem, const void *logical, void *dst)
{
    copy_rows(v, elem, dst, (char *)logical, 1); /* only read: to_view copies from logical */
}

void view_gather(const tensor_view *v, size_t elem, const void *src, void *logical)
{
    copy_rows(v, elem, (char *)src, logical, 0); /* only read: !to_view copies from src */
}

void view_fill(const tensor_view *v, size_t elem, void *dst, uint32_t bits)
{
    for (int64_t i0 = 0; i0 < v->size[0]; i0++)
        for (int64_t i1 = 0; i1 < v->size[1]; i1++)
            for (int64_t i2 = 0; i2 < v->size[2]; i2++) {
                char *row = (char *)dst + (size_t)(i0 * v->stride[0] + i1 * v->stride[1] + i2 * v->stride[2]) * elem;
                for (int64_t e = 0; e < v->size[3]; e++)
                    memcpy(row + (size_t)e * elem, &bits, elem); /* the low elem bytes (little-endian) */
            }
}
