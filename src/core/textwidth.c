/* textwidth: terminal columns of UTF-8 text. Our own small table instead of
 * wcwidth(3): wcwidth answers from LC_CTYPE, and the process keeps the C
 * locale, where it would call every Chinese character unprintable. */
#include "webtrace/textwidth.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

struct range {
    unsigned first, last;
};

/* East Asian Width W and F (Unicode 15 EastAsianWidth.txt), the blocks a
 * narration can contain: CJK, kana, Hangul, full-width forms, and the emoji
 * that terminals draw two columns wide. */
static const struct range wide[] = {
    { 0x1100, 0x115f },   /* Hangul Jamo initials */
    { 0x231a, 0x231b }, { 0x2329, 0x232a }, { 0x23e9, 0x23ec }, { 0x23f0, 0x23f0 },
    { 0x23f3, 0x23f3 }, { 0x25fd, 0x25fe }, { 0x2614, 0x2615 }, { 0x2648, 0x2653 },
    { 0x267f, 0x267f }, { 0x2693, 0x2693 }, { 0x26a1, 0x26a1 }, { 0x26aa, 0x26ab },
    { 0x26bd, 0x26be }, { 0x26c4, 0x26c5 }, { 0x26ce, 0x26ce }, { 0x26d4, 0x26d4 },
    { 0x26ea, 0x26ea }, { 0x26f2, 0x26f3 }, { 0x26f5, 0x26f5 }, { 0x26fa, 0x26fa },
    { 0x26fd, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b }, { 0x2728, 0x2728 },
    { 0x274c, 0x274c }, { 0x274e, 0x274e }, { 0x2753, 0x2755 }, { 0x2757, 0x2757 },
    { 0x2795, 0x2797 }, { 0x27b0, 0x27b0 }, { 0x27bf, 0x27bf }, { 0x2b1b, 0x2b1c },
    { 0x2b50, 0x2b50 }, { 0x2b55, 0x2b55 },
    { 0x2e80, 0x303e },   /* CJK radicals, Kangxi, ideographic description, CJK punctuation */
    { 0x3041, 0x33ff },   /* kana, Bopomofo, Hangul compatibility, CJK enclosed/compat */
    { 0x3400, 0x4dbf },   /* CJK Extension A */
    { 0x4e00, 0x9fff },   /* CJK Unified Ideographs */
    { 0xa000, 0xa4cf },   /* Yi */
    { 0xa960, 0xa97f },   /* Hangul Jamo Extended-A */
    { 0xac00, 0xd7a3 },   /* Hangul syllables */
    { 0xf900, 0xfaff },   /* CJK compatibility ideographs */
    { 0xfe10, 0xfe19 },   /* vertical forms */
    { 0xfe30, 0xfe6f },   /* CJK compatibility forms, small form variants */
    { 0xff00, 0xff60 },   /* full-width ASCII and punctuation */
    { 0xffe0, 0xffe6 },   /* full-width signs */
    { 0x16fe0, 0x16fe4 }, { 0x17000, 0x18cff }, { 0x1b000, 0x1b2ff },
    { 0x1f004, 0x1f004 }, { 0x1f0cf, 0x1f0cf }, { 0x1f18e, 0x1f18e }, { 0x1f191, 0x1f19a },
    { 0x1f200, 0x1f251 }, { 0x1f300, 0x1f320 }, { 0x1f32d, 0x1f335 }, { 0x1f337, 0x1f37c },
    { 0x1f37e, 0x1f393 }, { 0x1f3a0, 0x1f3ca }, { 0x1f3cf, 0x1f3d3 }, { 0x1f3e0, 0x1f3f0 },
    { 0x1f3f4, 0x1f3f4 }, { 0x1f3f8, 0x1f43e }, { 0x1f440, 0x1f440 }, { 0x1f442, 0x1f4fc },
    { 0x1f4ff, 0x1f53d }, { 0x1f54b, 0x1f54e }, { 0x1f550, 0x1f567 }, { 0x1f57a, 0x1f57a },
    { 0x1f595, 0x1f596 }, { 0x1f5a4, 0x1f5a4 }, { 0x1f5fb, 0x1f64f }, { 0x1f680, 0x1f6c5 },
    { 0x1f6cc, 0x1f6cc }, { 0x1f6d0, 0x1f6d2 }, { 0x1f6d5, 0x1f6d7 }, { 0x1f6eb, 0x1f6ec },
    { 0x1f6f4, 0x1f6fc }, { 0x1f7e0, 0x1f7eb }, { 0x1f90c, 0x1f93a }, { 0x1f93c, 0x1f945 },
    { 0x1f947, 0x1f9ff }, { 0x1fa70, 0x1faff },
    { 0x20000, 0x2fffd }, /* CJK Extensions B-F, compatibility supplement */
    { 0x30000, 0x3fffd }, /* CJK Extension G and later */
};

/* Zero width: combining marks that follow a base character, joiners. */
static const struct range zero[] = {
    { 0x0300, 0x036f }, { 0x200b, 0x200f }, { 0x2028, 0x202e }, { 0x2060, 0x2064 },
    { 0x20d0, 0x20ff }, { 0x302a, 0x302d }, { 0x3099, 0x309a }, { 0xfe00, 0xfe0f },
    { 0xfe20, 0xfe2f }, { 0xfeff, 0xfeff },
};

static int in_table(unsigned cp, const struct range *t, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < t[mid].first)
            hi = mid;
        else if (cp > t[mid].last)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

int wt_codepoint_width(unsigned cp)
{
    if (in_table(cp, zero, sizeof zero / sizeof zero[0]))
        return 0;
    if (in_table(cp, wide, sizeof wide / sizeof wide[0]))
        return 2;
    return 1;
}

/* Decodes one well-formed UTF-8 sequence at s; returns its length, or 0. */
static size_t decode(const unsigned char *s, size_t avail, unsigned *cp)
{
    unsigned char b = s[0];
    size_t n;
    unsigned min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
        n = 2, min = 0x80, *cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 3, min = 0x800, *cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4, min = 0x10000, *cp = b & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return n;
}

size_t wt_text_width(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t width = 0, i = 0;
    while (i < len) {
        unsigned cp;
        size_t n = decode(p + i, len - i, &cp);
        if (n == 0) {
            width++;
            i++;
            continue;
        }
        width += (size_t)wt_codepoint_width(cp);
        i += n;
    }
    return width;
}

size_t wt_text_fit(const char *s, size_t len, size_t width)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0, i = 0;
    while (i < len) {
        unsigned cp;
        size_t n = decode(p + i, len - i, &cp);
        size_t w = n ? (size_t)wt_codepoint_width(cp) : 1;
        if (used + w > width)
            break;
        used += w;
        i += n ? n : 1;
    }
    return i;
}

int wt_terminal_columns(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv("COLUMNS");
    char *end;
    long n = env ? strtol(env, &end, 10) : 0;
    if (env && *env && *end == '\0' && n > 0 && n <= WT_TERMINAL_COLUMNS_MAX)
        return (int)n;
    return WT_TERMINAL_COLUMNS_DEFAULT;
}

void wt_put_padded(FILE *out, const char *text, size_t width)
{
    fputs(text, out);
    for (size_t w = wt_text_width(text, strlen(text)); w < width; w++)
        fputc(' ', out);
}

/* Closing punctuation a line must not start with (Chinese line-breaking
 * rules): the break moves before the character in front of it. */
static int no_line_start(unsigned cp)
{
    static const unsigned closing[] = { 0x3001, 0x3002, 0xff0c, 0xff1a, 0xff1b, 0xff01,
                                        0xff1f, 0xff09, 0x300d, 0x300f, 0x3011, 0xff09,
                                        ')', ',', '.', ';', ':' };
    for (size_t i = 0; i < sizeof closing / sizeof closing[0]; i++)
        if (closing[i] == cp)
            return 1;
    return 0;
}

/* Opening punctuation a line must not end with. */
static int no_line_end(unsigned cp)
{
    return cp == 0xff08 || cp == 0x300c || cp == 0x300e || cp == 0x3010 || cp == '(';
}

void wt_put_wrapped(FILE *out, const char *text, size_t column, size_t indent, size_t width)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t len = strlen(text);
    while (len) {
        /* The longest run that fits, remembering the last place a line may
         * break: at a space (dropped), or beside a wide character. */
        size_t i = 0, cols = column, brk = 0, resume = 0;
        unsigned prev = 0;
        int prev_wide = 0;
        while (i < len) {
            unsigned cp;
            size_t n = decode(p + i, len - i, &cp);
            if (n == 0)
                n = 1, cp = 0xfffd;
            int w = wt_codepoint_width(cp);
            if (cp == ' ') {
                brk = i, resume = i + 1;
            } else if (i > 0 && (w == 2 || prev_wide) && prev != ' ' && !no_line_start(cp) &&
                       !no_line_end(prev)) {
                brk = i, resume = i;
            }
            if (cols + (size_t)w > width && i > 0)
                break;
            cols += (size_t)w;
            prev = cp;
            prev_wide = w == 2;
            i += n;
        }
        if (i == len) {
            fwrite(p, 1, len, out);
            fputc('\n', out);
            return;
        }
        if (brk == 0)           /* one word wider than the line: cut it */
            brk = resume = i;
        while (brk > 1 && p[brk - 1] == ' ')
            brk--;
        fwrite(p, 1, brk, out);
        fputc('\n', out);
        for (size_t s = 0; s < indent; s++)
            fputc(' ', out);
        p += resume;
        len -= resume;
        while (len && *p == ' ')
            p++, len--;
        column = indent;
    }
    fputc('\n', out);
}
