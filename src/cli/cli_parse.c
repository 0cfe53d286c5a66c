/* cli_parse.c: options from the table: getopt_long arrays, flags before variables, generated help. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Every command takes these after its own. */
static const cli_opt_id common[] = {CLI_O_VERBOSE, CLI_O_QUIET, CLI_O_HELP};
#define N_COMMON (sizeof(common) / sizeof(common[0]))
#define MAX_OPTS CLI_O_COUNT

/* One flag as getopt_long found it. */
typedef struct {
    cli_opt_id id;
    const char *val;
} given;

void cli_args_init(cli_args *a)
{
    memset(a, 0, sizeof(*a));
    autocert_ca_params_init(&a->ca);
}

void cli_args_clear(cli_args *a)
{
    autocert_strv_free(a->dns, a->n_dns);
    autocert_strv_free(a->ips, a->n_ips);
    autocert_strv_free(a->renew_certs, a->n_renew_certs);
    autocert_ctx_free(a->ctx);
    cli_args_init(a);
}

const char *cli_source(const cli_args *a, cli_opt_id id)
{
    return a->from[id] == CLI_FROM_ENV ? cli_opts[id].env : cli_opts[id].flag;
}

/* The command's options followed by the common ones; their number. */
static size_t accepted(const cli_opt_id *own, cli_opt_id *ids)
{
    size_t n = 0, i;

    while (own && own[n] != CLI_O_NONE && n < MAX_OPTS - N_COMMON) {
        ids[n] = own[n];
        n++;
    }
    for (i = 0; i < N_COMMON; i++)
        ids[n++] = common[i];
    return n;
}

/* The getopt_long array and short-option string of `ids`; a long option's val is
 * 256 + its index in `ids`. */
static void build(const cli_opt_id *ids, size_t n, int stop, struct option *lo, char *so)
{
    size_t i, k = 0;

    if (stop)
        so[k++] = '+';
    so[k++] = ':'; /* a missing argument is reported as ':', not '?' */
    for (i = 0; i < n; i++) {
        const cli_opt *o = &cli_opts[ids[i]];

        lo[i] = (struct option){o->flag + 2, o->arg ? required_argument : no_argument, NULL,
                                256 + (int)i};
        if (o->short_flag) {
            so[k++] = o->short_flag;
            if (o->arg)
                so[k++] = ':';
        }
    }
    lo[n] = (struct option){NULL, 0, NULL, 0};
    so[k] = '\0';
}

/* The index in `ids` of what getopt_long returned, or -1 after an error line. */
static int which(const cli_args *a, const cli_opt_id *ids, size_t n, int c, char **argv)
{
    const char *see = a->cmd ? a->cmd->name : NULL;
    size_t i;

    if (c >= 256 && (size_t)(c - 256) < n)
        return c - 256;
    for (i = 0; c != '?' && c != ':' && i < n; i++)
        if (cli_opts[ids[i]].short_flag == c)
            return (int)i;
    if (optopt >= 256 && (size_t)(optopt - 256) < n && c == ':')
        cli_error("%s needs an argument (%s)", cli_opts[ids[optopt - 256]].flag,
                  cli_opts[ids[optopt - 256]].arg);
    else if (optopt >= 256 && (size_t)(optopt - 256) < n)
        cli_error("%s takes no argument", cli_opts[ids[optopt - 256]].flag);
    else if (c == ':')
        cli_error("-%c needs an argument", optopt);
    else if (optopt)
        cli_error("unknown option '-%c' (see 'autocert %s%s--help')", optopt, see ? see : "",
                  see ? " " : "");
    else
        cli_error("unknown option '%s' (see 'autocert %s%s--help')", argv[optind - 1],
                  see ? see : "", see ? " " : "");
    return -1;
}

/* Collects the flags into g[]; their number, or -1 after an error line. */
static int collect(const cli_args *a, const cli_opt_id *ids, size_t n, int stop, int argc,
                   char **argv, given *g)
{
    struct option lo[MAX_OPTS + 1];
    char so[3 * MAX_OPTS + 3];
    int c, i, k = 0;

    build(ids, n, stop, lo, so);
    opterr = 0;
    optind = 0; /* 0, not 1: glibc then also forgets the previous argv and mode */
    while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        if ((i = which(a, ids, n, c, argv)) < 0)
            return -1;
        g[k++] = (given){ids[i], optarg};
    }
    return k;
}

/* The flags of options that exclude each other, given together. */
static int conflict(const cli_args *a)
{
    int id;

    for (id = 1; id < CLI_O_COUNT; id++) {
        cli_opt_id x = cli_opts[id].excludes;

        if (a->from[id] == CLI_FROM_FLAG && x && a->from[x] == CLI_FROM_FLAG) {
            cli_error("%s and %s exclude each other", cli_opts[id].flag, cli_opts[x].flag);
            return -1;
        }
    }
    return 0;
}

/* 1 when a given flag makes the variable of `id` moot. */
static int overridden(const cli_args *a, cli_opt_id id)
{
    int k;

    for (k = 1; k < CLI_O_COUNT; k++)
        if (cli_opts[k].excludes == id && a->from[k] == CLI_FROM_FLAG)
            return 1;
    return 0;
}

/* Applies the variable of `id` when its flag was not given. */
static int from_env(cli_args *a, cli_opt_id id)
{
    const cli_opt *o = &cli_opts[id];
    const char *v = o->env ? getenv(o->env) : NULL;

    if (v == NULL || *v == '\0' || a->from[id] || overridden(a, id))
        return 0;
    /* A switch turned off stays unmarked: "not given" as far as hints go. */
    if (!o->arg && (strcmp(v, "0") == 0 || strcmp(v, "no") == 0 || strcmp(v, "false") == 0))
        return 0;
    a->from[id] = CLI_FROM_ENV;
    if (o->arg)
        return o->set(a, id, v);
    if (strcmp(v, "1") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
        return o->set(a, id, NULL);
    return cli_invalid(a, id, v, "1, yes or true to set it; 0, no or false not to");
}

int cli_parse(cli_args *a, const cli_opt_id *own, int stop, int argc, char **argv, int *first)
{
    cli_opt_id ids[MAX_OPTS];
    size_t n = accepted(own, ids), i;
    given *g = calloc((size_t)argc + 1, sizeof(*g));
    int k, j, rc = -1;

    if (g == NULL) {
        cli_error("out of memory");
        return -1;
    }
    if ((k = collect(a, ids, n, stop, argc, argv, g)) < 0)
        goto out;
    *first = optind;
    for (j = 0; j < k; j++) {
        if (g[j].id == CLI_O_HELP) {
            rc = CLI_PARSE_HELP;
            goto out;
        }
        a->from[g[j].id] = CLI_FROM_FLAG;
    }
    if (conflict(a) != 0)
        goto out;
    for (j = 0; j < k; j++)
        if (cli_opts[g[j].id].set(a, g[j].id, g[j].val) != 0)
            goto out;
    for (i = 0; i < n; i++)
        if (from_env(a, ids[i]) != 0)
            goto out;
    rc = 0;
out:
    free(g);
    return rc;
}

/* "  -v, --verbose" or "  --email ADDR" into buf. */
static void left_column(const cli_opt *o, char *buf, size_t len)
{
    if (o->short_flag)
        snprintf(buf, len, "  -%c, %s%s%s", o->short_flag, o->flag, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    else
        snprintf(buf, len, "  %s%s%s", o->flag, o->arg ? " " : "", o->arg ? o->arg : "");
}

void cli_usage(FILE *f, const cli_cmd *cmd)
{
    cli_opt_id ids[MAX_OPTS];
    size_t n = accepted(cmd->opts, ids), i, width = 0;
    const char *p = cmd->synopsis;
    char buf[96];

    for (i = 0; *p; i++) {
        size_t len = strcspn(p, "\n");

        fprintf(f, "%s%.*s\n", i ? "       autocert " : "usage: autocert ", (int)len, p);
        p += len + (p[len] == '\n');
    }
    fprintf(f, "\n%s\n\noptions:\n", cmd->about);
    for (i = 0; i < n; i++) {
        left_column(&cli_opts[ids[i]], buf, sizeof(buf));
        if (strlen(buf) > width)
            width = strlen(buf);
    }
    for (i = 0; i < n; i++) {
        const cli_opt *o = &cli_opts[ids[i]];

        left_column(o, buf, sizeof(buf));
        fprintf(f, "%-*s  %s", (int)width, buf, o->help);
        if (o->env)
            fprintf(f, " [%s]", o->env);
        fputc('\n', f);
    }
}

int cli_split_list(const char *arg, char ***v, size_t *n)
{
    const char *p = arg;

    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char **nv;

        if (len == 0)
            return -2;
        if ((nv = realloc(*v, (*n + 1) * sizeof(char *))) == NULL) {
            cli_error("out of memory");
            return -1;
        }
        *v = nv;
        if ((nv[*n] = strndup(p, len)) == NULL) {
            cli_error("out of memory");
            return -1;
        }
        (*n)++;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}
