/* alpn_answer.c: a test tool over the library's internals: a TLS listener answering TLS-ALPN-01 with ac_tlsalpn01_cert while the library obtains a certificate through it from a real CA. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "challenge/challenge.h"

static const char usage[] =
    "usage: alpn_answer DIRECTORY CA_BUNDLE CACHE TLS_PORT NAME [wrong]\n"
    "Obtains a certificate for NAME answering TLS-ALPN-01 on 127.0.0.1:TLS_PORT\n"
    "(wrong: with the certificate of another key authorization).  Prints\n"
    "'handshakes: N' (challenge certificates presented), then 'ok' or\n"
    "'error: CODE MESSAGE'; exit status 0 or 1.\n";

#define IO_TIMEOUT_S 5 /* a validator's connection stalls no longer */
#define OBTAIN_TIMEOUT_S 60

typedef struct {
    ac_live *live;   /* the responder's, where the solver publishes */
    int wrong;       /* present the certificate of another key authorization */
    int lfd;
    atomic_int stop;
    atomic_int handshakes;
} listener;

/* Selects "acme-tls/1" or fails the handshake: nothing else is served. */
static int on_alpn(SSL *s, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
    unsigned int i;
    size_t n = strlen(AC_ACME_TLS_ALPN);

    (void)s;
    (void)arg;
    for (i = 0; i < inlen; i += 1u + in[i])
        if (in[i] == n && i + 1 + n <= inlen && memcmp(in + i + 1, AC_ACME_TLS_ALPN, n) == 0) {
            *out = in + i + 1;
            *outlen = (unsigned char)n;
            return SSL_TLSEXT_ERR_OK;
        }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* The challenge certificate of the SNI name's live challenge. */
static int on_servername(SSL *s, int *alert, void *arg)
{
    listener *l = arg;
    const char *name = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
    char ka[600];
    void *cert = NULL, *key = NULL;
    int ok;

    *alert = SSL_AD_UNRECOGNIZED_NAME;
    if (name == NULL || ac_live_by_ident(l->live, "tls-alpn-01", name, ka, sizeof(ka)) != 0)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    if (l->wrong)
        ka[0] = ka[0] == 'A' ? 'B' : 'A';
    if (ac_tlsalpn01_cert(NULL, name, ka, &cert, &key) != AUTOCERT_OK)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    ok = SSL_use_certificate(s, cert) == 1 && SSL_use_PrivateKey(s, key) == 1;
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!ok)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    atomic_fetch_add(&l->handshakes, 1);
    return SSL_TLSEXT_ERR_OK;
}

/* Handshakes with one validator connection, then closes it. */
static void answer(SSL_CTX *sc, int fd)
{
    struct timeval tv = {IO_TIMEOUT_S, 0};
    SSL *s = SSL_new(sc);

    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (s != NULL && SSL_set_fd(s, fd) == 1 && SSL_accept(s) == 1)
        (void)SSL_shutdown(s);
    SSL_free(s);
    close(fd);
}

static void *serve(void *arg)
{
    listener *l = arg;
    SSL_CTX *sc = SSL_CTX_new(TLS_server_method());
    struct pollfd p;
    int fd;

    if (sc == NULL)
        return NULL;
    SSL_CTX_set_alpn_select_cb(sc, on_alpn, l);
    SSL_CTX_set_tlsext_servername_callback(sc, on_servername);
    SSL_CTX_set_tlsext_servername_arg(sc, l);
    while (!atomic_load(&l->stop)) {
        p.fd = l->lfd;
        p.events = POLLIN;
        if (poll(&p, 1, 100) != 1 || (fd = accept(l->lfd, NULL, NULL)) < 0)
            continue;
        answer(sc, fd);
    }
    SSL_CTX_free(sc);
    return NULL;
}

static int listen_on(unsigned port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0) {
        fprintf(stderr, "alpn_answer: cannot listen on 127.0.0.1:%u: %s\n", port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void responder_free(void *r)
{
    ac_responder_free(r);
}

/* The context of the run: the CA, and the TLS-ALPN-01 responder serving
 * `live`, kept open as autocert_responder_start keeps one. */
static autocert_err setup(autocert_ctx *ctx, char **argv, ac_live *live)
{
    ac_responder *r = NULL;
    autocert_err rc;

    autocert_set_agree_tos(ctx, 1);
    autocert_set_timeout(ctx, OBTAIN_TIMEOUT_S);
    if ((rc = autocert_set_directory(ctx, argv[1])) != AUTOCERT_OK ||
        (rc = autocert_set_ca_bundle(ctx, argv[2])) != AUTOCERT_OK ||
        (rc = autocert_set_cache_dir(ctx, argv[3])) != AUTOCERT_OK ||
        (rc = autocert_set_challenge(ctx, "tls-alpn-01")) != AUTOCERT_OK)
        return rc;
    ctx->tls_listener = 1;
    if ((rc = ac_responder_new(ctx, live, &r)) != AUTOCERT_OK)
        return rc;
    ctx->responder = r;
    ctx->responder_free = responder_free;
    return AUTOCERT_OK;
}

int main(int argc, char **argv)
{
    autocert_ctx *ctx = NULL;
    listener l;
    pthread_t t;
    const char *names[1];
    autocert_err rc;

    if (argc < 6 || argc > 7 || (argc == 7 && strcmp(argv[6], "wrong") != 0)) {
        fputs(usage, stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a validator may close first */
    memset(&l, 0, sizeof(l));
    l.wrong = argc == 7;
    if ((ctx = autocert_ctx_new()) == NULL || (l.live = ac_live_new()) == NULL ||
        (l.lfd = listen_on((unsigned)strtoul(argv[4], NULL, 10))) < 0)
        return 1;
    if ((rc = setup(ctx, argv, l.live)) == AUTOCERT_OK) {
        if (pthread_create(&t, NULL, serve, &l) != 0)
            return 1;
        names[0] = argv[5];
        rc = autocert_obtain(ctx, names, 1, 0, NULL);
        atomic_store(&l.stop, 1);
        pthread_join(t, NULL);
    }
    printf("handshakes: %d\n", atomic_load(&l.handshakes));
    if (rc == AUTOCERT_OK)
        printf("ok\n");
    else
        printf("error: %d %s\n", (int)rc, autocert_last_error(ctx));
    close(l.lfd);
    autocert_ctx_free(ctx); /* frees the responder, withdrawing its challenges */
    ac_live_free(l.live);
    return rc == AUTOCERT_OK ? 0 : 1;
}
