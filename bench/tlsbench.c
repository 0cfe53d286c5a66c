/* tlsbench.c: full TLS 1.3 handshakes per second against a server on loopback, SNI spread over a list of names (bench/handshake.sh). */
/*
 * tlsbench PORT SECONDS THREADS [NAMES_FILE]
 *
 * Each of THREADS threads connects to 127.0.0.1:PORT over and over for
 * SECONDS, does one full handshake (TLS 1.3 only, no session resumption:
 * no ticket is kept or offered) with the next name of NAMES_FILE (one a
 * line; without it, SNI "localhost"), then closes the connection.  Every
 * 16th handshake also checks that the certificate received is for the
 * name asked for.  Prints "handshakes SECONDS RATE mismatches failures".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static SSL_CTX *cctx;
static char **names;
static size_t n_names;
static unsigned short port;
static double end_at;

typedef struct {
    size_t next; /* index of the next name */
    unsigned long done, mismatches, failures;
} worker;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One connection and one full handshake for `name`; 1 done, 0 failed. */
static int handshake(const char *name, int check, unsigned long *mismatches)
{
    struct sockaddr_in sa;
    SSL *ssl = NULL;
    X509 *peer;
    int fd, one = 1, ok = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
        return 0;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || (ssl = SSL_new(cctx)) == NULL ||
        SSL_set_fd(ssl, fd) != 1 || SSL_set_tlsext_host_name(ssl, name) != 1)
        goto out;
    if (SSL_connect(ssl) != 1)
        goto out;
    ok = 1;
    if (check) {
        peer = SSL_get1_peer_certificate(ssl);
        if (peer == NULL || X509_check_host(peer, name, 0, 0, NULL) != 1)
            (*mismatches)++;
        X509_free(peer);
    }
out:
    SSL_free(ssl); /* no close_notify: the connection just ends, as after a reset */
    close(fd);
    return ok;
}

static void *run(void *arg)
{
    worker *w = arg;
    const char *name;

    while (now() < end_at) {
        name = n_names ? names[w->next++ % n_names] : "localhost";
        if (handshake(name, (w->done & 15) == 0, &w->mismatches))
            w->done++;
        else
            w->failures++;
    }
    return NULL;
}

/* Reads the names, one a line. */
static int read_names(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[300];

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            continue;
        names = realloc(names, (n_names + 1) * sizeof(*names));
        if (names == NULL || (names[n_names] = strdup(line)) == NULL)
            return -1;
        n_names++;
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long done = 0, mismatches = 0, failures = 0;
    double seconds, start;
    pthread_t *t;
    worker *w;
    int i, threads;

    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: tlsbench PORT SECONDS THREADS [NAMES_FILE]\n");
        return 2;
    }
    port = (unsigned short)atoi(argv[1]);
    seconds = atof(argv[2]);
    threads = atoi(argv[3]);
    if (threads < 1 || threads > 64 || (argc == 5 && read_names(argv[4]) != 0)) {
        fprintf(stderr, "tlsbench: bad arguments\n");
        return 2;
    }
    /* TLS 1.3 only, full handshakes: no tickets asked for, none cached. */
    cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
    SSL_CTX_set_options(cctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_OFF);
    t = calloc((size_t)threads, sizeof(*t));
    w = calloc((size_t)threads, sizeof(*w));
    start = now();
    end_at = start + seconds;
    for (i = 0; i < threads; i++) {
        w[i].next = n_names ? (size_t)i * n_names / (size_t)threads : 0;
        pthread_create(&t[i], NULL, run, &w[i]);
    }
    for (i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        done += w[i].done;
        mismatches += w[i].mismatches;
        failures += w[i].failures;
    }
    seconds = now() - start;
    printf("%lu %.3f %.1f %lu %lu\n", done, seconds, done / seconds, mismatches, failures);
    SSL_CTX_free(cctx);
    return 0;
}
