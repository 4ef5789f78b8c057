/* Choosing the narration's language: --lang over LC_ALL over LC_MESSAGES
 * over LANG, zh locales mean Chinese and everything else English; and the
 * English error text staying what machines read. No catalogue is needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "webtrace/escape.h"
#include "webtrace/i18n.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct choice_case {
    const char *argv[5];
    const char *lc_all, *lc_messages, *lang;
    enum wt_lang want;
};

static void test_i18n_choose_table(void **state)
{
    (void)state;
    static const struct choice_case cases[] = {
        /* environment only: the first non-empty of LC_ALL, LC_MESSAGES, LANG */
        { { "webtrace", "x" }, NULL, NULL, NULL, WT_LANG_EN },
        { { "webtrace", "x" }, NULL, NULL, "zh_CN.UTF-8", WT_LANG_ZH },
        { { "webtrace", "x" }, NULL, NULL, "zh", WT_LANG_ZH },
        { { "webtrace", "x" }, NULL, NULL, "zh_TW.UTF-8", WT_LANG_ZH },
        { { "webtrace", "x" }, NULL, NULL, "zh_CN.GB18030", WT_LANG_ZH },
        { { "webtrace", "x" }, NULL, NULL, "en_US.UTF-8", WT_LANG_EN },
        { { "webtrace", "x" }, NULL, NULL, "C.UTF-8", WT_LANG_EN },
        { { "webtrace", "x" }, NULL, NULL, "POSIX", WT_LANG_EN },
        { { "webtrace", "x" }, NULL, NULL, "zhx_YY", WT_LANG_EN },
        { { "webtrace", "x" }, "C", NULL, "zh_CN.UTF-8", WT_LANG_EN },
        { { "webtrace", "x" }, "", NULL, "zh_CN.UTF-8", WT_LANG_ZH },
        { { "webtrace", "x" }, "", "", "zh_CN.UTF-8", WT_LANG_ZH },
        { { "webtrace", "x" }, NULL, "zh_CN.UTF-8", "en_US.UTF-8", WT_LANG_ZH },
        { { "webtrace", "x" }, NULL, "de_DE.UTF-8", "zh_CN.UTF-8", WT_LANG_EN },
        { { "webtrace", "x" }, "zh_CN.UTF-8", "en_US.UTF-8", "en_US.UTF-8", WT_LANG_ZH },
        /* --lang wins over every variable, in both spellings, last one counts */
        { { "webtrace", "--lang", "en", "x" }, "zh_CN.UTF-8", NULL, NULL, WT_LANG_EN },
        { { "webtrace", "--lang=zh", "x" }, "C", "C", "C", WT_LANG_ZH },
        { { "webtrace", "--lang", "zh", "--lang=en" }, NULL, NULL, NULL, WT_LANG_EN },
        { { "demo", "--lang", "zh" }, NULL, NULL, "en_US.UTF-8", WT_LANG_ZH },
        /* a bad value is the parser's error to report: the environment decides */
        { { "webtrace", "--lang", "fr", "x" }, NULL, NULL, "zh_CN.UTF-8", WT_LANG_ZH },
        { { "webtrace", "--lang" }, NULL, NULL, "zh_CN.UTF-8", WT_LANG_ZH },
        /* after "--" nothing is an option */
        { { "webtrace", "--", "--lang", "zh" }, NULL, NULL, NULL, WT_LANG_EN },
    };
    for (size_t i = 0; i < N(cases); i++) {
        int argc = 0;
        while (argc < 5 && cases[i].argv[argc])
            argc++;
        enum wt_lang got = wt_i18n_choose(argc, (char *const *)cases[i].argv, cases[i].lc_all,
                                          cases[i].lc_messages, cases[i].lang);
        if (got != cases[i].want)
            fail_msg("case %zu: got %d, want %d", i, (int)got, (int)cases[i].want);
    }
}

static void test_i18n_parse_lang_takes_zh_and_en_only(void **state)
{
    (void)state;
    enum wt_lang lang = WT_LANG_EN;
    assert_int_equal(wt_i18n_parse_lang("zh", &lang), 0);
    assert_int_equal(lang, WT_LANG_ZH);
    assert_int_equal(wt_i18n_parse_lang("en", &lang), 0);
    assert_int_equal(lang, WT_LANG_EN);
    static const char *const bad[] = { "", "ZH", "zh_CN", "cn", "english", "fr" };
    for (size_t i = 0; i < N(bad); i++)
        assert_int_equal(wt_i18n_parse_lang(bad[i], &lang), -1);
    assert_int_equal(wt_i18n_parse_lang(NULL, &lang), -1);
}

/* English (the default until wt_i18n_activate): msgids come back as they
 * are and an error sentence is exactly its English format's output. */
static void test_i18n_english_is_the_msgid(void **state)
{
    (void)state;
    const char *msgid = "verification failed: %s\n";
    assert_ptr_equal(_(msgid), msgid);
    assert_string_equal(P_("%u answer", "%u answers", 1), "%u answer");
    assert_string_equal(P_("%u answer", "%u answers", 2), "%u answers");
    char err[64];
    wt_errf(err, sizeof err, "could not connect to %s port %u: %s", "127.0.0.1", 9u,
            "Connection refused");
    assert_string_equal(err, "could not connect to 127.0.0.1 port 9: Connection refused");
    assert_string_equal(wt_i18n_error_text(err), err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i18n_choose_table),
        cmocka_unit_test(test_i18n_parse_lang_takes_zh_and_en_only),
        cmocka_unit_test(test_i18n_english_is_the_msgid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
