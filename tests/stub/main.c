/* main.c: acme_stub: options, the HTTPS listener and the plain-HTTP listener that only records. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "stub.h"

stub_cfg stub;
volatile int stub_stopping;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int stub_mode(const char *name)
{
    return strcmp(stub.mode, name) == 0;
}

void stub_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("stub: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void stub_violation(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("stub: VIOLATION: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int stub_nap(double s)
{
    struct timespec ts;

    for (; s > 0 && !stub_stopping; s -= 0.05) {
        ts.tv_sec = 0;
        ts.tv_nsec = (long)((s < 0.05 ? s : 0.05) * 1e9);
        nanosleep(&ts, NULL);
    }
    return !stub_stopping;
}

/* The body of one request, gathered over the handler's calls. */
typedef struct {
    char *data;
    size_t len;
    int too_big;
} upload;

static enum MHD_Result on_acme(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
    upload *u = *con_cls;
    stub_reply r;
    int rc;

    (void)cls;
    (void)version;
    if (u == NULL) {
        if ((u = calloc(1, sizeof(*u))) == NULL)
            return MHD_NO;
        *con_cls = u;
        return MHD_YES;
    }
    if (*size > 0) {
        if (u->len + *size > STUB_MAX_BODY) {
            u->too_big = 1;
        } else if ((u->data = realloc(u->data, u->len + *size + 1)) != NULL) {
            memcpy(u->data + u->len, data, *size);
            u->len += *size;
            u->data[u->len] = '\0';
        }
        *size = 0;
        return MHD_YES;
    }
    memset(&r, 0, sizeof(r));
    pthread_mutex_lock(&lock);
    if (u->too_big)
        reply_problem(&r, 413, "malformed", "request body too large");
    else
        acme_handle(method, url, u->data ? u->data : "", u->len, &r);
    pthread_mutex_unlock(&lock);
    stub_log("%s %s -> %d%s", method, url, r.status, r.kind == BODY_HANGUP ? " (hung up)" : "");
    rc = reply_send(c, &r);
    reply_clear(&r);
    return rc == 0 ? MHD_YES : MHD_NO;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    upload *u = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (u) {
        free(u->data);
        free(u);
        *con_cls = NULL;
    }
}

/* The plain-HTTP listener: whatever reaches it was sent in clear. */
static enum MHD_Result on_plain(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *data,
                                size_t *size, void **con_cls)
{
    static int marker;
    stub_reply r;
    int rc;

    (void)cls;
    (void)version;
    (void)data;
    if (*con_cls == NULL) {
        *con_cls = &marker;
        stub_log("PLAIN listener got %s %s", method, url);
        return MHD_YES;
    }
    if (*size > 0) {
        *size = 0;
        return MHD_YES;
    }
    memset(&r, 0, sizeof(r));
    reply_problem(&r, 404, "malformed", "nothing here");
    rc = reply_send(c, &r);
    reply_clear(&r);
    return rc == 0 ? MHD_YES : MHD_NO;
}

static void on_signal(int sig)
{
    (void)sig;
    stub_stopping = 1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = calloc(1, (size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

static void usage(void)
{
    fprintf(stderr, "usage: acme_stub --port P --root-out FILE [--cert PEM --key PEM] "
            "[--mode NAME] [--http01-port P | --http01-root DIR] [--plain-port P]\n"
            "       acme_stub --list\n");
}

typedef struct {
    const char *cert, *key, *root_out;
} files;

static int parse(int argc, char **argv, files *f)
{
    int i;

    stub.mode = "ok";
    stub.http01_port = 80;
    for (i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(o, "--list") == 0) {
            stub_modes_print();
            exit(0);
        }
        if (v == NULL)
            return -1;
        i++;
        if (strcmp(o, "--port") == 0) stub.port = atoi(v);
        else if (strcmp(o, "--http01-port") == 0) stub.http01_port = atoi(v);
        else if (strcmp(o, "--plain-port") == 0) stub.plain_port = atoi(v);
        else if (strcmp(o, "--http01-root") == 0) stub.http01_root = v;
        else if (strcmp(o, "--mode") == 0) stub.mode = v;
        else if (strcmp(o, "--cert") == 0) f->cert = v;
        else if (strcmp(o, "--key") == 0) f->key = v;
        else if (strcmp(o, "--root-out") == 0) f->root_out = v;
        else return -1;
    }
    if (stub.port <= 0 || f->root_out == NULL || (f->cert == NULL) != (f->key == NULL))
        return -1;
    if (!stub_mode_known(stub.mode)) {
        fprintf(stderr, "acme_stub: unknown mode '%s' (see --list)\n", stub.mode);
        exit(2);
    }
    return 0;
}

static struct MHD_Daemon *start_acme(const files *f, char **cert, char **key)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG;
    struct sockaddr_in sa;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)stub.port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    if (!stub.tls)
        return MHD_start_daemon(flags, 0, NULL, NULL, on_acme, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(512 * 1024),
                                MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
    if ((*cert = slurp(f->cert)) == NULL || (*key = slurp(f->key)) == NULL) {
        fprintf(stderr, "acme_stub: cannot read %s or %s\n", f->cert, f->key);
        return NULL;
    }
    return MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, on_acme, NULL,
                            MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_HTTPS_MEM_CERT, *cert,
                            MHD_OPTION_HTTPS_MEM_KEY, *key,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(512 * 1024),
                            MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
}

static struct MHD_Daemon *start_plain(void)
{
    struct sockaddr_in sa;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)stub.plain_port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, on_plain, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_END);
}

int main(int argc, char **argv)
{
    files f = {NULL, NULL, NULL};
    struct MHD_Daemon *d = NULL, *p = NULL;
    char *cert = NULL, *key = NULL;
    int rc = 1;

    if (parse(argc, argv, &f) != 0) {
        usage();
        return 2;
    }
    stub.tls = f.cert != NULL;
    if (stub.tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        fprintf(stderr, "acme_stub: libmicrohttpd has no TLS\n");
        return 77;
    }
    snprintf(stub.base, sizeof(stub.base), "%s://127.0.0.1:%d", stub.tls ? "https" : "http",
             stub.port);
    snprintf(stub.plain_base, sizeof(stub.plain_base), "http://127.0.0.1:%d",
             stub.plain_port ? stub.plain_port : 9);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (stub.plain_port && (p = start_plain()) == NULL)
        fprintf(stderr, "acme_stub: cannot listen on plain port %d\n", stub.plain_port);
    else if ((d = start_acme(&f, &cert, &key)) == NULL)
        fprintf(stderr, "acme_stub: cannot listen on port %d\n", stub.port);
    else if (ca_init(f.root_out) == 0) {
        stub_log("mode %s on %s", stub.mode, stub.base);
        while (stub_nap(3600))
            ;
        rc = 0;
    }
    if (d)
        MHD_stop_daemon(d);
    if (p)
        MHD_stop_daemon(p);
    ca_free();
    state_free();
    free(cert);
    free(key);
    return rc;
}
