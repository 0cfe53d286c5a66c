/* http01.c: the HTTP-01 solver: a libmicrohttpd daemon serving the live table, or files in a webroot. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <microhttpd.h>

#include "challenge/challenge.h"
#include "challenge/mhdload.h"

/* libmicrohttpd, loaded before the first daemon starts (ac_http01_start
 * refuses to start one without it): every call below comes after. */
static const ac_mhd_api *mhd_api(void)
{
    return ac_mhd(NULL, 0);
}

/*
 * Embedded mode serves exactly GET and HEAD of
 * /.well-known/acme-challenge/<token> for the live table's HTTP-01 tokens
 * (200, text/plain, the key authorization as body).  Every other target answers 404 (the
 * decision is made on the target as sent, see ac_http01_token_of); any other
 * method answers 405 with "Allow: GET, HEAD".  Nothing else is served.
 * With a redirect port (ctx->https_redirect_port, a server manager's), a
 * GET or HEAD of any target outside /.well-known/acme-challenge/ answers
 * 308 to the same target on https instead (redirect.c checks the Host
 * header and the target: 400 for one it will not redirect to).
 *
 * The listening socket is created and bound here (not by libmicrohttpd) so
 * that a bind failure can be reported with its errno; the daemon gets it
 * with MHD_OPTION_LISTEN_SOCKET.  libmicrohttpd never logs: its messages
 * would come from its own thread, where the caller's logger may not expect
 * to be called, so they are discarded.
 */

#define MAX_KEYAUTH_LEN 512
#define IDLE_TIMEOUT 5 /* seconds without a byte before a connection is closed */
#define CHALLENGE_PREFIX "/.well-known/acme-challenge/"
#define WELL_KNOWN ".well-known"
#define ACME_CHALLENGE "acme-challenge"

struct ac_http01 {
    struct MHD_Daemon *daemon;
    unsigned port;
    ac_live *live;        /* what the daemon serves */
    int own_live;
    pthread_mutex_t lock;      /* guards tokens[] and n: orders in several threads add and remove */
    char *tokens[AC_LIVE_MAX]; /* what this responder published */
    size_t n;
    /* webroot mode */
    char *webroot;
    char *dir_wk; /* WEBROOT/.well-known */
    char *dir_ac; /* WEBROOT/.well-known/acme-challenge */
    int made_wk, made_ac; /* created by us: removed again when empty */
    ac_conns conns;       /* the daemon's connections (its thread only) */
    unsigned redirect_port; /* 0: no redirect */
};

/* Index of `token` among the published ones, or -1. */
static long find_token(const ac_http01 *h, const char *token)
{
    size_t i;

    for (i = 0; i < h->n; i++)
        if (strcmp(h->tokens[i], token) == 0)
            return (long)i;
    return -1;
}

/* ---- embedded daemon ---------------------------------------------------- */

static void discard_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fmt;
    (void)ap;
}

/* URLs are taken as sent, never percent-decoded: a token is base64url and
 * needs no escape, while "/.well-known/acme-challenge/TOKEN%00x" would
 * decode to the token itself, cut at the NUL. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

const char *ac_http01_token_of(const char *target)
{
    const char *token;

    if (target == NULL || strncmp(target, CHALLENGE_PREFIX, strlen(CHALLENGE_PREFIX)) != 0)
        return NULL;
    token = target + strlen(CHALLENGE_PREFIX);
    return ac_token_valid(token) ? token : NULL;
}

/* The request context: &exact_target for a request whose raw target is a
 * challenge path; in redirect mode, a malloc'd copy of a target to
 * redirect (freed by on_completed), &bad_target for one that cannot be,
 * &no_memory; NULL for any other target (404). */
static char exact_target, bad_target, no_memory;

/* Sees the request target as sent, before libmicrohttpd cuts off a query
 * ("/.well-known/acme-challenge/TOKEN?x" would otherwise reach on_request
 * as the token's path). */
static void *on_target(void *cls, const char *uri, struct MHD_Connection *c)
{
    const ac_http01 *h = cls;
    char *copy;

    (void)c;
    if (ac_http01_token_of(uri) != NULL)
        return &exact_target;
    /* Under the challenge prefix nothing is redirected. */
    if (h->redirect_port == 0 || strncmp(uri, CHALLENGE_PREFIX, strlen(CHALLENGE_PREFIX)) == 0)
        return NULL;
    if (!ac_redirect_target_ok(uri))
        return &bad_target;
    return (copy = strdup(uri)) != NULL ? copy : &no_memory;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    if (*req_cls != &exact_target && *req_cls != &bad_target && *req_cls != &no_memory)
        free(*req_cls);
    *req_cls = NULL;
}

/* Queues a text/plain answer with one more header `name` (NULL: none). */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
                             const char *name, const char *value)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = mhd_api()->create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    if (mhd_api()->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain") != MHD_YES ||
        mhd_api()->add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
        (name && mhd_api()->add_response_header(r, name, value) != MHD_YES)) {
        mhd_api()->destroy_response(r);
        return MHD_NO;
    }
    ret = mhd_api()->queue_response(c, status, r);
    mhd_api()->destroy_response(r);
    return ret;
}

/* 308 to https for a target on_target kept (redirect mode). */
static enum MHD_Result redirect(const ac_http01 *h, struct MHD_Connection *c, const char *target)
{
    char location[AC_REDIRECT_TARGET_MAX + 512];
    const char *host;

    if (target == &no_memory)
        return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL, NULL);
    if (target == &bad_target)
        return reply(c, MHD_HTTP_BAD_REQUEST, "bad request target\n", NULL, NULL);
    host = mhd_api()->lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (ac_redirect_location(host, target, h->redirect_port, location, sizeof(location)) != 0)
        return reply(c, MHD_HTTP_BAD_REQUEST, "bad Host header\n", NULL, NULL);
    return reply(c, MHD_HTTP_PERMANENT_REDIRECT, "moved to https\n", MHD_HTTP_HEADER_LOCATION,
                 location);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **req_cls)
{
    ac_http01 *h = cls;
    const char *token;
    char ka[MAX_KEYAUTH_LEN + 1];

    (void)version;
    (void)upload_data;
    (void)upload_size;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
                     MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (*req_cls != NULL && *req_cls != &exact_target)
        return redirect(h, c, *req_cls);
    /* Both the raw target and what libmicrohttpd made of it. */
    if (*req_cls != &exact_target || (token = ac_http01_token_of(url)) == NULL)
        return reply(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL, NULL);
    if (ac_live_by_token(h->live, "http-01", token, ka, sizeof(ka)) != 0)
        return reply(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL, NULL);
    return reply(c, MHD_HTTP_OK, ka, NULL, NULL);
}

/* A newcomer: accepted, or refused, by the rules of ac_conns_admit. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    ac_http01 *h = cls;
    int victims[AC_CONNS_MAX + 1];
    size_t nv = 0, i;
    ac_client who;
    int ok;

    if (ac_conns_client(addr, addrlen, &who) != 0)
        return MHD_NO;
    ok = ac_conns_admit(&h->conns, &who, ac_now(), victims, &nv);
    /* The daemon sees the end of each and closes it. */
    for (i = 0; i < nv; i++)
        (void)shutdown(victims[i], SHUT_RDWR);
    return ok ? MHD_YES : MHD_NO;
}

/* Connections enter the table when they start and leave it when closed;
 * the slot + 1 is the socket context. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    ac_http01 *h = cls;
    const union MHD_ConnectionInfo *fd, *addr;
    ac_client who;
    long slot = -1;

    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        ac_conns_remove(&h->conns, (long)(intptr_t)*socket_context - 1);
        return;
    }
    fd = mhd_api()->get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    addr = mhd_api()->get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (fd == NULL)
        return;
    if (addr != NULL && addr->client_addr != NULL &&
        ac_conns_client(addr->client_addr,
                        addr->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                 : sizeof(struct sockaddr_in),
                        &who) == 0)
        slot = ac_conns_add(&h->conns, &who, fd->connect_fd, ac_now());
    if (slot < 0) {
        (void)shutdown(fd->connect_fd, SHUT_RDWR); /* not counted: not kept */
        return;
    }
    *socket_context = (void *)(intptr_t)(slot + 1);
}

/* "127.0.0.1:80", "[::1]:80", "*:80" into buf. */
static void format_addr(char *buf, size_t len, const char *bind_addr, int v6, unsigned port)
{
    if (bind_addr == NULL)
        snprintf(buf, len, "*:%u", port);
    else if (v6)
        snprintf(buf, len, "[%s]:%u", bind_addr, port);
    else
        snprintf(buf, len, "%s:%u", bind_addr, port);
}

static autocert_err bind_error(autocert_ctx *ctx, const char *where, unsigned port, int e)
{
    switch (e) {
    case EACCES:
    case EPERM:
        if (port > 0 && port < 1024)
            return ac_err(ctx, AUTOCERT_ERR_BIND,
                          "cannot listen on %s: permission denied: ports below 1024 need root "
                          "or cap_net_bind_service", where);
        return ac_err(ctx, AUTOCERT_ERR_BIND, "cannot listen on %s: permission denied", where);
    case EADDRINUSE:
        return ac_err(ctx, AUTOCERT_ERR_BIND,
                      "cannot listen on %s: address in use (another server listens there)", where);
    case EADDRNOTAVAIL:
        return ac_err(ctx, AUTOCERT_ERR_BIND,
                      "cannot listen on %s: address not available on this host", where);
    default:
        return ac_err(ctx, AUTOCERT_ERR_BIND, "cannot listen on %s: %s", where, AC_STRERROR(e));
    }
}

/* A bound, listening, non-blocking socket in *fd; *err_no set on failure. */
static int open_listener(const struct sockaddr *sa, socklen_t salen, int *err_no)
{
    int fd, on = 1, off = 0;

    fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err_no = errno;
        return -1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (sa->sa_family == AF_INET6) {
        /* The wildcard address is dual stack; a literal stays itself. */
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        int any = memcmp(&s6->sin6_addr, &in6addr_any, sizeof(in6addr_any)) == 0;
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, any ? &off : &on, sizeof(int));
    }
    /* A long queue: a flood's connections wait there, not the CA's SYNs. */
    if (bind(fd, sa, salen) != 0 || listen(fd, 1024) != 0) {
        *err_no = errno;
        close(fd);
        return -1;
    }
    return fd;
}

/* Binds the listening socket for `bind_addr` (NULL: every address, dual
 * stack where the system has IPv6); *fd, or an error naming the address. */
static autocert_err bind_listener(autocert_ctx *ctx, const char *bind_addr, unsigned port,
                                  int *fd, int *v6)
{
    struct sockaddr_in s4;
    struct sockaddr_in6 s6;
    char where[INET6_ADDRSTRLEN + 16];
    int e = 0;

    memset(&s4, 0, sizeof(s4));
    memset(&s6, 0, sizeof(s6));
    s4.sin_family = AF_INET;
    s4.sin_port = htons((uint16_t)port);
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons((uint16_t)port);
    *v6 = 0;
    if (bind_addr == NULL) {
        s6.sin6_addr = in6addr_any;
        s4.sin_addr.s_addr = htonl(INADDR_ANY);
        *fd = open_listener((struct sockaddr *)&s6, sizeof(s6), &e);
        /* No IPv6 on this system: IPv4 only. */
        if (*fd < 0 && (e == EAFNOSUPPORT || e == EPROTONOSUPPORT || e == EADDRNOTAVAIL))
            *fd = open_listener((struct sockaddr *)&s4, sizeof(s4), &e);
    } else if (inet_pton(AF_INET, bind_addr, &s4.sin_addr) == 1) {
        *fd = open_listener((struct sockaddr *)&s4, sizeof(s4), &e);
    } else if (inet_pton(AF_INET6, bind_addr, &s6.sin6_addr) == 1) {
        *v6 = 1;
        *fd = open_listener((struct sockaddr *)&s6, sizeof(s6), &e);
    } else {
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "bind address '%s' is not an IPv4 or IPv6 address literal", bind_addr);
    }
    format_addr(where, sizeof(where), bind_addr, *v6, port);
    return *fd < 0 ? bind_error(ctx, where, port, e) : AUTOCERT_OK;
}

/* The port a bound socket listens on. */
static unsigned port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
    return 0;
}

/* Runs the daemon on the listening socket `fd` (which stays the caller's). */
static autocert_err run_daemon(ac_http01 *h, autocert_ctx *ctx, int fd, const char *where)
{
    struct stat a, b;
    /* The daemon gets its own descriptor of the socket: whatever it does
     * with it on failure, `fd` keeps the socket alive until we know. */
    int mhd_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

    char why[256];

    if (ac_mhd(why, sizeof(why)) == NULL) {
        if (mhd_fd >= 0)
            close(mhd_fd);
        return ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED, "cannot start the HTTP-01 server: %s", why);
    }
    if (mhd_fd < 0)
        return ac_err(ctx, AUTOCERT_ERR_BIND, "cannot listen on %s: %s", where, AC_STRERROR(errno));
    /* One thread runs every callback: the connection table needs no lock.
     * libmicrohttpd's limit is never reached (see conns.c); no per-address
     * limit: a CA validates many names at once from one address. */
    h->daemon = mhd_api()->start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, on_accept, h, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, discard_log, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
        MHD_OPTION_URI_LOG_CALLBACK, on_target, h,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)mhd_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(AC_CONNS_MAX + 8),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
        MHD_OPTION_END);
    if (h->daemon != NULL)
        return AUTOCERT_OK;
    /* Close the daemon's descriptor only if it still is our socket. */
    if (fstat(fd, &a) == 0 && fstat(mhd_fd, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        close(mhd_fd);
    return ac_err(ctx, AUTOCERT_ERR_BIND, "cannot start the HTTP-01 server on %s", where);
}

static autocert_err start_daemon(ac_http01 *h, autocert_ctx *ctx, const char *bind_addr,
                                 unsigned port)
{
    char where[INET6_ADDRSTRLEN + 16];
    int fd = -1, v6 = 0;
    autocert_err rc;

    if ((rc = bind_listener(ctx, bind_addr, port, &fd, &v6)) != AUTOCERT_OK)
        return rc;
    h->port = port_of(fd);
    format_addr(where, sizeof(where), bind_addr, v6, port);
    h->redirect_port = ctx ? ctx->https_redirect_port : 0;
    if ((rc = run_daemon(h, ctx, fd, where)) == AUTOCERT_OK) {
        format_addr(where, sizeof(where), bind_addr, v6, h->port);
        ac_log(ctx, AUTOCERT_LOG_DEBUG, "http-01: listening on %s", where);
        if (h->redirect_port != 0)
            ac_log(ctx, AUTOCERT_LOG_DEBUG, "http-01: other requests go to https, port %u",
                   h->redirect_port);
    }
    close(fd);
    return rc;
}

/* ---- webroot ------------------------------------------------------------ */

/* Creates `dir` 0755 unless it is a directory already; *made set when
 * created.  On failure errno is mkdir's. */
static autocert_err dir_make(autocert_ctx *ctx, const char *dir, int *made)
{
    int created = 0, e;
    autocert_err rc;

    /* 0755 whatever the umask: the web server must enter it. */
    if (ac_mkdir(dir, 0755, 0, &created) != 0) {
        e = errno;
        if (e == ENOTDIR)
            rc = ac_err(ctx, AUTOCERT_ERR_IO, "%s exists and is not a directory", dir);
        else
            rc = ac_err(ctx, AUTOCERT_ERR_IO, "cannot create %s: %s", dir, AC_STRERROR(e));
        errno = e;
        return rc;
    }
    if (created)
        *made = 1;
    return AUTOCERT_OK;
}

/* Removes the directories we created, if they are empty. */
static void dirs_prune(ac_http01 *h)
{
    if (h->made_ac && rmdir(h->dir_ac) == 0)
        h->made_ac = 0;
    if (!h->made_ac && h->made_wk && rmdir(h->dir_wk) == 0)
        h->made_wk = 0;
}

static char *token_path(const ac_http01 *h, const char *token)
{
    ac_buf b;

    ac_buf_init(&b, 8192);
    if (ac_buf_appendf(&b, "%s/%s", h->dir_ac, token) != 0) {
        ac_buf_free(&b);
        return NULL;
    }
    return ac_buf_steal(&b);
}

/* Makes the challenge directories and writes the file once: -1 with errno
 * on a file system failure (ENOENT when another responder, sharing this
 * webroot, removed the emptied directories meanwhile, even between the
 * two mkdirs), *rc set when a directory could not be made. */
static int write_once(ac_http01 *h, autocert_ctx *ctx, const char *path, const char *key_auth,
                      autocert_err *rc)
{
    char *tmp = NULL;
    int e;

    if ((*rc = dir_make(ctx, h->dir_wk, &h->made_wk)) != AUTOCERT_OK ||
        (*rc = dir_make(ctx, h->dir_ac, &h->made_ac)) != AUTOCERT_OK)
        return -1;
    /* A challenge file need not survive a crash: no fsync. */
    if (ac_file_create_temp(h->dir_ac, ".autocert-tmp.", key_auth, strlen(key_auth), 0644, 0,
                            &tmp) != 0)
        return -1;
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        free(tmp);
        errno = e;
        return -1;
    }
    free(tmp);
    return 0;
}

static autocert_err write_token(ac_http01 *h, autocert_ctx *ctx, const char *token,
                                const char *key_auth)
{
    char *path = token_path(h, token);
    autocert_err rc = AUTOCERT_OK;
    int tries, r = -1;

    if (path == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    /* Another responder pruning the directories as fast as they are made
     * can win a few rounds in a row: after the first losses, each try
     * waits a little longer (at most about 0.3 s in all). */
    for (tries = 0; tries < 40; tries++) {
        if ((r = write_once(h, ctx, path, key_auth, &rc)) == 0 || errno != ENOENT)
            break;
        if (tries >= 3)
            ac_sleep_s(0.0005 * (tries - 2));
    }
    if (r != 0 && rc == AUTOCERT_OK)
        rc = ac_err(ctx, AUTOCERT_ERR_IO, "cannot write %s: %s", path, AC_STRERROR(errno));
    if (r == 0) {
        ac_err_clear(ctx); /* what a lost race recorded is no failure */
        ac_log(ctx, AUTOCERT_LOG_DEBUG, "http-01: wrote %s", path);
    }
    free(path);
    return rc;
}

static void unlink_token(ac_http01 *h, const char *token)
{
    char *path = token_path(h, token);

    if (path != NULL)
        (void)unlink(path);
    free(path);
}

/* ---- the interface ------------------------------------------------------ */

/* A webroot must be a directory this process may write. */
static autocert_err webroot_usable(autocert_ctx *ctx, const char *webroot)
{
    struct stat st;

    if (webroot[0] == '\0')
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "webroot is empty");
    if (stat(webroot, &st) != 0)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "webroot %s: %s", AC_SAFE(webroot),
                      AC_STRERROR(errno));
    if (!S_ISDIR(st.st_mode))
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "webroot %s is not a directory", AC_SAFE(webroot));
    if (access(webroot, W_OK | X_OK) != 0)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "webroot %s: cannot write there: %s",
                      AC_SAFE(webroot), AC_STRERROR(errno));
    return AUTOCERT_OK;
}

/* The webroot's challenge directories; nothing is created yet. */
static autocert_err webroot_open(ac_http01 *h, autocert_ctx *ctx, const char *webroot)
{
    autocert_err rc;

    if ((rc = webroot_usable(ctx, webroot)) != AUTOCERT_OK)
        return rc;
    h->webroot = strdup(webroot);
    h->dir_wk = ac_path_join(webroot, WELL_KNOWN, NULL);
    h->dir_ac = ac_path_join(webroot, WELL_KNOWN "/" ACME_CHALLENGE, NULL);
    if (h->webroot == NULL || h->dir_wk == NULL || h->dir_ac == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    ac_log(ctx, AUTOCERT_LOG_DEBUG, "http-01: serving from webroot %s", webroot);
    return AUTOCERT_OK;
}

autocert_err ac_http01_start(autocert_ctx *ctx, ac_live *live, const char *bind_addr,
                             unsigned port, const char *webroot, ac_http01 **out)
{
    ac_http01 *h = NULL;
    autocert_err rc;

    *out = NULL;
    if (webroot == NULL && port > 65535)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "HTTP-01 port %u is out of range", port);
    if ((h = calloc(1, sizeof(*h))) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    h->live = live;
    if (live == NULL) {
        h->own_live = 1;
        if ((h->live = ac_live_new()) == NULL) {
            pthread_mutex_destroy(&h->lock);
            free(h);
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        }
    }
    rc = webroot ? webroot_open(h, ctx, webroot) : start_daemon(h, ctx, bind_addr, port);
    if (rc == AUTOCERT_OK) {
        *out = h;
        h = NULL;
    }
    ac_http01_stop(h);
    return rc;
}

/* ac_http01_add with h->lock held. */
static autocert_err add_locked(ac_http01 *h, autocert_ctx *ctx, const char *ident, const char *token,
                               const char *key_auth)
{
    char *t = NULL;
    long i;
    autocert_err rc;

    if ((rc = ac_live_add(h->live, ctx, "http-01", ident ? ident : "", token, key_auth)) !=
        AUTOCERT_OK)
        return rc;
    i = find_token(h, token);
    if (i < 0 && (h->n >= AC_LIVE_MAX || (t = strdup(token)) == NULL)) {
        ac_live_remove(h->live, token);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    if (h->dir_ac != NULL && (rc = write_token(h, ctx, token, key_auth)) != AUTOCERT_OK) {
        if (i < 0) {
            ac_live_remove(h->live, token);
            dirs_prune(h);
        }
        free(t);
        return rc;
    }
    if (i < 0)
        h->tokens[h->n++] = t;
    return AUTOCERT_OK;
}

autocert_err ac_http01_add(ac_http01 *h, autocert_ctx *ctx, const char *ident, const char *token,
                           const char *key_auth)
{
    autocert_err rc;

    if (h == NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "no HTTP-01 responder");
    pthread_mutex_lock(&h->lock);
    rc = add_locked(h, ctx, ident, token, key_auth);
    pthread_mutex_unlock(&h->lock);
    return rc;
}

/* ac_http01_remove with h->lock held. */
static void remove_locked(ac_http01 *h, const char *token)
{
    long i;

    if (!ac_token_valid(token) || (i = find_token(h, token)) < 0)
        return;
    ac_live_remove(h->live, token);
    if (h->dir_ac != NULL) {
        unlink_token(h, token);
        if (h->n == 1)
            dirs_prune(h);
    }
    free(h->tokens[i]);
    h->tokens[i] = h->tokens[--h->n];
    h->tokens[h->n] = NULL;
}

void ac_http01_remove(ac_http01 *h, const char *token)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->lock);
    remove_locked(h, token);
    pthread_mutex_unlock(&h->lock);
}

void ac_http01_stop(ac_http01 *h)
{
    if (h == NULL)
        return;
    /* Joins the daemon's thread: nothing reads the table after this. */
    if (h->daemon != NULL)
        mhd_api()->stop_daemon(h->daemon);
    h->daemon = NULL;
    while (h->n > 0)
        remove_locked(h, h->tokens[h->n - 1]);
    if (h->dir_ac != NULL)
        dirs_prune(h);
    if (h->own_live)
        ac_live_free(h->live);
    free(h->webroot);
    free(h->dir_wk);
    free(h->dir_ac);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

unsigned ac_http01_port(const ac_http01 *h)
{
    return h ? h->port : 0;
}

/* ---- the solver ------------------------------------------------------------ */

/* A webroot must be a directory this process may write; an address must be
 * an IP literal.  Nothing is created or bound here. */
static autocert_err solver_check(autocert_ctx *ctx)
{
    unsigned char addr[16];

    if (ctx->webroot != NULL)
        return webroot_usable(ctx, ctx->webroot);
    if (ctx->http_bind != NULL && inet_pton(AF_INET, ctx->http_bind, addr) != 1 &&
        inet_pton(AF_INET6, ctx->http_bind, addr) != 1)
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "bind address '%s' is not an IPv4 or IPv6 address literal",
                      AC_SAFE(ctx->http_bind));
    return AUTOCERT_OK;
}

static autocert_err solver_open(autocert_ctx *ctx, ac_live *live, void **state)
{
    return ac_http01_start(ctx, live, ctx->http_bind, ctx->http_port, ctx->webroot,
                           (ac_http01 **)state);
}

static autocert_err solver_present(void *state, autocert_ctx *ctx, const ac_chal *c)
{
    return ac_http01_add(state, ctx, c->ident, c->token, c->key_auth);
}

static autocert_err solver_ready(void *state, autocert_ctx *ctx)
{
    /* The daemon answers, the files are written: visible at once. */
    (void)state;
    (void)ctx;
    return AUTOCERT_OK;
}

static void solver_cleanup(void *state, const ac_chal *c)
{
    ac_http01_remove(state, c->token);
}

static void solver_close(void *state)
{
    ac_http01_stop(state);
}

const ac_solver_ops ac_http01_solver = {
    "http-01", solver_check, solver_open, solver_present, solver_ready, solver_cleanup,
    solver_close,
};
