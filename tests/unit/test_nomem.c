/* test_nomem.c: every allocation of an obtain and of the cache's loads and stores fails in turn: an error each time, never a crash, a false success or a leak. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "acme/acme.h"
#include "cache.h"
#include "fakeca.h"
#include "protofx.h"

/*
 * The allocations counted: the library's own (malloc, calloc, realloc,
 * strdup, strndup and free are wrapped with ld --wrap: only the objects
 * linked statically, the library and this test, call the wrappers),
 * jansson's (json_set_alloc_funcs) and OpenSSL's (CRYPTO_set_mem_functions).
 * While the fake CA answers a request nothing is counted or tracked: it
 * plays the server.  A jansson parse is one allocation point of its own
 * (jansson 2.14's parser can crash when its buffer fails to grow,
 * akheron/jansson#362): it fails whole, or its allocations all succeed.
 *
 * Every block the library or jansson allocates while armed is remembered
 * until it is freed: what is left after an operation (and its results) are
 * freed is a leak.
 *
 * AC_NOMEM_FULL=1 fails every allocation; otherwise every STEP-th one
 * (AC_NOMEM_STEP=k: every k-th);
 * AC_NOMEM_TRACE=n prints where allocation n of each run was made;
 * AC_NOMEM_TEST=test_... runs that test alone.
 */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
json_t *__real_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t max);
json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int armed;          /* counting and tracking */
static long fail_at;       /* the allocation point that fails, 1-based */
static long seen;          /* allocation points since armed */
static int injected;       /* fail_at was reached */
static long trace_at;      /* AC_NOMEM_TRACE */
static __thread int in_ca; /* the fake CA is at work: pass through */
static __thread int no_fail; /* inside a jansson parse: tracked, never failed */

/* ---- the live blocks: open addressing, linear probing ----------------------- */
#define SLOTS (1u << 18)
static void *live_p[SLOTS];
static long live_n[SLOTS]; /* which allocation point made it */
static size_t n_live;

static size_t slot_of(const void *p)
{
    uintptr_t h = (uintptr_t)p;

    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & (SLOTS - 1);
}

static void live_add(void *p, long n)
{
    size_t i = slot_of(p);

    if (n_live >= SLOTS / 2) {
        fprintf(stderr, "test_nomem: too many live blocks\n");
        abort();
    }
    while (live_p[i] != NULL)
        i = (i + 1) & (SLOTS - 1);
    live_p[i] = p;
    live_n[i] = n;
    n_live++;
}

/* Removes p; 0 when it was not tracked.  Backward-shift deletion. */
static int live_del(const void *p)
{
    size_t i = slot_of(p), j, k;

    while (live_p[i] != p) {
        if (live_p[i] == NULL)
            return 0;
        i = (i + 1) & (SLOTS - 1);
    }
    live_p[i] = NULL;
    n_live--;
    for (j = (i + 1) & (SLOTS - 1); live_p[j] != NULL; j = (j + 1) & (SLOTS - 1)) {
        k = slot_of(live_p[j]);
        /* Move j back to i when its home k is not in (i, j]. */
        if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
            continue;
        live_p[i] = live_p[j];
        live_n[i] = live_n[j];
        live_p[j] = NULL;
        i = j;
    }
    return 1;
}

/* ---- the allocation points ---------------------------------------------------- */

static void trace(long n)
{
    void *frames[32];
    int k;

    in_ca++;
    k = backtrace(frames, 32);
    fprintf(stderr, "allocation %ld:\n", n);
    backtrace_symbols_fd(frames, k, 2);
    in_ca--;
}

/* Counts an allocation point; nonzero when it is to fail.  *n: its number
 * (0: not counted). */
static int point(long *n)
{
    int fail = 0;

    *n = 0;
    if (!armed || in_ca)
        return 0;
    pthread_mutex_lock(&mu);
    if (!no_fail) {
        *n = ++seen;
        if (*n == fail_at) {
            injected = 1;
            fail = 1;
        }
    } else {
        *n = -1;
    }
    pthread_mutex_unlock(&mu);
    if (*n > 0 && *n == trace_at)
        trace(*n);
    return fail;
}

static void *track(void *p, long n)
{
    if (p != NULL && n != 0) {
        pthread_mutex_lock(&mu);
        live_add(p, n);
        pthread_mutex_unlock(&mu);
    }
    return p;
}

static void untrack(const void *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&mu);
    live_del(p);
    pthread_mutex_unlock(&mu);
}

static void *count_malloc(size_t size)
{
    long n;

    if (point(&n))
        return NULL;
    return track(__real_malloc(size), n);
}

static void count_free(void *p)
{
    untrack(p);
    __real_free(p);
}

static void *count_realloc(void *p, size_t size)
{
    long n;
    void *q;

    if (point(&n))
        return NULL;
    q = __real_realloc(p, size);
    if (q != NULL || size == 0) {
        untrack(p);
        track(q, n);
    }
    return q;
}

void *__wrap_malloc(size_t size) { return count_malloc(size); }
void __wrap_free(void *p) { count_free(p); }
void *__wrap_realloc(void *p, size_t size) { return count_realloc(p, size); }

void *__wrap_calloc(size_t n, size_t size)
{
    long k;

    if (point(&k))
        return NULL;
    return track(__real_calloc(n, size), k);
}

char *__wrap_strndup(const char *s, size_t max)
{
    size_t len = strnlen(s, max);
    char *p = count_malloc(len + 1);

    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

char *__wrap_strdup(const char *s) { return __wrap_strndup(s, (size_t)-1); }

json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err)
{
    long n;
    json_t *j;

    if (point(&n)) {
        if (err != NULL) {
            memset(err, 0, sizeof(*err));
            snprintf(err->text, sizeof(err->text), "out of memory");
        }
        return NULL;
    }
    no_fail++;
    j = __real_json_loadb(buf, len, flags, err);
    no_fail--;
    return j;
}

/* OpenSSL's blocks are counted as allocation points but not tracked: a
 * failure inside it can leave a half-filled entry in one of its global
 * caches, freed at its exit.  LeakSanitizer (the sanitizer build) finds
 * the library's leaks of OpenSSL objects. */
static void *ossl_malloc(size_t n, const char *file, int line)
{
    long k;

    (void)file;
    (void)line;
    if (point(&k))
        return NULL;
    return __real_malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    long k;

    if (p != NULL && n == 0) {
        count_free(p);
        return NULL;
    }
    if (point(&k))
        return NULL;
    return __real_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    count_free(p);
}

static void arm(long n)
{
    pthread_mutex_lock(&mu);
    fail_at = n;
    seen = 0;
    injected = 0;
    armed = 1;
    pthread_mutex_unlock(&mu);
}

/* Stops counting; the number of allocation points passed. */
static long disarm(void)
{
    long n;

    pthread_mutex_lock(&mu);
    armed = 0;
    n = seen;
    pthread_mutex_unlock(&mu);
    return n;
}

/* Fails the test when blocks allocated while armed are still live. */
static void no_leak(const char *what, long n)
{
    size_t i, shown = 0;

    if (n_live == 0)
        return;
    for (i = 0; i < SLOTS && shown < 5; i++)
        if (live_p[i] != NULL) {
            fprintf(stderr, "%s, allocation %ld failed: block of allocation %ld not freed\n",
                    what, n, live_n[i]);
            shown++;
        }
    fail_msg("%s, allocation %ld failed: %zu blocks leaked", what, n, n_live);
}

/* Forgets the blocks of a run that failed the test already. */
static void live_reset(void)
{
    memset(live_p, 0, sizeof(live_p));
    n_live = 0;
}

/* ---- the CA plays the server: it is not under test ------------------------------- */

static const ac_transport *ca_tp;

static autocert_err ca_request(void *arg, void **state, autocert_ctx *ctx, const ac_http_req *req,
                               ac_http_resp *resp)
{
    autocert_err rc;

    in_ca++;
    rc = ca_tp->request(arg, state, ctx, req, resp);
    in_ca--;
    return rc;
}

static void ca_cleanup(void *arg, void *state)
{
    in_ca++;
    ca_tp->cleanup(arg, state);
    in_ca--;
}

static const ac_transport guarded_tp = {ca_request, ca_cleanup};

/* ---- the scenarios ------------------------------------------------------------------ */

static const char *const A[] = {"a.example", "www.a.example"};

typedef struct {
    protofx *f;
    autocert_cert *c;    /* the operation's result */
    char *old_full;      /* the entry's full chain before the operation */
    char *new_full;      /* what a store would write */
    EVP_PKEY *new_key;
    char *new_chain;
} run;

/* A protofx whose CA is not counted; NULL on failure. */
static protofx *fixture(void)
{
    void *st = NULL;
    protofx *f;

    if (protofx_setup(&st) != 0)
        return NULL;
    f = st;
    ca_tp = f->ctx->transport;
    ac_ctx_set_transport(f->ctx, &guarded_tp, f->ctx->transport_arg);
    return f;
}

/* The cached entry of A: a whole set whose key matches, covering A, from
 * the fake CA; its full chain (malloc'd), NULL when there is none. */
static char *entry_full(protofx *f)
{
    autocert_cert *c = NULL;
    autocert_err rc = autocert_cert_load(f->ctx, "a.example", &c);
    EVP_PKEY *k = NULL;
    char *full, *leaf_end;

    if (rc == AUTOCERT_ERR_NOT_FOUND)
        return NULL;
    if (rc != AUTOCERT_OK)
        fail_msg("the entry does not load: %s", autocert_last_error(f->ctx));
    assert_int_equal(autocert_cert_identifier_count(c), 2);
    assert_string_equal(autocert_cert_identifier(c, 0), "a.example");
    assert_string_equal(autocert_cert_identifier(c, 1), "www.a.example");
    assert_string_equal(autocert_cert_directory(c), FAKECA_DIRECTORY);
    assert_int_equal(ac_key_from_pem(f->ctx, autocert_cert_key_pem(c),
                                     strlen(autocert_cert_key_pem(c)), "key", &k),
                     AUTOCERT_OK);
    full = strdup(autocert_cert_fullchain_pem(c));
    assert_non_null(full);
    leaf_end = strstr(full, "-----END CERTIFICATE-----");
    assert_non_null(leaf_end);
    assert_true(ac_key_matches_cert(k, full, (size_t)(leaf_end - full) + 25));
    EVP_PKEY_free(k);
    autocert_cert_free(c);
    return full;
}

static void obtained(run *r)
{
    autocert_cert *c = NULL;

    assert_int_equal(autocert_obtain(r->f->ctx, A, 2, 0, &c), AUTOCERT_OK);
    autocert_cert_free(c);
    r->old_full = entry_full(r->f);
    assert_non_null(r->old_full);
}

/* What a failed (or successful) operation left in the cache: nothing, the
 * old entry or a whole new one. */
static void entry_whole(run *r, autocert_err rc)
{
    char *full = entry_full(r->f);

    if (rc == AUTOCERT_OK) {
        assert_non_null(full);
        if (r->c != NULL)
            assert_string_equal(full, autocert_cert_fullchain_pem(r->c));
        if (r->new_full != NULL && strcmp(full, r->new_full) != 0)
            fail_msg("allocation %ld failed: stored, but the entry is %s", fail_at,
                     r->old_full && strcmp(full, r->old_full) == 0
                                                        ? "the old one" : "another one");
    } else if (full != NULL && r->old_full == NULL) {
        /* A new entry stored before a later step failed: whole, checked above. */
    } else if (full != NULL && strcmp(full, r->old_full) != 0) {
        if (r->new_full != NULL)
            assert_string_equal(full, r->new_full);
    }
    free(full);
}

static autocert_err op_obtain(run *r)
{
    return autocert_obtain(r->f->ctx, A, 2, 0, &r->c);
}

static void prep_renew(run *r) { obtained(r); }

static autocert_err op_renew(run *r)
{
    return autocert_obtain(r->f->ctx, A, 2, AUTOCERT_OBTAIN_FORCE, &r->c);
}

static void prep_loaded(run *r) { obtained(r); }

/* Every way of reading the entry: whole, its metadata, the list. */
static autocert_err op_load(run *r)
{
    autocert_cert *info = NULL;
    char **names = NULL;
    size_t n = 0, i;
    autocert_err rc;

    if ((rc = autocert_cert_load(r->f->ctx, "a.example", &info)) != AUTOCERT_OK)
        return rc;
    if (strcmp(autocert_cert_fullchain_pem(info), r->old_full) != 0)
        fail_msg("the loaded entry is not the cached one");
    autocert_cert_free(info);
    info = NULL;
    if ((rc = autocert_cert_info(r->f->ctx, "a.example", &info)) != AUTOCERT_OK)
        return rc;
    if (autocert_cert_identifier_count(info) != 2 ||
        strcmp(autocert_cert_identifier(info, 1), "www.a.example") != 0)
        fail_msg("the entry's metadata is not the cached one");
    autocert_cert_free(info);
    if ((rc = autocert_cert_list(r->f->ctx, &names, &n)) != AUTOCERT_OK)
        return rc;
    if (n != 1 || strcmp(names[0], "a.example") != 0)
        fail_msg("the list is not the cached entry");
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return AUTOCERT_OK;
}

/* An entry, and a new key and chain for it from the same CA. */
static void prep_store(run *r)
{
    char *pem = NULL, *leaf_end;
    size_t len = 0;

    obtained(r);
    assert_int_equal(ac_key_generate(r->f->ctx, AUTOCERT_KEY_EC256, &r->new_key), AUTOCERT_OK);
    assert_int_equal(ac_key_to_pem(r->f->ctx, r->new_key, &pem, &len), AUTOCERT_OK);
    in_ca++;
    r->new_chain = fakeca_issue(r->f->ca, pem, A, 2);
    in_ca--;
    assert_non_null(r->new_chain);
    ac_free_secret(pem, len);
    leaf_end = strstr(r->new_chain, "-----END CERTIFICATE-----");
    assert_non_null(leaf_end);
    r->new_full = strdup(r->new_chain);
    assert_non_null(r->new_full);
}

static autocert_err op_store(run *r)
{
    ac_ident ids[2];
    autocert_storage *st = NULL;
    autocert_err rc;
    size_t i, n = 0;

    memset(ids, 0, sizeof(ids));
    if ((rc = ac_storage(r->f->ctx, &st)) != AUTOCERT_OK)
        return rc;
    for (i = 0; i < 2; i++, n++)
        if ((rc = ac_ident_parse(r->f->ctx, A[i], 0, &ids[i])) != AUTOCERT_OK)
            goto out;
    if ((rc = ac_storage_lock(r->f->ctx, st, "certs/a.example", 5)) != AUTOCERT_OK)
        goto out;
    rc = ac_cache_cert_store(r->f->ctx, st, "a.example", ids, 2, FAKECA_DIRECTORY, r->new_key,
                             r->new_chain);
    ac_storage_unlock(st, "certs/a.example");
out:
    for (i = 0; i < n; i++)
        ac_ident_clear(&ids[i]);
    return rc;
}

typedef struct {
    const char *name;
    void (*prepare)(run *r);
    autocert_err (*op)(run *r);
} scenario;

static void run_clear(run *r)
{
    autocert_cert_free(r->c);
    free(r->old_full);
    free(r->new_full);
    free(r->new_chain);
    EVP_PKEY_free(r->new_key);
    memset(r, 0, sizeof(*r));
}

/* One run with allocation point n failing (0: none); the points passed. */
static long run_once(const scenario *s, long n, int warm, int *failed_one)
{
    run r;
    void *st;
    long points;
    autocert_err rc;

    memset(&r, 0, sizeof(r));
    r.f = fixture();
    assert_non_null(r.f);
    if (s->prepare != NULL)
        s->prepare(&r);
    ERR_clear_error();
    arm(n);
    rc = s->op(&r);
    points = disarm();
    *failed_one = injected;
    if (rc != AUTOCERT_OK) {
        if (r.c != NULL)
            fail_msg("%s, allocation %ld failed: an error with a result", s->name, n);
        if (autocert_last_error(r.f->ctx)[0] == '\0')
            fail_msg("%s, allocation %ld failed: an error without a message", s->name, n);
    }
    if (!injected && rc != AUTOCERT_OK)
        fail_msg("%s: failed with no allocation failing: %s", s->name,
                 autocert_last_error(r.f->ctx));
    if (s->op != op_load)
        entry_whole(&r, rc);
    st = r.f;
    run_clear(&r);
    protofx_teardown(&st);
    OPENSSL_thread_stop(); /* this thread's error queue is OpenSSL's, not a leak */
    if (warm)
        live_reset(); /* OpenSSL's and libc's caches fill on first use */
    else
        no_leak(s->name, n);
    return points;
}

/* Every allocation of about 60 000 takes some ten minutes: make check
 * fails every STEP-th one, AC_NOMEM_FULL=1 all of them. */
#if defined(__SANITIZE_ADDRESS__)
#define STEP 97
#else
#define STEP 37
#endif

static long step(void)
{
    const char *s = getenv("AC_NOMEM_STEP");
    long k = s ? strtol(s, NULL, 10) : STEP;

    if (getenv("AC_NOMEM_FULL") != NULL && strcmp(getenv("AC_NOMEM_FULL"), "1") == 0)
        return 1;
    return k > 0 ? k : 1;
}

static void each_allocation(const scenario *s)
{
    long n, total, failures = 0, k = step();
    int failed_one = 0;

    run_once(s, 0, 1, &failed_one);
    total = run_once(s, 0, 0, &failed_one);
    for (n = 1;; n += k) {
        if (getenv("AC_NOMEM_VERBOSE") != NULL)
            fprintf(stderr, "%s: allocation %ld fails\n", s->name, n);
        run_once(s, n, 0, &failed_one);
        if (!failed_one)
            break;
        failures++;
    }
    printf("# %s: %ld allocation points, %ld of them failed in turn\n", s->name, total,
           failures);
    live_reset();
}

static void test_obtain_new(void **state)
{
    static const scenario s = {"obtain", NULL, op_obtain};

    (void)state;
    each_allocation(&s);
}

static void test_obtain_renew(void **state)
{
    static const scenario s = {"renew", prep_renew, op_renew};

    (void)state;
    each_allocation(&s);
}

static void test_cache_load(void **state)
{
    static const scenario s = {"load", prep_loaded, op_load};

    (void)state;
    each_allocation(&s);
}

static void test_cache_store(void **state)
{
    static const scenario s = {"store", prep_store, op_store};

    (void)state;
    each_allocation(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_load),
        cmocka_unit_test(test_cache_store),
        cmocka_unit_test(test_obtain_new),
        cmocka_unit_test(test_obtain_renew),
    };
    const char *t = getenv("AC_NOMEM_TRACE");

    /* Before OpenSSL's first allocation. */
    if (!CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free)) {
        fprintf(stderr, "test_nomem: OpenSSL allocated before main\n");
        return 1;
    }
    json_set_alloc_funcs(count_malloc, count_free);
    trace_at = t ? strtol(t, NULL, 10) : 0;
    if (getenv("AC_NOMEM_TEST") != NULL)
        cmocka_set_test_filter(getenv("AC_NOMEM_TEST"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
