/* test_http01.c: the HTTP-01 responder: the embedded daemon attacked on loopback (paths, methods, malformed requests, floods), its connection rules, its redirect to https, and webroot files. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "challenge/challenge.h"

#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEYAUTH TOKEN ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
#define PREFIX "/.well-known/acme-challenge/"

/* ---- a small HTTP client ------------------------------------------------ */

struct reply {
    long status;
    char body[2048];
    size_t len;
    char ctype[128];
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t len = size * n;

    if (len > sizeof(r->body) - 1 - r->len)
        return 0; /* larger than any answer we expect: fail the transfer */
    memcpy(r->body + r->len, p, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

/* method "GET", "HEAD" or "POST"; 0 when the transfer succeeded. */
static int fetch(const char *method, const char *host, unsigned port, const char *path,
                 struct reply *r)
{
    CURL *c = curl_easy_init();
    char url[512];
    char *ct = NULL;
    CURLcode cc;

    memset(r, 0, sizeof(*r));
    if (c == NULL)
        return -1;
    snprintf(url, sizeof(url), "http://%s:%u%s", host, port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "a=b");
    cc = curl_easy_perform(c);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
            snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
    } else {
        print_message("fetch %s %s: %s\n", method, url, curl_easy_strerror(cc));
    }
    curl_easy_cleanup(c);
    return cc == CURLE_OK ? 0 : -1;
}

static long status_of(const char *method, const char *host, unsigned port, const char *path)
{
    struct reply r;

    assert_int_equal(fetch(method, host, port, path, &r), 0);
    return r.status;
}

/* ---- a raw client: bytes no HTTP library would send ------------------- */

#define RAW_MAX 8192 /* of an answer kept */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A non-blocking TCP socket connecting to 127.0.0.1:port from `src` (NULL:
 * any loopback address); -1 when it cannot even start. */
static int raw_start(const char *src, unsigned port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    if (src != NULL && (inet_pton(AF_INET, src, &a.sin_addr) != 1 ||
                        bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)) {
        close(fd);
        return -1;
    }
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Waits up to `ms` for `events` on fd: nonzero when they came. */
static int raw_wait(int fd, short events, int ms)
{
    struct pollfd p;

    p.fd = fd;
    p.events = events;
    p.revents = 0;
    return poll(&p, 1, ms) == 1;
}

/* A connected socket from `src`, within 3 s; -1 otherwise. */
static int raw_connect(const char *src, unsigned port)
{
    int fd = raw_start(src, port), e = 0;
    socklen_t elen = sizeof(e);

    if (fd < 0)
        return -1;
    if (!raw_wait(fd, POLLOUT, 3000) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0 ||
        e != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends all of p within 3 s: 0, or -1 when the server closed or stopped reading. */
static int raw_send(int fd, const void *p, size_t len)
{
    const char *c = p;
    ssize_t n;

    while (len > 0) {
        if (!raw_wait(fd, POLLOUT, 3000))
            return -1;
        n = send(fd, c, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return -1;
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads what the server sends until it closes or `ms` pass; the first
 * RAW_MAX - 1 bytes into buf (terminated).  1 when it closed, 0 when the
 * time ran out. */
static int raw_read(int fd, char *buf, int ms)
{
    double end = now_s() + ms / 1000.0;
    size_t len = 0;
    char tmp[4096];
    ssize_t n;

    buf[0] = '\0';
    for (;;) {
        int left = (int)((end - now_s()) * 1000);
        if (left <= 0 || !raw_wait(fd, POLLIN, left))
            return 0;
        n = recv(fd, tmp, sizeof(tmp), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return 1;
        if ((size_t)n > RAW_MAX - 1 - len)
            n = (ssize_t)(RAW_MAX - 1 - len);
        memcpy(buf + len, tmp, (size_t)n);
        len += (size_t)n;
        buf[len] = '\0';
    }
}

/* The status of an answer, 0 when there is no status line. */
static int raw_status(const char *answer)
{
    int status = 0;

    if (sscanf(answer, "HTTP/1.%*1[01] %3d", &status) != 1)
        return 0;
    return status;
}

/* Sends req on a new connection and reads the answer into buf until the
 * server closes or `ms` pass; the answer's status, 0 when it had none.
 * *closed (unless NULL): whether the server closed. */
static int raw_try(unsigned port, const void *req, size_t len, char *buf, int ms, int *closed)
{
    int fd = raw_connect(NULL, port), c;

    assert_true(fd >= 0);
    (void)raw_send(fd, req, len); /* the server may close before reading it all */
    c = raw_read(fd, buf, ms);
    close(fd);
    if (closed != NULL)
        *closed = c;
    return raw_status(buf);
}

/* raw_try where the server must close within 3 s. */
static int raw_ask(unsigned port, const void *req, size_t len, char *buf)
{
    int closed, status = raw_try(port, req, len, buf, 3000, &closed);

    if (!closed)
        print_message("no close within 3 s after: %.60s\n", (const char *)req);
    assert_true(closed);
    return status;
}

/* Sends req on a new connection: the status answered within `ms`, 0 when none. */
static int raw_status_within(unsigned port, const char *req, size_t len, int ms)
{
    char buf[RAW_MAX];
    int fd = raw_connect(NULL, port);

    assert_true(fd >= 0);
    assert_int_equal(raw_send(fd, req, len), 0);
    (void)raw_read(fd, buf, ms);
    close(fd);
    return raw_status(buf);
}

/* GET target with Host and Connection: close; the status. */
static int raw_get(unsigned port, const char *target, char *buf)
{
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                       "Connection: close\r\n\r\n", target);

    assert_true(n > 0 && (size_t)n < sizeof(req));
    return raw_ask(port, req, (size_t)n, buf);
}

/* The exact target is answered with the key authorization. */
static void assert_served(unsigned port)
{
    char buf[RAW_MAX];
    const char *body;

    assert_int_equal(raw_get(port, PREFIX TOKEN, buf), 200);
    body = strstr(buf, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, KEYAUTH);
}

/* An answer that is not 200 and does not carry the token or its key
 * authorization (an answer that echoed the request would). */
static void assert_refused(const char *what, int status, const char *answer)
{
    if (status == 200 || strstr(answer, TOKEN) != NULL)
        print_message("%s: answered %d: %.300s\n", what, status, answer);
    assert_int_not_equal(status, 200);
    assert_null(strstr(answer, TOKEN));
}

/* A responder on 127.0.0.1 serving TOKEN; its port in *port. */
static ac_http01 *serving(unsigned *port)
{
    ac_http01 *h = NULL;

    assert_int_equal(ac_http01_start(NULL, NULL, "127.0.0.1", 0, NULL, &h), AUTOCERT_OK);
    assert_int_equal(ac_http01_add(h, NULL, "example.org", TOKEN, KEYAUTH), AUTOCERT_OK);
    *port = ac_http01_port(h);
    return h;
}

/* ---- ac_token_valid ----------------------------------------------------- */

static void test_token_valid(void **state)
{
    char longtok[300];

    (void)state;
    assert_true(ac_token_valid(TOKEN));
    assert_true(ac_token_valid("a"));
    assert_true(ac_token_valid("A-z_09"));
    assert_false(ac_token_valid(NULL));
    assert_false(ac_token_valid(""));
    assert_false(ac_token_valid("a/b"));
    assert_false(ac_token_valid("/"));
    assert_false(ac_token_valid(".."));
    assert_false(ac_token_valid("../etc"));
    assert_false(ac_token_valid("%2e%2e"));
    assert_false(ac_token_valid("a.b"));
    assert_false(ac_token_valid("a b"));
    assert_false(ac_token_valid("a\\b"));
    assert_false(ac_token_valid("abc\n"));
    assert_false(ac_token_valid("a=="));
    memset(longtok, 'a', 256);
    longtok[256] = '\0';
    assert_true(ac_token_valid(longtok));
    memset(longtok, 'a', 257);
    longtok[257] = '\0';
    assert_false(ac_token_valid(longtok));
}

/* ---- ac_http01_token_of: the target as sent decides -------------------- */

static void test_token_of(void **state)
{
    static const char *const others[] = {
        PREFIX TOKEN "?", PREFIX TOKEN "?x", PREFIX TOKEN "#", PREFIX TOKEN "#f",
        PREFIX TOKEN ";p", PREFIX TOKEN "%00", PREFIX TOKEN "/", PREFIX TOKEN ".",
        PREFIX TOKEN " ", PREFIX TOKEN "\r", PREFIX "%65" TOKEN, PREFIX "./" TOKEN,
        PREFIX "../acme-challenge/" TOKEN, "/.well-known/./acme-challenge/" TOKEN,
        "//.well-known/acme-challenge/" TOKEN, "/.well-known//acme-challenge/" TOKEN,
        PREFIX "/" TOKEN, "/.well-known\\acme-challenge\\" TOKEN, "/.WELL-KNOWN/acme-challenge/" TOKEN,
        "/.well-known/Acme-Challenge/" TOKEN, "/.well-known%2Facme-challenge%2F" TOKEN,
        "http://127.0.0.1" PREFIX TOKEN, ".well-known/acme-challenge/" TOKEN, PREFIX, "/", "",
        "*", "127.0.0.1:80",
    };
    const char *t = PREFIX TOKEN;
    size_t i;

    (void)state;
    assert_ptr_equal(ac_http01_token_of(t), t + strlen(PREFIX));
    assert_string_equal(ac_http01_token_of(PREFIX "a"), "a");
    assert_null(ac_http01_token_of(NULL));
    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        if (ac_http01_token_of(others[i]) != NULL)
            print_message("taken as a challenge path: %s\n", others[i]);
        assert_null(ac_http01_token_of(others[i]));
    }
}

/* ---- conns.c: clients, and who gives way ------------------------------- */

static ac_client client_of(const char *addr)
{
    struct sockaddr_in s4;
    struct sockaddr_in6 s6;
    ac_client c;

    memset(&s4, 0, sizeof(s4));
    memset(&s6, 0, sizeof(s6));
    if (inet_pton(AF_INET, addr, &s4.sin_addr) == 1) {
        s4.sin_family = AF_INET;
        s4.sin_port = htons(1234);
        assert_int_equal(ac_conns_client((struct sockaddr *)&s4, sizeof(s4), &c), 0);
    } else {
        assert_int_equal(inet_pton(AF_INET6, addr, &s6.sin6_addr), 1);
        s6.sin6_family = AF_INET6;
        s6.sin6_port = htons(4321);
        assert_int_equal(ac_conns_client((struct sockaddr *)&s6, sizeof(s6), &c), 0);
    }
    return c;
}

static int same_client(const char *a, const char *b)
{
    ac_client x = client_of(a), y = client_of(b);

    return memcmp(&x, &y, sizeof(x)) == 0;
}

/* An IPv4 address is a client, mapped or not; an IPv6 /64 is one. */
static void test_conns_client(void **state)
{
    struct sockaddr_in s4;
    struct sockaddr un = { .sa_family = AF_UNIX };
    ac_client c;

    (void)state;
    assert_true(same_client("127.0.0.1", "127.0.0.1"));
    assert_true(same_client("192.0.2.7", "::ffff:192.0.2.7"));
    assert_false(same_client("127.0.0.1", "127.0.0.2"));
    assert_false(same_client("10.0.0.1", "11.0.0.1"));
    assert_false(same_client("0.0.0.0", "::"));
    assert_false(same_client("0.0.0.0", "::ffff:0.0.0.1"));
    assert_true(same_client("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"));
    assert_true(same_client("::1", "::2"));
    assert_false(same_client("2001:db8:1:2::1", "2001:db8:1:3::1"));
    assert_false(same_client("2001:db8::1", "2002:db8::1"));
    assert_false(same_client("::1", "0.0.0.1"));
    assert_false(same_client("::ffff:0:1", "::1"));
    assert_int_equal(ac_conns_client(&un, sizeof(un), &c), -1);
    assert_int_equal(ac_conns_client(NULL, 0, &c), -1);
    memset(&s4, 0, sizeof(s4));
    s4.sin_family = AF_INET;
    assert_int_equal(ac_conns_client((struct sockaddr *)&s4, sizeof(s4) - 1, &c), -1);
}

/* Admits a connection from `who` at `now` (fd `fd`): the slot, or -1 when
 * refused; victims in v[], *nv. */
static long conns_come(ac_conns *t, const char *who, int fd, double now, int *v, size_t *nv)
{
    ac_client c = client_of(who);

    if (!ac_conns_admit(t, &c, now, v, nv))
        return -1;
    return ac_conns_add(t, &c, fd, now);
}

static void test_conns_rules(void **state)
{
    ac_conns *t = calloc(1, sizeof(*t));
    int v[AC_CONNS_MAX + 1], fd;
    size_t nv;
    long slot[AC_CONNS_CROWDED];

    (void)state;
    assert_non_null(t);
    /* No cap a client: one address opens up to the crowded mark freely. */
    for (fd = 0; fd < AC_CONNS_CROWDED; fd++) {
        slot[fd] = conns_come(t, "192.0.2.1", 100 + fd, fd * 0.01, v, &nv);
        assert_true(slot[fd] >= 0);
        assert_int_equal(nv, 0);
    }
    assert_int_equal(t->open, AC_CONNS_CROWDED);
    /* Then it holds the most: its newcomer is refused... */
    assert_int_equal(conns_come(t, "192.0.2.1", 999, 3.0, v, &nv), -1);
    assert_int_equal(nv, 0);
    /* ...while someone else's takes its oldest place. */
    assert_true(conns_come(t, "192.0.2.2", 500, 3.0, v, &nv) >= 0);
    assert_int_equal(nv, 1);
    assert_int_equal(v[0], 100);
    assert_int_equal(t->open, AC_CONNS_CROWDED);
    assert_int_equal(t->used, AC_CONNS_CROWDED + 1);
    assert_true(conns_come(t, "192.0.2.2", 501, 3.0, v, &nv) >= 0);
    assert_int_equal(v[0], 101);
    /* The closed ones leave; closing twice is harmless. */
    ac_conns_remove(t, slot[0]);
    ac_conns_remove(t, slot[0]);
    ac_conns_remove(t, slot[1]);
    ac_conns_remove(t, -1);
    assert_int_equal(t->used, AC_CONNS_CROWDED);
    /* Ten seconds old: closed when another client comes, not its own. */
    assert_true(conns_come(t, "192.0.2.1", 600, 9.9, v, &nv) < 0);
    assert_true(conns_come(t, "192.0.2.3", 601, 9.99, v, &nv) >= 0);
    assert_int_equal(nv, 1); /* only the oldest: none is 10 s old yet */
    assert_int_equal(v[0], 102);
    assert_true(conns_come(t, "192.0.2.3", 602, 10.045, v, &nv) >= 0);
    assert_int_equal(nv, 2); /* 103 and 104 are 10 s old */
    assert_int_equal(v[0], 103);
    assert_int_equal(v[1], 104);
    assert_int_equal(t->open, AC_CONNS_CROWDED - 1);
    free(t);
}

/* Sixteen clients holding as many. */
static void test_conns_many(void **state)
{
    ac_conns *t = calloc(1, sizeof(*t));
    int v[AC_CONNS_MAX + 1], fd;
    size_t nv;
    char addr[32];

    (void)state;
    assert_non_null(t);
    for (fd = 0; fd < AC_CONNS_CROWDED; fd++) {
        snprintf(addr, sizeof(addr), "10.0.0.%d", fd % 16); /* 16 clients, 12 each */
        assert_true(conns_come(t, addr, fd, 0.0, v, &nv) >= 0);
    }
    /* A tie: the newcomer of one of them is refused; a new client is not. */
    assert_true(conns_come(t, "10.0.0.3", 900, 1.0, v, &nv) < 0);
    assert_true(conns_come(t, "10.0.0.99", 901, 1.0, v, &nv) >= 0);
    assert_int_equal(nv, 1);
    assert_int_equal(v[0], 0); /* the oldest of the first of the largest */
    assert_int_equal(t->used, AC_CONNS_CROWDED + 1);
    /* Displacing until the table is full of connections not closed yet. */
    for (fd = 0; t->used < AC_CONNS_MAX; fd++) {
        snprintf(addr, sizeof(addr), "10.0.1.%d", fd);
        assert_true(conns_come(t, addr, 1000 + fd, 1.0, v, &nv) >= 0);
        assert_int_equal(nv, 1);
    }
    assert_true(conns_come(t, "10.0.2.1", 2000, 1.0, v, &nv) < 0);
    assert_int_equal(t->open, AC_CONNS_CROWDED);
    free(t);
}

/* ---- embedded daemon ---------------------------------------------------- */

static void test_daemon_serves_token(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    ac_http01 *h = NULL;
    struct reply r;
    unsigned port;

    (void)state;
    assert_non_null(ctx);
    assert_int_equal(ac_http01_start(ctx, NULL, "127.0.0.1", 0, NULL, &h), AUTOCERT_OK);
    assert_non_null(h);
    port = ac_http01_port(h);
    assert_true(port > 0 && port <= 65535);

    /* Nothing published yet. */
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX TOKEN), 404);

    assert_int_equal(ac_http01_add(h, ctx, "example.org", TOKEN, KEYAUTH), AUTOCERT_OK);
    assert_int_equal(fetch("GET", "127.0.0.1", port, PREFIX TOKEN, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, strlen(KEYAUTH));
    assert_string_equal(r.body, KEYAUTH);
    assert_string_equal(r.ctype, "text/plain");

    assert_int_equal(fetch("HEAD", "127.0.0.1", port, PREFIX TOKEN, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    assert_string_equal(r.ctype, "text/plain");

    /* Unknown tokens and other paths. */
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX "unknownToken"), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, "/"), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, "/.well-known/"), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX "../x"), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX "%2e%2e"), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX TOKEN "/"), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX TOKEN "x"), 404);
    /* Only the exact path: not the token followed by an encoded NUL, nor
     * an encoded token, nor another case. */
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX TOKEN "%00"), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX TOKEN "%00.txt"), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX TOKEN "%2F"), 404);
    /* "%65" is "e": the token, encoded. */
    assert_int_equal(status_of("GET", "127.0.0.1", port,
                               PREFIX "%65vaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, "/.WELL-KNOWN/acme-challenge/" TOKEN), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, "/.well-known/./acme-challenge/" TOKEN),
                     404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, "//.well-known/acme-challenge/" TOKEN),
                     404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, "/" TOKEN), 404);
    assert_int_equal(status_of("GET", "127.0.0.1", port, "/.well-known/acme-challenge" TOKEN),
                     404);
    assert_int_equal(status_of("HEAD", "127.0.0.1", port, PREFIX "nope"), 404);

    /* Other methods. */
    assert_int_equal(status_of("POST", "127.0.0.1", port, PREFIX TOKEN), 405);

    /* Replacing a token's key authorization. */
    assert_int_equal(ac_http01_add(h, ctx, "example.org", TOKEN, "other.value"), AUTOCERT_OK);
    assert_int_equal(fetch("GET", "127.0.0.1", port, PREFIX TOKEN, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "other.value");

    /* Withdrawn. */
    ac_http01_remove(h, TOKEN);
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX TOKEN), 404);
    ac_http01_remove(h, TOKEN); /* twice is harmless */
    ac_http01_remove(h, "../x");

    ac_http01_stop(h);
    autocert_ctx_free(ctx);
}

/* Targets that name the token but are not its exact path: none is answered
 * with the key authorization, whatever libmicrohttpd makes of it. */
static void test_attack_paths(void **state)
{
    static const char *const targets[] = {
        /* queries, fragments, parameters */
        PREFIX TOKEN "?", PREFIX TOKEN "?x", PREFIX TOKEN "?x=1&y", PREFIX TOKEN "#",
        PREFIX TOKEN "#frag", PREFIX TOKEN ";", PREFIX TOKEN ";type=a",
        /* escapes: NUL, slash, space, newline, an encoded token character */
        PREFIX TOKEN "%00", PREFIX TOKEN "%00.txt", PREFIX TOKEN "%2F", PREFIX TOKEN "%2f",
        PREFIX TOKEN "%20", PREFIX TOKEN "%0A", PREFIX TOKEN "%0d%0a", PREFIX TOKEN "%",
        PREFIX "%65vaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA",
        PREFIX "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-o%41",
        "/.well-known%2Facme-challenge%2F" TOKEN, "%2F.well-known%2Facme-challenge%2F" TOKEN,
        "/%2Ewell-known/acme-challenge/" TOKEN, "/.well-known/acme-challenge%2F" TOKEN,
        PREFIX "%2e%2e/acme-challenge/" TOKEN, PREFIX "%2E/" TOKEN,
        /* dot segments */
        PREFIX "./" TOKEN, PREFIX "../acme-challenge/" TOKEN, "/.well-known/./acme-challenge/" TOKEN,
        "/x/../.well-known/acme-challenge/" TOKEN, "/.well-known/../.well-known/acme-challenge/" TOKEN,
        PREFIX TOKEN "/.", PREFIX TOKEN "/..", PREFIX TOKEN "/../" TOKEN,
        /* case */
        "/.WELL-KNOWN/acme-challenge/" TOKEN, "/.well-known/ACME-CHALLENGE/" TOKEN,
        "/.Well-Known/Acme-Challenge/" TOKEN, PREFIX "EvaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA",
        PREFIX "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-OA",
        /* trailing characters */
        PREFIX TOKEN "/", PREFIX TOKEN "x", PREFIX TOKEN ".", PREFIX TOKEN ".txt", PREFIX TOKEN "~",
        PREFIX TOKEN "\\", PREFIX TOKEN "=", PREFIX TOKEN "\t",
        /* doubled and back slashes */
        "//.well-known/acme-challenge/" TOKEN, "/.well-known//acme-challenge/" TOKEN,
        PREFIX "/" TOKEN, "/.well-known\\acme-challenge\\" TOKEN, "\\.well-known/acme-challenge/" TOKEN,
        "/.well-known/acme-challenge\\" TOKEN,
        /* absolute form, authority form, others */
        "http://127.0.0.1" PREFIX TOKEN, "http://example.org" PREFIX TOKEN,
        "HTTP://127.0.0.1" PREFIX TOKEN, "https://127.0.0.1" PREFIX TOKEN, "127.0.0.1:80",
        "example.org:80", "*", ".well-known/acme-challenge/" TOKEN, TOKEN, "/" TOKEN,
    };
    char buf[RAW_MAX];
    unsigned port;
    ac_http01 *h = serving(&port);
    size_t i;
    int status;

    (void)state;
    assert_served(port);
    for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        status = raw_get(port, targets[i], buf);
        assert_refused(targets[i], status, buf);
        /* 404, or 400 where libmicrohttpd finds the line malformed */
        if (status != 404 && status != 400)
            print_message("%s: status %d\n", targets[i], status);
        assert_true(status == 404 || status == 400);
    }
    assert_served(port);
    ac_http01_stop(h);
}

static void test_attack_long_targets(void **state)
{
    char buf[RAW_MAX], *big;
    unsigned port;
    ac_http01 *h = serving(&port);
    size_t len;
    int status;

    (void)state;
    /* A target of 4 kB is only not found; one of 100 kB is too long or
     * makes the connection close. */
    len = 100 * 1024;
    big = malloc(len + 128);
    assert_non_null(big);
    memcpy(big, "GET " PREFIX, strlen("GET " PREFIX));
    memset(big + strlen("GET " PREFIX), 'a', 4096);
    strcpy(big + strlen("GET " PREFIX) + 4096, " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert_int_equal(raw_ask(port, big, strlen(big), buf), 404);
    memset(big + strlen("GET " PREFIX), 'a', len);
    strcpy(big + strlen("GET " PREFIX) + len, " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    status = raw_ask(port, big, strlen(big), buf);
    assert_true(status == 414 || status == 0);
    free(big);
    assert_served(port);
    ac_http01_stop(h);
}

/* Every method but GET and HEAD: 405 with "Allow: GET, HEAD", the request's
 * headers never echoed, whatever the target. */
static void test_attack_methods(void **state)
{
    static const char *const methods[] = {
        "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "PROPFIND", "MKCOL", "LOCK",
        "CONNECT", "BREW", "X-GET", "get", "head", "Get", "GETS", "PRI",
    };
    static const char *const targets[] = { PREFIX TOKEN, "*", "127.0.0.1:80" };
    char req[512], buf[RAW_MAX];
    unsigned port;
    ac_http01 *h = serving(&port);
    size_t i, j;
    int n, status;

    (void)state;
    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        for (j = 0; j < sizeof(targets) / sizeof(targets[0]); j++) {
            n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "X-Echo: echo-marker-7\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n", methods[i], targets[j]);
            status = raw_ask(port, req, (size_t)n, buf);
            assert_refused(req, status, buf);
            if (status != 405 || strstr(buf, "\r\nAllow: GET, HEAD\r\n") == NULL)
                print_message("%s %s: %.300s\n", methods[i], targets[j], buf);
            assert_int_equal(status, 405);
            assert_non_null(strstr(buf, "\r\nAllow: GET, HEAD\r\n"));
            assert_null(strstr(buf, "echo-marker"));
        }
    }
    /* A huge body announced and never sent is not waited for. */
    n = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: a\r\n"
                 "Content-Length: 1000000000\r\n\r\nab", PREFIX TOKEN);
    assert_int_equal(raw_status_within(port, req, (size_t)n, 2000), 405);
    n = snprintf(req, sizeof(req), "PUT %s HTTP/1.1\r\nHost: a\r\n"
                 "Transfer-Encoding: chunked\r\n\r\nfffffff\r\nab", PREFIX TOKEN);
    assert_int_equal(raw_status_within(port, req, (size_t)n, 2000), 405);
    assert_served(port);
    ac_http01_stop(h);
}

/* Requests too large or not HTTP/1 at all: refused or closed, and the
 * token is still served afterwards. */
static void test_attack_malformed(void **state)
{
    static const unsigned char tls_hello[] = {
        0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03, 'r', 'a', 'n', 'd',
        'o', 'm', 'r', 'a', 'n', 'd', 'o', 'm', 'r', 'a', 'n', 'd', 'o', 'm', 'r', 'a', 'n',
        'd', 'o', 'm', 'r', 'a', 'n', 'd', 'o', 'm', 'r', 'a', 0x00, 0x00, 0x02, 0x13, 0x01,
        0x01, 0x00, 0x00, 0x00,
    };
    static const char h2[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                             "\x00\x00\x00\x04\x00\x00\x00\x00\x00";
    const char *start = "GET " PREFIX TOKEN " HTTP/1.1\r\nHost: a\r\n";
    char buf[RAW_MAX], *big;
    size_t len = 0, cap = 200 * 1024;
    unsigned port;
    ac_http01 *h = serving(&port);
    int i, status;

    (void)state;
    big = malloc(cap);
    assert_non_null(big);
    /* A header of 100 kB, then 5000 headers: 431 or closed. */
    len = (size_t)sprintf(big, "%sX-Big: ", start);
    memset(big + len, 'a', 100 * 1024);
    len += 100 * 1024;
    len += (size_t)sprintf(big + len, "\r\nConnection: close\r\n\r\n");
    status = raw_ask(port, big, len, buf);
    assert_refused("a header of 100 kB", status, buf);
    assert_true(status == 431 || status == 0);
    len = (size_t)sprintf(big, "%s", start);
    for (i = 0; i < 5000; i++)
        len += (size_t)sprintf(big + len, "X-H%d: v\r\n", i);
    len += (size_t)sprintf(big + len, "Connection: close\r\n\r\n");
    status = raw_ask(port, big, len, buf);
    assert_refused("5000 headers", status, buf);
    assert_true(status == 431 || status == 0);
    /* A request line that never ends. */
    len = (size_t)sprintf(big, "GET " PREFIX TOKEN);
    memset(big + len, 'a', 150 * 1024);
    len += 150 * 1024;
    status = raw_ask(port, big, len, buf);
    assert_refused("an endless request line", status, buf);
    assert_true(status == 414 || status == 0);
    free(big);
    /* HTTP/0.9, a TLS ClientHello, the HTTP/2 preface: at most a second
     * is waited for an answer (a ClientHello holds no line end: it waits
     * for the idle timeout, like any client that stops sending). */
    status = raw_try(port, "GET " PREFIX TOKEN "\r\n", strlen("GET " PREFIX TOKEN "\r\n"), buf,
                     1000, NULL);
    assert_refused("HTTP/0.9", status, buf);
    status = raw_try(port, tls_hello, sizeof(tls_hello), buf, 1000, NULL);
    assert_refused("a TLS ClientHello", status, buf);
    status = raw_try(port, h2, sizeof(h2) - 1, buf, 1000, NULL);
    assert_refused("the HTTP/2 preface", status, buf);
    assert_served(port);
    ac_http01_stop(h);
}

/* ---- floods: the CA is answered while others hold the responder -------- */

#define FLOOD_MAX 320

/* Waits until each socket has connected or failed, 3 s at most. */
static void settle(const int *fds, int n)
{
    double end = now_s() + 3;
    int i;

    for (i = 0; i < n; i++)
        if (fds[i] >= 0)
            (void)raw_wait(fds[i], POLLOUT, (int)((end - now_s()) * 1000) + 1);
}

/* Starts n connections to port, the i-th from 127.0.0.(first + i % naddr),
 * and waits until they are connected (or refused). */
static void flood_open(unsigned port, int first, int naddr, int n, int *fds)
{
    char src[32];
    int i;

    for (i = 0; i < n; i++) {
        snprintf(src, sizeof(src), "127.0.0.%d", first + i % naddr);
        fds[i] = raw_start(src, port);
        assert_true(fds[i] >= 0);
    }
    settle(fds, n);
    usleep(200 * 1000); /* the daemon takes them in */
}

/* How many of them the responder still holds open. */
static int flood_held(const int *fds, int n)
{
    char c;
    int i, held = 0;

    for (i = 0; i < n; i++) {
        ssize_t r = recv(fds[i], &c, 1, MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            held++;
    }
    return held;
}

static void flood_close(int *fds, int n)
{
    int i;

    for (i = 0; i < n; i++)
        close(fds[i]);
}

/* One request from the CA's address (127.0.0.1): 1 when the key
 * authorization came back within 3 s. */
static int ca_served(unsigned port)
{
    static const char req[] = "GET " PREFIX TOKEN " HTTP/1.1\r\nHost: a\r\n"
                              "Connection: close\r\n\r\n";
    char buf[RAW_MAX];
    const char *body;
    int fd = raw_connect("127.0.0.1", port), ok;

    if (fd < 0)
        return 0;
    ok = raw_send(fd, req, sizeof(req) - 1) == 0 && raw_read(fd, buf, 3000) &&
         raw_status(buf) == 200 && (body = strstr(buf, "\r\n\r\n")) != NULL &&
         strcmp(body + 4, KEYAUTH) == 0;
    close(fd);
    return ok;
}

/* 40 requests from the CA's address during a flood: all answered. */
static void assert_ca_served(unsigned port, const char *flood)
{
    int i, ok;

    for (i = 0; i < 40; i++) {
        ok = ca_served(port);
        if (!ok)
            print_message("%s: request %d of 40 from the CA's address not answered\n", flood, i + 1);
        assert_true(ok);
    }
}

/* ---- redirect to https ---------------------------------------------------------- */

static void test_redirect_location(void **state)
{
    char out[AC_REDIRECT_TARGET_MAX + 512], big[AC_REDIRECT_TARGET_MAX + 64], host[400];

    (void)state;
#define LOC_IS(h, t, p, want)                                                     \
    do {                                                                          \
        assert_int_equal(ac_redirect_location(h, t, p, out, sizeof(out)), 0);     \
        assert_string_equal(out, want);                                           \
    } while (0)
#define LOC_NO(h, t, p) assert_int_equal(ac_redirect_location(h, t, p, out, sizeof(out)), -1)
    LOC_IS("example.com", "/", 8443, "https://example.com:8443/");
    LOC_IS("example.com", "/a/b?c=d&e#f", 443, "https://example.com/a/b?c=d&e#f");
    LOC_IS("Example.COM.", "/x", 443, "https://example.com/x");
    LOC_IS("example.com:80", "/x", 443, "https://example.com/x");
    LOC_IS("example.com:", "/x", 443, "https://example.com/x");
    LOC_IS("example.com:8080", "/x", 4443, "https://example.com:4443/x");
    LOC_IS("192.0.2.1", "/", 443, "https://192.0.2.1/");
    LOC_IS("192.0.2.1:80", "/", 443, "https://192.0.2.1/");
    LOC_IS("[::1]", "/", 443, "https://[::1]/");
    LOC_IS("[2001:db8::1]:8080", "/p", 8443, "https://[2001:db8::1]:8443/p");
    LOC_IS("localhost", "//x", 443, "https://localhost//x");
    /* Hosts that are not one: no Location is made from them. */
    LOC_NO(NULL, "/", 443);
    LOC_NO("", "/", 443);
    LOC_NO(":80", "/", 443);
    LOC_NO("exa mple.com", "/", 443);
    LOC_NO("example.com\r\nSet-Cookie: a=b", "/", 443);
    LOC_NO("example.com\n", "/", 443);
    LOC_NO("example.com\t", "/", 443);
    LOC_NO("ex@mple.com", "/", 443);
    LOC_NO("user@example.com", "/", 443);
    LOC_NO("example.com/evil", "/", 443);
    LOC_NO("example.com:80:90", "/", 443);
    LOC_NO("example.com:http", "/", 443);
    LOC_NO("example.com:123456", "/", 443);
    LOC_NO("-example.com", "/", 443);
    LOC_NO("*.example.com", "/", 443);
    LOC_NO("exam\xc3\xa9ple.com", "/", 443);
    LOC_NO("::1", "/", 443);
    LOC_NO("[::1", "/", 443);
    LOC_NO("[::1]x", "/", 443);
    LOC_NO("[example.com]", "/", 443);
    LOC_NO("[]", "/", 443);
    LOC_NO("[::1]:80:80", "/", 443);
    memset(host, 'a', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    LOC_NO(host, "/", 443); /* one label of 399 */
    /* Targets: from '/', printable, bounded. */
    LOC_NO("example.com", NULL, 443);
    LOC_NO("example.com", "", 443);
    LOC_NO("example.com", "x", 443);
    LOC_NO("example.com", "http://evil.example/", 443);
    LOC_NO("example.com", "/a b", 443);
    LOC_NO("example.com", "/a\r\nLocation: x", 443);
    LOC_NO("example.com", "/\x7f", 443);
    LOC_NO("example.com", "/\xc3\xa9", 443);
    LOC_NO("example.com", "/", 0);
    LOC_NO("example.com", "/", 65536);
    big[0] = '/';
    memset(big + 1, 'p', AC_REDIRECT_TARGET_MAX - 1);
    big[AC_REDIRECT_TARGET_MAX] = '\0';
    assert_int_equal(ac_redirect_location("example.com", big, 443, out, sizeof(out)), 0);
    big[AC_REDIRECT_TARGET_MAX] = 'p';
    big[AC_REDIRECT_TARGET_MAX + 1] = '\0';
    LOC_NO("example.com", big, 443);
    /* The answer does not fit: refused, not cut. */
    assert_int_equal(ac_redirect_location("example.com", "/abc", 443, out, 23), -1);
    assert_int_equal(ac_redirect_location("example.com", "/abc", 443, out, 24), 0);
#undef LOC_IS
#undef LOC_NO
}

/* A responder on 127.0.0.1 serving TOKEN and redirecting to https on
 * `https_port`; its port in *port. */
static ac_http01 *redirecting(autocert_ctx *ctx, unsigned https_port, unsigned *port)
{
    ac_http01 *h = NULL;

    ctx->https_redirect_port = https_port;
    assert_int_equal(ac_http01_start(ctx, NULL, "127.0.0.1", 0, NULL, &h), AUTOCERT_OK);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", TOKEN, KEYAUTH), AUTOCERT_OK);
    *port = ac_http01_port(h);
    return h;
}

/* `method` of `target` with the header line `host` (NULL: none); the
 * status, the answer in buf. */
static int raw_host(unsigned port, const char *method, const char *target, const char *host,
                    char *buf)
{
    char req[4096];
    int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\n%s%s%sConnection: close\r\n\r\n",
                     method, target, host ? "Host: " : "", host ? host : "", host ? "\r\n" : "");

    assert_true(n > 0 && (size_t)n < sizeof(req));
    return raw_ask(port, req, (size_t)n, buf);
}

/* The answer's Location header value, in a static buffer; "" when none. */
static const char *location_of(const char *answer)
{
    static char loc[RAW_MAX];
    const char *p = strcasestr(answer, "\r\nLocation: "), *end;

    loc[0] = '\0';
    if (p != NULL && (end = strstr(p + 12, "\r\n")) != NULL)
        snprintf(loc, sizeof(loc), "%.*s", (int)(end - p - 12), p + 12);
    return loc;
}

static void assert_redirect(unsigned port, const char *method, const char *target,
                            const char *host, const char *want)
{
    char buf[RAW_MAX];

    assert_int_equal(raw_host(port, method, target, host, buf), 308);
    assert_string_equal(location_of(buf), want);
}

static void assert_bad(unsigned port, const char *target, const char *host)
{
    char buf[RAW_MAX];
    int status = raw_host(port, "GET", target, host, buf);

    if (status != 400)
        print_message("GET %.60s Host %.60s: %d\n", target, host ? host : "(none)", status);
    assert_int_equal(status, 400);
    assert_string_equal(location_of(buf), "");
}

static void test_redirect_daemon(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    char buf[RAW_MAX], huge[1200];
    unsigned port;
    ac_http01 *h;

    (void)state;
    assert_non_null(ctx);
    h = redirecting(ctx, 8443, &port);
    assert_redirect(port, "GET", "/", "example.com", "https://example.com:8443/");
    assert_redirect(port, "GET", "/a/b.html?x=1&y=%20#f", "www.example.com",
                    "https://www.example.com:8443/a/b.html?x=1&y=%20#f");
    assert_redirect(port, "HEAD", "/x", "example.com", "https://example.com:8443/x");
    assert_redirect(port, "GET", "/x", "example.com:8080", "https://example.com:8443/x");
    assert_redirect(port, "GET", "/x", "EXAMPLE.com:80", "https://example.com:8443/x");
    assert_redirect(port, "GET", "/x", "[::1]:8080", "https://[::1]:8443/x");
    assert_redirect(port, "GET", "/x", "[2001:db8::7]", "https://[2001:db8::7]:8443/x");
    assert_redirect(port, "GET", "/x", "127.0.0.1", "https://127.0.0.1:8443/x");
    /* Hosts it will not send anyone to. */
    assert_bad(port, "/", NULL);
    assert_bad(port, "/", "");
    assert_bad(port, "/", "exa mple.com");
    assert_bad(port, "/", "example.com\r\n evil.example"); /* a folded line */
    assert_bad(port, "/", "example.com\revil");
    assert_bad(port, "/", "ex@mple.com");
    assert_bad(port, "/", "example.com/evil");
    assert_bad(port, "/", "example.com:80:80");
    assert_bad(port, "/", "[::1");
    assert_bad(port, "/", "::1");
    memset(huge, 'a', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    assert_bad(port, "/", huge);
    /* Targets neither: absolute form, control bytes, too long. */
    assert_bad(port, "http://evil.example/", "example.com");
    assert_bad(port, "/a\x01z", "example.com");
    assert_bad(port, "/\x7f", "example.com");
    {
        char *t = malloc(AC_REDIRECT_TARGET_MAX + 2), *req = malloc(AC_REDIRECT_TARGET_MAX + 128);
        int n;

        assert_non_null(t);
        assert_non_null(req);
        t[0] = '/';
        memset(t + 1, 'p', AC_REDIRECT_TARGET_MAX);
        t[AC_REDIRECT_TARGET_MAX + 1] = '\0';
        n = snprintf(req, AC_REDIRECT_TARGET_MAX + 128,
                     "GET %s HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n", t);
        assert_int_equal(raw_ask(port, req, (size_t)n, buf), 400);
        free(t);
        free(req);
    }
    /* A request cut after its request line: its target's copy is freed
     * all the same (the sanitizer build's leak check). */
    {
        static const char cut[] = "GET /cut/short HTTP/1.1\r\nHost: exa";
        int fd = raw_connect(NULL, port);

        assert_true(fd >= 0);
        assert_int_equal(raw_send(fd, cut, strlen(cut)), 0);
        (void)raw_read(fd, buf, 200);
        close(fd);
    }
    /* Challenges are answered as before, never redirected; other methods 405. */
    assert_served(port);
    assert_int_equal(raw_host(port, "HEAD", PREFIX TOKEN, "example.com", buf), 200);
    assert_int_equal(raw_host(port, "GET", PREFIX "unknownToken", "example.com", buf), 404);
    assert_int_equal(raw_host(port, "GET", PREFIX TOKEN "?x", "example.com", buf), 404);
    assert_int_equal(raw_host(port, "GET", PREFIX, "example.com", buf), 404);
    assert_int_equal(raw_host(port, "POST", "/", "example.com", buf), 405);
    assert_int_equal(raw_host(port, "PUT", "/x", "example.com", buf), 405);
    assert_string_equal(location_of(buf), "");
    ac_http01_stop(h);

    /* Port 443: no port in the Location. */
    h = redirecting(ctx, 443, &port);
    assert_redirect(port, "GET", "/p?q", "example.com:80", "https://example.com/p?q");
    assert_redirect(port, "GET", "/", "[::1]", "https://[::1]/");
    ac_http01_stop(h);

    /* Off by default: 404 as ever. */
    h = redirecting(ctx, 0, &port);
    assert_int_equal(raw_host(port, "GET", "/", "example.com", buf), 404);
    assert_string_equal(location_of(buf), "");
    assert_served(port);
    ac_http01_stop(h);
    assert_int_equal(ac_http01_start(NULL, NULL, "127.0.0.1", 0, NULL, &h), AUTOCERT_OK);
    assert_int_equal(raw_host(ac_http01_port(h), "GET", "/x", "example.com", buf), 404);
    ac_http01_stop(h);
    autocert_ctx_free(ctx);
}

/* 300 idle connections from one address, then 300 from sixteen: the
 * responder holds some (never libmicrohttpd's limit) and the CA's
 * requests are all answered. */
static void test_flood_idle(void **state)
{
    int fds[FLOOD_MAX], held;
    unsigned port;
    ac_http01 *h = serving(&port);

    (void)state;
    flood_open(port, 2, 1, 300, fds);
    held = flood_held(fds, 300);
    print_message("300 from 127.0.0.2: %d held\n", held);
    assert_true(held <= AC_CONNS_CROWDED);
    assert_ca_served(port, "300 from one address");
    flood_close(fds, 300);

    flood_open(port, 10, 16, 300, fds);
    held = flood_held(fds, 300);
    print_message("300 from 16 addresses: %d held\n", held);
    assert_true(held <= AC_CONNS_CROWDED);
    assert_ca_served(port, "300 from sixteen addresses");
    flood_close(fds, 300);
    ac_http01_stop(h);
}

/* A CA validating many names at once: 150 connections from its address
 * at once, each answered. */
static void test_flood_ca_burst(void **state)
{
    static const char req[] = "GET " PREFIX TOKEN " HTTP/1.1\r\nHost: a\r\n"
                              "Connection: close\r\n\r\n";
    int fds[150], i, ok = 0;
    char buf[RAW_MAX];
    unsigned port;
    ac_http01 *h = serving(&port);

    (void)state;
    for (i = 0; i < 150; i++) {
        fds[i] = raw_start("127.0.0.1", port);
        assert_true(fds[i] >= 0);
    }
    settle(fds, 150);
    for (i = 0; i < 150; i++)
        assert_int_equal(raw_send(fds[i], req, sizeof(req) - 1), 0);
    for (i = 0; i < 150; i++)
        if (raw_read(fds[i], buf, 3000) && raw_status(buf) == 200 && strstr(buf, KEYAUTH) != NULL)
            ok++;
    flood_close(fds, 150);
    assert_int_equal(ok, 150);
    ac_http01_stop(h);
}

/* 1 when the server closed fd (without waiting). */
static int closed_now(int fd)
{
    char c;
    ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);

    return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* Slowloris: eight connections sending their headers a byte a second, and
 * one sending nothing.  Others are answered throughout; the idle one is
 * closed after 5 s; the slow ones, kept alive by their bytes, once they
 * are 10 s old and someone else comes. */
static void test_slowloris(void **state)
{
    static const char head[] = "GET " PREFIX TOKEN " HTTP/1.1\r\nHost: a\r\nX-Slow: ";
    int slow[8], idle, i, open = 8, tick = 0;
    double start, idle_closed = 0;
    unsigned port;
    ac_http01 *h = serving(&port);

    (void)state;
    start = now_s();
    idle = raw_connect("127.0.0.4", port);
    assert_true(idle >= 0);
    for (i = 0; i < 8; i++) {
        slow[i] = raw_connect("127.0.0.3", port);
        assert_true(slow[i] >= 0);
        assert_int_equal(raw_send(slow[i], head, sizeof(head) - 1), 0);
    }
    while (now_s() - start < 11.5 && open > 0) {
        usleep(250 * 1000);
        if (++tick % 4 == 0)
            for (i = 0; i < 8; i++)
                (void)send(slow[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        assert_true(ca_served(port));
        if (idle_closed == 0 && closed_now(idle))
            idle_closed = now_s() - start;
        for (open = 0, i = 0; i < 8; i++)
            open += !closed_now(slow[i]);
        /* Alive before they are 10 s old. */
        if (now_s() - start < 9.5)
            assert_int_equal(open, 8);
    }
    print_message("idle closed after %.1f s; slow ones closed after %.1f s\n", idle_closed,
                  now_s() - start);
    assert_true(idle_closed >= 4.5 && idle_closed <= 7);
    assert_int_equal(open, 0);
    flood_close(slow, 8);
    close(idle);
    ac_http01_stop(h);
}

static void test_daemon_many_tokens(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    ac_http01 *h = NULL;
    char tok[32], ka[64], path[128];
    struct reply r;
    unsigned port;
    int i;

    (void)state;
    assert_int_equal(ac_http01_start(ctx, NULL, "127.0.0.1", 0, NULL, &h), AUTOCERT_OK);
    port = ac_http01_port(h);
    for (i = 0; i < 100; i++) {
        snprintf(tok, sizeof(tok), "tok%d", i);
        snprintf(ka, sizeof(ka), "tok%d.thumb", i);
        assert_int_equal(ac_http01_add(h, ctx, "example.org", tok, ka), AUTOCERT_OK);
    }
    assert_int_equal(ac_http01_add(h, ctx, "example.org", "tok100", "x.y"), AUTOCERT_ERR_INVALID);
    /* Each token answers with its own key authorization. */
    for (i = 0; i < 100; i += 33) {
        snprintf(path, sizeof(path), PREFIX "tok%d", i);
        snprintf(ka, sizeof(ka), "tok%d.thumb", i);
        assert_int_equal(fetch("GET", "127.0.0.1", port, path, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, ka);
    }
    ac_http01_remove(h, "tok0");
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX "tok0"), 404);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", "tok100", "x.y"), AUTOCERT_OK);
    assert_int_equal(fetch("GET", "127.0.0.1", port, PREFIX "tok99", &r), 0);
    assert_string_equal(r.body, "tok99.thumb");
    ac_http01_stop(h);
    autocert_ctx_free(ctx);
}

/* One of two threads of one responder (orders in parallel sharing it):
 * each adds 50 tokens of its own, then removes them, over and over. */
struct shared_churn {
    ac_http01 *h;
    char id;
    int failures;
};

static void *shared_churn_run(void *arg)
{
    struct shared_churn *c = arg;
    autocert_ctx *ctx = autocert_ctx_new();
    char token[32];
    int round, i;

    for (round = 0; ctx != NULL && round < 200; round++) {
        for (i = 0; i < 50; i++) {
            snprintf(token, sizeof(token), "t%c%d", c->id, i);
            if (ac_http01_add(c->h, ctx, "example.org", token, "k.t") != AUTOCERT_OK)
                c->failures++;
        }
        for (i = 0; i < 50; i++) {
            snprintf(token, sizeof(token), "t%c%d", c->id, i);
            ac_http01_remove(c->h, token);
        }
    }
    autocert_ctx_free(ctx);
    return NULL;
}

static void test_shared_by_threads(void **state)
{
    ac_live *live = ac_live_new();
    ac_http01 *h = NULL;
    struct shared_churn c[2] = {{NULL, 'a', 0}, {NULL, 'b', 0}};
    pthread_t t[2];
    char token[32], ka[64];
    int i, j;

    (void)state;
    assert_non_null(live);
    assert_int_equal(ac_http01_start(NULL, live, "127.0.0.1", 0, NULL, &h), AUTOCERT_OK);
    for (i = 0; i < 2; i++) {
        c[i].h = h;
        assert_int_equal(pthread_create(&t[i], NULL, shared_churn_run, &c[i]), 0);
    }
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(c[0].failures + c[1].failures, 0);
    /* Every token added was withdrawn again: none is left in the table. */
    for (i = 0; i < 2; i++)
        for (j = 0; j < 50; j++) {
            snprintf(token, sizeof(token), "t%c%d", c[i].id, j);
            assert_int_equal(ac_live_by_token(live, "http-01", token, ka, sizeof(ka)), -1);
        }
    ac_http01_stop(h);
    ac_live_free(live);
}

static void test_add_rejects(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    ac_http01 *h = NULL;
    char big[600];

    (void)state;
    assert_int_equal(ac_http01_start(ctx, NULL, "127.0.0.1", 0, NULL, &h), AUTOCERT_OK);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", "../etc/passwd", KEYAUTH), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", "", KEYAUTH), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", NULL, KEYAUTH), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", TOKEN, ""), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", TOKEN, NULL), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", TOKEN, "a\r\nX-Evil: 1"), AUTOCERT_ERR_INVALID);
    memset(big, 'a', 513);
    big[513] = '\0';
    assert_int_equal(ac_http01_add(h, ctx, "example.org", TOKEN, big), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), TOKEN));
    big[512] = '\0';
    assert_int_equal(ac_http01_add(h, ctx, "example.org", TOKEN, big), AUTOCERT_OK);
    ac_http01_stop(h);
    ac_http01_stop(NULL);
    assert_int_equal(ac_http01_port(NULL), 0);
    autocert_ctx_free(ctx);
}

static void test_daemon_ipv6(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    ac_http01 *h = NULL;
    struct reply r;
    autocert_err rc;

    (void)state;
    rc = ac_http01_start(ctx, NULL, "::1", 0, NULL, &h);
    if (rc == AUTOCERT_ERR_BIND) {
        print_message("::1 cannot be bound here (%s): skipped\n", autocert_last_error(ctx));
        autocert_ctx_free(ctx);
        skip();
    }
    assert_int_equal(rc, AUTOCERT_OK);
    assert_true(ac_http01_port(h) > 0);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", TOKEN, KEYAUTH), AUTOCERT_OK);
    assert_int_equal(fetch("GET", "[::1]", ac_http01_port(h), PREFIX TOKEN, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, KEYAUTH);
    assert_int_equal(status_of("GET", "[::1]", ac_http01_port(h), PREFIX "zz"), 404);
    ac_http01_stop(h);
    autocert_ctx_free(ctx);
}

/* NULL: every address; IPv4 loopback answers, and IPv6 loopback where present. */
static void test_daemon_any_address(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    ac_http01 *h = NULL, *v6 = NULL;
    struct reply r;
    unsigned port;

    (void)state;
    assert_int_equal(ac_http01_start(ctx, NULL, NULL, 0, NULL, &h), AUTOCERT_OK);
    port = ac_http01_port(h);
    assert_true(port > 0);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", TOKEN, KEYAUTH), AUTOCERT_OK);
    assert_int_equal(fetch("GET", "127.0.0.1", port, PREFIX TOKEN, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, KEYAUTH);
    /* Probe whether ::1 exists on this host, then use it. */
    if (ac_http01_start(NULL, NULL, "::1", 0, NULL, &v6) == AUTOCERT_OK) {
        ac_http01_stop(v6);
        assert_int_equal(fetch("GET", "[::1]", port, PREFIX TOKEN, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, KEYAUTH);
    }
    ac_http01_stop(h);
    autocert_ctx_free(ctx);
}

static void test_bind_in_use(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    ac_http01 *a = NULL, *b = NULL;
    char portstr[16];
    unsigned port;

    (void)state;
    assert_int_equal(ac_http01_start(ctx, NULL, "127.0.0.1", 0, NULL, &a), AUTOCERT_OK);
    port = ac_http01_port(a);
    snprintf(portstr, sizeof(portstr), ":%u", port);
    assert_int_equal(ac_http01_start(ctx, NULL, "127.0.0.1", port, NULL, &b), AUTOCERT_ERR_BIND);
    assert_null(b);
    assert_non_null(strstr(autocert_last_error(ctx), portstr));
    assert_non_null(strstr(autocert_last_error(ctx), "127.0.0.1"));
    assert_non_null(strstr(autocert_last_error(ctx), "in use"));
    /* The first one still answers. */
    assert_int_equal(status_of("GET", "127.0.0.1", port, PREFIX TOKEN), 404);
    ac_http01_stop(a);
    /* ...and once stopped, the port is free again. */
    assert_int_equal(ac_http01_start(ctx, NULL, "127.0.0.1", port, NULL, &b), AUTOCERT_OK);
    assert_int_equal(ac_http01_port(b), port);
    ac_http01_stop(b);
    autocert_ctx_free(ctx);
}

static void test_bind_bad_address(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    ac_http01 *h = NULL;

    (void)state;
    assert_int_equal(ac_http01_start(ctx, NULL, "localhost", 0, NULL, &h), AUTOCERT_ERR_INVALID);
    assert_null(h);
    assert_non_null(strstr(autocert_last_error(ctx), "localhost"));
    assert_int_equal(ac_http01_start(ctx, NULL, "127.0.0.1:80", 0, NULL, &h), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_http01_start(ctx, NULL, "", 0, NULL, &h), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_http01_start(ctx, NULL, "127.0.0.1", 70000, NULL, &h), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), "70000"));
    /* A documentation address that is not on this host. */
    assert_int_equal(ac_http01_start(ctx, NULL, "192.0.2.1", 0, NULL, &h), AUTOCERT_ERR_BIND);
    assert_non_null(strstr(autocert_last_error(ctx), "192.0.2.1"));
    assert_null(h);
    autocert_ctx_free(ctx);
}

static size_t count_entries(const char *dir);

/* Start, serve and stop leave no descriptor behind, failures neither. */
static void test_no_fd_leak(void **state)
{
    ac_http01 *h = NULL, *b = NULL;
    size_t before, after;
    int i;

    (void)state;
    before = count_entries("/proc/self/fd");
    for (i = 0; i < 3; i++) {
        assert_int_equal(ac_http01_start(NULL, NULL, "127.0.0.1", 0, NULL, &h), AUTOCERT_OK);
        assert_int_equal(ac_http01_add(h, NULL, "example.org", TOKEN, KEYAUTH), AUTOCERT_OK);
        assert_int_equal(status_of("GET", "127.0.0.1", ac_http01_port(h), PREFIX TOKEN), 200);
        assert_int_equal(ac_http01_start(NULL, NULL, "127.0.0.1", ac_http01_port(h), NULL, &b),
                         AUTOCERT_ERR_BIND);
        ac_http01_stop(h);
    }
    after = count_entries("/proc/self/fd");
    assert_int_equal(before, after);
}

/* ---- webroot ------------------------------------------------------------ */

struct wr {
    char dir[64];
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int wr_setup(void **state)
{
    struct wr *w = calloc(1, sizeof(*w));

    if (w == NULL)
        return -1;
    snprintf(w->dir, sizeof(w->dir), "/tmp/test_http01.XXXXXX");
    if (mkdtemp(w->dir) == NULL) {
        free(w);
        return -1;
    }
    *state = w;
    return 0;
}

static int wr_teardown(void **state)
{
    struct wr *w = *state;

    nftw(w->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(w);
    return 0;
}

static char *pathf(const char *fmt, ...) AC_PRINTF(1, 2);
static char *pathf(const char *fmt, ...)
{
    static char buf[4][512];
    static int i;
    va_list ap;

    i = (i + 1) % 4;
    va_start(ap, fmt);
    vsnprintf(buf[i], sizeof(buf[i]), fmt, ap);
    va_end(ap);
    return buf[i];
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void test_webroot_files(void **state)
{
    struct wr *w = *state;
    autocert_ctx *ctx = autocert_ctx_new();
    ac_http01 *h = NULL;
    char p[512], buf[1024];
    struct stat st;
    FILE *f;
    size_t n;
    mode_t old = umask(077);

    assert_int_equal(ac_http01_start(ctx, NULL, NULL, 0, w->dir, &h), AUTOCERT_OK);
    assert_int_equal(ac_http01_port(h), 0);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", TOKEN, KEYAUTH), AUTOCERT_OK);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", "second", "second.thumb"), AUTOCERT_OK);

    assert_int_equal(stat(pathf("%s/.well-known", w->dir), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(stat(pathf("%s/.well-known/acme-challenge", w->dir), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);

    snprintf(p, sizeof(p), "%s/.well-known/acme-challenge/%s", w->dir, TOKEN);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0644);
    f = fopen(p, "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_int_equal(n, strlen(KEYAUTH));
    assert_memory_equal(buf, KEYAUTH, n);
    /* Only the two token files: no temporary left behind. */
    assert_int_equal(count_entries(pathf("%s/.well-known/acme-challenge", w->dir)), 2);

    /* Rewriting a token replaces the content. */
    assert_int_equal(ac_http01_add(h, ctx, "example.org", "second", "second.other"), AUTOCERT_OK);
    f = fopen(pathf("%s/.well-known/acme-challenge/second", w->dir), "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_int_equal(n, strlen("second.other"));
    assert_memory_equal(buf, "second.other", n);

    ac_http01_remove(h, "second");
    assert_false(exists(pathf("%s/.well-known/acme-challenge/second", w->dir)));
    assert_true(exists(p));

    ac_http01_stop(h);
    assert_false(exists(p));
    assert_false(exists(pathf("%s/.well-known/acme-challenge", w->dir)));
    assert_false(exists(pathf("%s/.well-known", w->dir)));
    assert_int_equal(count_entries(w->dir), 0);
    umask(old);
    autocert_ctx_free(ctx);
}

static void test_webroot_remove_prunes(void **state)
{
    struct wr *w = *state;
    ac_http01 *h = NULL;

    assert_int_equal(ac_http01_start(NULL, NULL, NULL, 0, w->dir, &h), AUTOCERT_OK);
    assert_int_equal(ac_http01_add(h, NULL, "example.org", "t1", "t1.x"), AUTOCERT_OK);
    assert_true(exists(pathf("%s/.well-known/acme-challenge/t1", w->dir)));
    ac_http01_remove(h, "t1");
    assert_false(exists(pathf("%s/.well-known", w->dir)));
    /* Added again after the directories went away. */
    assert_int_equal(ac_http01_add(h, NULL, "example.org", "t2", "t2.x"), AUTOCERT_OK);
    assert_true(exists(pathf("%s/.well-known/acme-challenge/t2", w->dir)));
    ac_http01_stop(h);
    assert_int_equal(count_entries(w->dir), 0);
}

static void test_webroot_keeps_existing(void **state)
{
    struct wr *w = *state;
    ac_http01 *h = NULL;
    char ac[512];

    snprintf(ac, sizeof(ac), "%s/.well-known/acme-challenge", w->dir);

    assert_int_equal(mkdir(pathf("%s/.well-known", w->dir), 0700), 0);
    assert_int_equal(ac_http01_start(NULL, NULL, NULL, 0, w->dir, &h), AUTOCERT_OK);
    assert_int_equal(ac_http01_add(h, NULL, "example.org", TOKEN, KEYAUTH), AUTOCERT_OK);
    assert_true(exists(pathf("%s/%s", ac, TOKEN)));
    ac_http01_stop(h);
    assert_true(exists(pathf("%s/.well-known", w->dir)));
    assert_false(exists(ac));

    /* A directory we created but that holds someone else's file stays. */
    assert_int_equal(ac_http01_start(NULL, NULL, NULL, 0, w->dir, &h), AUTOCERT_OK);
    assert_int_equal(ac_http01_add(h, NULL, "example.org", TOKEN, KEYAUTH), AUTOCERT_OK);
    assert_int_equal(mkdir(pathf("%s/keep", ac), 0700), 0);
    ac_http01_stop(h);
    assert_false(exists(pathf("%s/%s", ac, TOKEN)));
    assert_true(exists(pathf("%s/keep", ac)));
}

/* One of two responders sharing a webroot: each adds and removes its own
 * tokens, and so makes and prunes the shared directories, over and over. */
struct churn {
    const char *dir;
    char id;
    int failures;
    char why[256];
};

static void *churn_run(void *arg)
{
    struct churn *c = arg;
    autocert_ctx *ctx = autocert_ctx_new();
    ac_http01 *h = NULL;
    char token[32];
    int i;

    if (ctx == NULL || ac_http01_start(ctx, NULL, NULL, 0, c->dir, &h) != AUTOCERT_OK) {
        c->failures++;
        autocert_ctx_free(ctx);
        return NULL;
    }
    for (i = 0; i < 400; i++) {
        snprintf(token, sizeof(token), "tok-%c-%d", c->id, i);
        if (ac_http01_add(h, ctx, "example.org", token, "k.t") != AUTOCERT_OK) {
            if (c->failures++ == 0)
                snprintf(c->why, sizeof(c->why), "%s", autocert_last_error(ctx));
            continue;
        }
        ac_http01_remove(h, token);
    }
    ac_http01_stop(h);
    autocert_ctx_free(ctx);
    return NULL;
}

static void test_webroot_shared_churn(void **state)
{
    struct wr *w = *state;
    struct churn c[2] = {{w->dir, 'a', 0, ""}, {w->dir, 'b', 0, ""}};
    pthread_t t[2];
    int i;

    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, churn_run, &c[i]), 0);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    /* Whatever the other one removed meanwhile, every token was written. */
    for (i = 0; i < 2; i++)
        if (c[i].failures)
            fail_msg("responder %c: %d failures, the first: %s", c[i].id, c[i].failures,
                     c[i].why);
    /* No token is left.  (A directory one made may stay, emptied, when the
     * other still used it as the first stopped: neither removes what it did
     * not make.) */
    if (exists(pathf("%s/.well-known/acme-challenge", w->dir)))
        assert_int_equal(count_entries(pathf("%s/.well-known/acme-challenge", w->dir)), 0);
}

static void test_webroot_invalid(void **state)
{
    struct wr *w = *state;
    autocert_ctx *ctx = autocert_ctx_new();
    ac_http01 *h = NULL;
    char missing[512], file[512];
    FILE *f;

    snprintf(missing, sizeof(missing), "%s/missing", w->dir);
    snprintf(file, sizeof(file), "%s/plainfile", w->dir);

    assert_int_equal(ac_http01_start(ctx, NULL, NULL, 0, missing, &h), AUTOCERT_ERR_INVALID);
    assert_null(h);
    assert_non_null(strstr(autocert_last_error(ctx), missing));
    f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(ac_http01_start(ctx, NULL, NULL, 0, file, &h), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(ctx), file));
    assert_null(h);
    unlink(file);

    /* Traversal tokens never reach the file system. */
    assert_int_equal(ac_http01_start(ctx, NULL, NULL, 0, w->dir, &h), AUTOCERT_OK);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", "../../evil", KEYAUTH), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", "..", KEYAUTH), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_http01_add(h, ctx, "example.org", "a/b", KEYAUTH), AUTOCERT_ERR_INVALID);
    assert_int_equal(count_entries(w->dir), 0);
    ac_http01_stop(h);
    assert_int_equal(count_entries(w->dir), 0);
    autocert_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_valid),
        cmocka_unit_test(test_token_of),
        cmocka_unit_test(test_redirect_location),
        cmocka_unit_test(test_redirect_daemon),
        cmocka_unit_test(test_attack_paths),
        cmocka_unit_test(test_attack_long_targets),
        cmocka_unit_test(test_attack_methods),
        cmocka_unit_test(test_attack_malformed),
        cmocka_unit_test(test_conns_client),
        cmocka_unit_test(test_conns_rules),
        cmocka_unit_test(test_conns_many),
        cmocka_unit_test(test_flood_idle),
        cmocka_unit_test(test_flood_ca_burst),
        cmocka_unit_test(test_slowloris),
        cmocka_unit_test(test_daemon_serves_token),
        cmocka_unit_test(test_daemon_many_tokens),
        cmocka_unit_test(test_add_rejects),
        cmocka_unit_test(test_shared_by_threads),
        cmocka_unit_test(test_daemon_ipv6),
        cmocka_unit_test(test_daemon_any_address),
        cmocka_unit_test(test_bind_in_use),
        cmocka_unit_test(test_bind_bad_address),
        cmocka_unit_test(test_no_fd_leak),
        cmocka_unit_test_setup_teardown(test_webroot_files, wr_setup, wr_teardown),
        cmocka_unit_test_setup_teardown(test_webroot_remove_prunes, wr_setup, wr_teardown),
        cmocka_unit_test_setup_teardown(test_webroot_shared_churn, wr_setup, wr_teardown),
        cmocka_unit_test_setup_teardown(test_webroot_keeps_existing, wr_setup, wr_teardown),
        cmocka_unit_test_setup_teardown(test_webroot_invalid, wr_setup, wr_teardown),
    };
    struct rlimit rl;
    int rc;

    /* The floods hold some 600 descriptors. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
