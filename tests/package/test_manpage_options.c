/* The built man page (argv[1], roff) names every option the parsers know,
 * each as an item of its own section, with its short form, and every exit
 * code webtrace has words for: the tables and the page cannot drift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "webtrace/cli.h"
#include "webtrace/exitcode.h"

#define PAGE_MAX (1024 * 1024)
#define EXIT_CODE_MAX 255

static const char *page_path;
static char *page;

static int load_page(void **state)
{
    (void)state;
    FILE *f = fopen(page_path, "r");
    if (!f)
        return -1;
    page = calloc(1, PAGE_MAX + 1);
    size_t n = page ? fread(page, 1, PAGE_MAX, f) : 0;
    fclose(f);
    /* scdoc writes "\&" after a period so that roff never reads it as the
     * end of a sentence (--http1.\&1): the reader sees nothing there. */
    char *to = page;
    for (const char *from = page; from && from < page + n; from++) {
        if (from[0] == '\\' && from[1] == '&')
            from++;
        else
            *to++ = *from;
    }
    if (to)
        *to = '\0';
    return n > 0 && n < PAGE_MAX ? 0 : -1;
}

static int free_page(void **state)
{
    (void)state;
    free(page);
    return 0;
}

/* The text from the heading line ".SH title" to the next ".SH", in a new
 * string. */
static char *section(const char *title)
{
    char heading[64];
    snprintf(heading, sizeof heading, "\n.SH %s\n", title);
    const char *start = strstr(page, heading);
    if (!start)
        fail_msg("the page has no section %s", title);
    start += strlen(heading);
    const char *end = strstr(start, "\n.SH ");
    size_t len = end ? (size_t)(end - start) : strlen(start);
    char *text = malloc(len + 2);
    assert_non_null(text);
    text[0] = '\n';
    memcpy(text + 1, start, len);
    text[len + 1] = '\0';
    return text;
}

/* An item heading: a line of its own that starts with an option in bold
 * and names this one (with its short form, when it has one). */
static int has_item(const char *text, const struct wt_cli_option_info *o)
{
    char long_form[80], short_form[16];
    snprintf(long_form, sizeof long_form, "\\fB--%s\\fR", o->name);
    snprintf(short_form, sizeof short_form, "\\fB-%c\\fR", o->short_name);
    for (const char *line = text; line; line = strchr(line + 1, '\n')) {
        const char *end = strchr(line + 1, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "\n\\fB-", 5) != 0)
            continue;
        char copy[512];
        snprintf(copy, sizeof copy, "%.*s", (int)len, line);
        if (strstr(copy, long_form) && (!o->short_name || o->alias || strstr(copy, short_form)))
            return 1;
    }
    return 0;
}

static void check_command(const char *command, const char *title)
{
    char *text = section(title);
    struct wt_cli_option_info o;
    size_t i = 0;
    for (; wt_cli_option_info(command, i, &o) == 0; i++)
        if (!has_item(text, &o))
            fail_msg("the page's %s section has no item for --%s%s", title, o.name,
                     o.short_name && !o.alias ? " with its short form" : "");
    assert_true(i > 5);
    free(text);
}

static void test_manpage_lists_every_option(void **state)
{
    (void)state;
    check_command(NULL, "OPTIONS");
}

static void test_manpage_lists_every_serve_option(void **state)
{
    (void)state;
    check_command("serve", "WEBTRACE SERVE");
}

static void test_manpage_lists_every_demo_option(void **state)
{
    (void)state;
    check_command("demo", "WEBTRACE DEMO");
}

static void test_manpage_lists_every_exit_code(void **state)
{
    (void)state;
    char *text = section("EXIT STATUS");
    const char *unknown = wt_exit_describe(-1);
    size_t n = 0;
    for (int code = 0; code <= EXIT_CODE_MAX; code++) {
        if (strcmp(wt_exit_describe(code), unknown) == 0)
            continue;
        char item[32];
        snprintf(item, sizeof item, "\n\\fB%d\\fR\n", code);
        if (!strstr(text, item))
            fail_msg("EXIT STATUS has no item for %d (%s)", code, wt_exit_describe(code));
        n++;
    }
    assert_true(n > 20);
    free(text);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_manpage_options PAGE.1\n");
        return 2;
    }
    page_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manpage_lists_every_option),
        cmocka_unit_test(test_manpage_lists_every_serve_option),
        cmocka_unit_test(test_manpage_lists_every_demo_option),
        cmocka_unit_test(test_manpage_lists_every_exit_code),
    };
    return cmocka_run_group_tests(tests, load_page, free_page);
}
