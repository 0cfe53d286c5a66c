/* test_ari.c: ACME Renewal Information (certificate IDs, the window, the renewal time, Retry-After, a run's checks sharing the directory), profiles and "replaces", against a CA in memory. */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "acme/ari.h"
#include "fakeca.h"
#include "pebble_cert.h"
#include "protofx.h"

/* ---- certificate IDs --------------------------------------------------------------- */

/* A self-signed certificate with serial `serial_hex` and, unless `aki` is
 * NULL, an authority key identifier holding the `aki_len` bytes of `aki`.
 * PEM, malloc'd. */
static char *make_cert(const char *serial_hex, const unsigned char *aki, size_t aki_len)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    BIGNUM *bn = NULL;
    AUTHORITY_KEYID *akid = NULL;
    BIO *b = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;
    char *pem;

    assert_non_null(key);
    assert_true(BN_hex2bn(&bn, serial_hex) > 0);
    assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
    X509_set_version(x, X509_VERSION_3);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    if (aki) {
        assert_non_null(akid = AUTHORITY_KEYID_new());
        assert_non_null(akid->keyid = ASN1_OCTET_STRING_new());
        assert_int_equal(ASN1_OCTET_STRING_set(akid->keyid, aki, (int)aki_len), 1);
        assert_int_equal(X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, 0), 1);
    }
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    BIO_get_mem_ptr(b, &m);
    assert_non_null(pem = strndup(m->data, m->length));
    BIO_free(b);
    AUTHORITY_KEYID_free(akid);
    BN_free(bn);
    X509_free(x);
    EVP_PKEY_free(key);
    return pem;
}

static void expect_id(const char *pem, const char *want)
{
    autocert_ctx *ctx = autocert_ctx_new();
    char *id = NULL;

    assert_int_equal(ac_ari_cert_id(ctx, pem, &id), AUTOCERT_OK);
    assert_string_equal(id, want);
    free(id);
    autocert_ctx_free(ctx);
}

/* RFC 9773 section 4.1: keyIdentifier 69:88:5B:...:C8:D4, serial
 * 0x87654321, whose DER content octets are 00 87 65 43 21. */
static void test_cert_id_rfc9773_example(void **state)
{
    static const unsigned char aki[] = {0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40,
                                        0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0,
                                        0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4};
    char *pem = make_cert("87654321", aki, sizeof(aki));

    (void)state;
    expect_id(pem, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    free(pem);
}

/* The serial's content octets: a leading zero only where the high bit is set. */
static void test_cert_id_serial_octets(void **state)
{
    static const unsigned char aki[] = {0xfb, 0xff};
    char *pem;

    (void)state;
    pem = make_cert("01", aki, sizeof(aki));
    expect_id(pem, "-_8.AQ");
    free(pem);
    pem = make_cert("80", aki, sizeof(aki));
    expect_id(pem, "-_8.AIA");
    free(pem);
    pem = make_cert("7F0102", aki, sizeof(aki));
    expect_id(pem, "-_8.fwEC");
    free(pem);
}

/* A certificate Pebble issued: the ID its renewalInfo endpoint answers for. */
static void test_cert_id_real_certificate(void **state)
{
    (void)state;
    expect_id(PEBBLE_CERT, PEBBLE_CERT_ID);
}

static void test_cert_id_refused(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    char *pem = make_cert("01", NULL, 0), *id = (char *)"x";

    (void)state;
    assert_int_equal(ac_ari_cert_id(ctx, pem, &id), AUTOCERT_ERR_INVALID);
    assert_null(id);
    assert_non_null(strstr(autocert_last_error(ctx), "authority key identifier"));
    assert_int_equal(ac_ari_cert_id(ctx, "not a certificate", &id), AUTOCERT_ERR_INVALID);
    assert_null(id);
    free(pem);
    autocert_ctx_free(ctx);
}

/* ---- RFC 3339 ---------------------------------------------------------------------- */

static void test_rfc3339(void **state)
{
    static const char *const bad[] = {
        "", "2025-01-02", "2025-01-02T04:00:00", "2025-01-02 04:00:00Z", "2025-13-02T04:00:00Z",
        "2025-02-29T04:00:00Z", "2025-04-31T00:00:00Z", "2025-01-02T24:00:00Z",
        "2025-01-02T04:60:00Z", "2025-01-02T04:00:00.Z", "2025-01-02T04:00:00Zx",
        "2025-01-02T04:00:00+0100", "2025-01-02T04:00:00+24:00", "25-01-02T04:00:00Z",
        "2025-1-02T04:00:00Z", "+2025-01-02T04:00:00Z", "2025-01-02T04:00:00 Z",
    };
    time_t t = 0;
    size_t i;

    (void)state;
    assert_int_equal(ac_rfc3339_parse("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(ac_rfc3339_parse("2025-01-02T04:00:00Z", &t), 0);
    assert_int_equal(t, 1735790400);
    assert_int_equal(ac_rfc3339_parse("2025-01-02t04:00:00z", &t), 0);
    assert_int_equal(t, 1735790400);
    assert_int_equal(ac_rfc3339_parse("2025-01-02T04:00:00.123456789Z", &t), 0);
    assert_int_equal(t, 1735790400);
    assert_int_equal(ac_rfc3339_parse("2025-01-02T05:30:00+01:30", &t), 0);
    assert_int_equal(t, 1735790400);
    assert_int_equal(ac_rfc3339_parse("2025-01-01T23:00:00-05:00", &t), 0);
    assert_int_equal(t, 1735790400);
    assert_int_equal(ac_rfc3339_parse("2024-02-29T00:00:00Z", &t), 0);
    assert_int_equal(t, 1709164800);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = 42;
        if (ac_rfc3339_parse(bad[i], &t) != -1)
            fail_msg("'%s' parsed", bad[i]);
        assert_int_equal(t, 42);
    }
    assert_int_equal(ac_rfc3339_parse(NULL, &t), -1);
}

/* ---- the renewal time -------------------------------------------------------------- */

static void test_pick_bounds(void **state)
{
    const time_t now = 1800000000;
    ac_ari_window w = {now + 1000, now + 1000 + 86400, 0, NULL};

    (void)state;
    assert_int_equal(ac_ari_pick(&w, now, 0), w.start);
    assert_int_equal(ac_ari_pick(&w, now, UINT32_MAX), w.end - 1);
    assert_int_equal(ac_ari_pick(&w, now, 0x80000000u), w.start + 43200);
    /* A window that has started: a time inside it (maybe already past). */
    assert_int_equal(ac_ari_pick(&w, now + 2000, 0), w.start);
    /* A window that has ended: renew now. */
    assert_int_equal(ac_ari_pick(&w, w.end, 12345), w.end);
    assert_int_equal(ac_ari_pick(&w, w.end + 5000, UINT32_MAX), w.end + 5000);
    /* One second wide: its start. */
    w.end = w.start + 1;
    assert_int_equal(ac_ari_pick(&w, now, UINT32_MAX), w.start);
    /* Not well formed: no time. */
    w.end = w.start;
    assert_int_equal(ac_ari_pick(&w, now, 7), (time_t)-1);
    w.end = w.start - 10;
    assert_int_equal(ac_ari_pick(&w, w.start + 100, 7), (time_t)-1);
}

/* Uniform: 100,000 picks spread evenly over ten slices of the window. */
static void test_pick_uniform(void **state)
{
    const time_t now = 1800000000;
    ac_ari_window w = {now, now + 2 * 86400, 0, NULL};
    size_t slice[10] = {0}, i;
    uint64_t x = 88172645463325252ull;

    (void)state;
    for (i = 0; i < 100000; i++) {
        time_t t;

        x ^= x << 13; /* xorshift64 */
        x ^= x >> 7;
        x ^= x << 17;
        t = ac_ari_pick(&w, now, (uint32_t)(x >> 32));
        assert_true(t >= w.start && t < w.end);
        slice[(size_t)(t - w.start) * 10 / (size_t)(w.end - w.start)]++;
    }
    for (i = 0; i < 10; i++)
        if (slice[i] < 9500 || slice[i] > 10500)
            fail_msg("slice %zu got %zu of 100000", i, slice[i]);
}

/* ---- fetching the window ----------------------------------------------------------- */

#define ID "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

static void session(protofx *f, ac_session *s)
{
    assert_int_equal(ac_session_init(s, f->ctx, NULL), AUTOCERT_OK);
}

/* Fetches with the CA's answer set to `body` (NULL: its default window). */
static autocert_err fetch(protofx *f, const char *body, ac_ari_window *w)
{
    ac_session s;
    autocert_err rc;

    fakeca_knobs_of(f->ca)->ari = 1;
    fakeca_knobs_of(f->ca)->ari_body = body;
    session(f, &s);
    rc = ac_ari_fetch(&s, ID, w);
    ac_session_cleanup(&s);
    return rc;
}

static void test_fetch_window(void **state)
{
    protofx *f = *state;
    ac_ari_window w;
    time_t t0 = time(NULL);

    assert_int_equal(fetch(f, "{\"suggestedWindow\": {\"start\": \"2030-01-02T04:00:00Z\", "
                              "\"end\": \"2030-01-03T04:00:00.5Z\"}, "
                              "\"explanationURL\": \"https://ca.test/why\"}", &w),
                     AUTOCERT_OK);
    assert_int_equal(w.start, 1893556800);
    assert_int_equal(w.end, 1893556800 + 86400);
    assert_string_equal(w.explanation_url, "https://ca.test/why");
    /* No Retry-After: six hours. */
    assert_true(w.retry_after >= t0 + 21600 && w.retry_after <= time(NULL) + 21600);
    ac_ari_window_clear(&w);
    assert_null(w.explanation_url);
    assert_int_equal(fakeca_count(f->ca, "GET", "/ari/" ID), 1);
    assert_int_equal(fakeca_count(f->ca, "GET", "/ari/"), 1);
    assert_int_equal(fakeca_count(f->ca, "POST", NULL), 0);

    /* The fake CA's own window: tomorrow, for a day. */
    assert_int_equal(fetch(f, NULL, &w), AUTOCERT_OK);
    assert_true(w.start >= t0 + 86400 - 1 && w.end == w.start + 86400);
    assert_null(w.explanation_url);
    ac_ari_window_clear(&w);
}

/* RFC 9773 section 4.3.2: Retry-After within a minute and a day. */
static void test_fetch_retry_after(void **state)
{
    protofx *f = *state;
    static const long sent[] = {0, 59, 60, 3600, 86400, 86401, 100000000};
    static const long kept[] = {60, 60, 60, 3600, 86400, 86400, 86400};
    ac_ari_window w;
    size_t i;

    for (i = 0; i < sizeof(sent) / sizeof(sent[0]); i++) {
        time_t t0 = time(NULL);

        fakeca_knobs_of(f->ca)->ari_retry_after = sent[i];
        assert_int_equal(fetch(f, NULL, &w), AUTOCERT_OK);
        if (w.retry_after < t0 + kept[i] || w.retry_after > time(NULL) + kept[i])
            fail_msg("Retry-After %ld: asks again in %ld s, expected %ld", sent[i],
                     (long)(w.retry_after - t0), kept[i]);
        ac_ari_window_clear(&w);
    }
}

/* A window that is not one: an error of its own, the Retry-After kept. */
static void test_fetch_malformed(void **state)
{
    protofx *f = *state;
    static const char *const bodies[] = {
        "{\"suggestedWindow\": {\"start\": \"2030-01-02T04:00:00Z\", \"end\": \"2030-01-02T04:00:00Z\"}}",
        "{\"suggestedWindow\": {\"start\": \"2030-01-03T04:00:00Z\", \"end\": \"2030-01-02T04:00:00Z\"}}",
        "{\"suggestedWindow\": {\"start\": \"tomorrow\", \"end\": \"2030-01-02T04:00:00Z\"}}",
        "{\"suggestedWindow\": {\"start\": \"2030-01-02T04:00:00Z\", \"end\": 1893556800}}",
        "{\"suggestedWindow\": {\"start\": \"2030-01-02T04:00:00Z\"}}",
        "{\"suggestedWindow\": \"soon\"}",
        "{\"explanationURL\": \"https://ca.test/why\"}",
        "[1, 2]",
        "not json",
        "",
    };
    static const char *const why[] = {
        "at or before its start", "at or before its start", "'tomorrow' is not an RFC 3339",
        "has no end", "has no end", "no suggestedWindow", "no suggestedWindow", "not a JSON object",
        "not a JSON object", "not a JSON object",
    };
    ac_ari_window w;
    size_t i;

    fakeca_knobs_of(f->ca)->ari_retry_after = 600;
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        time_t t0 = time(NULL);

        w.start = 5;
        assert_int_equal(fetch(f, bodies[i], &w), AUTOCERT_ERR_PROTOCOL);
        if (strstr(autocert_last_error(f->ctx), why[i]) == NULL)
            fail_msg("body %zu: '%s' does not say '%s'", i, autocert_last_error(f->ctx), why[i]);
        assert_int_equal(w.start, 0);
        assert_int_equal(w.end, 0);
        assert_null(w.explanation_url);
        assert_true(w.retry_after >= t0 + 600 && w.retry_after <= time(NULL) + 600);
    }
}

/* Without renewalInfo in the directory: UNSUPPORTED, and no request for it. */
static void test_fetch_without_ari(void **state)
{
    protofx *f = *state;
    ac_ari_window w;
    ac_session s;

    session(f, &s);
    assert_int_equal(ac_ari_fetch(&s, ID, &w), AUTOCERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(autocert_last_error(f->ctx), "no renewal information"));
    assert_int_equal(w.retry_after, 0);
    assert_int_equal(fakeca_count(f->ca, "GET", "/ari"), 0);
    assert_int_equal(fakeca_nreq(f->ca), 1); /* the directory */
    ac_session_cleanup(&s);
}

static void test_fetch_refusals(void **state)
{
    protofx *f = *state;
    ac_ari_window w;
    ac_session s;

    /* An error status: the problem document, a time to ask again. */
    fakeca_knobs_of(f->ca)->ari_status = 404;
    assert_int_equal(fetch(f, "{\"type\": \"urn:ietf:params:acme:error:malformed\", "
                              "\"detail\": \"no such certificate\"}", &w),
                     AUTOCERT_ERR_ACME);
    assert_non_null(strstr(autocert_last_error(f->ctx), "renewal info: malformed: no such"));
    assert_int_equal(autocert_last_http_status(f->ctx), 404);
    assert_true(w.retry_after > time(NULL));
    fakeca_knobs_of(f->ca)->ari_status = 500;
    assert_int_equal(fetch(f, "oops", &w), AUTOCERT_ERR_HTTP);
    fakeca_knobs_of(f->ca)->ari_status = 0;

    /* A certificate ID that would change the URL's path is refused. */
    session(f, &s);
    assert_int_equal(ac_ari_fetch(&s, "../new-order", &w), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_ari_fetch(&s, "", &w), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_ari_fetch(&s, "a.b?x=1", &w), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_ari_fetch(&s, "a.b%2f", &w), AUTOCERT_ERR_INVALID);
    assert_int_equal(fakeca_count(f->ca, "GET", "/ari/"), 2);
    ac_session_cleanup(&s);

    /* A plain-http renewalInfo URL is refused unless allowed (the context
     * kept the directory before: it changed). */
    fakeca_knobs_of(f->ca)->plain_http = 1;
    ac_ctx_forget_directories(f->ctx);
    assert_int_equal(fetch(f, NULL, &w), AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(f->ctx), "not an https URL"));
    assert_int_equal(fakeca_count(f->ca, "GET", "/ari/"), 2);
    autocert_set_allow_http(f->ctx, 1);
    assert_int_equal(fetch(f, NULL, &w), AUTOCERT_OK);
    ac_ari_window_clear(&w);
    assert_int_equal(fakeca_count(f->ca, "GET", "/ari/"), 3);
}

/* A body larger than any window is cut at the transport's bound. */
static void test_fetch_large_body(void **state)
{
    protofx *f = *state;
    size_t n = AC_MAX_BODY + 10;
    char *big = malloc(n + 1);
    ac_ari_window w;

    assert_non_null(big);
    memset(big, ' ', n);
    big[n] = '\0';
    assert_int_not_equal(fetch(f, big, &w), AUTOCERT_OK);
    assert_int_equal(w.start, 0);
    free(big);
}

/* ---- profiles ------------------------------------------------------------------------ */

static void test_profiles_of_the_directory(void **state)
{
    protofx *f = *state;
    json_t *p = (json_t *)1;
    ac_session s;

    session(f, &s);
    assert_int_equal(ac_directory_profiles(&s, &p), AUTOCERT_OK);
    assert_null(p);
    assert_int_equal(ac_profile_check(&s, "shortlived"), AUTOCERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(autocert_last_error(f->ctx), "offers no certificate profiles"));
    ac_session_cleanup(&s);

    /* The CA changed its directory: the context kept the old one. */
    fakeca_knobs_of(f->ca)->profiles = 1;
    ac_ctx_forget_directories(f->ctx);
    session(f, &s);
    assert_int_equal(ac_directory_profiles(&s, &p), AUTOCERT_OK);
    assert_int_equal(json_object_size(p), 2);
    assert_string_equal(json_string_value(json_object_get(p, "shortlived")),
                        "a 160-hour certificate");
    assert_int_equal(ac_profile_check(&s, "shortlived"), AUTOCERT_OK);
    assert_int_equal(ac_profile_check(&s, "tlsserver"), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx),
                           "does not offer the profile 'tlsserver' (it offers: classic, shortlived)"));
    assert_int_equal(fakeca_nreq(f->ca), 2); /* the directory, once a session */
    ac_session_cleanup(&s);
}

/* The "profile" of the last newOrder, NULL when it had none. */
static const char *last_profile(protofx *f)
{
    long i = -1, last = -1;

    while ((i = fakeca_find(f->ca, "POST", "/new-order", (size_t)(i + 1))) >= 0)
        last = i;
    assert_true(last >= 0);
    return json_string_value(json_object_get(fakeca_req_at(f->ca, (size_t)last)->payload,
                                             "profile"));
}

static void test_obtain_with_profile(void **state)
{
    protofx *f = *state;
    static const char *const dns[] = {"a.example"}, *const ip[] = {"192.0.2.7"},
                             *const other[] = {"b.example"};
    autocert_cert *c = NULL;

    /* A profile the CA does not have: refused before any account or order. */
    fakeca_knobs_of(f->ca)->profiles = 1;
    assert_int_equal(autocert_set_profile(f->ctx, "tlsserver"), AUTOCERT_OK);
    assert_int_equal(autocert_obtain(f->ctx, dns, 1, 0, &c), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "it offers: classic, shortlived"));
    assert_int_equal(fakeca_count(f->ca, "POST", NULL), 0);

    assert_int_equal(autocert_set_profile(f->ctx, "shortlived"), AUTOCERT_OK);
    assert_int_equal(autocert_obtain(f->ctx, dns, 1, 0, &c), AUTOCERT_OK);
    autocert_cert_free(c);
    assert_string_equal(last_profile(f), "shortlived");

    /* No profile: none sent for a DNS name; "shortlived" for an IP address. */
    assert_int_equal(autocert_set_profile(f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(autocert_obtain(f->ctx, other, 1, 0, &c), AUTOCERT_OK);
    autocert_cert_free(c);
    assert_null(last_profile(f));
    assert_int_equal(autocert_obtain(f->ctx, ip, 1, 0, &c), AUTOCERT_OK);
    autocert_cert_free(c);
    assert_string_equal(last_profile(f), "shortlived");
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 3);

    /* A CA without profiles: asking for one is an error before any order. */
    fakeca_knobs_of(f->ca)->profiles = 0;
    ac_ctx_forget_directories(f->ctx);
    assert_int_equal(autocert_set_profile(f->ctx, "shortlived"), AUTOCERT_OK);
    assert_int_equal(autocert_obtain(f->ctx, other, 1, AUTOCERT_OBTAIN_FORCE, &c),
                     AUTOCERT_ERR_UNSUPPORTED);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 3);
    /* ... and an IP address goes without one. */
    assert_int_equal(autocert_set_profile(f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(autocert_obtain(f->ctx, ip, 1, AUTOCERT_OBTAIN_FORCE, &c), AUTOCERT_OK);
    autocert_cert_free(c);
    assert_null(last_profile(f));
}

static void test_set_profile_refuses(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    char longname[80];

    (void)state;
    memset(longname, 'a', 65);
    longname[65] = '\0';
    assert_int_equal(autocert_set_profile(ctx, ""), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_profile(ctx, "short lived"), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_profile(ctx, "x\n"), AUTOCERT_ERR_INVALID);
    assert_int_equal(autocert_set_profile(ctx, longname), AUTOCERT_ERR_INVALID);
    longname[64] = '\0';
    assert_int_equal(autocert_set_profile(ctx, longname), AUTOCERT_OK);
    assert_int_equal(autocert_set_profile(ctx, NULL), AUTOCERT_OK);
    autocert_ctx_free(ctx);
}

/* ---- replaces ------------------------------------------------------------------------- */

static int warned;

static void count_warnings(void *arg, autocert_log_level level, const char *msg)
{
    (void)arg;
    if (level == AUTOCERT_LOG_WARN && strstr(msg, "alreadyReplaced") &&
        strstr(msg, "without \"replaces\""))
        warned++;
}

/* The "replaces" of newOrder request i, NULL when it had none. */
static const char *replaces_at(protofx *f, long i)
{
    assert_true(i >= 0);
    return json_string_value(json_object_get(fakeca_req_at(f->ca, (size_t)i)->payload,
                                             "replaces"));
}

static void test_already_replaced(void **state)
{
    protofx *f = *state;
    static const ac_ident name[] = {{AC_ID_DNS, (char *)"a.example"}};
    const ac_order_opts opts = {NULL, ID};
    ac_session s;
    ac_order o;
    long first, second, third;

    autocert_set_logger(f->ctx, count_warnings, NULL);
    session(f, &s);
    assert_int_equal(ac_account_ensure(&s), AUTOCERT_OK);
    assert_int_equal(ac_order_new(&s, name, 1, &opts, &o), AUTOCERT_OK);
    assert_int_equal(o.replaces_dropped, 0);
    ac_order_clear(&o);
    first = fakeca_find(f->ca, "POST", "/new-order", 0);
    assert_string_equal(replaces_at(f, first), ID);

    /* The CA says it was replaced already: once more without, no more. */
    assert_int_equal(ac_order_new(&s, name, 1, &opts, &o), AUTOCERT_OK);
    assert_int_equal(o.replaces_dropped, 1);
    assert_non_null(o.url);
    assert_string_equal(autocert_last_error(f->ctx), "");
    ac_order_clear(&o);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 3);
    second = fakeca_find(f->ca, "POST", "/new-order", (size_t)first + 1);
    third = fakeca_find(f->ca, "POST", "/new-order", (size_t)second + 1);
    assert_int_equal(fakeca_req_at(f->ca, (size_t)second)->status, 409);
    assert_string_equal(replaces_at(f, second), ID);
    assert_null(replaces_at(f, third));
    assert_int_equal(fakeca_req_at(f->ca, (size_t)third)->status, 201);
    assert_int_equal(warned, 1);

    /* A CA that fails on "replaces" itself: once more without. */
    fakeca_knobs_of(f->ca)->replaces_broken = 1;
    assert_int_equal(ac_order_new(&s, name, 1, &opts, &o), AUTOCERT_OK);
    assert_int_equal(o.replaces_dropped, 1);
    ac_order_clear(&o);
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 5);
    fakeca_knobs_of(f->ca)->replaces_broken = 0;

    /* Another problem is not retried. */
    fakeca_knobs_of(f->ca)->profiles = 1;
    const ac_order_opts bad = {"tlsserver", "other.ID"};
    assert_int_equal(ac_order_new(&s, name, 1, &bad, &o), AUTOCERT_ERR_ACME);
    assert_string_equal(autocert_last_problem_type(f->ctx),
                        "urn:ietf:params:acme:error:invalidProfile");
    assert_int_equal(fakeca_count(f->ca, "POST", "/new-order"), 6);
    ac_session_cleanup(&s);
}

/* ---- a renewal run ------------------------------------------------------------------- */

#define N_ENTRIES 4

/* Requests `method` to a path starting with `prefix` from the from-th on. */
static size_t count_from(protofx *f, const char *method, const char *prefix, size_t from)
{
    long i = (long)from - 1;
    size_t n = 0;

    while ((i = fakeca_find(f->ca, method, prefix, (size_t)(i + 1))) >= 0)
        n++;
    return n;
}

/* A context as a renewal run makes it, on the fixture's cache and CA. */
static autocert_ctx *run_ctx(protofx *f)
{
    autocert_ctx *ctx = autocert_ctx_new();

    assert_non_null(ctx);
    fakeca_attach(f->ca, ctx);
    assert_int_equal(autocert_set_cache_dir(ctx, f->cache), AUTOCERT_OK);
    return ctx;
}

/* As if the Retry-After the CA gave with the window of `name` had passed. */
static void ask_again(protofx *f, const char *name)
{
    char path[512];
    json_t *m, *ari;

    snprintf(path, sizeof(path), "%s/certs/%s/meta.json", f->cache, name);
    assert_non_null(m = json_load_file(path, 0, NULL));
    ari = json_object_get(json_object_get(m, "renewal"), "ari");
    if (ari != NULL)
        assert_int_equal(json_object_set_new(ari, "next_check", json_integer(1)), 0);
    assert_int_equal(json_dump_file(m, path, JSON_COMPACT), 0);
    json_decref(m);
}

/* Obtains the entries e0.example ... of the test, their ARI checks due. */
static void obtain_entries(protofx *f)
{
    autocert_cert *c = NULL;
    char name[32];
    const char *names[] = {name};
    int i;

    fakeca_knobs_of(f->ca)->ari = 1;
    for (i = 0; i < N_ENTRIES; i++) {
        snprintf(name, sizeof(name), "e%d.example", i);
        assert_int_equal(autocert_obtain(f->ctx, names, 1, 0, &c), AUTOCERT_OK);
        autocert_cert_free(c);
        ask_again(f, name);
    }
}

static void renew_entry(autocert_ctx *ctx, int i)
{
    autocert_renew_info info;
    char name[32];

    snprintf(name, sizeof(name), "e%d.example", i);
    autocert_renew_info_init(&info);
    assert_int_equal(autocert_renew(ctx, name, 0, &info), AUTOCERT_OK);
    assert_int_equal(info.outcome, AUTOCERT_RENEW_NOT_DUE);
}

/* The ARI checks of one run share the directory: one GET of it, then one
 * GET of renewalInfo an entry, not two requests an entry. */
static void test_renew_run_shares_directory(void **state)
{
    protofx *f = *state;
    autocert_ctx *ctx;
    size_t from;
    int i;

    obtain_entries(f);
    ctx = run_ctx(f);
    from = fakeca_nreq(f->ca);
    for (i = 0; i < N_ENTRIES; i++)
        renew_entry(ctx, i);
    assert_int_equal(count_from(f, "GET", "/ari/", from), N_ENTRIES);
    assert_int_equal(count_from(f, "GET", "/dir", from), 1);
    assert_int_equal(fakeca_nreq(f->ca) - from, N_ENTRIES + 1);
    assert_int_equal(autocert_request_count(ctx), N_ENTRIES + 1);
    /* Nothing due any more: the next run asks nothing. */
    autocert_ctx_free(ctx);
    ctx = run_ctx(f);
    from = fakeca_nreq(f->ca);
    for (i = 0; i < N_ENTRIES; i++)
        renew_entry(ctx, i);
    assert_int_equal(fakeca_nreq(f->ca), from);
    autocert_ctx_free(ctx);
}

typedef struct {
    autocert_ctx *ctx;
    int first;
} job;

static void *renew_job(void *arg)
{
    job *j = arg;
    int i;

    for (i = j->first; i < N_ENTRIES; i += 2)
        renew_entry(j->ctx, i);
    return NULL;
}

/* renew --jobs 2: two threads of one context take the kept directory too
 * (both may fetch it when they start at once, no more). */
static void test_renew_jobs_share_directory(void **state)
{
    protofx *f = *state;
    pthread_t t[2];
    job j[2];
    size_t from;
    int i;

    obtain_entries(f);
    j[0].ctx = j[1].ctx = run_ctx(f);
    from = fakeca_nreq(f->ca);
    for (i = 0; i < 2; i++) {
        j[i].first = i;
        assert_int_equal(pthread_create(&t[i], NULL, renew_job, &j[i]), 0);
    }
    for (i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(count_from(f, "GET", "/ari/", from), N_ENTRIES);
    assert_in_range(count_from(f, "GET", "/dir", from), 1, 2);
    autocert_ctx_free(j[0].ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cert_id_rfc9773_example),
        cmocka_unit_test(test_cert_id_serial_octets),
        cmocka_unit_test(test_cert_id_real_certificate),
        cmocka_unit_test(test_cert_id_refused),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_pick_bounds),
        cmocka_unit_test(test_pick_uniform),
        cmocka_unit_test_setup_teardown(test_fetch_window, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_fetch_retry_after, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_fetch_malformed, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_fetch_without_ari, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_fetch_refusals, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_fetch_large_body, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_profiles_of_the_directory, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_obtain_with_profile, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test(test_set_profile_refuses),
        cmocka_unit_test_setup_teardown(test_already_replaced, protofx_setup, protofx_teardown),
        cmocka_unit_test_setup_teardown(test_renew_run_shares_directory, protofx_setup,
                                        protofx_teardown),
        cmocka_unit_test_setup_teardown(test_renew_jobs_share_directory, protofx_setup,
                                        protofx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
