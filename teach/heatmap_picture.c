/* The heatmap picture as a file; see heatmap_picture.h. */
#include "heatmap_picture.h"

#include "atomic_file.h"
#include "scene.h"

#include <stdio.h>

int hm_write_picture(const hm_picture *p, const char *path, int png, char *err, size_t err_size)
{
    scene s;
    if (hm_layout(p, &s)) {
        scene_free(&s);
        snprintf(err, err_size, "%s: out of memory while laying out the picture", path);
        return -1;
    }
    atomic_file af;
    int rc = -1;
    if (atomic_open(&af, path, err, err_size) == 0) {
#ifdef MHA_HAVE_CAIRO
        int bad = png ? scene_write_png(&s, af.f, HM_PNG_SCALE, err, err_size) : scene_write_svg(&s, af.f);
#else
        int bad = png ? 1 : scene_write_svg(&s, af.f);
        if (png)
            snprintf(err, err_size, "%s: this mha was built without cairo: SVG only", path);
#endif
        if (bad) {
            if (!png)
                snprintf(err, err_size, "%s: write failed", path);
            atomic_abort(&af);
        } else {
            rc = atomic_commit(&af, err, err_size);
        }
    }
    scene_free(&s);
    return rc;
}
