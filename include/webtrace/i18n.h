/* i18n: the language of the narration (English or Chinese) and the one
 * lookup every sentence for people goes through. Machine outputs (NDJSON,
 * -w, HAR, exit codes) never call it: they stay English whatever the
 * language. Numbers stay C-locale: nothing here touches LC_NUMERIC. */
#ifndef WEBTRACE_I18N_H
#define WEBTRACE_I18N_H

#include <stddef.h>

/* _() translates at the point of use; N_() only marks a string for the
 * catalogue (static tables, error formats kept in English for machines). */
#define _(msgid) wt_gettext(msgid)
#define N_(msgid) msgid
/* Count-dependent sentences: singular, plural, count (Chinese has one form). */
#define P_(singular, plural, n) wt_ngettext(singular, plural, n)

enum wt_lang { WT_LANG_EN, WT_LANG_ZH };

/* "zh" or "en" (as --lang takes them) to a language; -1 for anything else. */
int wt_i18n_parse_lang(const char *text, enum wt_lang *out);

/* The language a locale name asks for: zh, zh_CN.UTF-8, zh_TW… are Chinese,
 * everything else (C, POSIX, en_US.UTF-8, de_DE) English. */
enum wt_lang wt_i18n_lang_of_locale(const char *name);

/* The choice, as a pure function: the last valid --lang/--lang=X in argv
 * (before "--") wins; else the first non-empty of LC_ALL, LC_MESSAGES,
 * LANG (POSIX precedence) decides; NULL or "" counts as unset. */
enum wt_lang wt_i18n_choose(int argc, char *const *argv, const char *lc_all,
                            const char *lc_messages, const char *lang);

/* Chooses from argv and the environment and switches the catalogue on for
 * Chinese. Call once at start-up, before any sentence is built. */
void wt_i18n_init(int argc, char *const *argv);

/* Switches to lang (0), or stays English (-1) when the catalogue cannot be
 * used on this system. */
int wt_i18n_activate(enum wt_lang lang);

enum wt_lang wt_i18n_current(void);

/* msgid translated, or msgid itself (English, or no translation). */
const char *wt_gettext(const char *msgid);

/* singular or plural by n, translated. */
const char *wt_ngettext(const char *singular, const char *plural, unsigned long n);

/* Error sentences are built twice where they fail (see wt_errf): the
 * English one travels in the error record to every output; the translated
 * one is remembered here, keyed by the English text, for the narration. */
void wt_i18n_remember(const char *english, const char *translated);

/* An English sentence built where there is no catalogue (the TLS module,
 * see tls_words.h) from one of formats, whose conversions are all %s: the
 * first format it matches is translated with the same arguments (each one
 * translated too when it is a sentence the catalogue knows) and remembered
 * as wt_errf would. Nothing happens in English or without a match. */
void wt_i18n_adopt(const char *english, const char *const *formats, size_t n_formats);

/* The narration's words for an English error sentence: the remembered
 * translation, else the catalogue's (a fixed sentence), else english. */
const char *wt_i18n_error_text(const char *english);

#endif
