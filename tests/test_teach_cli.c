/*
 * The teaching commands end to end, through the `mha` binary:
 *   explain --json numbers for the seed shape, bad inputs and their messages,
 *   heatmap SVG parsed as XML (panels, labels, cells, colours), PNG read back
 *   with libpng (signature, size), the manifest loaded with jansson;
 *   explain --decode's sum, heatmap --scale, --export-npy and --export-csv,
 *   the colour bar's 1/T line and each cell's hover title.
 * Usage: test_teach_cli MHA_BINARY OUTPUT_DIR
 */
#include "check.h"

#include <jansson.h>
#ifdef TEACH_PNG
#include <png.h>
#endif
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#ifdef HAVE_LIBXML2
#include <libxml/parser.h>
#include <libxml/tree.h>
#endif

static const char *mha, *outdir;
static char out[1 << 16];

/* Runs "mha ARGS" with stderr merged into out; returns the exit status. */
static int run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' %s 2>&1", outdir, exe_wrapper(), mha, args);
    return check_run(cmd, out, sizeof out);
}

static void bad(const char *args, const char *expect)
{
    int rc = run(args);
    CHECK(rc == 2, "'mha %s' exited %d, expected 2", args, rc);
    CHECK(strstr(out, expect) != NULL, "'mha %s' said \"%s\", expected it to mention \"%s\"", args, out, expect);
}

static json_int_t jint(json_t *o, const char *path1, size_t idx, const char *key)
{
    json_t *a = json_object_get(o, path1);
    json_t *e = json_is_array(a) ? json_array_get(a, idx) : a;
    return json_integer_value(json_object_get(e, key));
}

static void explain(void)
{
    CHECK(run("explain --batch 2 --seq 8 --d-model 32 --heads 4 --json") == 0, "explain --json failed: %s", out);
    json_error_t err;
    json_t *j = json_loads(out, 0, &err);
    CHECK(j != NULL, "explain --json is not JSON: %s", err.text);
    if (!j)
        return;
    /* Hand values as in test_shapes_math.c: Q = 2*16*32*32 = 32768, scores 2*2*4*8*8*8 = 8192,
     * params 4*32^2 = 4096, MHA KV 2*4*8*4 = 256 bytes per token. */
    CHECK(jint(j, "steps", 1, "flops") == 32768, "Q flops");
    CHECK(jint(j, "steps", 7, "flops") == 8192, "scores flops");
    CHECK(jint(j, "parameters", 0, "total") == 4096, "params");
    CHECK(jint(j, "kv_cache", 0, "bytes_per_token") == 256, "kv MHA");
    CHECK(jint(j, "kv_cache", 2, "bytes_per_token") == 64, "kv MQA");
    CHECK(jint(j, "split_vs_full", 0, "seed_full") == 4096 && jint(j, "split_vs_full", 0, "ratio") == 4,
          "split vs full");
    json_decref(j);
    CHECK(run("explain --batch 2 --seq 4 --d-model 16 --heads 4") == 0 && strstr(out, "4*(16*16) vs 4*(4*4)"),
          "seed 003 table in text output: %s", out);
    /* decode: 4*B*H*Dh per visible pair, 16*17/2 pairs: 4*1*4*4*136 = 8,704, step by step and in one call */
    CHECK(run("explain --batch 1 --seq 16 --d-model 16 --heads 4 --decode") == 0 &&
              strstr(out, "16 steps add up to 8,704 attention FLOPs") && strstr(out, "same 8,704"),
          "explain --decode: %s", out);
    CHECK(strstr(out, "head 3: dims 12-15"), "explain: head 3's slice of D");
    bad("explain --batch 2 --seq 8 --d-model 30 --heads 4", "valid head counts for d_model 30: 1, 2, 3, 5, 6, 10, 15, 30");
    bad("explain --batch 2 --seq 8 --d-model 32 --heads 4 --kv-heads 3", "valid kv-head counts for 4 heads: 1, 2, 4");
    bad("explain --batch 0 --seq 8 --d-model 32 --heads 4", "--batch 0");
    bad("explain --batch 2 --seq -3 --d-model 32 --heads 4", "--seq -3");
    bad("explain --batch 2 --seq 8 --d-model 32", "--heads is required");
    bad("explain --batch 2 --seq 8 --d-model 32 --heads 4 --frobnicate", "unknown option");
}

#ifdef HAVE_LIBXML2
static int has_class(xmlNode *n, const char *cls)
{
    xmlChar *c = xmlGetProp(n, (const xmlChar *)"class");
    int yes = c && strcmp((const char *)c, cls) == 0;
    xmlFree(c);
    return yes;
}

static xmlNode *child_group(xmlNode *n, const char *cls)
{
    for (xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && has_class(c, cls))
            return c;
    return NULL;
}

/* Counts element children named name; collects their text (joined by '|') into buf. */
static int children(xmlNode *g, const char *name, char *buf, size_t size)
{
    int n = 0;
    if (buf)
        buf[0] = '\0';
    for (xmlNode *c = g ? g->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, name) != 0)
            continue;
        n++;
        if (buf) {
            xmlChar *t = xmlNodeGetContent(c);
            strncat(buf, n > 1 ? "|" : "", size - strlen(buf) - 1);
            strncat(buf, (const char *)t, size - strlen(buf) - 1);
            xmlFree(t);
        }
    }
    return n;
}

static const char *fill_of(xmlNode *g, int index)
{
    static char fill[16];
    int n = 0;
    fill[0] = '\0';
    for (xmlNode *c = g ? g->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && n++ == index) {
            xmlChar *f = xmlGetProp(c, (const xmlChar *)"fill");
            snprintf(fill, sizeof fill, "%s", f ? (const char *)f : "");
            xmlFree(f);
        }
    return fill;
}

/* Parses path; checks panels, labels and cells; returns the root width or -1. */
static double check_svg(const char *path, int heads, int T, const char *labels, int causal)
{
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", outdir, path);
    xmlDoc *doc = xmlReadFile(full, NULL, XML_PARSE_NONET);
    CHECK(doc != NULL, "%s is not well-formed XML", path);
    if (!doc)
        return -1;
    xmlNode *root = xmlDocGetRootElement(doc);
    CHECK(root && strcmp((const char *)root->name, "svg") == 0, "%s root is not <svg>", path);
    int panels = 0, top = 0;
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !has_class(c, "panel"))
            continue;
        char text[1024];
        CHECK(children(child_group(c, "query-labels"), "text", text, sizeof text) == T && strcmp(text, labels) == 0,
              "%s panel %d query labels '%s', expected '%s'", path, panels, text, labels);
        CHECK(children(child_group(c, "key-labels"), "text", text, sizeof text) == T && strcmp(text, labels) == 0,
              "%s panel %d key labels '%s'", path, panels, text);
        xmlNode *cells = child_group(c, "cells");
        CHECK(children(cells, "rect", NULL, 0) == T * T, "%s panel %d: %d cells, expected %d", path, panels,
              children(cells, "rect", NULL, 0), T * T);
        for (int k = 0; k < T * T; k++)
            top += strcmp(fill_of(cells, k), "#fde725") == 0;
        if (causal) {
            /* Query 0 sees only key 0: p = 1 = the top of the scale, viridis(1) = #fde725;
             * (0, 1) is hidden: grey. */
            CHECK(strcmp(fill_of(cells, 0), "#fde725") == 0, "%s panel %d cell (0,0) %s, expected #fde725", path,
                  panels, fill_of(cells, 0));
            CHECK(strcmp(fill_of(cells, 1), "#dddddd") == 0, "%s hidden cell (0,1) %s", path, fill_of(cells, 1));
        }
        panels++;
    }
    CHECK(panels == heads, "%s has %d panels, expected %d", path, panels, heads);
    /* The colour scale ends at the largest probability: that cell is viridis(1) = #fde725. */
    CHECK(top >= 1, "%s: no cell has the top colour #fde725", path);
    xmlChar *w = xmlGetProp(root, (const xmlChar *)"width");
    double width = w ? atof((const char *)w) : -1;
    xmlFree(w);
    xmlFreeDoc(doc);
    return width;
}
#else
/* Without libxml2: structure only (prologue, root, balanced groups, panel count). */
static double check_svg(const char *path, int heads, int T, const char *labels, int causal)
{
    (void)T; (void)labels; (void)causal;
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", outdir, path);
    FILE *f = fopen(full, "rb");
    CHECK(f != NULL, "cannot open %s", path);
    if (!f)
        return -1;
    static char doc[1 << 20];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    doc[n] = '\0';
    fclose(f);
    CHECK(strncmp(doc, "<?xml", 5) == 0 && strstr(doc, "</svg>\n") == doc + n - 7, "%s structure", path);
    int open = 0, close = 0, panels = 0;
    for (const char *p = doc; (p = strstr(p, "<g")); p++)
        open++;
    for (const char *p = doc; (p = strstr(p, "</g>")); p++)
        close++;
    for (const char *p = doc; (p = strstr(p, "class=\"panel\"")); p++)
        panels++;
    CHECK(open == close && panels == heads, "%s: %d <g>, %d </g>, %d panels", path, open, close, panels);
    const char *w = strstr(doc, "width=\"");
    return w ? atof(w + 7) : -1;
}
#endif

#ifdef TEACH_PNG
static void check_png(const char *path, double svg_width)
{
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", outdir, path);
    FILE *f = fopen(full, "rb");
    unsigned char sig[8] = {0};
    CHECK(f && fread(sig, 1, 8, f) == 8 && png_sig_cmp(sig, 0, 8) == 0, "%s lacks the PNG signature", path);
    if (f)
        fclose(f);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    CHECK(png_image_begin_read_from_file(&img, full) != 0, "libpng cannot read %s: %s", path, img.message);
    /* Drawn at 2x: width = ceil(2 * SVG width). */
    CHECK(svg_width > 0 && img.width >= (png_uint_32)(2 * svg_width) && img.width <= (png_uint_32)(2 * svg_width) + 1,
          "%s is %u wide, expected 2 x %g", path, img.width, svg_width);
    CHECK(img.height > 300 && img.height < 8000, "%s height %u", path, img.height);
    png_image_free(&img);
}
#endif

static void manifest(void)
{
    char full[4096];
    snprintf(full, sizeof full, "%s/teach-manifest.json", outdir);
    json_error_t err;
    json_t *m = json_load_file(full, 0, &err);
    CHECK(m != NULL, "manifest is not JSON: %s", err.text);
    if (!m)
        return;
    CHECK(json_is_string(json_object_get(m, "experiment")), "experiment");
    const char *date = json_string_value(json_object_get(m, "date"));
    CHECK(date && strlen(date) == 10 && date[4] == '-' && date[7] == '-', "date YYYY-MM-DD: %s", date ? date : "");
    CHECK(json_is_integer(json_object_get(m, "seed")) && json_integer_value(json_object_get(m, "seed")) == 0, "seed");
    json_t *v = json_object_get(m, "versions");
    CHECK(json_is_string(json_object_get(v, "compiler")) && json_is_string(json_object_get(v, "mhalab")) &&
              json_is_string(json_object_get(v, "cairo")) && json_is_string(json_object_get(v, "xxhash")),
          "versions");
    json_t *c = json_object_get(m, "config");
    CHECK(json_integer_value(json_object_get(c, "d_model")) == 64 && json_integer_value(json_object_get(c, "n_heads")) == 4 &&
              json_integer_value(json_object_get(c, "T")) == 8,
          "config 64, 4, 8");
    CHECK(json_is_string(json_object_get(c, "input_snippet")) &&
              strcmp(json_string_value(json_object_get(c, "input_snippet")), "<bos> I work , you work , he") == 0,
          "input_snippet");
    json_t *r = json_object_get(m, "results_summary");
    json_t *d = json_object_get(r, "single_head_equivalence_max_diff");
    CHECK(json_is_number(d) && json_number_value(d) >= 0 && json_number_value(d) < 1e-5, "single-head max diff");
    CHECK(json_is_boolean(json_object_get(r, "heads_visibly_distinct")), "heads_visibly_distinct is a boolean");
    json_t *t = json_object_get(r, "heads_distinct_threshold"), *md = json_object_get(r, "heads_min_mean_abs_diff");
    CHECK(json_is_number(t) && json_is_number(md), "threshold and min diff are numbers");
    CHECK(json_is_true(json_object_get(r, "heads_visibly_distinct")) == (json_number_value(md) >= json_number_value(t)),
          "heads_visibly_distinct agrees with min diff >= threshold");
    json_decref(m);
}

/* The float32 (H, T, T) of an .npy file written by --export-npy into p (n values); 0 or -1. */
static int read_probs(const char *name, float *p, size_t n)
{
    char full[4096], head[512];
    snprintf(full, sizeof full, "%s/%s", outdir, name);
    FILE *f = fopen(full, "rb");
    if (!f || fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6) != 0) {
        if (f)
            fclose(f);
        return -1;
    }
    const size_t len = (size_t)(unsigned char)head[8] | (size_t)(unsigned char)head[9] << 8;
    int ok = len < sizeof head && fread(head, 1, len, f) == len;
    head[ok ? len : 0] = '\0';
    ok = ok && strstr(head, "'descr': '<f4'") && strstr(head, "(4, 8, 8)") && fread(p, sizeof *p, n, f) == n;
    fclose(f);
    return ok ? 0 : -1;
}

static void heatmap_extras(void)
{
    enum { N = 4 * 8 * 8 };
    static float p[N], p1[N];
    CHECK(run("heatmap -o extra.svg --export-npy p.npy --export-csv p.csv") == 0, "export: %s", out);
    CHECK(read_probs("p.npy", p, N) == 0, "p.npy: not float32 (4, 8, 8)");
    for (int r = 0; r < 32; r++) { /* every row of probabilities sums to 1 (8 terms: within 8 ulps) */
        double sum = 0;
        for (int j = 0; j < 8; j++)
            sum += p[r * 8 + j];
        CHECK(sum > 1 - 8 * 1.2e-7 && sum < 1 + 8 * 1.2e-7, "npy row %d sums to %.9g", r, sum);
    }
    char full[4096], line[256];
    snprintf(full, sizeof full, "%s/p.csv", outdir);
    FILE *f = fopen(full, "r");
    int rows = 0, exact = 1, quoted = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (rows++ == 0) {
            CHECK(strcmp(line, "head,query,key,query_token,key_token,probability\n") == 0, "csv header %s", line);
            continue;
        }
        const char *last = strrchr(line, ',');
        const int k = rows - 2; /* head-major, then query, then key: the npy order */
        exact &= k < N && (float)strtod(last + 1, NULL) == p[k];
        quoted += strstr(line, "\",\"") != NULL; /* the token "," quoted */
    }
    if (f)
        fclose(f);
    CHECK(rows == N + 1 && exact, "csv: %d lines, values equal to the npy: %d", rows, exact);
    CHECK(quoted == 4 * (8 * 2 + 2 * 8 - 4), "csv: %d lines quote the ',' token, expected 112", quoted);
    /* --scale 1 instead of 1/sqrt(16): softmax(beta s) puts more on its top key as beta grows */
    CHECK(run("heatmap -o s1.svg --scale 1 --export-npy s1.npy") == 0 && read_probs("s1.npy", p1, N) == 0,
          "--scale 1: %s", out);
    int sharper = 0;
    for (int r = 0; r < 32; r++) {
        float m = 0, m1 = 0;
        for (int j = 0; j < 8; j++) {
            m = p[r * 8 + j] > m ? p[r * 8 + j] : m;
            m1 = p1[r * 8 + j] > m1 ? p1[r * 8 + j] : m1;
        }
        sharper += m1 > m;
    }
    CHECK(sharper == 32, "--scale 1: %d of 32 rows have a larger top probability than with 1/sqrt(Dh)", sharper);
    bad("heatmap --scale 0 -o x.svg", "expected a nonzero factor");
    bad("heatmap --scale abc -o x.svg", "--scale abc");
    /* the SVG: a 1/T line labelled with T = 8, and a hover title per cell carrying its probability */
    snprintf(full, sizeof full, "%s/extra.svg", outdir);
    f = fopen(full, "r");
    static char doc[1 << 20];
    size_t n = f ? fread(doc, 1, sizeof doc - 1, f) : 0;
    doc[n] = '\0';
    if (f)
        fclose(f);
    CHECK(strstr(doc, "<g id=\"uniform\"") && strstr(doc, "1/T = 0.125"), "extra.svg: no 1/T line for T = 8");
    int titles = 0, match = 1;
    for (const char *t = doc; (t = strstr(t, "<title>head ")); t++) {
        const char *pv = strstr(t, "p = ");
        match &= pv && titles < N && fabs(atof(pv + 4) - p[titles]) <= 5e-5; /* printed with 4 decimals */
        titles++;
    }
    CHECK(titles == N && match, "extra.svg: %d cell titles, values match the npy: %d", titles, match);
    /* the outputs land together: a failing export leaves the picture as it was */
    snprintf(full, sizeof full, "%s/keep.svg", outdir);
    f = fopen(full, "w");
    if (f) {
        fputs("old\n", f);
        fclose(f);
    }
    CHECK(run("heatmap -o keep.svg --export-npy no-such-folder/p.npy") == 1 && strstr(out, "no file was changed"),
          "a failing export: %s", out);
    f = fopen(full, "r");
    CHECK(f && fgets(line, sizeof line, f) && strcmp(line, "old\n") == 0, "keep.svg was changed by a failed run");
    if (f)
        fclose(f);
    CHECK(run("heatmap -o keep.svg --export-csv ./keep.svg") == 1 && strstr(out, "named for two outputs"),
          "one file for two outputs: %s", out);
    /* one head: no pair of heads to call distinct */
    CHECK(run("heatmap --heads 1 -o one.svg --manifest one.json") == 0, "--heads 1: %s", out);
    snprintf(full, sizeof full, "%s/one.json", outdir);
    json_error_t err;
    json_t *m = json_load_file(full, 0, &err);
    json_t *r = json_object_get(m, "results_summary");
    CHECK(m && json_is_null(json_object_get(r, "heads_visibly_distinct")), "--heads 1: heads_visibly_distinct not null");
    json_decref(m);
}

static void heatmap(void)
{
    const char *labels = "<bos>|I|work|,|you|work|,|he";
    CHECK(run("heatmap -o teach-heatmap.svg --manifest teach-manifest.json") == 0, "heatmap svg: %s", out);
    double w = check_svg("teach-heatmap.svg", 4, 8, labels, 0);
#ifdef TEACH_PNG
    CHECK(run("heatmap -o teach-heatmap.png") == 0, "heatmap png: %s", out);
    check_png("teach-heatmap.png", w);
#else
    (void)w; /* mha was built without cairo: it must refuse PNG and say why */
    bad("heatmap -o teach-heatmap.png", "built without cairo");
#endif
    manifest();
    CHECK(run("heatmap --causal --heads 2 --d-model 16 --text 'a b c' -o teach-causal.svg") == 0, "causal: %s", out);
    check_svg("teach-causal.svg", 2, 3, "a|b|c", 1);
    bad("heatmap --heads 5 -o x.svg", "valid head counts for d_model 64: 1, 2, 4, 8, 16, 32, 64");
    bad("heatmap --text '   ' -o x.svg", "--text has 0 tokens");
    bad("heatmap -o x.bmp", "ending in .svg or .png");
    bad("heatmap --impl nosuch -o x.svg", "--impl nosuch");
    bad("heatmap --d-model 0", "--d-model 0");
    bad("heatmap --seed -1", "--seed -1");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_teach_cli MHA_BINARY OUTPUT_DIR\n");
        return 2;
    }
    /* Absolute paths: the commands run with the output directory as working directory. */
    static char mha_abs[4096], out_abs[4096];
    if (!realpath(argv[1], mha_abs) || !realpath(argv[2], out_abs)) {
        fprintf(stderr, "test_teach_cli: cannot resolve %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    mha = mha_abs;
    outdir = out_abs;
    explain();
    heatmap();
    heatmap_extras();
    return check_summary();
}
