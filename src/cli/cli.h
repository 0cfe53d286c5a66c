/* cli.h: shared declarations of the autocert command: the option table, the settings, the commands. */
#ifndef AC_CLI_H
#define AC_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "autocert.h"

/* Exit status: success, nothing needed doing (obtain: the cached certificate is
 * still good), failure. */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_UNCHANGED 2

/* Every option of every command, by meaning: two options that share a flag but
 * not a meaning (--key-type of obtain and of ca) are two entries. */
typedef enum {
    CLI_O_NONE = 0, /* ends a command's list */
    /* every command */
    CLI_O_VERBOSE,
    CLI_O_QUIET,
    CLI_O_HELP,
    CLI_O_VERSION,
    /* ACME: obtain, revoke, account (and the renew command to come) */
    CLI_O_EMAIL,
    CLI_O_AGREE_TOS,
    CLI_O_DIRECTORY,
    CLI_O_STAGING,
    CLI_O_CA_BUNDLE,
    CLI_O_ALLOW_HTTP,
    CLI_O_HTTP_PORT,
    CLI_O_BIND,
    CLI_O_WEBROOT,
    CLI_O_CHALLENGE,
    CLI_O_DNS_HOOK,
    CLI_O_KEY_TYPE,
    CLI_O_ACCOUNT_KEY_TYPE,
    CLI_O_EAB_KID,
    CLI_O_EAB_HMAC_KEY,
    CLI_O_TIMEOUT,
    CLI_O_FORCE_ORDER,
    CLI_O_USER,
    /* renew */
    CLI_O_RENEW_CERT,
    CLI_O_FORCE_RENEW,
    CLI_O_DRY_RUN,
    CLI_O_RENEW_DAYS,
    CLI_O_DEPLOY_HOOK,
    CLI_O_FAILURE_HOOK,
    CLI_O_HOOK_TIMEOUT,
    CLI_O_JOBS,
    CLI_O_RENEW_JSON,
    CLI_O_METRICS_FILE,
    CLI_O_PROFILE,
    CLI_O_PREFERRED_CHAIN,
    /* revoke */
    CLI_O_REASON,
    CLI_O_WITH_CERT_KEY,
    /* the cache */
    CLI_O_CACHE,
    CLI_O_CACHE_KEY_FILE,
    CLI_O_CACHED,
    CLI_O_LIST_VERIFY,
    /* cache migrate */
    CLI_O_MIGRATE_FROM,
    CLI_O_MIGRATE_TO,
    CLI_O_FORCE_MIGRATE,
    /* private CA: ca create, issue, sign */
    CLI_O_OUT,
    CLI_O_NAME,
    CLI_O_CN,
    CLI_O_DAYS,
    CLI_O_CA_KEY_TYPE,
    CLI_O_CA_CERT,
    CLI_O_CA_KEY,
    CLI_O_CA_KEY_PW,
    CLI_O_DNS,
    CLI_O_NODE_IP,
    CLI_O_SERVER,
    CLI_O_CLIENT,
    CLI_O_BOTH,
    CLI_O_CSR,
    CLI_O_INTERMEDIATE,
    CLI_O_FORCE_FILES,
    /* inspect, verify, export */
    CLI_O_JSON,
    CLI_O_INPUT_PW,
    CLI_O_TRUST,
    CLI_O_HOST,
    CLI_O_VERIFY_IP,
    CLI_O_PURPOSE,
    CLI_O_P12,
    CLI_O_CERT,
    CLI_O_KEY,
    CLI_O_CHAIN,
    CLI_O_P12_PW,
    CLI_O_KEY_PW,
    CLI_O_COUNT
} cli_opt_id;

typedef struct cli_args cli_args;
typedef struct cli_cmd cli_cmd;

/* One option: flag, environment variable, setter, help. */
typedef struct {
    const char *flag;     /* "--email": the long name with its dashes */
    char short_flag;      /* 'v', or 0 */
    const char *arg;      /* name of the argument in the help; NULL: a switch */
    const char *env;      /* read when the flag is not given (empty counts as unset) */
    /* Validates and stores the value (NULL for a switch); -1 after an error line
     * naming the option as it was given (cli_invalid). */
    int (*set)(cli_args *a, cli_opt_id id, const char *val);
    size_t off;           /* the field of cli_args the generic setters store into */
    const char *help;
    cli_opt_id excludes;  /* given together with this one: an error; its variable is
                           * ignored when this flag is given */
    /* The library's messages say what is missing without naming flags: a failure
     * with the code `hint_for` gets `hint`, which names this option, appended. */
    autocert_err hint_for;
    const char *hint;
} cli_opt;

extern const cli_opt cli_opts[CLI_O_COUNT];

/* Where an option's value came from. */
#define CLI_FROM_FLAG 1
#define CLI_FROM_ENV 2

/* Everything the options set; each command reads the fields it accepts. */
struct cli_args {
    autocert_ctx *ctx; /* created before the options are applied */
    const cli_cmd *cmd;
    unsigned char from[CLI_O_COUNT]; /* 0 or CLI_FROM_*, per option */
    int verbose, quiet, version;
    /* ACME */
    int force;
    autocert_revoke_reason reason;
    int with_cert_key;
    unsigned http_port;
    const char *bind, *eab_kid, *eab_key, *user;
    /* renew */
    char **renew_certs;
    size_t n_renew_certs;
    int dry_run;
    unsigned jobs, hook_timeout;
    const char *deploy_hook, *failure_hook, *metrics_file;
    const char *challenge, *dns_hook;
    /* the cache */
    const char *cache, *cached, *cache_key_file;
    const char *migrate_from, *migrate_to;
    int list_verify;
    /* private CA */
    autocert_ca_params ca;
    char **dns, **ips;
    size_t n_dns, n_ips;
    int intermediate;
    /* inspect, verify, export */
    int json;
    unsigned purpose;
    const char *password_file, *key_password_file, *trust, *host, *ip;
    const char *p12, *cert, *key, *chain;
};

/* A command: its name, its options (ended by CLI_O_NONE; -v, -q and -h are
 * added), and the texts of its help. */
struct cli_cmd {
    const char *name;
    /* Runs with the options applied; argv holds the operands only. */
    int (*run)(cli_args *a, int argc, char **argv);
    const cli_opt_id *opts;
    const char *synopsis; /* lines after "usage: autocert " */
    const char *summary;  /* one line for 'autocert --help' */
    const char *about;    /* the paragraph of 'autocert <command> --help' */
    /* Subcommands with options and help of their own ('autocert account show
     * --help'), ended by NULL; the operand after the command name picks one.
     * NULL: none. */
    const cli_cmd *const *subs;
};

extern const cli_cmd cli_cmd_obtain, cli_cmd_renew, cli_cmd_list, cli_cmd_revoke, cli_cmd_account,
    cli_cmd_ca, cli_cmd_inspect, cli_cmd_verify, cli_cmd_export, cli_cmd_cache;

/* Settings: zeroed; cli_args_clear frees what the setters allocated and the context. */
void cli_args_init(cli_args *a);
void cli_args_clear(cli_args *a);

/* Parses argv[1..argc) with the options `own` (ended by CLI_O_NONE) and -v, -q
 * and -h: applies the flags, then the variables of the options not given.  With
 * `stop` parsing ends at the first operand, else operands and options mix.
 * *first receives the index of the first operand.  0, CLI_PARSE_HELP (-h was
 * given: nothing applied), or -1 after an error line. */
#define CLI_PARSE_HELP 1
int cli_parse(cli_args *a, const cli_opt_id *own, int stop, int argc, char **argv, int *first);
/* Prints the help of a command, generated from its option list. */
void cli_usage(FILE *f, const cli_cmd *cmd);
/* The option as it was given: its flag, or its variable when it came from the
 * environment. */
const char *cli_source(const cli_args *a, cli_opt_id id);

/* Generic setters: a string, or a switch, stored at cli_opts[id].off. */
int cli_set_str(cli_args *a, cli_opt_id id, const char *val);
int cli_set_flag(cli_args *a, cli_opt_id id, const char *val);

/* Prints "autocert: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "autocert: invalid <option as given> '<val>' (<reason>)" (without the value
 * when `val` is NULL: secrets are never printed); returns -1. */
int cli_invalid(const cli_args *a, cli_opt_id id, const char *val, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The hint for a failure `rc` of the running command: that of the option of the
 * command that remedies it, unless the option was given already; NULL if none. */
const char *cli_hint(const cli_args *a, autocert_err rc);
/* The one error line: "autocert: [what: ]<msg>[ (<hint>)]". */
void cli_report(const char *what, const char *msg, const char *hint);
/* cli_report of a failed library call: the context's last error (or the code's
 * text) with cli_hint(). */
void cli_fail(const cli_args *a, autocert_err rc, const char *what);
/* The time t in UTC, "2027-01-31" or with CLI_UTC_MINUTE "2027-01-31 12:00 UTC",
 * into buf (n bytes); `none` when it cannot be put so.  Returns buf or `none`. */
#define CLI_UTC_DAY 0
#define CLI_UTC_MINUTE 1
const char *cli_utc(time_t t, int precision, const char *none, char *buf, size_t n);
/* Writes `s` to standard output as a JSON string (quotes, backslashes and
 * control bytes escaped; the library escaped what came from outside). */
void cli_json_str(const char *s);
/* The library logger writing to stderr. */
void cli_log(void *arg, autocert_log_level level, const char *msg);

/* The settings made of two options: the HTTP-01 responder (--bind,
 * --http-port), the EAB credentials, --challenge dns-01 with its
 * --dns-hook.  0, or -1 after an error line. */
int cli_apply_pairs(cli_args *a);

/* --user: when given (as root), binds the challenge responder and becomes
 * that user, its home the default cache.  0, or -1 after an error line. */
int cli_drop_to_user(cli_args *a);

/* With -v: where the time went, the connections and the requests (the
 * benchmark and the tests read these last three lines of stderr). */
void cli_print_counts(const cli_args *a);

/* Runs the hook `cmd` with /bin/sh -c, `env` ("NAME=value" strings, NULL
 * ended) added to its environment and its standard output sent to standard
 * error, for at most `timeout_s` seconds (then its process group is killed).
 * 0 when it exited 0; else -1 after an error line naming `what`. */
int cli_hook_run(const char *what, const char *cmd, char *const *env, unsigned timeout_s);

/* Appends the comma-separated items of `arg` to the malloc'd array *v (strings
 * malloc'd).  0; -1 after an error line (out of memory); -2 when an item is
 * empty (nothing printed: the caller names the input). */
int cli_split_list(const char *arg, char ***v, size_t *n);
/* Opens the cache given with --cache or $AUTOCERT_CACHE, if any (else the
 * library opens its default on first use), and gives it the key file of
 * --cache-key-file.  0, or -1 after an error line. */
int cli_cache_open(cli_args *a);
/* The files of the cached ACME certificate `name` (--cached): *cert and *key
 * malloc'd; -1 after an error line. */
int cli_cached_files(cli_args *a, const char *name, char **cert, char **key);

#endif
