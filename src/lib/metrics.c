/* metrics.c: autocert_renew_metrics: the cache's certificates as a Prometheus textfile-collector file. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "renew.h"

/* One metric: its name, help, and the value of an entry. */
typedef struct {
    const char *name, *help;
    long long (*value)(const ac_cert_meta *m, const ac_renew_state *s, const ac_renew_plan *p);
} metric;

static long long not_after(const ac_cert_meta *m, const ac_renew_state *s, const ac_renew_plan *p)
{
    (void)s, (void)p;
    return (long long)m->not_after;
}
static long long renew_at(const ac_cert_meta *m, const ac_renew_state *s, const ac_renew_plan *p)
{
    (void)m, (void)s;
    return (long long)(p->verdict == AC_PLAN_WAIT ? p->wait_until : p->renew_at);
}
static long long success(const ac_cert_meta *m, const ac_renew_state *s, const ac_renew_plan *p)
{
    (void)m, (void)p;
    return (long long)s->last_success;
}
static long long failure(const ac_cert_meta *m, const ac_renew_state *s, const ac_renew_plan *p)
{
    (void)m, (void)p;
    return (long long)s->last_failure;
}
static long long failures(const ac_cert_meta *m, const ac_renew_state *s, const ac_renew_plan *p)
{
    (void)m, (void)p;
    return (long long)s->failures;
}

static const metric metrics[] = {
    {"autocert_certificate_not_after_seconds", "Expiry of the cached certificate (Unix time).",
     not_after},
    {"autocert_certificate_renewal_planned_seconds",
     "When the certificate is due for renewal, or its next try after failures (Unix time).",
     renew_at},
    {"autocert_certificate_last_success_seconds",
     "Last successful renewal (Unix time, 0: never renewed).", success},
    {"autocert_certificate_last_failure_seconds", "Last failed renewal (Unix time, 0: none).",
     failure},
    {"autocert_certificate_consecutive_failures", "Failed renewals since the last success.",
     failures},
};
#define N_METRICS (sizeof(metrics) / sizeof(metrics[0]))

/* The figures of each entry, in metrics[] order; an entry that cannot be
 * read has none (rows[i][0] < 0): its absence is what alerts. */
static void read_rows(autocert_ctx *ctx, autocert_storage *st, char **names, size_t n,
                      long long (*rows)[N_METRICS])
{
    ac_cert_meta m;
    ac_renew_state s;
    ac_renew_plan p;
    size_t i, k;

    for (i = 0; i < n; i++) {
        rows[i][0] = -1;
        if (ac_cache_meta_load(ctx, st, names[i], &m) != AUTOCERT_OK) {
            ac_err_clear(ctx);
            continue;
        }
        ac_renew_state_read(m.doc, &s);
        ac_renew_plan_make(&m, &s, ctx->renew_days_set ? ctx->renew_days : 0, 0, time(NULL),
                           &p);
        for (k = 0; k < N_METRICS; k++)
            rows[i][k] = metrics[k].value(&m, &s, &p);
        ac_cert_meta_clear(&m);
    }
}

/* The file's text: each metric's help and type, then a line an entry. */
static int render(ac_buf *b, char **names, size_t n, long long (*rows)[N_METRICS])
{
    size_t i, k;
    int bad = 0;

    for (k = 0; k < N_METRICS; k++) {
        bad |= ac_buf_appendf(b, "# HELP %s %s\n# TYPE %s gauge\n", metrics[k].name,
                              metrics[k].help, metrics[k].name);
        /* Entry names are host names or addresses: nothing to escape. */
        for (i = 0; i < n; i++)
            if (rows[i][0] >= 0)
                bad |= ac_buf_appendf(b, "%s{name=\"%s\"} %lld\n", metrics[k].name, names[i],
                                      rows[i][k]);
    }
    return bad;
}

autocert_err autocert_renew_metrics(autocert_ctx *ctx, const char *path)
{
    autocert_storage *st = NULL;
    char **names = NULL;
    size_t n = 0;
    long long (*rows)[N_METRICS] = NULL;
    ac_buf b;
    ac_outfile f;
    autocert_err rc;

    ac_err_clear(ctx);
    if (path == NULL || *path == '\0')
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "no metrics file given");
    if ((rc = ac_storage(ctx, &st)) != AUTOCERT_OK ||
        (rc = autocert_cert_list(ctx, &names, &n)) != AUTOCERT_OK)
        return rc;
    ac_buf_init(&b, 256u * 1024 * 1024);
    if ((rows = calloc(n ? n : 1, sizeof(*rows))) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    } else {
        read_rows(ctx, st, names, n, rows);
        if (render(&b, names, n, rows) != 0) {
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        } else {
            f = (ac_outfile){path, b.data, b.len, 0};
            rc = ac_files_write(ctx, &f, 1, 1);
        }
    }
    free(rows);
    autocert_strv_free(names, n);
    ac_buf_free(&b);
    return rc;
}
