/* test_live.c: the table of live challenges: publishing, replacing, withdrawing, lookups, limits, threads. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "challenge/challenge.h"
#include "unit.h"

#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define THUMB "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
#define KEYAUTH TOKEN "." THUMB

typedef struct {
    autocert_ctx *ctx;
    ac_live *live;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || (f->ctx = autocert_ctx_new()) == NULL || (f->live = ac_live_new()) == NULL)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    ac_live_free(f->live);
    autocert_ctx_free(f->ctx);
    free(f);
    return 0;
}

static const char *by_token(ac_live *l, const char *type, const char *token)
{
    static char buf[600];

    return ac_live_by_token(l, type, token, buf, sizeof(buf)) == 0 ? buf : NULL;
}

static const char *by_ident(ac_live *l, const char *type, const char *ident)
{
    static char buf[600];

    return ac_live_by_ident(l, type, ident, buf, sizeof(buf)) == 0 ? buf : NULL;
}

static void test_add_lookup_remove(void **state)
{
    fixture *f = *state;

    assert_null(by_token(f->live, "http-01", TOKEN));
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", TOKEN, KEYAUTH),
                     AUTOCERT_OK);
    assert_string_equal(by_token(f->live, "http-01", TOKEN), KEYAUTH);
    assert_string_equal(by_ident(f->live, "http-01", "example.com"), KEYAUTH);
    /* The type must match too; a token is not an identifier. */
    assert_null(by_token(f->live, "tls-alpn-01", TOKEN));
    assert_null(by_ident(f->live, "tls-alpn-01", "example.com"));
    assert_null(by_ident(f->live, "http-01", TOKEN));
    assert_null(by_token(f->live, "http-01", "example.com"));
    assert_null(by_ident(f->live, "http-01", "www.example.com"));
    assert_null(by_token(f->live, "http-01", NULL));
    /* An identifier in any case (an SNI name may differ from the order's);
     * a token is exact. */
    assert_string_equal(by_ident(f->live, "http-01", "Example.COM"), KEYAUTH);
    assert_null(by_token(f->live, "http-01", "EVAGXFADS6PSRB2LAV9IZF17DT3JUXGJ-PCT92WR-OA"));

    ac_live_remove(f->live, TOKEN);
    assert_null(by_token(f->live, "http-01", TOKEN));
    assert_null(by_ident(f->live, "http-01", "example.com"));
    /* Removing what is not there, or nothing, is harmless. */
    ac_live_remove(f->live, TOKEN);
    ac_live_remove(f->live, "not/valid");
    ac_live_remove(f->live, NULL);
    ac_live_remove(NULL, TOKEN);
    ac_live_free(NULL);
}

static void test_replace(void **state)
{
    fixture *f = *state;

    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "a.example", "tok", "tok.one"),
                     AUTOCERT_OK);
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "b.example", "other", "other.x"),
                     AUTOCERT_OK);
    /* The same token again: replaced, key authorization, identifier and type. */
    assert_int_equal(ac_live_add(f->live, f->ctx, "tls-alpn-01", "c.example", "tok", "tok.two"),
                     AUTOCERT_OK);
    assert_null(by_token(f->live, "http-01", "tok"));
    assert_string_equal(by_token(f->live, "tls-alpn-01", "tok"), "tok.two");
    assert_null(by_ident(f->live, "http-01", "a.example"));
    assert_string_equal(by_ident(f->live, "tls-alpn-01", "c.example"), "tok.two");
    assert_string_equal(by_token(f->live, "http-01", "other"), "other.x");
    /* One entry for it: removing it once leaves none. */
    ac_live_remove(f->live, "tok");
    assert_null(by_token(f->live, "tls-alpn-01", "tok"));
    assert_string_equal(by_token(f->live, "http-01", "other"), "other.x");
}

static void test_types_apart(void **state)
{
    fixture *f = *state;

    /* One identifier, a challenge of each type. */
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "t1", "t1.h"),
                     AUTOCERT_OK);
    assert_int_equal(ac_live_add(f->live, f->ctx, "tls-alpn-01", "example.com", "t2", "t2.a"),
                     AUTOCERT_OK);
    assert_string_equal(by_ident(f->live, "http-01", "example.com"), "t1.h");
    assert_string_equal(by_ident(f->live, "tls-alpn-01", "example.com"), "t2.a");
    assert_null(by_token(f->live, "http-01", "t2"));
    ac_live_remove(f->live, "t1");
    assert_null(by_ident(f->live, "http-01", "example.com"));
    assert_string_equal(by_ident(f->live, "tls-alpn-01", "example.com"), "t2.a");
}

static void test_invalid_refused(void **state)
{
    fixture *f = *state;
    char longtok[300], longka[600], longid[300];

    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "a/b", "a.b"),
                     AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "'a/b'"));
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "", "a.b"),
                     AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", NULL, "a.b"),
                     AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "(null)"));
    /* A refused token is shown escaped: the CA's bytes never reach a terminal. */
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "a\033]0;x\007\r",
                                 "a.b"),
                     AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "'a^[]0;x^G^M'"));
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "..", "a.b"),
                     AUTOCERT_ERR_INVALID);
    memset(longtok, 'a', 257);
    longtok[257] = '\0';
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", longtok, "a.b"),
                     AUTOCERT_ERR_INVALID);
    longtok[256] = '\0';
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", longtok, "a.b"),
                     AUTOCERT_OK);

    /* A malformed key authorization: refused, naming the token. */
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "tok", "tok thumb"),
                     AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "tok"));
    assert_non_null(strstr(autocert_last_error(f->ctx), "key authorization"));
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "tok", ""),
                     AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "tok", NULL),
                     AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "tok", "tok.\n"),
                     AUTOCERT_ERR_INVALID);
    memset(longka, 'k', 513);
    longka[513] = '\0';
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "tok", longka),
                     AUTOCERT_ERR_INVALID);
    longka[512] = '\0';
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "tok", longka),
                     AUTOCERT_OK);

    /* No type, no identifier, an identifier too long. */
    assert_int_equal(ac_live_add(f->live, f->ctx, NULL, "example.com", "t3", "t3.x"),
                     AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", NULL, "t3", "t3.x"),
                     AUTOCERT_ERR_INVALID);
    memset(longid, 'd', 254);
    longid[254] = '\0';
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", longid, "t3", "t3.x"),
                     AUTOCERT_ERR_INVALID);
    assert_null(by_token(f->live, "http-01", "t3"));
    /* A refused replacement leaves the entry as it was. */
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "tok", "tok x"),
                     AUTOCERT_ERR_INVALID);
    assert_string_equal(by_token(f->live, "http-01", "tok"), longka);
}

static void test_buffer_size(void **state)
{
    fixture *f = *state;
    char buf[16];

    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "abc", "abc.defgh"),
                     AUTOCERT_OK);
    /* "abc.defgh" is 9 characters: 10 bytes hold it, 9 do not. */
    memset(buf, 'z', sizeof(buf));
    assert_int_equal(ac_live_by_token(f->live, "http-01", "abc", buf, 10), 0);
    assert_string_equal(buf, "abc.defgh");
    assert_int_equal(ac_live_by_token(f->live, "http-01", "abc", buf, 9), -1);
    assert_int_equal(ac_live_by_ident(f->live, "http-01", "example.com", buf, 9), -1);
    assert_int_equal(ac_live_by_token(f->live, "http-01", "abc", buf, 0), -1);
    assert_int_equal(ac_live_by_ident(f->live, "http-01", "example.com", buf, 10), 0);
}

static void test_limit(void **state)
{
    fixture *f = *state;
    char tok[32], ka[64];
    int i;

    for (i = 0; i < AC_LIVE_MAX; i++) {
        snprintf(tok, sizeof(tok), "tok%d", i);
        snprintf(ka, sizeof(ka), "tok%d.thumb", i);
        assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", tok, ka),
                         AUTOCERT_OK);
    }
    /* Full: a new token is refused, saying so. */
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "one-more", "o.t"),
                     AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "too many"));
    assert_null(by_token(f->live, "http-01", "one-more"));
    /* A replacement needs no new place. */
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "tok7", "tok7.new"),
                     AUTOCERT_OK);
    assert_string_equal(by_token(f->live, "http-01", "tok7"), "tok7.new");
    /* Every entry is still there. */
    for (i = 0; i < AC_LIVE_MAX; i++) {
        snprintf(tok, sizeof(tok), "tok%d", i);
        assert_non_null(by_token(f->live, "http-01", tok));
    }
    /* One withdrawn: room for one. */
    ac_live_remove(f->live, "tok0");
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "one-more", "o.t"),
                     AUTOCERT_OK);
    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "example.com", "two-more", "t.t"),
                     AUTOCERT_ERR_INVALID);
    assert_string_equal(by_token(f->live, "http-01", "tok99"), "tok99.thumb");
}

/* ---- threads ---------------------------------------------------------------------- */

#define WRITERS 4
#define PER_WRITER 20 /* WRITERS * PER_WRITER + 1 <= AC_LIVE_MAX */
#define ROUNDS 200

typedef struct {
    ac_live *live;
    autocert_ctx *ctx;
    int id;
    pthread_barrier_t *start;
    int errors;
} worker;

/* Adds its tokens, checks them, replaces them, removes half, round after
 * round; records anything unexpected. */
static void *write_and_read(void *arg)
{
    worker *w = arg;
    char tok[32], ka[64], buf[64];
    int r, i;

    pthread_barrier_wait(w->start);
    for (r = 0; r < ROUNDS; r++) {
        for (i = 0; i < PER_WRITER; i++) {
            snprintf(tok, sizeof(tok), "w%d-%d", w->id, i);
            snprintf(ka, sizeof(ka), "w%d-%d.r%d", w->id, i, r);
            if (ac_live_add(w->live, w->ctx, "http-01", tok, tok, ka) != AUTOCERT_OK)
                w->errors++;
        }
        for (i = 0; i < PER_WRITER; i++) {
            snprintf(tok, sizeof(tok), "w%d-%d", w->id, i);
            snprintf(ka, sizeof(ka), "w%d-%d.r%d", w->id, i, r);
            if (ac_live_by_token(w->live, "http-01", tok, buf, sizeof(buf)) != 0 ||
                strcmp(buf, ka) != 0)
                w->errors++;
            if (ac_live_by_ident(w->live, "http-01", tok, buf, sizeof(buf)) != 0 ||
                strcmp(buf, ka) != 0)
                w->errors++;
        }
        for (i = 0; i < PER_WRITER; i += 2) {
            snprintf(tok, sizeof(tok), "w%d-%d", w->id, i);
            ac_live_remove(w->live, tok);
            if (ac_live_by_token(w->live, "http-01", tok, buf, sizeof(buf)) == 0)
                w->errors++;
        }
    }
    return NULL;
}

/* Reads one entry nobody touches while the others come and go. */
static void *read_steady(void *arg)
{
    worker *w = arg;
    char buf[64];
    int i;

    pthread_barrier_wait(w->start);
    for (i = 0; i < ROUNDS * PER_WRITER; i++)
        if (ac_live_by_token(w->live, "http-01", "steady", buf, sizeof(buf)) != 0 ||
            strcmp(buf, "steady.thumb") != 0)
            w->errors++;
    return NULL;
}

static void test_threads(void **state)
{
    fixture *f = *state;
    pthread_barrier_t start;
    pthread_t th[WRITERS + 1];
    worker w[WRITERS + 1];
    autocert_ctx *ctxs[WRITERS + 1];
    char tok[32], buf[64];
    int i, k;

    assert_int_equal(ac_live_add(f->live, f->ctx, "http-01", "steady", "steady", "steady.thumb"),
                     AUTOCERT_OK);
    assert_int_equal(pthread_barrier_init(&start, NULL, WRITERS + 1), 0);
    for (i = 0; i <= WRITERS; i++) {
        ctxs[i] = autocert_ctx_new();
        assert_non_null(ctxs[i]);
        w[i] = (worker){f->live, ctxs[i], i, &start, 0};
        assert_int_equal(
            pthread_create(&th[i], NULL, i < WRITERS ? write_and_read : read_steady, &w[i]), 0);
    }
    for (i = 0; i <= WRITERS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    for (i = 0; i <= WRITERS; i++) {
        assert_int_equal(w[i].errors, 0);
        autocert_ctx_free(ctxs[i]);
    }
    /* What is left: the odd tokens of every writer with the last round's
     * value, and the steady one. */
    for (i = 0; i < WRITERS; i++) {
        for (k = 0; k < PER_WRITER; k++) {
            snprintf(tok, sizeof(tok), "w%d-%d", i, k);
            if (k % 2 == 0) {
                assert_int_equal(ac_live_by_token(f->live, "http-01", tok, buf, sizeof(buf)), -1);
            } else {
                char want[64];
                snprintf(want, sizeof(want), "w%d-%d.r%d", i, k, ROUNDS - 1);
                assert_int_equal(ac_live_by_token(f->live, "http-01", tok, buf, sizeof(buf)), 0);
                assert_string_equal(buf, want);
            }
        }
    }
    assert_string_equal(by_token(f->live, "http-01", "steady"), "steady.thumb");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_add_lookup_remove),
        T(test_replace),
        T(test_types_apart),
        T(test_invalid_refused),
        T(test_buffer_size),
        T(test_limit),
        T(test_threads),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
