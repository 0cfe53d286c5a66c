/* test_http01.c: the HTTP-01 responder, embedded daemon on loopback and webroot files. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
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
        cmocka_unit_test(test_daemon_serves_token),
        cmocka_unit_test(test_daemon_many_tokens),
        cmocka_unit_test(test_add_rejects),
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
    int rc;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
