/* textwidth: how many terminal columns UTF-8 text takes, so narration can
 * align Chinese and English alike. Independent of the process locale. */
#ifndef WEBTRACE_TEXTWIDTH_H
#define WEBTRACE_TEXTWIDTH_H

#include <stddef.h>
#include <stdio.h>

/* Columns of one code point: 2 for East Asian Wide and Fullwidth, 0 for
 * combining marks and zero-width characters, 1 otherwise. */
int wt_codepoint_width(unsigned cp);

/* Columns of the first len bytes of s. A byte that does not start a valid
 * UTF-8 sequence counts as one column. */
size_t wt_text_width(const char *s, size_t len);

/* Bytes of the longest start of s (whole UTF-8 sequences) that fits in
 * width columns. */
size_t wt_text_fit(const char *s, size_t len, size_t width);

/* The terminal's width: TIOCGWINSZ of fd, else $COLUMNS, else 80. */
#define WT_TERMINAL_COLUMNS_DEFAULT 80
#define WT_TERMINAL_COLUMNS_MAX 10000
int wt_terminal_columns(int fd);

/* Writes text, then spaces up to width columns (none when it is wider). */
void wt_put_padded(FILE *out, const char *text, size_t width);

/* Writes text from column `column` on, breaking it into lines of at most
 * `width` columns: at spaces, or beside wide (CJK) characters, never before
 * closing punctuation; continuation lines start with `indent` spaces. Ends
 * with a newline. A word wider than a line is cut. */
void wt_put_wrapped(FILE *out, const char *text, size_t column, size_t indent, size_t width);

#endif
