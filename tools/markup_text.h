/*
 * Text for files that other programs parse (JSON, XML): UTF-8 checked,
 * invalid bytes replaced, XML markup characters escaped. Strings from a
 * port (its name, its messages) or cut to a fixed buffer may hold bytes
 * that are not UTF-8; a parser rejects the whole file for one of them.
 */
#ifndef MHA_MARKUP_TEXT_H
#define MHA_MARKUP_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* The bytes of the valid UTF-8 character at s (1 to 4), or 0 when s does not start one (or is at its end). */
size_t utf8_char_bytes(const char *s);

/* A copy of s with every byte that starts no valid character written as U+FFFD; free() it. NULL: out of memory. */
char *utf8_repaired(const char *s);

/*
 * Writes s as XML character data or an attribute value (in double quotes):
 * & < > " as entities, a newline as &#10;, other control characters as a
 * space (XML 1.0 forbids them), bytes that are not UTF-8 as U+FFFD.
 */
void xml_write_text(FILE *f, const char *s);

#endif
