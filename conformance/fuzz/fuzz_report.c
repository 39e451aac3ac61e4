/*
 * libFuzzer target: the report's JSON reader (rep_load_json) and the
 * tables written from what it accepted. Any input must be rejected with a
 * message or loaded; a loaded report must give every run a series and a
 * point, and write its Markdown and CSV without reading out of bounds.
 */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *root = json_loadb((const char *)data, size, 0, &e);
    if (!root)
        return 0;
    rep_data d;
    memset(&d, 0, sizeof d);
    const char *files[1] = {"fuzz.json"};
    d.files = files;
    d.n_files = 1;
    char err[1024];
    if (rep_load_json(&d, root, "fuzz.json", err, sizeof err) == 0) {
        if (rep_finish(&d) != 0)
            abort();
        for (int i = 0; i < d.n_runs; i++) {
            const rep_run *r = &d.runs[i];
            if (r->series < 0 || r->series >= d.n_series || r->point_first > i || r->point_end <= i)
                abort(); /* every run belongs to a column and to its point's block */
        }
        char *text;
        size_t len;
        FILE *f = open_memstream(&text, &len);
        if (!f)
            abort();
        rep_write_markdown(&d, f);
        rep_write_csv(&d, f);
        fclose(f);
        free(text);
    }
    rep_free(&d);
    json_decref(root);
    return 0;
}
