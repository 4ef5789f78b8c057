/* gen_completions: writes webtrace's bash, zsh or fish completion script
 * from the parser's own option tables (wt_cli_option_info) at build time,
 * so a completion can never offer an option the parser does not know, or
 * miss one it does. Run by meson; not installed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webtrace/cli.h"

#define MAX_OPTIONS 256
#define ARG_MAX_LEN 64
#define DESC_MAX_LEN 72   /* a shell shows a description on one line */

enum arg_kind {
    ARG_NONE,     /* a flag */
    ARG_FILE,     /* a file name */
    ARG_DIR,      /* a directory */
    ARG_WORDS,    /* one of a few words (zh|en) */
    ARG_OTHER,    /* something only the user knows: a number, a header... */
};

struct opt {
    const char *name;
    int short_name;
    enum arg_kind kind;
    char arg[ARG_MAX_LEN];        /* "FILE", "zh|en", ... as --help spells it */
    char desc[DESC_MAX_LEN + 4];
};

struct command {
    const char *name;             /* NULL: the trace itself */
    const char *usage;            /* serve's and demo's --help, where their arguments are named */
    const char *desc;
    struct opt opts[MAX_OPTIONS];
    size_t n;
};

/* The argument's word after "--name " in a spelling or usage text. */
static void arg_word(const char *text, const char *name, char *out, size_t outlen)
{
    out[0] = '\0';
    size_t len = strlen(name);
    for (const char *p = text ? strstr(text, "--") : NULL; p; p = strstr(p + 2, "--")) {
        if (strncmp(p + 2, name, len) != 0 || p[2 + len] != ' ' || p[3 + len] == ' ')
            continue;
        const char *a = p + 3 + len;
        /* A usage text's argument ends at a space or "]"; a spelling's at
         * its end ("\"NAME: VALUE\"" has a space inside). */
        size_t n = text[0] == '-' ? strlen(a) : strcspn(a, " ]\n");
        if (n >= outlen)
            n = outlen - 1;
        memcpy(out, a, n);
        out[n] = '\0';
        return;
    }
}

/* FILE or DIR among the |-separated alternatives, or a list of plain words. */
static enum arg_kind classify(const char *arg)
{
    if (!arg[0])
        return ARG_OTHER;
    int words = 1;
    const char *p = arg;
    while (*p) {
        size_t n = strcspn(p, "|");
        if (n == 4 && strncmp(p, "FILE", 4) == 0)
            return ARG_FILE;
        if (n == 3 && strncmp(p, "DIR", 3) == 0)
            return ARG_DIR;
        for (size_t i = 0; i < n; i++)
            words &= (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9');
        p += n;
        if (*p)
            p++;
    }
    return words ? ARG_WORDS : ARG_OTHER;
}

/* --help's sentence up to its first aside, on one line. */
static void short_desc(const char *text, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!text)
        return;
    size_t n = strlen(text);
    const char *cut[] = { " (", "; " };
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        const char *c = strstr(text, cut[i]);
        if (c && (size_t)(c - text) < n && c > text)
            n = (size_t)(c - text);
    }
    if (n > DESC_MAX_LEN) {
        n = DESC_MAX_LEN;
        while (n > 0 && text[n] != ' ')
            n--;
        snprintf(out, outlen, "%.*s...", (int)n, text);
        return;
    }
    snprintf(out, outlen, "%.*s", (int)n, text);
}

static const char *next_line(const char *text)
{
    const char *eol = strchr(text, '\n');
    return eol && eol[1] ? eol + 1 : NULL;
}

/* serve's and demo's sentence for --name: the rest of the usage line that
 * starts with the option ("      --port N               port (default...").
 * Returns NULL when the usage names the option only in its synopsis. */
static const char *usage_text(const char *usage, const char *name, int takes_arg, char *out,
                              size_t outlen)
{
    size_t len = strlen(name);
    for (const char *line = usage; line; line = next_line(line)) {
        const char *p = line + strspn(line, " ");
        if (*p != '-')
            continue;
        const char *opt = strstr(p, "--");
        const char *eol = strchr(p, '\n');
        if (!opt || (eol && opt > eol) || strncmp(opt + 2, name, len) != 0 ||
            opt[2 + len] != ' ')
            continue;
        p = opt + 2 + len;
        if (takes_arg) {
            p += strspn(p, " ");
            p += strcspn(p, " \n");
        }
        if (*p != ' ')
            continue;
        p += strspn(p, " ");
        /* The sentence, with the lines it wraps onto (indented, no option) */
        size_t used = (size_t)snprintf(out, outlen, "%.*s", (int)strcspn(p, "\n"), p);
        for (const char *next = next_line(p); next && used < outlen; next = next_line(next)) {
            size_t indent = strspn(next, " ");
            if (indent < 2 || next[indent] == '-' || next[indent] == '\n')
                break;
            used += (size_t)snprintf(out + used, outlen - used, " %.*s",
                                     (int)strcspn(next + indent, "\n"), next + indent);
        }
        return out;
    }
    return NULL;
}

static void load(struct command *c)
{
    struct wt_cli_option_info info;
    for (size_t i = 0; wt_cli_option_info(c->name, i, &info) == 0; i++) {
        int seen = 0;
        for (size_t k = 0; k < c->n; k++)
            seen |= strcmp(c->opts[k].name, info.name) == 0;
        if (seen || c->n == MAX_OPTIONS)
            continue;
        struct opt *o = &c->opts[c->n++];
        o->name = info.name;
        o->short_name = info.alias ? 0 : info.short_name;
        o->kind = ARG_NONE;
        if (info.takes_arg) {
            /* An alias's spelling is its original's: the argument is the same. */
            arg_word(info.spelling ? info.spelling : c->usage, info.name, o->arg, sizeof o->arg);
            if (!o->arg[0] && info.spelling) {
                const char *sp = strstr(info.spelling, "--");
                const char *space = sp ? strchr(sp, ' ') : NULL;
                if (space)
                    snprintf(o->arg, sizeof o->arg, "%s", space + 1);
            }
            o->kind = classify(o->arg);
        }
        char line[200];
        const char *text = info.text;
        if (!text && c->usage)
            text = usage_text(c->usage, info.name, info.takes_arg, line, sizeof line);
        short_desc(text, o->desc, sizeof o->desc);
    }
}

/* ---- bash --------------------------------------------------------------- */

static void bash_case(const struct command *c, enum arg_kind kind, const char *action)
{
    int any = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct opt *o = &c->opts[i];
        if (o->kind != kind)
            continue;
        printf("%s", any ? "|" : "    ");
        if (o->short_name)
            printf("%s:-%c|", c->name ? c->name : "", o->short_name);
        printf("%s:--%s", c->name ? c->name : "", o->name);
        any = 1;
    }
    if (any)
        printf(")\n        %s\n        return\n        ;;\n", action);
}

static void bash_words_case(const struct command *c)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct opt *o = &c->opts[i];
        if (o->kind != ARG_WORDS)
            continue;
        char words[ARG_MAX_LEN];
        snprintf(words, sizeof words, "%s", o->arg);
        for (char *p = words; *p; p++)
            if (*p == '|')
                *p = ' ';
        printf("    ");
        if (o->short_name)
            printf("%s:-%c|", c->name ? c->name : "", o->short_name);
        printf("%s:--%s)\n        COMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n        return\n"
               "        ;;\n", c->name ? c->name : "", o->name, words);
    }
}

static void bash_option_words(const struct command *c)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->opts[i].short_name)
            printf(" -%c", c->opts[i].short_name);
        printf(" --%s", c->opts[i].name);
    }
}

static void write_bash(const struct command *cmds, size_t n)
{
    printf("# bash completion for webtrace(1), generated at build time from the\n"
           "# option tables its parser reads: do not edit.\n\n"
           "_webtrace()\n{\n"
           "    local cur prev words cword split\n"
           "    _init_completion -s || return\n\n"
           "    local command=\n"
           "    case ${words[1]-} in\n");
    for (size_t i = 1; i < n; i++)
        printf("    %s) command=%s ;;\n", cmds[i].name, cmds[i].name);
    printf("    esac\n\n"
           "    case $command:$prev in\n");
    for (size_t i = 0; i < n; i++) {
        bash_case(&cmds[i], ARG_FILE, "_filedir");
        bash_case(&cmds[i], ARG_DIR, "_filedir -d");
        bash_words_case(&cmds[i]);
        bash_case(&cmds[i], ARG_OTHER, ":");
    }
    printf("    esac\n"
           "    $split && return\n\n"
           "    if [[ $cur == -* ]]; then\n"
           "        local opts\n"
           "        case $command in\n");
    for (size_t i = 0; i < n; i++) {
        printf("        %s) opts='", cmds[i].name ? cmds[i].name : "''");
        bash_option_words(&cmds[i]);
        printf(" ' ;;\n");
    }
    printf("        esac\n"
           "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
           "        return\n"
           "    fi\n"
           "    if [[ $cword -eq 1 ]]; then\n"
           "        COMPREPLY=($(compgen -W '");
    for (size_t i = 1; i < n; i++)
        printf("%s%s", i > 1 ? " " : "", cmds[i].name);
    printf("' -- \"$cur\"))\n"
           "    fi\n"
           "} &&\n"
           "    complete -F _webtrace webtrace\n");
}

/* ---- zsh ---------------------------------------------------------------- */

/* Inside '...': an _arguments [description] (special: brackets) or a
 * :message: field (special: colons). */
static void zsh_text(const char *s, const char *special)
{
    for (; *s; s++) {
        if (*s == '\'')
            printf("'\\''");
        else if (strchr(special, *s) || *s == '\\')
            printf("\\%c", *s);
        else
            putchar(*s);
    }
}

static void zsh_desc(const char *desc)
{
    if (!desc[0])
        return;
    putchar('[');
    zsh_text(desc, "[]");
    putchar(']');
}

static void zsh_action(const struct opt *o)
{
    if (o->kind == ARG_NONE)
        return;
    putchar(':');
    zsh_text(o->arg, ":");
    switch (o->kind) {
    case ARG_FILE: printf(":_files"); break;
    case ARG_DIR: printf(":_files -/"); break;
    case ARG_WORDS: {
        printf(":(");
        for (const char *p = o->arg; *p; p++)
            putchar(*p == '|' ? ' ' : *p);
        printf(")");
        break;
    }
    default: printf(": "); break;
    }
}

static void zsh_specs(const struct command *c, const char *array)
{
    printf("%s=(\n", array);
    for (size_t i = 0; i < c->n; i++) {
        const struct opt *o = &c->opts[i];
        const char *arg_mark_short = o->kind == ARG_NONE ? "" : "+";
        const char *arg_mark_long = o->kind == ARG_NONE ? "" : "=";
        if (o->short_name) {
            printf("  '*-%c%s", o->short_name, arg_mark_short);
            zsh_desc(o->desc);
            zsh_action(o);
            printf("'\n");
        }
        printf("  '*--%s%s", o->name, arg_mark_long);
        zsh_desc(o->desc);
        zsh_action(o);
        printf("'\n");
    }
    printf(")\n");
}

static void write_zsh(const struct command *cmds, size_t n)
{
    printf("#compdef webtrace\n"
           "# zsh completion for webtrace(1), generated at build time from the\n"
           "# option tables its parser reads: do not edit.\n\n"
           "local -a main_opts serve_opts demo_opts commands\n");
    zsh_specs(&cmds[0], "main_opts");
    for (size_t i = 1; i < n; i++) {
        char array[32];
        snprintf(array, sizeof array, "%s_opts", cmds[i].name);
        zsh_specs(&cmds[i], array);
    }
    printf("commands=(\n");
    for (size_t i = 1; i < n; i++) {
        printf("  '%s:", cmds[i].name);
        zsh_text(cmds[i].desc, ":");
        printf("'\n");
    }
    printf(")\n\n"
           "if (( CURRENT > 2 )); then\n"
           "  case $words[2] in\n");
    for (size_t i = 1; i < n; i++)
        printf("  %s)\n    shift words\n    (( CURRENT-- ))\n"
               "    _arguments -s : $%s_opts\n    return\n    ;;\n", cmds[i].name, cmds[i].name);
    printf("  esac\n"
           "fi\n\n"
           "local curcontext=$curcontext state line\n"
           "_arguments -C -s : $main_opts '*:: :->target' && return\n"
           "if [[ $state == target ]]; then\n"
           "  if (( CURRENT == 1 )); then\n"
           "    _alternative 'commands:command:_describe -t commands command commands' "
           "'urls:URL or host:_urls'\n"
           "  else\n"
           "    _urls\n"
           "  fi\n"
           "fi\n");
}

/* ---- fish --------------------------------------------------------------- */

static void fish_text(const char *s)
{
    putchar('\'');
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            putchar('\\');
        putchar(*s);
    }
    putchar('\'');
}

static void write_fish(const struct command *cmds, size_t n)
{
    printf("# fish completion for webtrace(1), generated at build time from the\n"
           "# option tables its parser reads: do not edit.\n\n"
           "# A plain argument is a URL or host, never a file.\n"
           "complete -c webtrace -f\n");
    for (size_t i = 1; i < n; i++) {
        printf("complete -c webtrace -n 'test (count (commandline -opc)) -eq 1' -a %s -d ",
               cmds[i].name);
        fish_text(cmds[i].desc);
        printf("\n");
    }
    for (size_t c = 0; c < n; c++) {
        char cond[128];
        if (cmds[c].name)
            snprintf(cond, sizeof cond, "__fish_seen_subcommand_from %s", cmds[c].name);
        else
            snprintf(cond, sizeof cond, "not __fish_seen_subcommand_from%s%s%s%s",
                     n > 1 ? " " : "", n > 1 ? cmds[1].name : "", n > 2 ? " " : "",
                     n > 2 ? cmds[2].name : "");
        for (size_t i = 0; i < cmds[c].n; i++) {
            const struct opt *o = &cmds[c].opts[i];
            printf("complete -c webtrace -n '%s'", cond);
            if (o->short_name)
                printf(" -s %c", o->short_name);
            printf(" -l %s", o->name);
            switch (o->kind) {
            case ARG_NONE: break;
            case ARG_FILE: printf(" -r -F"); break;
            case ARG_DIR: printf(" -x -a '(__fish_complete_directories (commandline -ct))'");
                break;
            case ARG_WORDS: {
                printf(" -x -a '");
                for (const char *p = o->arg; *p; p++)
                    putchar(*p == '|' ? ' ' : *p);
                printf("'");
                break;
            }
            case ARG_OTHER: printf(" -x"); break;
            }
            if (o->desc[0]) {
                printf(" -d ");
                fish_text(o->desc);
            }
            printf("\n");
        }
    }
}

static struct command commands[3];

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_completions bash|zsh|fish > FILE\n");
        return 2;
    }
    commands[0] = (struct command){ .name = NULL };
    commands[1] = (struct command){ .name = "serve", .usage = wt_cli_serve_usage,
                                    .desc = "a small HTTP server that narrates the server side" };
    commands[2] = (struct command){ .name = "demo", .usage = wt_cli_demo_usage,
                                    .desc = "an offline trace through in-process servers" };
    size_t n = sizeof commands / sizeof commands[0];
    for (size_t i = 0; i < n; i++)
        load(&commands[i]);
    if (strcmp(argv[1], "bash") == 0)
        write_bash(commands, n);
    else if (strcmp(argv[1], "zsh") == 0)
        write_zsh(commands, n);
    else if (strcmp(argv[1], "fish") == 0)
        write_fish(commands, n);
    else {
        fprintf(stderr, "gen_completions: unknown shell %s\n", argv[1]);
        return 2;
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
