/* ari_check.c: a test tool over the library's internals: the ARI certificate ID and window of a certificate, and an order that replaces it, against a real CA. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme/acme.h"
#include "acme/ari.h"

static const char usage[] =
    "usage: ari_check id CERT\n"
    "       ari_check fetch DIRECTORY CA_BUNDLE CERT\n"
    "       ari_check order DIRECTORY CA_BUNDLE CACHE HTTP_PORT CERT NAME...\n"
    "id: the certificate's RFC 9773 ID.  fetch: its renewal window, one\n"
    "'key: value' a line.  order: a new certificate for NAME... with\n"
    "\"replaces\" naming CERT; says whether the CA took it.  Failures: one line\n"
    "'error: CODE MESSAGE' on standard output, exit status 1.\n";

static int failed(autocert_ctx *ctx, autocert_err rc)
{
    printf("error: %d %s\n", (int)rc, autocert_last_error(ctx));
    return 1;
}

/* The certificate ID of the first certificate in `path` into *id. */
static autocert_err cert_id(autocert_ctx *ctx, const char *path, char **id)
{
    unsigned char *pem = NULL;
    size_t len = 0;
    autocert_err rc = ac_file_read(ctx, path, AC_MAX_FILE, &pem, &len);

    if (rc == AUTOCERT_OK)
        rc = ac_ari_cert_id(ctx, (const char *)pem, id);
    free(pem);
    return rc;
}

static void print_time(const char *key, time_t t)
{
    char buf[64];

    ac_utc_format(t, AC_UTC_ISO, buf, sizeof(buf));
    printf("%s: %s\n", key, buf);
}

static int fetch(autocert_ctx *ctx, const char *certfile)
{
    ac_session s;
    ac_ari_window w;
    char *id = NULL;
    time_t now, at;
    autocert_err rc;

    memset(&w, 0, sizeof(w));
    if ((rc = cert_id(ctx, certfile, &id)) != AUTOCERT_OK ||
        (rc = ac_session_init(&s, ctx, NULL)) != AUTOCERT_OK)
        return failed(ctx, rc);
    printf("id: %s\n", id);
    rc = ac_ari_fetch(&s, id, &w);
    now = time(NULL);
    if (w.retry_after)
        printf("retry-after: %ld\n", (long)(w.retry_after - now));
    if (rc == AUTOCERT_OK) {
        print_time("start", w.start);
        print_time("end", w.end);
        printf("explanation: %s\n", w.explanation_url ? AC_SAFE(w.explanation_url) : "-");
        at = ac_ari_pick(&w, now, (uint32_t)rand());
        printf("due: %s\n", at <= now ? "now" : "later");
        print_time("renew-at", at);
    }
    ac_ari_window_clear(&w);
    ac_session_cleanup(&s);
    free(id);
    return rc == AUTOCERT_OK ? 0 : failed(ctx, rc);
}

/* newOrder with "replaces", the challenges, finalize, download. */
static autocert_err replace(ac_session *s, const ac_ident *ids, size_t n, const char *id)
{
    const ac_order_opts opts = {NULL, id};
    ac_responder *r = NULL;
    EVP_PKEY *key = NULL;
    char *chain = NULL;
    ac_order o;
    autocert_err rc;

    memset(&o, 0, sizeof(o));
    if ((rc = ac_account_ensure(s)) == AUTOCERT_OK &&
        (rc = ac_responder_new(s->ctx, NULL, &r)) == AUTOCERT_OK &&
        (rc = ac_order_new(s, ids, n, &opts, &o)) == AUTOCERT_OK) {
        printf("replaces: %s\n", o.replaces_dropped ? "dropped" : "sent");
        rc = ac_order_authorize(s, &o, r);
    }
    ac_responder_free(r);
    if (rc == AUTOCERT_OK && (rc = ac_key_generate(s->ctx, AUTOCERT_KEY_EC256, &key)) ==
        AUTOCERT_OK && (rc = ac_order_finalize(s, &o, key, ids, n)) == AUTOCERT_OK &&
        (rc = ac_order_download(s, &o, &chain)) == AUTOCERT_OK)
        printf("issued: yes\n");
    free(chain);
    EVP_PKEY_free(key);
    ac_order_clear(&o);
    return rc;
}

static int order(autocert_ctx *ctx, char **argv, int argc)
{
    ac_ident ids[8];
    size_t n = 0, i;
    ac_session s;
    char *id = NULL;
    autocert_err rc;

    if ((rc = autocert_set_cache_dir(ctx, argv[0])) != AUTOCERT_OK ||
        (rc = autocert_set_http01(ctx, "127.0.0.1", (unsigned)atoi(argv[1]))) != AUTOCERT_OK ||
        (rc = cert_id(ctx, argv[2], &id)) != AUTOCERT_OK)
        return failed(ctx, rc);
    for (i = 3; i < (size_t)argc && n < 8; i++)
        if ((rc = ac_ident_parse(ctx, argv[i], 0, &ids[n])) != AUTOCERT_OK)
            break;
        else
            n++;
    if (rc == AUTOCERT_OK && (rc = ac_session_init(&s, ctx, NULL)) == AUTOCERT_OK) {
        rc = replace(&s, ids, n, id);
        ac_session_cleanup(&s);
    }
    for (i = 0; i < n; i++)
        ac_ident_clear(&ids[i]);
    free(id);
    return rc == AUTOCERT_OK ? 0 : failed(ctx, rc);
}

int main(int argc, char **argv)
{
    autocert_ctx *ctx = autocert_ctx_new();
    char *id = NULL;
    int status = 2;
    autocert_err rc;

    if (ctx == NULL)
        return 1;
    srand((unsigned)time(NULL));
    autocert_set_agree_tos(ctx, 1);
    autocert_set_timeout(ctx, 60);
    if (argc == 3 && strcmp(argv[1], "id") == 0) {
        status = (rc = cert_id(ctx, argv[2], &id)) == AUTOCERT_OK ? 0 : failed(ctx, rc);
        if (id)
            printf("%s\n", id);
    } else if ((argc == 5 && strcmp(argv[1], "fetch") == 0) ||
               (argc >= 8 && strcmp(argv[1], "order") == 0)) {
        if ((rc = autocert_set_directory(ctx, argv[2])) != AUTOCERT_OK ||
            (rc = autocert_set_ca_bundle(ctx, argv[3])) != AUTOCERT_OK)
            status = failed(ctx, rc);
        else if (argv[1][0] == 'f')
            status = fetch(ctx, argv[4]);
        else
            status = order(ctx, argv + 4, argc - 4);
    } else {
        fputs(usage, stderr);
    }
    free(id);
    autocert_ctx_free(ctx);
    return status;
}
