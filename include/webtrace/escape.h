/* escape: the only way bytes that came from the network (DNS names, reason
 * phrases, headers, certificate fields) reach a terminal or a JSON document.
 * Pure functions over (pointer, length); they never fail, they truncate. */
#ifndef WEBTRACE_ESCAPE_H
#define WEBTRACE_ESCAPE_H

#include <stddef.h>

/* Terminal-safe text: printable ASCII and valid UTF-8 (excluding C1 controls
 * U+0080..U+009F and the bidirectional controls U+061C, U+200E/F,
 * U+202A..E, U+2066..9) pass through; every other byte (C0 controls, DEL, ESC,
 * 0x9b CSI, bytes of invalid or overlong UTF-8, surrogates) becomes \xHH, and
 * a backslash becomes \\. Writes at most outlen-1 bytes plus NUL, never
 * splitting an escape or a UTF-8 sequence; returns the length written. */
size_t wt_escape_term(const char *in, size_t inlen, char *out, size_t outlen);

/* JSON string body (no surrounding quotes): ", \ and C0 controls escaped per
 * RFC 8259 (\n \r \t \b \f or \u00XX), DEL and C1 as \u00XX, valid UTF-8
 * copied, each invalid byte replaced by U+FFFD. Same truncation contract as
 * wt_escape_term. */
size_t wt_escape_json(const char *in, size_t inlen, char *out, size_t outlen);

/* User input (argv, a URL) quoted in an error sentence: printable ASCII
 * kept, any other byte shown as '?', cut with "..." to fit buflen so the
 * sentence stays on one line (below 4 bytes, cut without the dots; buflen 0
 * writes nothing). Returns buf. */
const char *wt_quote_input(char *buf, size_t buflen, const char *text, size_t len);

/* snprintf into err when err is not NULL: the one-sentence error that
 * parsers hand back. fmt is the English msgid (a literal: xgettext extracts
 * wt_errf's third argument); err gets the English sentence, and under
 * --lang zh the translated one is remembered for the narration (i18n.h). */
void wt_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Worst-case output size (including the NUL) for inlen input bytes. */
#define WT_ESCAPE_TERM_MAX(inlen) ((inlen) * 4 + 1)
#define WT_ESCAPE_JSON_MAX(inlen) ((inlen) * 6 + 1)

#endif
