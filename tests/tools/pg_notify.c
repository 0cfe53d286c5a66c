/* pg_notify.c: a benchmark tool over the PostgreSQL backend: the load of N certificates by a server manager at start, and the latency from a store on one session to the swap in a manager on another. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cache.h"
#include "storage/storage.h"

static const char usage[] =
    "usage: pg_notify URL ENTRIES RENEWALS\n"
    "Stores ENTRIES self-signed certificates (e<i>.bench.example) in the database\n"
    "at URL, times a server manager loading them at start (its own session),\n"
    "then RENEWALS times stores a new certificate for e0.bench.example through\n"
    "another session and times until the manager serves it (change notification).\n"
    "Prints 'load_s', 'median_ms' and 'p99_ms' lines; exits 1 on a failure.\n";

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static unsigned swaps; /* of e0.bench.example */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_event(void *arg, autocert_event ev, const char *host, const char *reason)
{
    (void)arg, (void)reason;
    if (ev != AUTOCERT_EVENT_LOADED || strcmp(host, "e0.bench.example") != 0)
        return;
    pthread_mutex_lock(&mu);
    swaps++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* A self-signed certificate for `name` with key `key`, PEM (malloc'd). */
static char *self_signed(EVP_PKEY *key, const char *name, long serial)
{
    X509 *x = X509_new();
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    BIO *b = BIO_new(BIO_s_mem());
    char san[300], *pem = NULL, *p;
    long n;

    snprintf(san, sizeof(san), "DNS:%s", name);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 90L * 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)name, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san)) != NULL) {
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(x, key, EVP_sha256()) > 0 && PEM_write_bio_X509(b, x) == 1 &&
        (n = BIO_get_mem_data(b, &p)) > 0 && (pem = malloc((size_t)n + 1)) != NULL) {
        memcpy(pem, p, (size_t)n);
        pem[n] = '\0';
    }
    BIO_free(b);
    X509_free(x);
    return pem;
}

/* Stores a new certificate for entry `name` through (ctx, st); *t0 (may
 * be NULL): when the store began, the certificate made. */
static int store(autocert_ctx *ctx, autocert_storage *st, const char *name, long serial,
                 double *t0)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    ac_ident id = {AC_ID_DNS, (char *)name};
    char *pem = key ? self_signed(key, name, serial) : NULL;
    int ok;

    if (t0 != NULL)
        *t0 = now_s();
    ok = pem != NULL && ac_cache_cert_store(ctx, st, name, &id, 1, "https://bench.invalid/dir",
                                            key, pem) == AUTOCERT_OK;

    if (!ok)
        fprintf(stderr, "FAIL: storing %s: %s\n", name, autocert_last_error(ctx));
    free(pem);
    EVP_PKEY_free(key);
    return ok;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* RENEWALS stores of e0 through (w, st), each waited for in the manager. */
static int renewals(autocert_ctx *w, autocert_storage *st, int rounds, double *lat)
{
    struct timespec until;
    unsigned before;
    double t0;
    int i, seen;

    for (i = 0; i < rounds; i++) {
        pthread_mutex_lock(&mu);
        before = swaps;
        pthread_mutex_unlock(&mu);
        if (!store(w, st, "e0.bench.example", 1000 + i, &t0))
            return 0;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        pthread_mutex_lock(&mu);
        while (swaps == before && pthread_cond_timedwait(&cv, &mu, &until) == 0)
            ;
        seen = swaps != before;
        pthread_mutex_unlock(&mu);
        if (!seen) {
            fprintf(stderr, "FAIL: renewal %d not served within 10 s\n", i);
            return 0;
        }
        lat[i] = (now_s() - t0) * 1000.0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    autocert_ctx *w = autocert_ctx_new(), *r = autocert_ctx_new();
    autocert_storage *st = NULL;
    autocert_manager *m = NULL;
    char **names;
    double t0, load, *lat;
    int n, rounds, i, ok = 1;

    if (argc != 4 || (n = atoi(argv[2])) < 1 || (rounds = atoi(argv[3])) < 1) {
        fputs(usage, stderr);
        return 2;
    }
    names = calloc((size_t)n, sizeof(*names));
    lat = calloc((size_t)rounds, sizeof(*lat));
    if (w == NULL || r == NULL || names == NULL || lat == NULL ||
        autocert_storage_open(w, argv[1], &st) != AUTOCERT_OK) {
        fprintf(stderr, "FAIL: %s\n", w ? autocert_last_error(w) : "out of memory");
        return 1;
    }
    autocert_set_storage_take(w, st);
    for (i = 0; i < n && ok; i++) {
        char name[64];
        snprintf(name, sizeof(name), "e%d.bench.example", i);
        ok = (names[i] = strdup(name)) != NULL && store(w, st, name, i + 1, NULL);
    }
    if (ok && autocert_set_cache_dir(r, argv[1]) == AUTOCERT_OK &&
        autocert_manager_new(r, &m) == AUTOCERT_OK &&
        autocert_manager_set_hosts(m, (const char *const *)names, (size_t)n) == AUTOCERT_OK) {
        autocert_manager_set_tls_port(m, 443); /* TLS-ALPN-01: no port of its own */
        autocert_manager_set_event_cb(m, on_event, NULL);
        t0 = now_s();
        ok = autocert_manager_start(m) == AUTOCERT_OK && autocert_manager_count(m) == (size_t)n;
        load = now_s() - t0;
        if (!ok)
            fprintf(stderr, "FAIL: manager: %s (%zu served)\n", autocert_last_error(r),
                    autocert_manager_count(m));
        else
            printf("load_s %.3f\n", load);
        if (ok && (ok = renewals(w, st, rounds, lat))) {
            qsort(lat, (size_t)rounds, sizeof(*lat), cmp);
            printf("median_ms %.1f\np99_ms %.1f\n", lat[rounds / 2],
                   lat[(rounds * 99 + 99) / 100 - 1]);
        }
    } else if (ok) {
        fprintf(stderr, "FAIL: %s\n", autocert_last_error(r));
        ok = 0;
    }
    autocert_manager_free(m);
    autocert_ctx_free(r);
    autocert_ctx_free(w);
    autocert_strv_free(names, (size_t)n);
    free(lat);
    return ok ? 0 : 1;
}
