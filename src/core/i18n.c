/* i18n: choosing the language and looking sentences up in the gettext
 * catalogue.
 *
 * The process locale is never changed: strerror(), number formatting and
 * everything the machine outputs print stay exactly as in the C locale. A
 * lookup switches only the calling thread's LC_MESSAGES for the duration of
 * the gettext() call (uselocale). That locale is zh_CN.UTF-8 when the system
 * has it, else glibc's built-in C.UTF-8: gettext ignores LANGUAGE only when
 * LC_MESSAGES is "C" or "POSIX", and C.UTF-8 is neither, so LANGUAGE=zh_CN
 * picks our catalogue even where no Chinese locale was ever generated. */
#include "webtrace/i18n.h"

#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wt_config.h"

#define WT_TEXT_DOMAIN "webtrace"
#define REMEMBERED_ERRORS 16      /* errors in flight at once: one per step of a trace */
#define REMEMBERED_MAX 1024       /* bytes of one remembered sentence */

static enum wt_lang current = WT_LANG_EN;
static locale_t messages_locale = (locale_t)0;

static struct {
    char english[REMEMBERED_MAX];
    char translated[REMEMBERED_MAX];
} remembered[REMEMBERED_ERRORS];
static size_t remembered_next;

int wt_i18n_parse_lang(const char *text, enum wt_lang *out)
{
    if (!text)
        return -1;
    if (strcmp(text, "zh") == 0)
        *out = WT_LANG_ZH;
    else if (strcmp(text, "en") == 0)
        *out = WT_LANG_EN;
    else
        return -1;
    return 0;
}

enum wt_lang wt_i18n_lang_of_locale(const char *name)
{
    if (name && name[0] == 'z' && name[1] == 'h' &&
        (name[2] == '\0' || name[2] == '_' || name[2] == '.' || name[2] == '@'))
        return WT_LANG_ZH;
    return WT_LANG_EN;
}

enum wt_lang wt_i18n_choose(int argc, char *const *argv, const char *lc_all,
                            const char *lc_messages, const char *lang)
{
    int from_argv = 0;
    enum wt_lang chosen = WT_LANG_EN;
    for (int i = 1; argv && i < argc && argv[i]; i++) {
        const char *value = NULL;
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            value = argv[++i];
        else if (strncmp(argv[i], "--lang=", 7) == 0)
            value = argv[i] + 7;
        enum wt_lang l;
        if (value && wt_i18n_parse_lang(value, &l) == 0) {
            chosen = l;
            from_argv = 1;
        }
    }
    if (from_argv)
        return chosen;
    /* POSIX: LC_ALL overrides LC_MESSAGES, which overrides LANG. */
    const char *names[] = { lc_all, lc_messages, lang };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i] && names[i][0])
            return wt_i18n_lang_of_locale(names[i]);
    return WT_LANG_EN;
}

/* The catalogue next to a binary that runs from its build tree (before
 * meson install), else the installed one. */
static const char *catalogue_dir(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash)
            *slash = '\0';
        char build[PATH_MAX];
        if (realpath(WT_BUILD_DIR, build) && strcmp(build, self) == 0)
            return WT_BUILD_LOCALE_DIR;
    }
    return WT_LOCALE_DIR;
}

int wt_i18n_activate(enum wt_lang lang)
{
    current = WT_LANG_EN;
    if (lang == WT_LANG_EN)
        return 0;
    if (!messages_locale) {
        static const char *const candidates[] = { "zh_CN.UTF-8", "C.UTF-8" };
        for (size_t i = 0; !messages_locale && i < sizeof candidates / sizeof candidates[0]; i++)
            messages_locale = newlocale(LC_MESSAGES_MASK | LC_CTYPE_MASK, candidates[i],
                                        (locale_t)0);
        if (!messages_locale)
            return -1;
    }
    /* --lang zh must mean our zh_CN catalogue whatever LANGUAGE said. */
    setenv("LANGUAGE", "zh_CN", 1);
    if (!bindtextdomain(WT_TEXT_DOMAIN, catalogue_dir()) ||
        !bind_textdomain_codeset(WT_TEXT_DOMAIN, "UTF-8"))
        return -1;
    current = lang;
    return 0;
}

void wt_i18n_init(int argc, char *const *argv)
{
    wt_i18n_activate(wt_i18n_choose(argc, argv, getenv("LC_ALL"), getenv("LC_MESSAGES"),
                                    getenv("LANG")));
}

enum wt_lang wt_i18n_current(void)
{
    return current;
}

const char *wt_gettext(const char *msgid)
{
    if (current == WT_LANG_EN || !msgid || !msgid[0])
        return msgid;
    locale_t previous = uselocale(messages_locale);
    const char *text = dgettext(WT_TEXT_DOMAIN, msgid);
    uselocale(previous);
    return text;
}

const char *wt_ngettext(const char *singular, const char *plural, unsigned long n)
{
    if (current == WT_LANG_EN)
        return n == 1 ? singular : plural;
    locale_t previous = uselocale(messages_locale);
    const char *text = dngettext(WT_TEXT_DOMAIN, singular, plural, n);
    uselocale(previous);
    return text;
}

/* Replaces, in text, an English error sentence that an outer sentence
 * quotes ("sending the request failed: <inner>") by its translation. */
static void translate_quoted(char *text, size_t size, size_t self)
{
    for (size_t i = 0; i < REMEMBERED_ERRORS; i++) {
        const char *en = remembered[i].english;
        size_t en_len = strlen(en);
        if (i == self || en_len < 8)
            continue;
        char *at = strstr(text, en);
        if (!at)
            continue;
        const char *tr = remembered[i].translated;
        size_t tr_len = strlen(tr), tail = strlen(at + en_len);
        if ((size_t)(at - text) + tr_len + tail + 1 > size)
            continue;
        memmove(at + tr_len, at + en_len, tail + 1);
        memcpy(at, tr, tr_len);
    }
}

void wt_i18n_remember(const char *english, const char *translated)
{
    if (current == WT_LANG_EN || !english || !translated || !english[0])
        return;
    size_t slot = remembered_next;
    remembered_next = (remembered_next + 1) % REMEMBERED_ERRORS;
    snprintf(remembered[slot].english, REMEMBERED_MAX, "%s", english);
    snprintf(remembered[slot].translated, REMEMBERED_MAX, "%s", translated);
    translate_quoted(remembered[slot].translated, REMEMBERED_MAX, slot);
}

#define ADOPT_MAX_ARGS 4

/* Splits english along fmt's literal text: args[i] (start, length) is what
 * stood for the i-th %s. Literal text between two %s ends an argument at
 * its first occurrence. Returns the number of arguments, or -1. */
static int match_format(const char *english, const char *fmt, const char *args[],
                        size_t arg_len[])
{
    int n = 0;
    const char *e = english, *f = fmt;
    for (;;) {
        const char *conv = strstr(f, "%s");
        size_t lit = conv ? (size_t)(conv - f) : strlen(f);
        if (n > 0) {
            /* the literal after the previous %s: first occurrence, or the
             * tail of english when it is the format's last piece */
            const char *at;
            if (conv) {
                char piece[REMEMBERED_MAX];
                if (lit == 0 || lit >= sizeof piece)
                    return -1;
                memcpy(piece, f, lit);
                piece[lit] = '\0';
                at = strstr(e, piece);
            } else {
                size_t rest = strlen(e);
                at = rest >= lit && strcmp(e + rest - lit, f) == 0 ? e + rest - lit : NULL;
            }
            if (!at)
                return -1;
            arg_len[n - 1] = (size_t)(at - e);
            e = at;
        } else if (strncmp(e, f, lit) != 0) {
            return -1;
        }
        e += lit;
        if (!conv)
            return *e == '\0' ? n : -1;
        if (n == ADOPT_MAX_ARGS)
            return -1;
        args[n++] = e;
        f = conv + 2;
    }
}

void wt_i18n_adopt(const char *english, const char *const *formats, size_t n_formats)
{
    if (current == WT_LANG_EN || !english)
        return;
    for (size_t i = 0; i < n_formats; i++) {
        const char *args[ADOPT_MAX_ARGS];
        size_t arg_len[ADOPT_MAX_ARGS];
        int n = match_format(english, formats[i], args, arg_len);
        if (n < 0)
            continue;
        const char *tr = wt_gettext(formats[i]);
        if (tr == formats[i])
            return;
        /* The translation's %s and %N$s, filled with the (translated) args. */
        char out[REMEMBERED_MAX];
        size_t used = 0;
        int next = 0;
        for (const char *p = tr; *p && used + 1 < sizeof out; p++) {
            int which = -1;
            if (p[0] == '%' && p[1] == 's') {
                which = next++;
                p++;
            } else if (p[0] == '%' && p[1] >= '1' && p[1] <= '9' && p[2] == '$' && p[3] == 's') {
                which = p[1] - '1';
                p += 3;
            } else if (p[0] == '%' && p[1] == '%') {
                p++;
            }
            if (which < 0) {
                out[used++] = *p;
                continue;
            }
            if (which >= n)
                return;   /* the catalogue's format check rules this out */
            char arg[REMEMBERED_MAX];
            snprintf(arg, sizeof arg, "%.*s", (int)arg_len[which], args[which]);
            used += (size_t)snprintf(out + used, sizeof out - used, "%s",
                                     wt_i18n_error_text(arg));
            if (used >= sizeof out)
                used = sizeof out - 1;
        }
        out[used] = '\0';
        wt_i18n_remember(english, out);
        return;
    }
}

const char *wt_i18n_error_text(const char *english)
{
    if (current == WT_LANG_EN || !english)
        return english;
    /* Newest first: the same English sentence maps to the same words. */
    for (size_t k = 1; k <= REMEMBERED_ERRORS; k++) {
        size_t i = (remembered_next + REMEMBERED_ERRORS - k) % REMEMBERED_ERRORS;
        if (remembered[i].english[0] && strcmp(remembered[i].english, english) == 0)
            return remembered[i].translated;
    }
    return wt_gettext(english);
}
