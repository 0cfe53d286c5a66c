/* test_challenge.c: the responder: its solver types, solvers opened on first use, webroot files, a shared live table, tls-alpn-01. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "challenge/challenge.h"

#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEYAUTH TOKEN ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
#define TOKEN2 "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
#define KEYAUTH2 TOKEN2 ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"

typedef struct {
    autocert_ctx *ctx;
    char dir[64];     /* scratch */
    char www[96];     /* dir/www: a webroot */
    char file[256];   /* www/.well-known/acme-challenge/TOKEN */
    char file2[256];  /* the same for TOKEN2 */
    int busy_fd;      /* a listener holding a port, or -1 */
    unsigned busy_port;
} fixture;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || (f->ctx = autocert_ctx_new()) == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/autocert-challenge-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->www, sizeof(f->www), "%s/www", f->dir);
    if (mkdir(f->www, 0755) != 0)
        return -1;
    snprintf(f->file, sizeof(f->file), "%s/.well-known/acme-challenge/%s", f->www, TOKEN);
    snprintf(f->file2, sizeof(f->file2), "%s/.well-known/acme-challenge/%s", f->www, TOKEN2);
    f->busy_fd = -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    if (f->busy_fd >= 0)
        close(f->busy_fd);
    autocert_ctx_free(f->ctx);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Takes a port on 127.0.0.1 with a listener of our own; the context's
 * HTTP-01 responder is set to that port. */
static void occupy_port(fixture *f)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->busy_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->busy_fd >= 0);
    assert_int_equal(bind(f->busy_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(f->busy_fd, 4), 0);
    assert_int_equal(getsockname(f->busy_fd, (struct sockaddr *)&sa, &len), 0);
    f->busy_port = ntohs(sa.sin_port);
    assert_int_equal(autocert_set_http01(f->ctx, "127.0.0.1", f->busy_port), AUTOCERT_OK);
}

static void release_port(fixture *f)
{
    close(f->busy_fd);
    f->busy_fd = -1;
}

static int exists(const char *path)
{
    struct stat sb;

    return lstat(path, &sb) == 0;
}

static const char *contents(const char *path)
{
    static char buf[1024];
    FILE *fp = fopen(path, "r");
    size_t n;

    if (fp == NULL)
        return NULL;
    n = fread(buf, 1, sizeof(buf) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static const ac_chal chal1 = {"http-01", "example.com", TOKEN, KEYAUTH, 0};
static const ac_chal chal2 = {"http-01", "www.example.com", TOKEN2, KEYAUTH2, 0};

/* ---- the solver table ------------------------------------------------------------ */

static void test_types(void **state)
{
    fixture *f = *state;
    ac_responder *r = NULL;

    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_string_equal(ac_responder_type(r, 0), "http-01");
    assert_null(ac_responder_type(r, 1));
    assert_null(ac_responder_type(r, 100));
    ac_responder_free(r);
    ac_responder_free(NULL);
}

/* ---- solvers open on first use ----------------------------------------------------- */

static void test_opens_on_first_present(void **state)
{
    fixture *f = *state;
    ac_responder *r = NULL;
    char where[64];

    occupy_port(f);
    /* Nothing presented: no daemon, so the busy port does not matter. */
    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_ready(r, f->ctx), AUTOCERT_OK);
    ac_responder_cleanup(r, &chal1);
    ac_responder_free(r);

    /* The first present opens the solver: its bind fails. */
    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &chal1), AUTOCERT_ERR_BIND);
    snprintf(where, sizeof(where), "127.0.0.1:%u", f->busy_port);
    assert_non_null(strstr(autocert_last_error(f->ctx), where));
    /* A failed opening is not remembered as open. */
    assert_int_equal(ac_responder_ready(r, f->ctx), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &chal1), AUTOCERT_ERR_BIND);
    /* Once the port is free the next present opens it. */
    release_port(f);
    assert_int_equal(ac_responder_present(r, f->ctx, &chal1), AUTOCERT_OK);
    assert_int_equal(ac_responder_ready(r, f->ctx), AUTOCERT_OK);
    ac_responder_free(r);
}

static void test_unknown_type(void **state)
{
    fixture *f = *state;
    ac_responder *r = NULL;
    ac_chal dns = {"dns-01", "example.com", TOKEN, KEYAUTH, 0};
    ac_chal none = {NULL, "example.com", TOKEN, KEYAUTH, 0};

    /* The port is busy: had the HTTP-01 solver been opened, BIND. */
    occupy_port(f);
    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &dns), AUTOCERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(autocert_last_error(f->ctx), "dns-01"));
    assert_int_equal(ac_responder_present(r, f->ctx, &none), AUTOCERT_ERR_UNSUPPORTED);
    ac_responder_cleanup(r, &dns);
    ac_responder_cleanup(r, &none);
    assert_int_equal(ac_responder_ready(r, f->ctx), AUTOCERT_OK);
    ac_responder_free(r);
}

/* ---- webroot ----------------------------------------------------------------------- */

static void test_webroot_files(void **state)
{
    fixture *f = *state;
    ac_responder *r = NULL;
    char wk[128];
    struct stat sb;

    snprintf(wk, sizeof(wk), "%s/.well-known", f->www);
    assert_int_equal(autocert_set_webroot(f->ctx, f->www), AUTOCERT_OK);
    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_false(exists(wk));
    assert_int_equal(ac_responder_present(r, f->ctx, &chal1), AUTOCERT_OK);
    assert_int_equal(ac_responder_ready(r, f->ctx), AUTOCERT_OK);
    assert_string_equal(contents(f->file), KEYAUTH);
    assert_int_equal(stat(f->file, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    /* Withdrawn: the file goes, and the directories made for it. */
    ac_responder_cleanup(r, &chal1);
    assert_false(exists(f->file));
    assert_false(exists(wk));

    /* Two presented, one withdrawn: the other stays until the end. */
    assert_int_equal(ac_responder_present(r, f->ctx, &chal1), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &chal2), AUTOCERT_OK);
    ac_responder_cleanup(r, &chal1);
    assert_false(exists(f->file));
    assert_string_equal(contents(f->file2), KEYAUTH2);
    ac_responder_free(r);
    assert_false(exists(f->file2));
    assert_false(exists(wk));
    /* The webroot itself stays. */
    assert_true(exists(f->www));
}

static void test_webroot_refusals(void **state)
{
    fixture *f = *state;
    ac_responder *r = NULL;
    ac_chal bad = {"http-01", "example.com", "../../etc/passwd", "x.y", 0};
    char missing[128];

    assert_int_equal(autocert_set_webroot(f->ctx, f->www), AUTOCERT_OK);
    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &bad), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), "../../etc/passwd"));
    ac_responder_free(r);

    /* A webroot that is not there: the solver cannot open. */
    snprintf(missing, sizeof(missing), "%s/missing", f->dir);
    assert_int_equal(autocert_set_webroot(f->ctx, missing), AUTOCERT_OK);
    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &chal1), AUTOCERT_ERR_INVALID);
    assert_non_null(strstr(autocert_last_error(f->ctx), missing));
    ac_responder_free(r);
}

/* ---- a live table shared with the caller ------------------------------------------------ */

static void test_external_live(void **state)
{
    fixture *f = *state;
    ac_live *live = ac_live_new();
    ac_responder *r = NULL;
    char buf[256];

    assert_non_null(live);
    /* An entry the responder did not publish. */
    assert_int_equal(ac_live_add(live, f->ctx, "http-01", "other.example", "theirs", "theirs.x"),
                     AUTOCERT_OK);
    assert_int_equal(autocert_set_webroot(f->ctx, f->www), AUTOCERT_OK);
    assert_int_equal(ac_responder_new(f->ctx, live, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &chal1), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &chal2), AUTOCERT_OK);
    assert_int_equal(ac_live_by_token(live, "http-01", TOKEN, buf, sizeof(buf)), 0);
    assert_string_equal(buf, KEYAUTH);
    assert_int_equal(ac_live_by_ident(live, "http-01", "www.example.com", buf, sizeof(buf)), 0);
    assert_string_equal(buf, KEYAUTH2);
    ac_responder_cleanup(r, &chal1);
    assert_int_equal(ac_live_by_token(live, "http-01", TOKEN, buf, sizeof(buf)), -1);

    /* Freed: what it published is withdrawn, the table and the rest stay. */
    ac_responder_free(r);
    assert_int_equal(ac_live_by_token(live, "http-01", TOKEN2, buf, sizeof(buf)), -1);
    assert_int_equal(ac_live_by_token(live, "http-01", "theirs", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "theirs.x");
    assert_int_equal(ac_live_add(live, f->ctx, "http-01", "example.com", TOKEN, KEYAUTH),
                     AUTOCERT_OK);
    /* A second responder on the same table. */
    assert_int_equal(ac_responder_new(f->ctx, live, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &chal2), AUTOCERT_OK);
    ac_responder_free(r);
    assert_int_equal(ac_live_by_token(live, "http-01", TOKEN, buf, sizeof(buf)), 0);
    ac_live_free(live);
}

static void test_daemon_uses_external_live(void **state)
{
    fixture *f = *state;
    ac_live *live = ac_live_new();
    ac_responder *r = NULL;
    char buf[256];

    /* The daemon form too publishes into the caller's table. */
    assert_non_null(live);
    occupy_port(f);
    release_port(f);
    assert_int_equal(ac_responder_new(f->ctx, live, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &chal1), AUTOCERT_OK);
    assert_int_equal(ac_live_by_token(live, "http-01", TOKEN, buf, sizeof(buf)), 0);
    assert_string_equal(buf, KEYAUTH);
    ac_responder_free(r);
    assert_int_equal(ac_live_by_token(live, "http-01", TOKEN, buf, sizeof(buf)), -1);
    ac_live_free(live);
}

/* ---- tls-alpn-01: published for a server's TLS listener ---------------------------- */

static const ac_chal alpn1 = {"tls-alpn-01", "Example.COM", TOKEN, KEYAUTH, 0};
static const ac_chal alpn2 = {"tls-alpn-01", "www.example.com", TOKEN2, KEYAUTH2, 0};

/* The key authorization the listener would find for `ident`, or NULL. */
static const char *alpn_for(ac_live *live, const char *ident)
{
    static char buf[256];

    return ac_live_by_ident(live, "tls-alpn-01", ident, buf, sizeof(buf)) == 0 ? buf : NULL;
}

static void test_tlsalpn01_needs_listener(void **state)
{
    fixture *f = *state;
    ac_responder *r = NULL;

    assert_int_equal(autocert_set_challenge(f->ctx, "tls-alpn-01"), AUTOCERT_OK);
    /* Without a TLS listener: refused by the check, at opening, at present. */
    assert_int_equal(ac_responder_check(f->ctx), AUTOCERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(autocert_last_error(f->ctx),
                           "tls-alpn-01 is answered by a server's own TLS listener"));
    assert_non_null(strstr(autocert_last_error(f->ctx), "use http-01 or dns-01"));
    assert_int_equal(ac_responder_new(f->ctx, NULL, &r), AUTOCERT_OK);
    assert_string_equal(ac_responder_type(r, 0), "tls-alpn-01");
    assert_int_equal(ac_responder_open(r, f->ctx), AUTOCERT_ERR_UNSUPPORTED);
    assert_int_equal(ac_responder_present(r, f->ctx, &alpn1), AUTOCERT_ERR_UNSUPPORTED);
    ac_responder_free(r);
    assert_int_equal(autocert_responder_start(f->ctx), AUTOCERT_ERR_UNSUPPORTED);
    /* With one, the check passes; other types do not need it. */
    f->ctx->tls_listener = 1;
    assert_int_equal(ac_responder_check(f->ctx), AUTOCERT_OK);
    f->ctx->tls_listener = 0;
    assert_int_equal(autocert_set_challenge(f->ctx, "http-01"), AUTOCERT_OK);
    assert_int_equal(ac_responder_check(f->ctx), AUTOCERT_OK);
}

static void test_tlsalpn01_publish(void **state)
{
    fixture *f = *state;
    ac_live *live = ac_live_new();
    ac_responder *r = NULL;
    char buf[256];

    assert_non_null(live);
    assert_int_equal(autocert_set_challenge(f->ctx, "tls-alpn-01"), AUTOCERT_OK);
    f->ctx->tls_listener = 1;
    /* No HTTP-01 daemon is opened: its port being busy does not matter. */
    occupy_port(f);
    assert_int_equal(ac_responder_new(f->ctx, live, &r), AUTOCERT_OK);
    assert_int_equal(ac_responder_open(r, f->ctx), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &alpn1), AUTOCERT_OK);
    assert_int_equal(ac_responder_present(r, f->ctx, &alpn2), AUTOCERT_OK);
    assert_int_equal(ac_responder_ready(r, f->ctx), AUTOCERT_OK);
    /* Found by identifier, in any case, as an SNI name may come. */
    assert_string_equal(alpn_for(live, "example.com"), KEYAUTH);
    assert_string_equal(alpn_for(live, "EXAMPLE.com"), KEYAUTH);
    assert_string_equal(alpn_for(live, "www.example.com"), KEYAUTH2);
    assert_null(alpn_for(live, "other.example.com"));
    assert_int_equal(ac_live_by_ident(live, "http-01", "example.com", buf, sizeof(buf)), -1);
    assert_int_equal(ac_live_by_token(live, "tls-alpn-01", TOKEN, buf, sizeof(buf)), 0);
    /* An HTTP-01 challenge is not its to answer. */
    assert_int_equal(ac_responder_present(r, f->ctx, &chal1), AUTOCERT_ERR_UNSUPPORTED);
    /* Cleanup withdraws one; closing withdraws the rest. */
    ac_responder_cleanup(r, &alpn1);
    assert_null(alpn_for(live, "example.com"));
    assert_string_equal(alpn_for(live, "www.example.com"), KEYAUTH2);
    ac_responder_cleanup(r, &alpn1); /* twice: harmless */
    ac_responder_free(r);
    assert_null(alpn_for(live, "www.example.com"));
    ac_live_free(live);
}

static void test_tlsalpn01_refusals(void **state)
{
    fixture *f = *state;
    ac_live *live = ac_live_new();
    ac_responder *r = NULL;
    ac_chal ip = {"tls-alpn-01", "192.0.2.7", TOKEN, KEYAUTH, 0};
    ac_chal v6 = {"tls-alpn-01", "2001:db8::1", TOKEN, KEYAUTH, 0};
    ac_chal wild = {"tls-alpn-01", "*.example.com", TOKEN, KEYAUTH, 0};
    ac_chal bad = {"tls-alpn-01", "exa mple.com", TOKEN, KEYAUTH, 0};
    ac_chal badtok = {"tls-alpn-01", "example.com", "no/token", KEYAUTH, 0};
    char buf[256];

    assert_non_null(live);
    assert_int_equal(autocert_set_challenge(f->ctx, "tls-alpn-01"), AUTOCERT_OK);
    f->ctx->tls_listener = 1;
    assert_int_equal(ac_responder_new(f->ctx, live, &r), AUTOCERT_OK);
    /* IP identifiers: the manager serves DNS names only. */
    assert_int_equal(ac_responder_present(r, f->ctx, &ip), AUTOCERT_ERR_UNSUPPORTED);
    assert_non_null(strstr(autocert_last_error(f->ctx), "192.0.2.7"));
    assert_int_equal(ac_responder_present(r, f->ctx, &v6), AUTOCERT_ERR_UNSUPPORTED);
    assert_int_equal(ac_responder_present(r, f->ctx, &wild), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_responder_present(r, f->ctx, &bad), AUTOCERT_ERR_INVALID);
    assert_int_equal(ac_responder_present(r, f->ctx, &badtok), AUTOCERT_ERR_INVALID);
    /* Nothing was published. */
    assert_int_equal(ac_live_by_token(live, "tls-alpn-01", TOKEN, buf, sizeof(buf)), -1);
    assert_null(alpn_for(live, "example.com"));
    ac_responder_free(r);
    ac_live_free(live);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_types),
        T(test_opens_on_first_present),
        T(test_unknown_type),
        T(test_webroot_files),
        T(test_webroot_refusals),
        T(test_external_live),
        T(test_daemon_uses_external_live),
        T(test_tlsalpn01_needs_listener),
        T(test_tlsalpn01_publish),
        T(test_tlsalpn01_refusals),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
