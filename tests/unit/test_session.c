/* test_session.c: one ACME session: its transport and counters, its deadline, the cache locks it holds and waits without. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "acme/acme.h"

/* ---- a transport that answers every request itself -------------------------------- */

typedef struct {
    int calls;
    int states;   /* per-session states made */
    int cleanups; /* and released */
    double timeout[16];
    char method[16][8];
    char url[16][128];
    char body[16][64];
    autocert_err fail; /* returned (and recorded) when not OK */
} stub;

static autocert_err stub_request(void *arg, void **state, autocert_ctx *ctx,
                                 const ac_http_req *req, ac_http_resp *resp)
{
    stub *s = arg;
    int i = s->calls++ % 16;

    if (*state == NULL) {
        /* A new connection for a new session. */
        int *id = malloc(sizeof(int));
        if (id == NULL)
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        *id = ++s->states;
        *state = id;
        resp->connects = 1;
    }
    s->timeout[i] = req->timeout;
    snprintf(s->method[i], sizeof(s->method[i]), "%s", req->method);
    snprintf(s->url[i], sizeof(s->url[i]), "%s", req->url);
    snprintf(s->body[i], sizeof(s->body[i]), "%s", req->body ? req->body : "(none)");
    if (s->fail != AUTOCERT_OK)
        return ac_err(ctx, s->fail, "%s %s: the stub fails", req->method, req->url);
    resp->status = 200;
    if (ac_buf_appendf(&resp->body, "answer %d of session %d", s->calls, *(int *)*state) != 0)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return AUTOCERT_OK;
}

static void stub_cleanup(void *arg, void *state)
{
    stub *s = arg;

    s->cleanups++;
    free(state);
}

static const ac_transport stub_transport = {stub_request, stub_cleanup};

/* ---- the fixture: a context on the stub, two handles on one cache ------------------ */

typedef struct {
    autocert_ctx *ctx;
    stub tp;
    char dir[64];
    autocert_storage *st;    /* the session's */
    autocert_storage *other; /* another handle on the same cache (another process) */
} fixture;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    char root[128];

    if (f == NULL || (f->ctx = autocert_ctx_new()) == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/autocert-session-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(root, sizeof(root), "%s/cache", f->dir);
    if (autocert_storage_dir_new(root, &f->st) != AUTOCERT_OK ||
        autocert_storage_dir_new(root, &f->other) != AUTOCERT_OK)
        return -1;
    ac_ctx_set_transport(f->ctx, &stub_transport, &f->tp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    autocert_storage_free(f->st);
    autocert_storage_free(f->other);
    autocert_ctx_free(f->ctx);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Whether the other handle can take `set` at once (and lets it go again). */
static int free_for_others(fixture *f, const char *set)
{
    autocert_err rc = ac_storage_lock(f->ctx, f->other, set, 0);

    if (rc == AUTOCERT_OK)
        ac_storage_unlock(f->other, set);
    else
        assert_int_equal(rc, AUTOCERT_ERR_LOCKED);
    return rc == AUTOCERT_OK;
}

/* ---- start and transport ---------------------------------------------------------- */

static void test_init(void **state)
{
    fixture *f = *state;
    autocert_ctx *plain = autocert_ctx_new();
    ac_session s;

    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    assert_string_equal(s.directory_url, AUTOCERT_LETSENCRYPT_URL);
    assert_ptr_equal(s.tp, &stub_transport);
    assert_ptr_equal(s.tp_arg, &f->tp);
    assert_null(s.tp_state);
    assert_true(ac_session_left(&s) > 299.0);
    assert_true(ac_session_left(&s) <= 300.0);
    ac_session_cleanup(&s);
    /* Nothing was sent: no transport state to release. */
    assert_int_equal(f->tp.cleanups, 0);

    autocert_set_timeout(f->ctx, 20);
    assert_int_equal(ac_session_init(&s, f->ctx, "https://other.example/dir"), AUTOCERT_OK);
    assert_string_equal(s.directory_url, "https://other.example/dir");
    assert_true(ac_session_left(&s) > 19.0);
    assert_true(ac_session_left(&s) <= 20.0);
    ac_session_cleanup(&s);

    /* Without a transport of its own, a context uses libcurl's. */
    assert_non_null(plain);
    assert_int_equal(ac_session_init(&s, plain, NULL), AUTOCERT_OK);
    assert_ptr_equal(s.tp, &ac_http_transport);
    ac_session_cleanup(&s);
    autocert_ctx_free(plain);
}

static void test_requests_counted(void **state)
{
    fixture *f = *state;
    ac_session s1, s2;
    ac_http_resp resp;

    ac_http_resp_init(&resp);
    assert_int_equal(ac_session_init(&s1, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_session_request(&s1, "GET", "https://ca.example/dir", NULL, &resp),
                     AUTOCERT_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal((char *)resp.body.data, "answer 1 of session 1");
    assert_int_equal(ac_session_request(&s1, "HEAD", "https://ca.example/nonce", NULL, &resp),
                     AUTOCERT_OK);
    /* The response of the last request alone. */
    assert_string_equal((char *)resp.body.data, "answer 2 of session 1");
    assert_int_equal(ac_session_request(&s1, "POST", "https://ca.example/order", "{\"a\":1}",
                                        &resp),
                     AUTOCERT_OK);
    assert_string_equal(f->tp.method[2], "POST");
    assert_string_equal(f->tp.url[2], "https://ca.example/order");
    assert_string_equal(f->tp.body[2], "{\"a\":1}");
    assert_string_equal(f->tp.body[0], "(none)");
    /* One transport state for the session, one connection. */
    assert_int_equal(f->tp.states, 1);
    assert_int_equal(autocert_request_count(f->ctx), 3);
    assert_int_equal(autocert_connection_count(f->ctx), 1);

    /* A second session: a state and a connection of its own. */
    assert_int_equal(ac_session_init(&s2, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_session_request(&s2, "GET", "https://ca.example/dir", NULL, &resp),
                     AUTOCERT_OK);
    assert_string_equal((char *)resp.body.data, "answer 4 of session 2");
    assert_int_equal(f->tp.states, 2);
    assert_int_equal(autocert_request_count(f->ctx), 4);
    assert_int_equal(autocert_connection_count(f->ctx), 2);

    /* A failed request counts as sent; its failure is the transport's. */
    f->tp.fail = AUTOCERT_ERR_NETWORK;
    assert_int_equal(ac_session_request(&s2, "GET", "https://ca.example/x", NULL, &resp),
                     AUTOCERT_ERR_NETWORK);
    assert_string_equal(autocert_last_error(f->ctx), "GET https://ca.example/x: the stub fails");
    assert_int_equal(autocert_request_count(f->ctx), 5);

    ac_session_cleanup(&s1);
    assert_int_equal(f->tp.cleanups, 1);
    ac_session_cleanup(&s2);
    assert_int_equal(f->tp.cleanups, 2);
    assert_int_equal(f->tp.states, 2);
    ac_http_resp_free(&resp);
}

/* ---- the deadline -------------------------------------------------------------------- */

static void test_deadline(void **state)
{
    fixture *f = *state;
    ac_session s;
    ac_http_resp resp;

    ac_http_resp_init(&resp);
    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    /* 300 s left: one request may take 60 s at most. */
    assert_int_equal(ac_session_request(&s, "GET", "https://ca.example/a", NULL, &resp),
                     AUTOCERT_OK);
    assert_true(f->tp.timeout[0] == 60.0);
    /* 5 s left: no more than that. */
    s.deadline = ac_now() + 5.0;
    assert_int_equal(ac_session_request(&s, "GET", "https://ca.example/b", NULL, &resp),
                     AUTOCERT_OK);
    assert_true(f->tp.timeout[1] <= 5.0);
    assert_true(f->tp.timeout[1] > 4.0);
    s.deadline = ac_now() + 0.25;
    assert_int_equal(ac_session_request(&s, "GET", "https://ca.example/c", NULL, &resp),
                     AUTOCERT_OK);
    assert_true(f->tp.timeout[2] <= 0.25);
    assert_true(f->tp.timeout[2] > 0);
    assert_int_equal(f->tp.calls, 3);

    /* Past the deadline: TIMEOUT, and the transport is not called. */
    s.deadline = ac_now() - 0.001;
    assert_int_equal(ac_session_request(&s, "POST", "https://ca.example/d", "{}", &resp),
                     AUTOCERT_ERR_TIMEOUT);
    assert_int_equal(f->tp.calls, 3);
    assert_int_equal(autocert_request_count(f->ctx), 3);
    assert_non_null(strstr(autocert_last_error(f->ctx), "POST https://ca.example/d"));
    assert_int_equal(resp.status, 0);
    assert_int_equal(resp.body.len, 0);
    ac_session_cleanup(&s);
    ac_http_resp_free(&resp);
}

static void test_sleep(void **state)
{
    fixture *f = *state;
    ac_session s;
    double t0;

    autocert_set_timeout(f->ctx, 42);
    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    t0 = ac_now();
    assert_int_equal(ac_session_sleep(&s, 0.1, "the order"), AUTOCERT_OK);
    assert_true(ac_now() - t0 >= 0.1);
    t0 = ac_now();
    assert_int_equal(ac_session_sleep(&s, 0, "nothing"), AUTOCERT_OK);
    assert_int_equal(ac_session_sleep(&s, -1, "less"), AUTOCERT_OK);
    assert_true(ac_now() - t0 < 0.05);

    /* A sleep past the deadline is refused at once. */
    s.deadline = ac_now() + 1.0;
    t0 = ac_now();
    assert_int_equal(ac_session_sleep(&s, 5.0, "the authorizations"), AUTOCERT_ERR_TIMEOUT);
    assert_true(ac_now() - t0 < 0.5);
    assert_non_null(strstr(autocert_last_error(f->ctx), "the authorizations"));
    assert_non_null(strstr(autocert_last_error(f->ctx), "42 s"));
    /* Up to the deadline exactly is past it too. */
    s.deadline = ac_now() + 0.5;
    assert_int_equal(ac_session_sleep(&s, 0.6, "x"), AUTOCERT_ERR_TIMEOUT);
    ac_session_cleanup(&s);
}

/* ---- locks ------------------------------------------------------------------------------ */

static void test_lock_unlock(void **state)
{
    fixture *f = *state;
    ac_session s;

    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_session_lock(&s, f->st, "certs/a.example"), AUTOCERT_OK);
    assert_int_equal(s.n_locks, 1);
    assert_false(free_for_others(f, "certs/a.example"));
    assert_true(free_for_others(f, "certs/b.example"));
    ac_session_unlock(&s, "certs/a.example");
    assert_int_equal(s.n_locks, 0);
    assert_true(free_for_others(f, "certs/a.example"));
    /* Unlocking what is not held does nothing. */
    ac_session_unlock(&s, "certs/a.example");
    ac_session_unlock(&s, "certs/never");

    /* At most AC_SESSION_LOCKS at once. */
    assert_int_equal(ac_session_lock(&s, f->st, "certs/1"), AUTOCERT_OK);
    assert_int_equal(ac_session_lock(&s, f->st, "certs/2"), AUTOCERT_OK);
    assert_int_equal(ac_session_lock(&s, f->st, "certs/3"), AUTOCERT_OK);
    assert_int_equal(ac_session_lock(&s, f->st, "accounts/4"), AUTOCERT_OK);
    assert_int_equal(ac_session_lock(&s, f->st, "certs/5"), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "too many"));
    assert_int_equal(s.n_locks, AC_SESSION_LOCKS);
    assert_true(free_for_others(f, "certs/5"));
    /* Out of order: the others stay held, in their order. */
    ac_session_unlock(&s, "certs/2");
    assert_int_equal(s.n_locks, 3);
    assert_string_equal(s.locks[0].set, "certs/1");
    assert_string_equal(s.locks[1].set, "certs/3");
    assert_string_equal(s.locks[2].set, "accounts/4");
    assert_true(free_for_others(f, "certs/2"));
    assert_false(free_for_others(f, "certs/1"));
    assert_false(free_for_others(f, "certs/3"));
    assert_false(free_for_others(f, "accounts/4"));
    /* A key no backend may see: refused, nothing held. */
    assert_int_equal(ac_session_lock(&s, f->st, "../x"), AUTOCERT_ERR_INVALID);
    assert_int_equal(s.n_locks, 3);
    ac_session_cleanup(&s);
}

static void test_lock_waits_time_left(void **state)
{
    fixture *f = *state;
    ac_session s;
    double t0, dt;

    assert_int_equal(ac_storage_lock(f->ctx, f->other, "certs/busy", 0), AUTOCERT_OK);
    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    /* 1.3 s left: the wait gives up after a second, not the lock's 300. */
    s.deadline = ac_now() + 1.3;
    t0 = ac_now();
    assert_int_equal(ac_session_lock(&s, f->st, "certs/busy"), AUTOCERT_ERR_LOCKED);
    dt = ac_now() - t0;
    assert_true(dt >= 0.9);
    assert_true(dt < 1.3);
    assert_int_equal(s.n_locks, 0);
    /* Out of time: no wait at all. */
    s.deadline = ac_now() - 1;
    t0 = ac_now();
    assert_int_equal(ac_session_lock(&s, f->st, "certs/busy"), AUTOCERT_ERR_LOCKED);
    assert_true(ac_now() - t0 < 0.5);
    ac_session_cleanup(&s);
    ac_storage_unlock(f->other, "certs/busy");
}

static void test_cleanup_releases(void **state)
{
    fixture *f = *state;
    ac_session s;

    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_session_lock(&s, f->st, "certs/a"), AUTOCERT_OK);
    assert_int_equal(ac_session_lock(&s, f->st, "accounts/b"), AUTOCERT_OK);
    assert_false(free_for_others(f, "certs/a"));
    ac_session_cleanup(&s);
    assert_int_equal(s.n_locks, 0);
    assert_true(free_for_others(f, "certs/a"));
    assert_true(free_for_others(f, "accounts/b"));
}

/* ---- waiting without the locks ------------------------------------------------------------ */

/* Another process's worker: takes sets with its own handle, waiting up
 * to 2 s for each; with `hold` it keeps them until `release` is written. */
typedef struct {
    fixture *f;
    const char *sets[2];
    int n;
    int hold;
    int release[2]; /* a pipe */
    autocert_err rc[2];
} taker;

static void *take_sets(void *arg)
{
    taker *t = arg;
    char c;
    int i;

    for (i = 0; i < t->n; i++) {
        t->rc[i] = ac_storage_lock(NULL, t->f->other, t->sets[i], 2);
        if (t->rc[i] == AUTOCERT_OK && !t->hold)
            ac_storage_unlock(t->f->other, t->sets[i]);
    }
    if (t->hold) {
        while (read(t->release[0], &c, 1) < 0)
            ;
        for (i = 0; i < t->n; i++)
            if (t->rc[i] == AUTOCERT_OK)
                ac_storage_unlock(t->f->other, t->sets[i]);
    }
    return NULL;
}

static void start_taker(taker *t, fixture *f, const char *a, const char *b, int hold,
                        pthread_t *th)
{
    memset(t, 0, sizeof(*t));
    t->f = f;
    t->sets[0] = a;
    t->sets[1] = b;
    t->n = b ? 2 : 1;
    t->hold = hold;
    t->rc[0] = t->rc[1] = AUTOCERT_ERR_IO;
    assert_int_equal(pipe(t->release), 0);
    assert_int_equal(pthread_create(th, NULL, take_sets, t), 0);
}

static void end_taker(taker *t, pthread_t th)
{
    assert_int_equal(write(t->release[1], "x", 1), 1);
    pthread_join(th, NULL);
    close(t->release[0]);
    close(t->release[1]);
}

typedef struct {
    int calls;
    ac_session *s;
    size_t n_locks; /* held when called */
    int others_free; /* whether the other handle could take certs/a then */
    fixture *f;
    autocert_err answer;
} relock_log;

static autocert_err on_relocked(ac_session *s, void *arg)
{
    relock_log *l = arg;

    l->calls++;
    l->s = s;
    l->n_locks = s->n_locks;
    l->others_free = free_for_others(l->f, "certs/a");
    return l->answer;
}

static void test_wait_releases_and_retakes(void **state)
{
    fixture *f = *state;
    relock_log log = {0, NULL, 0, -1, f, AUTOCERT_OK};
    ac_session s;
    pthread_t th;
    taker t;

    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    s.relocked = on_relocked;
    s.relocked_arg = &log;
    assert_int_equal(ac_session_lock(&s, f->st, "certs/a"), AUTOCERT_OK);
    assert_int_equal(ac_session_lock(&s, f->st, "accounts/b"), AUTOCERT_OK);
    /* Another holder takes both while the session waits, then lets go.
     * (A few seconds left: a session that kept its locks fails soon.) */
    s.deadline = ac_now() + 3.0;
    start_taker(&t, f, "certs/a", "accounts/b", 0, &th);
    assert_int_equal(ac_session_wait(&s, 0.6, "the rate limit"), AUTOCERT_OK);
    end_taker(&t, th);
    assert_int_equal(t.rc[0], AUTOCERT_OK);
    assert_int_equal(t.rc[1], AUTOCERT_OK);
    /* Taken back, in the same order, before `relocked` was asked. */
    assert_int_equal(log.calls, 1);
    assert_ptr_equal(log.s, &s);
    assert_int_equal(log.n_locks, 2);
    assert_int_equal(log.others_free, 0);
    assert_int_equal(s.n_locks, 2);
    assert_string_equal(s.locks[0].set, "certs/a");
    assert_string_equal(s.locks[1].set, "accounts/b");
    assert_false(free_for_others(f, "certs/a"));
    assert_false(free_for_others(f, "accounts/b"));

    /* `relocked` says no: its error, the locks still held until cleanup. */
    log.answer = AUTOCERT_ERR_EXISTS;
    assert_int_equal(ac_session_wait(&s, 0.05, "x"), AUTOCERT_ERR_EXISTS);
    assert_int_equal(log.calls, 2);
    assert_int_equal(s.n_locks, 2);
    assert_false(free_for_others(f, "accounts/b"));
    ac_session_cleanup(&s);
    assert_true(free_for_others(f, "certs/a"));
    assert_true(free_for_others(f, "accounts/b"));
}

static void test_wait_without_locks(void **state)
{
    fixture *f = *state;
    relock_log log = {0, NULL, 0, -1, f, AUTOCERT_ERR_VALIDATION};
    ac_session s;

    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    s.relocked = on_relocked;
    s.relocked_arg = &log;
    assert_int_equal(ac_session_wait(&s, 0.01, "x"), AUTOCERT_ERR_VALIDATION);
    assert_int_equal(log.calls, 1);
    s.relocked = NULL;
    assert_int_equal(ac_session_wait(&s, 0.01, "x"), AUTOCERT_OK);
    ac_session_cleanup(&s);
}

static void test_wait_retake_fails(void **state)
{
    fixture *f = *state;
    relock_log log = {0, NULL, 0, -1, f, AUTOCERT_OK};
    ac_session s;
    pthread_t th;
    taker t;

    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    s.relocked = on_relocked;
    s.relocked_arg = &log;
    assert_int_equal(ac_session_lock(&s, f->st, "certs/a"), AUTOCERT_OK);
    assert_int_equal(ac_session_lock(&s, f->st, "accounts/b"), AUTOCERT_OK);
    /* The other holder takes the second set during the wait and keeps it;
     * the session has too little time left to wait for it. */
    start_taker(&t, f, "accounts/b", NULL, 1, &th);
    s.deadline = ac_now() + 0.9;
    assert_int_equal(ac_session_wait(&s, 0.3, "x"), AUTOCERT_ERR_LOCKED);
    assert_int_equal(t.rc[0], AUTOCERT_OK);
    assert_int_equal(log.calls, 0);
    /* The first is held again, the second is not the session's. */
    assert_int_equal(s.n_locks, 1);
    assert_string_equal(s.locks[0].set, "certs/a");
    assert_false(free_for_others(f, "certs/a"));
    ac_session_cleanup(&s);
    /* Cleanup released what it held and left the other's lock alone. */
    assert_true(free_for_others(f, "certs/a"));
    assert_false(free_for_others(f, "accounts/b"));
    end_taker(&t, th);
    assert_true(free_for_others(f, "accounts/b"));
}

static void test_wait_past_deadline(void **state)
{
    fixture *f = *state;
    relock_log log = {0, NULL, 0, -1, f, AUTOCERT_OK};
    ac_session s;

    assert_int_equal(ac_session_init(&s, f->ctx, NULL), AUTOCERT_OK);
    s.relocked = on_relocked;
    s.relocked_arg = &log;
    assert_int_equal(ac_session_lock(&s, f->st, "certs/a"), AUTOCERT_OK);
    assert_int_equal(ac_session_lock(&s, f->st, "accounts/b"), AUTOCERT_OK);
    s.deadline = ac_now() + 1.0;
    /* A wait longer than the time left: TIMEOUT, nothing held any more. */
    assert_int_equal(ac_session_wait(&s, 30, "the CA"), AUTOCERT_ERR_TIMEOUT);
    assert_int_equal(log.calls, 0);
    assert_int_equal(s.n_locks, 0);
    assert_true(free_for_others(f, "certs/a"));
    assert_true(free_for_others(f, "accounts/b"));
    ac_session_cleanup(&s);
}

/* Polling: a first look after a couple of milliseconds, then twice as
 * long each time up to two seconds; the server's Retry-After is a floor. */
static void test_backoff(void **state)
{
    ac_backoff b;
    double w, prev = 0;
    int i;

    (void)state;
    ac_backoff_init(&b);
    w = ac_backoff_next(&b, -1);
    assert_true(w > 0.0019 && w < 0.0021);
    assert_true(ac_backoff_next(&b, -1) > 0.0039);
    for (i = 0; i < 20; i++) {
        w = ac_backoff_next(&b, -1);
        assert_true(w >= prev);
        assert_true(w <= AC_POLL_MAX);
        prev = w;
    }
    assert_true(w == AC_POLL_MAX);
    /* Never faster than the server asks; a shorter Retry-After does not
     * hurry the backoff either. */
    assert_true(ac_backoff_next(&b, 7) == 7.0);
    assert_true(ac_backoff_next(&b, 1) == AC_POLL_MAX);
    ac_backoff_init(&b);
    assert_true(ac_backoff_next(&b, 3) == 3.0);
    assert_true(ac_backoff_next(&b, 0) < 0.01);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff),
        T(test_init),
        T(test_requests_counted),
        T(test_deadline),
        T(test_sleep),
        T(test_lock_unlock),
        T(test_lock_waits_time_left),
        T(test_cleanup_releases),
        T(test_wait_releases_and_retakes),
        T(test_wait_without_locks),
        T(test_wait_retake_fails),
        T(test_wait_past_deadline),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
