/* serve.c: the example server's listener: the accept loop, a thread for each connection up to a cap, the TLS handshake, and shutdown. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "autocert_openssl.h"
#include "server.h"

/* Each read or write of a connection, the handshake's included, waits at
 * most this long: an idle client cannot hold a thread for ever. */
#define IO_TIMEOUT_S 10

struct srv_server {
    int lfd;
    int rootfd;
    unsigned port;
    unsigned max;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a connection ended */
    int stopping;
    unsigned active;
    int *fds; /* the open connections (-1: free slot), shut down by serve_stop */
};

typedef struct {
    srv_server *s;
    int fd;
    unsigned slot;
} conn;

srv_server *serve_bind(const srv_opts *o)
{
    struct sockaddr_storage ss;
    socklen_t len;
    srv_server *s;
    int one = 1;
    unsigned i;

    if (opts_addr("--listen", o->listen, &ss, &len) != 0)
        return NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL ||
        (s->fds = calloc(o->max_conns, sizeof(int))) == NULL) {
        srv_log("out of memory");
        free(s);
        return NULL;
    }
    s->max = o->max_conns;
    for (i = 0; i < s->max; i++)
        s->fds[i] = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if ((s->rootfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        srv_log("cannot open --root '%s': %s", o->root, strerror(errno));
        goto fail;
    }
    if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(s->lfd, (struct sockaddr *)&ss, len) != 0 || listen(s->lfd, 512) != 0) {
        srv_log("cannot listen on --listen '%s': %s", o->listen, strerror(errno));
        goto fail;
    }
    len = sizeof(ss);
    getsockname(s->lfd, (struct sockaddr *)&ss, &len);
    s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    return s;
fail:
    serve_free(s);
    return NULL;
}

unsigned serve_port(const srv_server *s)
{
    return s->port;
}

/* One connection: the handshake, then one request. */
static void *conn_main(void *arg)
{
    conn *c = arg;
    srv_server *s = c->s;
    SSL *ssl = tls_new_ssl();

    if (ssl != NULL && SSL_set_fd(ssl, c->fd) == 1 && SSL_accept(ssl) == 1) {
        /* A CA validating TLS-ALPN-01 only looks at the certificate: close
         * at once, without reading or writing (RFC 8737 section 3).  Nor
         * is a client served that --client-ca did not verify (only such a
         * validation is let through without a certificate). */
        if (!autocert_openssl_is_challenge(ssl) && tls_client_ok(ssl)) {
            http_serve(ssl, s->rootfd);
            SSL_shutdown(ssl);
        }
    }
    SSL_free(ssl);
    close(c->fd);
    pthread_mutex_lock(&s->mu);
    s->fds[c->slot] = -1;
    s->active--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    free(c);
    return NULL;
}

/* Hands `fd` to a new thread in a free slot (the caller made sure there
 * is one); closes it when that fails. */
static void start_conn(srv_server *s, int fd)
{
    struct timeval tv = {IO_TIMEOUT_S, 0};
    pthread_attr_t attr;
    pthread_t t;
    int one = 1;
    conn *c = malloc(sizeof(*c));

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (c == NULL) {
        close(fd);
        return;
    }
    c->s = s;
    c->fd = fd;
    pthread_mutex_lock(&s->mu);
    if (s->stopping) { /* accepted as serve_stop() shut the others down */
        pthread_mutex_unlock(&s->mu);
        close(fd);
        free(c);
        return;
    }
    for (c->slot = 0; s->fds[c->slot] != -1; c->slot++)
        ;
    s->fds[c->slot] = fd;
    s->active++;
    pthread_mutex_unlock(&s->mu);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(&t, &attr, conn_main, c) != 0) {
        pthread_mutex_lock(&s->mu);
        s->fds[c->slot] = -1;
        s->active--;
        pthread_mutex_unlock(&s->mu);
        close(fd);
        free(c);
    }
    pthread_attr_destroy(&attr);
}

void *serve_run(void *server)
{
    srv_server *s = server;
    int fd, stopping;

    for (;;) {
        /* At the cap, new connections wait in the listen queue. */
        pthread_mutex_lock(&s->mu);
        while (s->active >= s->max && !s->stopping)
            pthread_cond_wait(&s->cv, &s->mu);
        stopping = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (stopping)
            break;
        if ((fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
            /* Out of descriptors or memory: let connections end first.
             * After serve_stop() the loop ends at its top. */
            if (errno != EINTR && errno != ECONNABORTED)
                usleep(50 * 1000);
            continue;
        }
        start_conn(s, fd);
    }
    return NULL;
}

void serve_stop(srv_server *s)
{
    unsigned i;

    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    /* accept() and every connection's read or write return at once. */
    shutdown(s->lfd, SHUT_RDWR);
    for (i = 0; i < s->max; i++)
        if (s->fds[i] != -1)
            shutdown(s->fds[i], SHUT_RDWR);
    while (s->active > 0)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

void serve_free(srv_server *s)
{
    if (s == NULL)
        return;
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->rootfd >= 0)
        close(s->rootfd);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->fds);
    free(s);
}
