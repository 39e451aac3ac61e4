/*
 * report.html: the report's Markdown rendered by cmark-gfm (GitHub's
 * CommonMark with its table extension), each image of a plot beside it
 * replaced by the SVG itself, so that the page needs no other file and
 * nothing from the network. The SVGs keep their text as text, their <title>
 * hover texts and their ids. Raw HTML in the Markdown (a host name from an
 * input, say) is shown as text: only the inlined SVGs are markup.
 */
#include "report.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = NULL;
    size_t n = 0, cap = 0;
    for (int c; (c = fgetc(f)) != EOF;) {
        if (n + 1 >= cap) {
            char *p = realloc(s, cap = cap ? 2 * cap : 1 << 16);
            if (!p) {
                free(s);
                fclose(f);
                return NULL;
            }
            s = p;
        }
        s[n++] = (char)c;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad || !s) {
        free(s);
        return NULL;
    }
    s[n] = '\0';
    return s;
}

/* A plain file name of an SVG beside the report (no folder, no scheme). */
static int local_svg(const char *url)
{
    size_t n = url ? strlen(url) : 0;
    return n > 4 && strcmp(url + n - 4, ".svg") == 0 && !strchr(url, '/') && !strchr(url, ':');
}

/* Replaces the image node by <figure id="NAME"> with the SVG inside; 0, or -1 with errno set. */
static int inline_svg(const char *dir, cmark_node *img)
{
    const char *url = cmark_node_get_url(img);
    char path[8448];
    snprintf(path, sizeof path, "%s/%s", dir, url);
    char *svg = slurp(path);
    if (!svg)
        return -1;
    const char *body = strstr(svg, "<svg");
    size_t size = strlen(url) + strlen(body ? body : "") + 64;
    char *html = malloc(size);
    cmark_node *node = cmark_node_new(CMARK_NODE_HTML_INLINE);
    if (!body || !html || !node) {
        free(svg), free(html);
        if (node)
            cmark_node_free(node);
        errno = body ? ENOMEM : EINVAL;
        return -1;
    }
    snprintf(html, size, "<figure id=\"%.*s\">%s</figure>", (int)(strlen(url) - 4), url, body);
    cmark_node_set_literal(node, html);
    cmark_node_replace(img, node);
    cmark_node_free(img);
    free(svg), free(html);
    return 0;
}

/* Raw HTML of the Markdown as text: inline HTML becomes a text node, an HTML block a code block. */
static int defuse(cmark_node *n)
{
    int block = cmark_node_get_type(n) == CMARK_NODE_HTML_BLOCK;
    cmark_node *t = cmark_node_new(block ? CMARK_NODE_CODE_BLOCK : CMARK_NODE_TEXT);
    if (!t || !cmark_node_set_literal(t, cmark_node_get_literal(n)) || !cmark_node_replace(n, t)) {
        if (t)
            cmark_node_free(t);
        errno = ENOMEM;
        return -1;
    }
    cmark_node_free(n);
    return 0;
}

static const char head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>mhalab benchmark report</title>\n<style>\n"
    "body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 1.5em auto; max-width: 1200px;"
    " padding: 0 1em; line-height: 1.4; }\n"
    "table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 13px; }\n"
    "th, td { border: 1px solid #bbb; padding: 2px 6px; }\n"
    "th { background: #eee; }\n"
    "figure { margin: 0.5em 0 1.5em; overflow-x: auto; }\n"
    "code { background: #f3f3f3; }\n"
    "</style>\n</head>\n<body>\n";

int rep_write_html(const char *dir, const char *markdown_name, FILE *out)
{
    char path[8448];
    snprintf(path, sizeof path, "%s/%s", dir, markdown_name);
    char *md = slurp(path);
    if (!md)
        return -1;
    cmark_gfm_core_extensions_ensure_registered();
    cmark_syntax_extension *table = cmark_find_syntax_extension("table");
    cmark_parser *parser = cmark_parser_new(CMARK_OPT_DEFAULT);
    if (!table || !parser || !cmark_parser_attach_syntax_extension(parser, table)) {
        free(md);
        if (parser)
            cmark_parser_free(parser);
        errno = ENOSYS;
        return -1;
    }
    cmark_parser_feed(parser, md, strlen(md));
    cmark_node *doc = cmark_parser_finish(parser);
    free(md);
    int rc = doc ? 0 : -1;
    /* collect the nodes first: replacing nodes while iterating would confuse the iterator */
    cmark_node **found = NULL;
    size_t n_found = 0;
    cmark_iter *it = doc ? cmark_iter_new(doc) : NULL;
    for (cmark_event_type ev; it && rc == 0 && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE;) {
        cmark_node *n = cmark_iter_get_node(it);
        cmark_node_type type = cmark_node_get_type(n);
        if (ev == CMARK_EVENT_EXIT || !(type == CMARK_NODE_HTML_INLINE || type == CMARK_NODE_HTML_BLOCK ||
                                        (type == CMARK_NODE_IMAGE && local_svg(cmark_node_get_url(n)))))
            continue;
        cmark_node **p = realloc(found, (n_found + 1) * sizeof *p);
        if (!p)
            rc = -1;
        else
            found = p, found[n_found++] = n;
    }
    if (it)
        cmark_iter_free(it);
    for (size_t i = 0; i < n_found && rc == 0; i++)
        rc = cmark_node_get_type(found[i]) == CMARK_NODE_IMAGE ? inline_svg(dir, found[i]) : defuse(found[i]);
    free(found);
    char *body = rc == 0 ? cmark_render_html(doc, CMARK_OPT_UNSAFE, cmark_parser_get_syntax_extensions(parser)) : NULL;
    if (body) {
        fputs(head, out);
        fputs(body, out);
        fputs("</body>\n</html>\n", out);
        free(body);
    } else {
        rc = -1;
    }
    if (doc)
        cmark_node_free(doc);
    cmark_parser_free(parser);
    return rc == 0 && !ferror(out) ? 0 : -1;
}
