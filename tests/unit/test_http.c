/* test_http.c: the libcurl transport against a server on loopback, and the Retry-After parser. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "acme/acme.h"

/* A fixed "now" so that date arithmetic does not depend on the clock. */
#define NOW ((time_t)1700000000) /* Tue, 14 Nov 2023 22:13:20 GMT */

/* ---- Retry-After (RFC 9110 section 10.2.3) ------------------------------ */

static void http_date(time_t t, char *out, size_t size)
{
    struct tm tm;

    assert_non_null(gmtime_r(&t, &tm));
    assert_true(strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0);
}

static void test_retry_after_seconds(void **state)
{
    (void)state;
    assert_int_equal(ac_http_parse_retry_after("120", NOW), 120);
    assert_int_equal(ac_http_parse_retry_after("0", NOW), 0);
    assert_int_equal(ac_http_parse_retry_after(" 7", NOW), 7);
    assert_int_equal(ac_http_parse_retry_after("7 ", NOW), 7);
    assert_int_equal(ac_http_parse_retry_after("86400", NOW), 86400);
}

static void test_retry_after_date(void **state)
{
    char date[64];

    (void)state;
    http_date(NOW + 30, date, sizeof(date));
    assert_string_equal(date, "Tue, 14 Nov 2023 22:13:50 GMT");
    assert_int_equal(ac_http_parse_retry_after(date, NOW), 30);
    http_date(NOW + 3600, date, sizeof(date));
    assert_int_equal(ac_http_parse_retry_after(date, NOW), 3600);
    /* Now or in the past: retry at once. */
    http_date(NOW, date, sizeof(date));
    assert_int_equal(ac_http_parse_retry_after(date, NOW), 0);
    http_date(NOW - 3600, date, sizeof(date));
    assert_int_equal(ac_http_parse_retry_after(date, NOW), 0);
    /* The obsolete formats HTTP still allows (RFC 850, asctime). */
    assert_int_equal(ac_http_parse_retry_after("Tuesday, 14-Nov-23 22:14:20 GMT", NOW), 60);
    assert_int_equal(ac_http_parse_retry_after("Tue Nov 14 22:15:20 2023", NOW), 120);
}

static void test_retry_after_bad(void **state)
{
    (void)state;
    assert_int_equal(ac_http_parse_retry_after(NULL, NOW), -1);
    assert_int_equal(ac_http_parse_retry_after("", NOW), -1);
    assert_int_equal(ac_http_parse_retry_after("garbage", NOW), -1);
    assert_int_equal(ac_http_parse_retry_after("-5", NOW), -1);
    assert_int_equal(ac_http_parse_retry_after("120abc", NOW), -1);
    assert_int_equal(ac_http_parse_retry_after("1.5", NOW), -1);
    assert_int_equal(ac_http_parse_retry_after("0x10", NOW), -1);
}

/* ---- responses ------------------------------------------------------------- */

static void test_resp_init_free(void **state)
{
    ac_http_resp r;

    (void)state;
    ac_http_resp_init(&r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.retry_after, -1);
    assert_null(r.location);
    assert_null(r.nonce);
    assert_int_equal(r.body.max, AC_MAX_BODY);
    r.status = 200;
    r.location = strdup("https://x/1");
    r.nonce = strdup("n");
    r.retry_after = 5;
    assert_int_equal(ac_buf_append(&r.body, "body", 4), 0);
    ac_http_resp_free(&r);
    /* Free leaves it as new, ready for the next request. */
    assert_int_equal(r.status, 0);
    assert_int_equal(r.retry_after, -1);
    assert_null(r.location);
    assert_null(r.body.data);
    assert_int_equal(r.body.max, AC_MAX_BODY);
    ac_http_resp_free(&r);
}

/* ---- a server on loopback ------------------------------------------------------ */

typedef struct {
    pthread_mutex_t mu;
    char method[16];
    char url[128];
    char content_type[128];
    char user_agent[128];
    char body[4096];
    size_t body_len;
    int requests;
} seen;

typedef struct {
    struct MHD_Daemon *d;
    unsigned port;
    seen s;
    int silent_fd; /* a listener that never answers */
    unsigned silent_port;
    unsigned closed_port; /* a port nothing listens on */
    autocert_ctx *ctx;
} server;

typedef struct {
    char body[4096];
    size_t len;
} upload;

static ssize_t produce(void *cls, uint64_t pos, char *buf, size_t max)
{
    uint64_t total = *(uint64_t *)cls;
    size_t n;

    if (pos >= total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    n = total - pos < max ? (size_t)(total - pos) : max;
    memset(buf, 'b', n);
    return (ssize_t)n;
}

static enum MHD_Result send_body(struct MHD_Connection *c, unsigned status, const char *body,
                                 const char *const *headers)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (r == NULL)
        return MHD_NO;
    for (; headers && headers[0]; headers += 2)
        MHD_add_response_header(r, headers[0], headers[1]);
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_size(struct MHD_Connection *c, uint64_t *size, int known)
{
    struct MHD_Response *r = MHD_create_response_from_callback(
        known ? *size : MHD_SIZE_UNKNOWN, 64 * 1024, produce, size, NULL);
    enum MHD_Result ret;

    if (r == NULL)
        return MHD_NO;
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static void note(seen *s, struct MHD_Connection *c, const char *method, const char *url,
                 const upload *u)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");

    pthread_mutex_lock(&s->mu);
    s->requests++;
    snprintf(s->method, sizeof(s->method), "%s", method);
    snprintf(s->url, sizeof(s->url), "%s", url);
    snprintf(s->content_type, sizeof(s->content_type), "%s", ct ? ct : "");
    snprintf(s->user_agent, sizeof(s->user_agent), "%s", ua ? ua : "");
    memcpy(s->body, u->body, u->len);
    s->body[u->len] = '\0';
    s->body_len = u->len;
    pthread_mutex_unlock(&s->mu);
}

static uint64_t over_max = (uint64_t)AC_MAX_BODY + 1;
static uint64_t at_max = (uint64_t)AC_MAX_BODY;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    server *srv = cls;
    upload *u = *req_cls;
    static const char *const acme_headers[] = {
        "Location", "https://ca.example/order/7", "Replay-Nonce", "nonce-abc_123",
        "Retry-After", "120", NULL};
    static const char *const plain_headers[] = {"Content-Type", "text/plain", NULL};
    char date[64];

    (void)version;
    if (u == NULL) {
        if ((u = calloc(1, sizeof(*u))) == NULL)
            return MHD_NO;
        *req_cls = u;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        if (n > sizeof(u->body) - 1 - u->len)
            n = sizeof(u->body) - 1 - u->len;
        memcpy(u->body + u->len, upload_data, n);
        u->len += n;
        *upload_data_size = 0;
        return MHD_YES;
    }
    note(&srv->s, c, method, url, u);
    if (strcmp(url, "/acme") == 0)
        return send_body(c, MHD_HTTP_CREATED, "{\"status\":\"pending\"}", acme_headers);
    if (strcmp(url, "/date") == 0) {
        const char *h[] = {"Retry-After", date, NULL};
        struct tm tm;
        time_t t = time(NULL) + 3600;

        gmtime_r(&t, &tm);
        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        return send_body(c, MHD_HTTP_SERVICE_UNAVAILABLE, "busy", h);
    }
    if (strcmp(url, "/links") == 0) {
        const char *h[] = {
            "Link", "<https://ca.example/cert/1/alt/1>;rel=\"alternate\", "
                    "<https://ca.example/up>;rel=\"up\"",
            "Link", "</cert/1/alt/2>; title=\"a, b; c\"; rel=\"index alternate\"",
            "Link", "<https://other.example/>;rel=alternates",
            NULL};
        return send_body(c, MHD_HTTP_OK, "chain", h);
    }
    if (strcmp(url, "/echo") == 0)
        return send_body(c, MHD_HTTP_OK, u->body, plain_headers);
    if (strcmp(url, "/big") == 0)
        return send_size(c, &over_max, 0);
    if (strcmp(url, "/big-length") == 0)
        return send_size(c, &over_max, 1);
    if (strcmp(url, "/exact") == 0)
        return send_size(c, &at_max, 0);
    return send_body(c, MHD_HTTP_NOT_FOUND, "not here", plain_headers);
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*req_cls);
    *req_cls = NULL;
}

/* A listening socket on 127.0.0.1 with an ephemeral port. */
static int listener(unsigned *port)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static int server_setup(void **state)
{
    server *srv = calloc(1, sizeof(*srv));
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *info;
    int fd;

    if (srv == NULL || (srv->ctx = autocert_ctx_new()) == NULL)
        return -1;
    pthread_mutex_init(&srv->s.mu, NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
                              on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                              MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
    if (srv->d == NULL || (info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT)) == NULL)
        return -1;
    srv->port = info->port;
    srv->silent_fd = listener(&srv->silent_port);
    /* A port that was free a moment ago and is closed now. */
    fd = listener(&srv->closed_port);
    close(fd);
    *state = srv;
    return 0;
}

static int server_teardown(void **state)
{
    server *srv = *state;

    MHD_stop_daemon(srv->d);
    close(srv->silent_fd);
    pthread_mutex_destroy(&srv->s.mu);
    autocert_ctx_free(srv->ctx);
    free(srv);
    return 0;
}

/* One request through the transport, on the state *tstate. */
static autocert_err fetch(server *srv, void **tstate, const char *method, unsigned port,
                          const char *path, const char *body, double timeout,
                          ac_http_resp *resp)
{
    char url[128];
    ac_http_req req;

    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    req.method = method;
    req.url = url;
    req.body = body;
    req.timeout = timeout;
    return ac_http_transport.request(NULL, tstate, srv->ctx, &req, resp);
}

static void test_get_headers(void **state)
{
    server *srv = *state;
    void *ts = NULL;
    ac_http_resp resp;

    ac_http_resp_init(&resp);
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/acme", NULL, 10, &resp), AUTOCERT_OK);
    assert_non_null(ts);
    assert_int_equal(resp.status, 201);
    assert_string_equal(resp.location, "https://ca.example/order/7");
    assert_string_equal(resp.nonce, "nonce-abc_123");
    assert_int_equal(resp.retry_after, 120);
    assert_string_equal((char *)resp.body.data, "{\"status\":\"pending\"}");
    assert_int_equal(resp.connects, 1);
    assert_string_equal(srv->s.method, "GET");
    assert_string_equal(srv->s.url, "/acme");
    assert_true(strncmp(srv->s.user_agent, "autocert/" PACKAGE_VERSION " libcurl/",
                        strlen("autocert/" PACKAGE_VERSION " libcurl/")) == 0);
    ac_http_resp_free(&resp);

    /* Another request on the same state: the connection is kept. */
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/other", NULL, 10, &resp), AUTOCERT_OK);
    assert_int_equal(resp.status, 404);
    assert_null(resp.location);
    assert_null(resp.nonce);
    assert_int_equal(resp.retry_after, -1);
    assert_int_equal(resp.connects, 0);
    ac_http_resp_free(&resp);

    /* Retry-After as a date. */
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/date", NULL, 10, &resp), AUTOCERT_OK);
    assert_int_equal(resp.status, 503);
    assert_true(resp.retry_after > 3500);
    assert_true(resp.retry_after <= 3600);
    ac_http_resp_free(&resp);

    /* HEAD: headers, no body. */
    assert_int_equal(fetch(srv, &ts, "HEAD", srv->port, "/acme", NULL, 10, &resp), AUTOCERT_OK);
    assert_string_equal(srv->s.method, "HEAD");
    assert_int_equal(resp.status, 201);
    assert_string_equal(resp.nonce, "nonce-abc_123");
    assert_int_equal(resp.body.len, 0);
    ac_http_resp_free(&resp);
    /* A POST after it sends and gets a body again, and so does a GET. */
    assert_int_equal(fetch(srv, &ts, "POST", srv->port, "/echo", "{}", 10, &resp), AUTOCERT_OK);
    assert_string_equal(srv->s.method, "POST");
    assert_string_equal(srv->s.body, "{}");
    assert_string_equal((char *)resp.body.data, "{}");
    ac_http_resp_free(&resp);
    assert_int_equal(fetch(srv, &ts, "HEAD", srv->port, "/acme", NULL, 10, &resp), AUTOCERT_OK);
    ac_http_resp_free(&resp);
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/acme", NULL, 10, &resp), AUTOCERT_OK);
    assert_string_equal(srv->s.method, "GET");
    assert_true(resp.body.len > 0);
    ac_http_resp_free(&resp);
    ac_http_transport.cleanup(NULL, ts);
}

/* How many of the process's sockets connected to `port` on loopback are
 * close-on-exec (*cloexec) and in all (the return value). */
static int sockets_to(unsigned port, int *cloexec)
{
    struct sockaddr_in peer;
    socklen_t len;
    int fd, n = 0;

    *cloexec = 0;
    for (fd = 3; fd < 1024; fd++) {
        len = sizeof(peer);
        if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0 || peer.sin_family != AF_INET ||
            ntohs(peer.sin_port) != port)
            continue;
        n++;
        if (fcntl(fd, F_GETFD) & FD_CLOEXEC)
            (*cloexec)++;
    }
    return n;
}

/* The connection a session keeps open is close-on-exec: a hook or any
 * program the process starts does not inherit it. */
static void test_sockets_close_on_exec(void **state)
{
    server *srv = *state;
    void *ts = NULL;
    ac_http_resp resp;
    int cloexec;

    ac_http_resp_init(&resp);
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/acme", NULL, 10, &resp), AUTOCERT_OK);
    ac_http_resp_free(&resp);
    assert_int_equal(sockets_to(srv->port, &cloexec), 1);
    assert_int_equal(cloexec, 1);
    ac_http_transport.cleanup(NULL, ts);
}

/* ---- Link (RFC 8288) ----------------------------------------------------- */

static void test_links_parsed(void **state)
{
    ac_http_resp r;
    size_t i;

    (void)state;
    ac_http_resp_init(&r);
    assert_int_equal(ac_http_parse_links(&r, "<https://ca.example/cert/7/1>;rel=\"alternate\"",
                                         "https://ca.example/cert/7"), 0);
    assert_int_equal(ac_http_parse_links(&r, " <https://ca.example/a>; rel=alternate , "
                                         "<https://ca.example/b>;rel=\"up\", "
                                         "<https://ca.example/c>;REL=\"next Alternate\"",
                                         "https://ca.example/x"), 0);
    /* Paths are resolved against the request's origin; other references,
     * and relations that only start like it, are not taken. */
    assert_int_equal(ac_http_parse_links(&r, "</cert/7/2>;rel=alternate, <rel/3>;rel=alternate, "
                                         "<//evil.example/4>;rel=alternate, "
                                         "<https://ca.example/d>;rel=alternates",
                                         "https://ca.example:14000/cert/7"), 0);
    assert_int_equal(r.n_alternates, 4);
    assert_string_equal(r.alternates[0], "https://ca.example/cert/7/1");
    assert_string_equal(r.alternates[1], "https://ca.example/a");
    assert_string_equal(r.alternates[2], "https://ca.example/c");
    assert_string_equal(r.alternates[3], "https://ca.example:14000/cert/7/2");
    ac_http_resp_free(&r);
    assert_int_equal(r.n_alternates, 0);
    assert_null(r.alternates);

    /* Garbage ends the parsing, quietly; a quoted comma is no separator. */
    assert_int_equal(ac_http_parse_links(&r, "<https://ca.example/q>;title=\"x, <https://bad/>;"
                                         "rel=alternate\";rel=alternate", "https://ca.example/"),
                     0);
    assert_int_equal(ac_http_parse_links(&r, "https://ca.example/no-brackets;rel=alternate",
                                         "https://ca.example/"), 0);
    assert_int_equal(ac_http_parse_links(&r, "<https://ca.example/open;rel=alternate",
                                         "https://ca.example/"), 0);
    assert_int_equal(ac_http_parse_links(&r, "<https://ca.example/u>;title=\"unterminated;"
                                         "rel=alternate", "https://ca.example/"), 0);
    assert_int_equal(ac_http_parse_links(&r, "", "https://ca.example/"), 0);
    assert_int_equal(r.n_alternates, 1);
    assert_string_equal(r.alternates[0], "https://ca.example/q");
    ac_http_resp_free(&r);

    /* Bounded. */
    for (i = 0; i < 20; i++)
        assert_int_equal(ac_http_parse_links(&r, "<https://ca.example/n>;rel=alternate",
                                             "https://ca.example/"), 0);
    assert_int_equal(r.n_alternates, AC_MAX_ALTERNATES);
    ac_http_resp_free(&r);
}

static void test_links_from_headers(void **state)
{
    server *srv = *state;
    void *ts = NULL;
    ac_http_resp resp;
    char want[128];

    ac_http_resp_init(&resp);
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/links", NULL, 10, &resp), AUTOCERT_OK);
    assert_int_equal(resp.n_alternates, 2);
    assert_string_equal(resp.alternates[0], "https://ca.example/cert/1/alt/1");
    snprintf(want, sizeof(want), "http://127.0.0.1:%u/cert/1/alt/2", srv->port);
    assert_string_equal(resp.alternates[1], want);
    ac_http_resp_free(&resp);
    /* A response without Link headers has none. */
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/acme", NULL, 10, &resp), AUTOCERT_OK);
    assert_int_equal(resp.n_alternates, 0);
    ac_http_resp_free(&resp);
    ac_http_transport.cleanup(NULL, ts);
}

static void test_post(void **state)
{
    server *srv = *state;
    static const char jws[] = "{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\","
                              "\"signature\":\"c2ln\"}";
    void *ts = NULL;
    ac_http_resp resp;

    ac_http_resp_init(&resp);
    assert_int_equal(fetch(srv, &ts, "POST", srv->port, "/echo", jws, 10, &resp), AUTOCERT_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal(srv->s.method, "POST");
    assert_string_equal(srv->s.content_type, "application/jose+json");
    assert_int_equal(srv->s.body_len, strlen(jws));
    assert_string_equal(srv->s.body, jws);
    assert_string_equal((char *)resp.body.data, jws);
    ac_http_resp_free(&resp);
    /* A GET on the same handle is a GET again, without the JOSE type. */
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/echo", NULL, 10, &resp), AUTOCERT_OK);
    assert_string_equal(srv->s.method, "GET");
    assert_string_equal(srv->s.content_type, "");
    assert_int_equal(srv->s.body_len, 0);
    ac_http_resp_free(&resp);
    /* An empty POST body (POST-as-GET is "" signed, but the body is never
     * empty; an empty one still goes as a POST). */
    assert_int_equal(fetch(srv, &ts, "POST", srv->port, "/echo", "", 10, &resp), AUTOCERT_OK);
    assert_string_equal(srv->s.method, "POST");
    assert_int_equal(srv->s.body_len, 0);
    ac_http_resp_free(&resp);
    ac_http_transport.cleanup(NULL, ts);
}

static void test_body_bound(void **state)
{
    server *srv = *state;
    void *ts = NULL;
    ac_http_resp resp;

    ac_http_resp_init(&resp);
    /* Exactly the maximum is fine. */
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/exact", NULL, 10, &resp), AUTOCERT_OK);
    assert_int_equal(resp.body.len, AC_MAX_BODY);
    ac_http_resp_free(&resp);
    /* One byte more: chunked, then with a Content-Length. */
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/big", NULL, 10, &resp),
                     AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(srv->ctx), "larger than"));
    assert_non_null(strstr(autocert_last_error(srv->ctx), "/big"));
    assert_true(resp.body.len <= AC_MAX_BODY);
    ac_http_resp_free(&resp);
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/big-length", NULL, 10, &resp),
                     AUTOCERT_ERR_PROTOCOL);
    assert_non_null(strstr(autocert_last_error(srv->ctx), "larger than"));
    ac_http_resp_free(&resp);
    /* The handle still works. */
    assert_int_equal(fetch(srv, &ts, "GET", srv->port, "/acme", NULL, 10, &resp), AUTOCERT_OK);
    assert_int_equal(resp.status, 201);
    ac_http_resp_free(&resp);
    ac_http_transport.cleanup(NULL, ts);
}

static void test_no_answer_times_out(void **state)
{
    server *srv = *state;
    void *ts = NULL;
    ac_http_resp resp;
    double t0, dt;

    ac_http_resp_init(&resp);
    /* The connection is accepted by the kernel; nothing ever answers. */
    t0 = ac_now();
    assert_int_equal(fetch(srv, &ts, "GET", srv->silent_port, "/dir", NULL, 0.5, &resp),
                     AUTOCERT_ERR_TIMEOUT);
    dt = ac_now() - t0;
    assert_true(dt >= 0.4);
    assert_true(dt < 2.0);
    assert_non_null(strstr(autocert_last_error(srv->ctx), "/dir"));
    ac_http_resp_free(&resp);
    ac_http_transport.cleanup(NULL, ts);
}

static void test_refused(void **state)
{
    server *srv = *state;
    void *ts = NULL;
    ac_http_resp resp;
    char url[64];

    ac_http_resp_init(&resp);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/directory", srv->closed_port);
    assert_int_equal(fetch(srv, &ts, "GET", srv->closed_port, "/directory", NULL, 5, &resp),
                     AUTOCERT_ERR_NETWORK);
    assert_non_null(strstr(autocert_last_error(srv->ctx), url));
    assert_non_null(strstr(autocert_last_error(srv->ctx), "GET"));
    assert_int_equal(resp.status, 0);
    ac_http_resp_free(&resp);
    /* A scheme the transport does not speak. */
    {
        ac_http_req req = {"GET", "ftp://127.0.0.1/x", NULL, 5};
        assert_int_equal(ac_http_transport.request(NULL, &ts, srv->ctx, &req, &resp),
                         AUTOCERT_ERR_NETWORK);
        assert_non_null(strstr(autocert_last_error(srv->ctx), "ftp://127.0.0.1/x"));
    }
    ac_http_resp_free(&resp);
    ac_http_transport.cleanup(NULL, ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_after_seconds),
        cmocka_unit_test(test_retry_after_date),
        cmocka_unit_test(test_retry_after_bad),
        cmocka_unit_test(test_resp_init_free),
        cmocka_unit_test_setup_teardown(test_get_headers, server_setup, server_teardown),
        cmocka_unit_test_setup_teardown(test_post, server_setup, server_teardown),
        cmocka_unit_test_setup_teardown(test_sockets_close_on_exec, server_setup,
                                        server_teardown),
        cmocka_unit_test(test_links_parsed),
        cmocka_unit_test_setup_teardown(test_links_from_headers, server_setup, server_teardown),
        cmocka_unit_test_setup_teardown(test_body_bound, server_setup, server_teardown),
        cmocka_unit_test_setup_teardown(test_no_answer_times_out, server_setup, server_teardown),
        cmocka_unit_test_setup_teardown(test_refused, server_setup, server_teardown),
    };

    /* The server is on loopback: no proxy from the environment between. */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
