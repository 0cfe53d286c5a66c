/* cmd_renew.c: `autocert renew`: every cached certificate that is due, renewed in one run, with hooks. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const cli_opt_id renew_opts[] = {
    CLI_O_RENEW_CERT, CLI_O_FORCE_RENEW, CLI_O_DRY_RUN, CLI_O_RENEW_DAYS, CLI_O_DEPLOY_HOOK,
    CLI_O_FAILURE_HOOK, CLI_O_HOOK_TIMEOUT, CLI_O_JOBS, CLI_O_RENEW_JSON, CLI_O_METRICS_FILE,
    CLI_O_EMAIL, CLI_O_AGREE_TOS, CLI_O_CA_BUNDLE, CLI_O_ALLOW_HTTP, CLI_O_HTTP_PORT, CLI_O_BIND,
    CLI_O_WEBROOT, CLI_O_CHALLENGE, CLI_O_DNS_HOOK, CLI_O_ACCOUNT_KEY_TYPE, CLI_O_EAB_KID,
    CLI_O_EAB_HMAC_KEY, CLI_O_CACHE, CLI_O_CACHE_KEY_FILE, CLI_O_TIMEOUT, CLI_O_USER, CLI_O_PROFILE,
    CLI_O_PREFERRED_CHAIN, CLI_O_NONE,
};

/* One certificate of the run. */
typedef struct {
    const char *name;
    autocert_renew_info info;
    autocert_err rc;
    char error[1024];
} renewal;

/* The run: certificates handed to the workers in order. */
typedef struct {
    cli_args *a;
    unsigned flags;
    renewal *r;
    size_t n, next;
    pthread_mutex_t lock;
} run;

static void *worker(void *arg)
{
    run *w = arg;
    renewal *r;

    for (;;) {
        pthread_mutex_lock(&w->lock);
        r = w->next < w->n ? &w->r[w->next++] : NULL;
        pthread_mutex_unlock(&w->lock);
        if (r == NULL)
            return NULL;
        /* The plan said: nothing to do here, or a failure to report. */
        if (r->rc != AUTOCERT_OK || r->info.outcome != AUTOCERT_RENEW_DUE)
            continue;
        r->rc = autocert_renew(w->a->ctx, r->name, w->flags, &r->info);
        if (r->rc != AUTOCERT_OK)
            snprintf(r->error, sizeof(r->error), "%s", autocert_last_error(w->a->ctx));
    }
}

/* Renews every certificate of `w`, with up to `jobs` threads. */
static void renew_all(run *w, unsigned jobs)
{
    pthread_t t[64];
    unsigned i, started = 0;

    pthread_mutex_init(&w->lock, NULL);
    if (jobs > w->n)
        jobs = (unsigned)w->n;
    for (i = 1; i < jobs && i < 64; i++)
        if (pthread_create(&t[started], NULL, worker, w) == 0)
            started++;
    worker(w); /* this thread is one of them */
    for (i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    pthread_mutex_destroy(&w->lock);
}

/* The entries to renew: --cert, or every cached certificate.  *names
 * malloc'd (autocert_strv_free); -1 after an error line. */
static int entries(cli_args *a, char ***names, size_t *n)
{
    autocert_err rc;
    size_t i;

    if (a->n_renew_certs > 0) {
        if ((*names = calloc(a->n_renew_certs, sizeof(char *))) == NULL)
            return -1;
        for (i = 0; i < a->n_renew_certs; i++)
            if (((*names)[i] = strdup(a->renew_certs[i])) == NULL)
                return -1;
        *n = a->n_renew_certs;
        return 0;
    }
    if ((rc = autocert_cert_list(a->ctx, names, n)) != AUTOCERT_OK) {
        cli_fail(a, rc, NULL);
        return -1;
    }
    return 0;
}

static const char *outcome_name(const renewal *r)
{
    static const char *const names[] = {"not-due", "renewed", "checked", "waiting", "due"};

    if (r->rc != AUTOCERT_OK)
        return "failed";
    return (unsigned)r->info.outcome < 5 ? names[r->info.outcome] : "unknown";
}

/* "2027-01-31 12:00 UTC" of t, "-" for 0. */
static const char *when(time_t t, char *buf, size_t n)
{
    return t == 0 ? "-" : cli_utc(t, CLI_UTC_MINUTE, "-", buf, n);
}

static void print_json(const renewal *r)
{
    fputs("{\"name\":", stdout);
    cli_json_str(r->name);
    printf(",\"outcome\":\"%s\",\"not_after\":%lld,\"renew_at\":%lld,\"wait_until\":%lld,"
           "\"failures\":%u,\"why\":",
           outcome_name(r), (long long)r->info.not_after, (long long)r->info.renew_at,
           (long long)r->info.wait_until, r->info.failures);
    cli_json_str(r->info.why);
    if (r->rc != AUTOCERT_OK) {
        fputs(",\"error\":", stdout);
        cli_json_str(r->error);
    }
    fputs("}\n", stdout);
}

/* One line a certificate: what was done and why. */
static void print_line(const cli_args *a, const renewal *r)
{
    char t1[40], t2[40], msg[sizeof(r->info.why) + 128];

    if (a->json) {
        print_json(r);
    } else if (r->rc != AUTOCERT_OK) {
        cli_report(r->name, r->error, cli_hint(a, r->rc));
    } else if (r->info.outcome == AUTOCERT_RENEW_WAITING) {
        snprintf(msg, sizeof(msg), "due since %s, waiting until %s: %s",
                 when(r->info.renew_at, t1, sizeof(t1)), when(r->info.wait_until, t2, sizeof(t2)),
                 r->info.why);
        cli_report(r->name, msg, "--force orders now");
    } else if (!a->quiet) {
        if (r->info.outcome == AUTOCERT_RENEW_NOT_DUE)
            printf("%s\tnot due\tuntil %s (%s)\n", r->name, when(r->info.renew_at, t1, sizeof(t1)),
                   r->info.why);
        else
            printf("%s\t%s\texpires %s (%s)\n", r->name,
                   r->info.outcome == AUTOCERT_RENEW_RENEWED ? "renewed" : "checked (dry run)",
                   when(r->info.not_after, t1, sizeof(t1)), r->info.why);
    }
}

/* The variables of the deploy hook of certificate `c`, in v (6 of n bytes). */
static void deploy_env(const char *name, const autocert_cert *c, char (*v)[4200])
{
    const char *p;
    size_t i, k;

    snprintf(v[0], sizeof(v[0]), "AUTOCERT_NAME=%s", name);
    snprintf(v[1], sizeof(v[1]), "AUTOCERT_CERT=%s", (p = autocert_cert_cert_path(c)) ? p : "");
    snprintf(v[2], sizeof(v[2]), "AUTOCERT_KEY=%s", (p = autocert_cert_key_path(c)) ? p : "");
    snprintf(v[3], sizeof(v[3]), "AUTOCERT_FULLCHAIN=%s",
             (p = autocert_cert_fullchain_path(c)) ? p : "");
    snprintf(v[4], sizeof(v[4]), "AUTOCERT_CHAIN=%s", (p = autocert_cert_chain_path(c)) ? p : "");
    k = (size_t)snprintf(v[5], sizeof(v[5]), "AUTOCERT_IDENTIFIERS=");
    for (i = 0; i < autocert_cert_identifier_count(c) && k < sizeof(v[5]); i++)
        k += (size_t)snprintf(v[5] + k, sizeof(v[5]) - k, "%s%s", i ? "," : "",
                              autocert_cert_identifier(c, i));
}

/* The deploy hook of a renewed certificate, the failure hook of a failed
 * one; -1 when a hook failed. */
static int run_hook(cli_args *a, const renewal *r)
{
    char v[6][4200], *env[7] = {0};
    autocert_cert *c = NULL;
    autocert_err rc;
    size_t i;
    int status = 0;

    if (r->rc == AUTOCERT_OK && r->info.outcome == AUTOCERT_RENEW_RENEWED && a->deploy_hook) {
        if ((rc = autocert_cert_load(a->ctx, r->name, &c)) != AUTOCERT_OK) {
            cli_fail(a, rc, r->name);
            return -1;
        }
        deploy_env(r->name, c, v);
        for (i = 0; i < 6; i++)
            env[i] = v[i];
        status = cli_hook_run("deploy hook", a->deploy_hook, env, a->hook_timeout);
        autocert_cert_free(c);
    } else if (r->rc != AUTOCERT_OK && a->failure_hook) {
        snprintf(v[0], sizeof(v[0]), "AUTOCERT_NAME=%s", r->name);
        snprintf(v[1], sizeof(v[1]), "AUTOCERT_ERROR=%s", r->error);
        snprintf(v[2], sizeof(v[2]), "AUTOCERT_FAILURES=%u", r->info.failures);
        snprintf(v[3], sizeof(v[3]), "AUTOCERT_NEXT_TRY=%lld", (long long)r->info.wait_until);
        for (i = 0; i < 4; i++)
            env[i] = v[i];
        status = cli_hook_run("failure hook", a->failure_hook, env, a->hook_timeout);
    }
    return status;
}

/* Prints the results, runs the hooks; the exit status of the run. */
static int finish(cli_args *a, const run *w)
{
    int any_new = 0, failed = 0;
    size_t i;

    for (i = 0; i < w->n; i++) {
        const renewal *r = &w->r[i];

        print_line(a, r);
        failed |= r->rc != AUTOCERT_OK || r->info.outcome == AUTOCERT_RENEW_WAITING;
        any_new |= r->rc == AUTOCERT_OK && (r->info.outcome == AUTOCERT_RENEW_RENEWED ||
                                            r->info.outcome == AUTOCERT_RENEW_CHECKED);
        if (!(w->flags & AUTOCERT_RENEW_DRY_RUN) && run_hook(a, r) != 0)
            failed = 1;
    }
    if (fflush(stdout) != 0) {
        cli_error("cannot write to standard output");
        failed = 1;
    }
    return failed ? EXIT_FAIL : any_new ? EXIT_OK : EXIT_UNCHANGED;
}

/* Decides for every certificate, without ordering; the number due. */
static size_t plan(run *w)
{
    size_t i, due = 0;

    for (i = 0; i < w->n; i++) {
        renewal *r = &w->r[i];

        r->rc = autocert_renew(w->a->ctx, r->name, w->flags | AUTOCERT_RENEW_PLAN, &r->info);
        if (r->rc != AUTOCERT_OK)
            snprintf(r->error, sizeof(r->error), "%s", autocert_last_error(w->a->ctx));
        else if (r->info.outcome == AUTOCERT_RENEW_DUE)
            due++;
    }
    return due;
}

/* Renews what the plan found due: parallel orders share one responder
 * (one HTTP-01 daemon on the port), opened only when there is work. */
static int renew_due(run *w)
{
    cli_args *a = w->a;
    autocert_err rc;

    if (plan(w) == 0)
        return 0;
    if (a->jobs > 1 && (rc = autocert_responder_start(a->ctx)) != AUTOCERT_OK) {
        cli_fail(a, rc, NULL);
        return -1;
    }
    renew_all(w, a->jobs ? a->jobs : 1);
    autocert_responder_stop(a->ctx);
    return 0;
}

/* The run's table: one entry a name. */
static int prepare(run *w, cli_args *a, char **names, size_t n)
{
    size_t i;

    w->a = a;
    w->flags = (a->force ? AUTOCERT_RENEW_FORCE : 0) | (a->dry_run ? AUTOCERT_RENEW_DRY_RUN : 0);
    w->n = n;
    if (n > 0 && (w->r = calloc(n, sizeof(*w->r))) == NULL) {
        cli_error("out of memory");
        return -1;
    }
    for (i = 0; i < n; i++)
        w->r[i].name = names[i];
    return 0;
}

static int renew_run(cli_args *a, int argc, char **argv)
{
    char **names = NULL;
    size_t n = 0;
    run w;
    int status = EXIT_FAIL;

    memset(&w, 0, sizeof(w));
    if (argc > 0) {
        cli_error("unexpected argument '%s' (name certificates with --cert)", argv[0]);
        return EXIT_FAIL;
    }
    if (a->hook_timeout == 0)
        a->hook_timeout = 300;
    if (cli_apply_pairs(a) != 0 || cli_drop_to_user(a) != 0 || cli_cache_open(a) != 0 ||
        entries(a, &names, &n) != 0 || prepare(&w, a, names, n) != 0 || renew_due(&w) != 0)
        goto out;
    status = finish(a, &w);
    if (a->metrics_file && autocert_renew_metrics(a->ctx, a->metrics_file) != AUTOCERT_OK) {
        cli_fail(a, AUTOCERT_ERR_IO, a->metrics_file);
        status = EXIT_FAIL;
    }
out:
    cli_print_counts(a);
    free(w.r);
    autocert_strv_free(names, n);
    return status;
}

const cli_cmd cli_cmd_renew = {
    "renew",
    renew_run,
    renew_opts,
    "renew [--cert NAME,...] [--force] [--dry-run] [--deploy-hook CMD] [options]",
    "renew the cached certificates that are due",
    "Renews every cached certificate that is due (or those named with --cert): at\n"
    "the time chosen in the CA's renewal window where it has one, else with a third\n"
    "of the lifetime left (half under 10 days), or --days before expiry.  Each is\n"
    "ordered from its own CA with its names and key type.  A failure keeps the\n"
    "certificate, is recorded and backs off (1 min, 10 min, 100 min, then daily).\n"
    "Exits 0 when something was renewed, 2 when nothing was due, 1 on a failure.",
    NULL,
};
