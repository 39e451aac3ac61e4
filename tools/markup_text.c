/* UTF-8 checking and XML escaping: see markup_text.h. */
#include "markup_text.h"

#include <stdlib.h>
#include <string.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD in UTF-8 */

size_t utf8_char_bytes(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n;
    unsigned lo = 0x80, hi = 0xbf; /* the range of the second byte */
    if (u[0] == 0)
        return 0;
    if (u[0] < 0x80)
        return 1;
    if (u[0] >= 0xc2 && u[0] <= 0xdf) {
        n = 2;
    } else if (u[0] >= 0xe0 && u[0] <= 0xef) {
        n = 3;
        if (u[0] == 0xe0)
            lo = 0xa0; /* overlong */
        if (u[0] == 0xed)
            hi = 0x9f; /* UTF-16 surrogates */
    } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
        n = 4;
        if (u[0] == 0xf0)
            lo = 0x90; /* overlong */
        if (u[0] == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (u[1] < lo || u[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if (u[k] < 0x80 || u[k] > 0xbf)
            return 0;
    return n;
}

char *utf8_repaired(const char *s)
{
    const size_t len = strlen(s);
    char *out = malloc(3 * len + 1); /* each byte at most becomes U+FFFD */
    if (!out)
        return NULL;
    size_t o = 0;
    while (*s) {
        const size_t n = utf8_char_bytes(s);
        if (n) {
            memcpy(out + o, s, n);
            o += n;
            s += n;
        } else {
            memcpy(out + o, replacement, 3);
            o += 3;
            s++;
        }
    }
    out[o] = '\0';
    return out;
}

void xml_write_text(FILE *f, const char *s)
{
    while (*s) {
        const size_t n = utf8_char_bytes(s);
        if (n == 0) {
            fputs(replacement, f);
            s++;
            continue;
        }
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\n': fputs("&#10;", f); break;
        default:
            if ((unsigned char)*s < 0x20)
                fputc(' ', f);
            else
                fwrite(s, 1, n, f);
        }
        s += n;
    }
}
