/* test_log.c: the logger and its level filter, and the failure records kept per thread and context. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "unit.h"

/* ---- a logger that records what it is given ----------------------------- */

#define MAX_LINES 16

typedef struct {
    int n;
    autocert_log_level level[MAX_LINES];
    char line[MAX_LINES][2048];
    size_t len[MAX_LINES];
} recorder;

static void record(void *arg, autocert_log_level level, const char *msg)
{
    recorder *r = arg;

    assert_non_null(msg);
    assert_true(r->n < MAX_LINES);
    r->level[r->n] = level;
    r->len[r->n] = strlen(msg);
    snprintf(r->line[r->n], sizeof(r->line[0]), "%s", msg);
    r->n++;
}

/* ---- the logger ----------------------------------------------------------- */

static void test_level_filter(void **state)
{
    autocert_ctx *ctx = *state;
    recorder r;

    memset(&r, 0, sizeof(r));
    autocert_set_logger(ctx, record, &r);
    /* The default level is INFO: DEBUG is held back. */
    ac_log(ctx, AUTOCERT_LOG_ERROR, "e");
    ac_log(ctx, AUTOCERT_LOG_WARN, "w");
    ac_log(ctx, AUTOCERT_LOG_INFO, "i");
    ac_log(ctx, AUTOCERT_LOG_DEBUG, "d");
    assert_int_equal(r.n, 3);
    assert_string_equal(r.line[0], "e");
    assert_int_equal(r.level[0], AUTOCERT_LOG_ERROR);
    assert_string_equal(r.line[1], "w");
    assert_int_equal(r.level[1], AUTOCERT_LOG_WARN);
    assert_string_equal(r.line[2], "i");
    assert_int_equal(r.level[2], AUTOCERT_LOG_INFO);

    /* WARN: errors and warnings only. */
    memset(&r, 0, sizeof(r));
    autocert_set_log_level(ctx, AUTOCERT_LOG_WARN);
    ac_log(ctx, AUTOCERT_LOG_DEBUG, "d");
    ac_log(ctx, AUTOCERT_LOG_INFO, "i");
    ac_log(ctx, AUTOCERT_LOG_WARN, "w");
    ac_log(ctx, AUTOCERT_LOG_ERROR, "e");
    assert_int_equal(r.n, 2);
    assert_string_equal(r.line[0], "w");
    assert_string_equal(r.line[1], "e");

    /* ERROR: errors only; DEBUG: everything. */
    memset(&r, 0, sizeof(r));
    autocert_set_log_level(ctx, AUTOCERT_LOG_ERROR);
    ac_log(ctx, AUTOCERT_LOG_WARN, "w");
    ac_log(ctx, AUTOCERT_LOG_ERROR, "e");
    assert_int_equal(r.n, 1);
    autocert_set_log_level(ctx, AUTOCERT_LOG_DEBUG);
    ac_log(ctx, AUTOCERT_LOG_DEBUG, "d");
    assert_int_equal(r.n, 2);
    assert_int_equal(r.level[1], AUTOCERT_LOG_DEBUG);
    assert_string_equal(r.line[1], "d");

    /* Without a logger nothing is called; a NULL context is harmless. */
    autocert_set_logger(ctx, NULL, NULL);
    ac_log(ctx, AUTOCERT_LOG_ERROR, "nobody listens");
    ac_log(NULL, AUTOCERT_LOG_ERROR, "no context");
    assert_int_equal(r.n, 2);
}

static void test_complete_lines(void **state)
{
    autocert_ctx *ctx = *state;
    recorder r;
    char longer[1001];

    memset(&r, 0, sizeof(r));
    autocert_set_logger(ctx, record, &r);
    /* One call a message, formatted whole, without a newline. */
    ac_log(ctx, AUTOCERT_LOG_INFO, "step %d of %s: %s", 3, "the order", "finalize");
    assert_int_equal(r.n, 1);
    assert_string_equal(r.line[0], "step 3 of the order: finalize");
    assert_null(strchr(r.line[0], '\n'));

    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    memcpy(longer + 990, "end", 3);
    ac_log(ctx, AUTOCERT_LOG_WARN, "[%s]", longer);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.len[1], 1002);
    assert_int_equal(r.line[1][0], '[');
    assert_memory_equal(r.line[1] + 991, "end", 3);
    assert_string_equal(r.line[1] + 1001, "]");

    /* A line longer than the formatting buffer (a problem report with its
     * subproblems) still arrives whole. */
    {
        char *huge = malloc(5001);

        assert_non_null(huge);
        memset(huge, 'y', 5000);
        huge[5000] = '\0';
        ac_log(ctx, AUTOCERT_LOG_WARN, "<%s>", huge);
        assert_int_equal(r.n, 3);
        assert_int_equal(r.len[2], 5002);
        free(huge);
    }
}

static void test_err_logs_at_debug(void **state)
{
    autocert_ctx *ctx = *state;
    recorder r;

    memset(&r, 0, sizeof(r));
    autocert_set_logger(ctx, record, &r);
    /* At the default level a failure is recorded, not logged. */
    ac_err(ctx, AUTOCERT_ERR_IO, "cannot open %s", "/x/y");
    assert_int_equal(r.n, 0);
    autocert_set_log_level(ctx, AUTOCERT_LOG_DEBUG);
    ac_err(ctx, AUTOCERT_ERR_IO, "cannot open %s", "/x/z");
    assert_int_equal(r.n, 1);
    assert_int_equal(r.level[0], AUTOCERT_LOG_DEBUG);
    assert_string_equal(r.line[0], "error: cannot open /x/z");
    assert_string_equal(autocert_last_error(ctx), "cannot open /x/z");
}

/* ---- failure records ------------------------------------------------------ */

static void test_err_null_ctx(void **state)
{
    autocert_ctx *ctx = *state;
    recorder r;

    memset(&r, 0, sizeof(r));
    autocert_set_logger(ctx, record, &r);
    autocert_set_log_level(ctx, AUTOCERT_LOG_DEBUG);
    ac_err_clear(ctx);
    assert_int_equal(ac_err(NULL, AUTOCERT_ERR_LOCKED, "%s", "nowhere"), AUTOCERT_ERR_LOCKED);
    assert_int_equal(ac_err(NULL, AUTOCERT_OK, "ok"), AUTOCERT_OK);
    /* Nothing was recorded anywhere, nor logged through a context. */
    assert_string_equal(autocert_last_error(NULL), "");
    assert_string_equal(autocert_last_error(ctx), "");
    assert_int_equal(r.n, 0);
    ac_err_clear(NULL);
    ac_err_http_status(NULL, 500);
    ac_err_recode(NULL, AUTOCERT_ERR_IO);
}

static void test_per_context(void **state)
{
    autocert_ctx *a = *state, *b = autocert_ctx_new();

    assert_non_null(b);
    ac_err(a, AUTOCERT_ERR_IO, "a failed");
    assert_string_equal(autocert_last_error(b), "");
    ac_err(b, AUTOCERT_ERR_NETWORK, "b failed");
    assert_string_equal(autocert_last_error(a), "a failed");
    assert_string_equal(autocert_last_error(b), "b failed");
    ac_err_http_status(b, 503);
    assert_int_equal(autocert_last_http_status(a), 0);
    assert_int_equal(autocert_last_http_status(b), 503);
    ac_err_clear(a);
    assert_string_equal(autocert_last_error(a), "");
    assert_string_equal(autocert_last_error(b), "b failed");
    /* Recoding keeps the message. */
    ac_err(a, AUTOCERT_ERR_TIMEOUT, "t");
    ac_err_recode(a, AUTOCERT_ERR_LOCKED);
    assert_string_equal(autocert_last_error(a), "t");
    autocert_ctx_free(b);
    assert_string_equal(autocert_last_error(a), "t");
    ac_err_clear(a);
}

/* Two threads fail on one context, then each reads its own message. */
typedef struct {
    autocert_ctx *ctx;
    pthread_barrier_t *both_failed;
    const char *mine;
    char read[128];
    long status;
} failer;

static void *fail_then_read(void *arg)
{
    failer *f = arg;

    ac_err(f->ctx, AUTOCERT_ERR_IO, "%s", f->mine);
    ac_err_http_status(f->ctx, (long)strlen(f->mine));
    pthread_barrier_wait(f->both_failed);
    snprintf(f->read, sizeof(f->read), "%s", autocert_last_error(f->ctx));
    f->status = autocert_last_http_status(f->ctx);
    return NULL;
}

static void test_per_thread(void **state)
{
    autocert_ctx *ctx = *state;
    pthread_barrier_t bar;
    pthread_t t1, t2;
    failer f1 = {ctx, &bar, "first thread", "", 0}, f2 = {ctx, &bar, "second thread!", "", 0};

    ac_err_clear(ctx);
    assert_int_equal(pthread_barrier_init(&bar, NULL, 2), 0);
    assert_int_equal(pthread_create(&t1, NULL, fail_then_read, &f1), 0);
    assert_int_equal(pthread_create(&t2, NULL, fail_then_read, &f2), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_barrier_destroy(&bar);
    assert_string_equal(f1.read, "first thread");
    assert_int_equal(f1.status, 12);
    assert_string_equal(f2.read, "second thread!");
    assert_int_equal(f2.status, 14);
    /* This thread did not fail on it. */
    assert_string_equal(autocert_last_error(ctx), "");
    assert_int_equal(autocert_last_http_status(ctx), 0);
}

/* The failure record of a context that has gone, read through a stand-in
 * with the same id (the records are found by id alone). */
static const char *record_of(unsigned long long id)
{
    static autocert_ctx ghost;

    memset(&ghost, 0, sizeof(ghost));
    ghost.id = id;
    return autocert_last_error(&ghost);
}

static void *fail_and_free(void *arg)
{
    autocert_ctx *ctx = arg;
    unsigned long long id = ctx->id;
    int *ok = malloc(sizeof(int));

    ac_err(ctx, AUTOCERT_ERR_IO, "going away");
    *ok = strcmp(record_of(id), "going away") == 0;
    autocert_ctx_free(ctx);
    *ok = *ok && strcmp(record_of(id), "") == 0;
    return ok;
}

static void test_free_clears_record(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    unsigned long long id;
    pthread_t t;
    void *res = NULL;

    (void)state;
    assert_non_null(ctx);
    id = ctx->id;
    ac_err(ctx, AUTOCERT_ERR_IO, "main thread");
    assert_string_equal(record_of(id), "main thread");
    autocert_ctx_free(ctx);
    assert_string_equal(record_of(id), "");

    /* The same in another thread, among records of other contexts. */
    ctx = autocert_ctx_new();
    assert_non_null(ctx);
    assert_int_equal(pthread_create(&t, NULL, fail_and_free, ctx), 0);
    pthread_join(t, &res);
    assert_non_null(res);
    assert_true(*(int *)res);
    free(res);
}

/* A thread fails on a context, which another thread frees and replaces
 * (often at the same address): the new one has no failure in that thread. */
typedef struct {
    autocert_ctx *ctx;
    pthread_barrier_t *bar;
    char seen[128];
} reuser;

static void *fail_then_read_new(void *arg)
{
    reuser *u = arg;

    ac_err(u->ctx, AUTOCERT_ERR_CORRUPT, "old context");
    pthread_barrier_wait(u->bar); /* failed */
    pthread_barrier_wait(u->bar); /* u->ctx is now a new context */
    snprintf(u->seen, sizeof(u->seen), "%s", autocert_last_error(u->ctx));
    return NULL;
}

static void test_new_context_clean(void **state)
{
    autocert_ctx *old = autocert_ctx_new(), *fresh;
    pthread_barrier_t bar;
    pthread_t t;
    reuser u;

    (void)state;
    assert_non_null(old);
    /* In this thread first. */
    ac_err(old, AUTOCERT_ERR_IO, "old");
    autocert_ctx_free(old);
    fresh = autocert_ctx_new();
    assert_non_null(fresh);
    assert_string_equal(autocert_last_error(fresh), "");
    autocert_ctx_free(fresh);

    /* Then failed in another thread that keeps its record. */
    memset(&u, 0, sizeof(u));
    u.ctx = autocert_ctx_new();
    u.bar = &bar;
    assert_non_null(u.ctx);
    assert_int_equal(pthread_barrier_init(&bar, NULL, 2), 0);
    assert_int_equal(pthread_create(&t, NULL, fail_then_read_new, &u), 0);
    pthread_barrier_wait(&bar);
    autocert_ctx_free(u.ctx);
    u.ctx = autocert_ctx_new();
    assert_non_null(u.ctx);
    pthread_barrier_wait(&bar);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&bar);
    assert_string_equal(u.seen, "");
    autocert_ctx_free(u.ctx);
}

static void test_strerror_text(void **state)
{
    char both[300];

    (void)state;
    assert_string_equal(AC_STRERROR(ENOENT), strerror(ENOENT));
    assert_string_equal(AC_STRERROR(EACCES), strerror(EACCES));
    assert_string_equal(AC_STRERROR(0), strerror(0));
    /* An unknown number still gives a text. */
    assert_true(strlen(AC_STRERROR(99999)) > 0);
    /* Each use has its own buffer: two in one expression stay apart. */
    snprintf(both, sizeof(both), "%s|%s", AC_STRERROR(ENOENT), AC_STRERROR(EEXIST));
    assert_non_null(strstr(both, strerror(ENOENT)));
    assert_non_null(strstr(both, "|"));
    assert_string_equal(strchr(both, '|') + 1, strerror(EEXIST));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_level_filter, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_complete_lines, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_err_logs_at_debug, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_err_null_ctx, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_per_context, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_per_thread, ctx_setup, ctx_teardown),
        cmocka_unit_test(test_free_clears_record),
        cmocka_unit_test(test_new_context_clean),
        cmocka_unit_test(test_strerror_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
