/* acme.c: the stub's routes: directory, nonces, accounts, and the errors and Retry-After abuse of newOrder. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stub.h"

const char *acme_url(const char *fmt, ...)
{
    static __thread char buf[4][512];
    static __thread int k;
    char *b = buf[k++ & 3];
    size_t n = strlen(stub.base);
    va_list ap;

    memcpy(b, stub.base, n + 1);
    va_start(ap, fmt);
    vsnprintf(b + n, sizeof(buf[0]) - n, fmt, ap);
    va_end(ap);
    return b;
}

static char *padded(size_t size)
{
    char *s = malloc(size + 1);

    if (s) {
        memset(s, 'A', size);
        s[size] = '\0';
    }
    return s;
}

static json_t *directory_json(void)
{
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s}", "newNonce", acme_url("/nonce"),
                          "newAccount", acme_url("/new-acct"), "newOrder", acme_url("/new-order"),
                          "revokeCert", acme_url("/revoke"), "keyChange", acme_url("/key-change"));
    json_t *meta = json_object();
    char tos[600];

    snprintf(tos, sizeof(tos), "%s%s", acme_url("/tos"), stub_mode("tos-hostile") ? STUB_HOSTILE : "");
    json_object_set_new(meta, "termsOfService", json_string(tos));
    if (stub_mode("eab-required"))
        json_object_set_new(meta, "externalAccountRequired", json_true());
    json_object_set_new(d, "meta", meta);
    if (stub_mode("acct-url-http"))
        json_object_set_new(d, "newAccount", json_sprintf("%s/new-acct", stub.plain_base));
    if (stub_mode("order-url-http"))
        json_object_set_new(d, "newOrder", json_sprintf("%s/new-order", stub.plain_base));
    if (stub_mode("dir-no-nonce"))
        json_object_del(d, "newNonce");
    if (stub_mode("dir-no-order"))
        json_object_del(d, "newOrder");
    return d;
}

void acme_directory(stub_reply *r)
{
    static const char *types = "{\"newNonce\": 1, \"newAccount\": true, \"newOrder\": [], "
                               "\"meta\": \"x\"}";
    json_t *d = directory_json();

    reply_json(r, 200, d);
    if (stub_mode("dir-not-json"))
        reply_text(r, 200, "text/html", "<html>hello</html>", 18);
    else if (stub_mode("dir-array"))
        reply_text(r, 200, "application/json", "[1,2,3]", 7);
    else if (stub_mode("dir-types"))
        reply_text(r, 200, "application/json", types, strlen(types));
    else if (stub_mode("dir-endless"))
        r->kind = BODY_ENDLESS;
    else if (stub_mode("dir-slow"))
        r->kind = BODY_SLOW;
    else if (stub_mode("dir-trickle"))
        r->kind = BODY_TRICKLE;
    else if (stub_mode("dir-stall"))
        r->kind = BODY_STALL;
    else if (stub_mode("dir-redirect")) {
        reply_problem(r, 301, "malformed", "moved");
        reply_set(&r->location, "%s", acme_url("/dir-moved"));
    } else if (stub_mode("dir-2mib")) {
        char *pad = padded(2u << 20);
        json_t *big = directory_json();
        json_object_set_new(big, "pad", json_string(pad ? pad : ""));
        reply_json(r, 200, big);
        free(pad);
    }
}

/* The account's own Location as the mode writes it. */
static void account_location(stub_reply *r, const char *kid)
{
    if (!stub_mode("acct-no-location"))
        reply_set(&r->location, "%s", kid);
}

static void new_account(stub_jws *j, stub_reply *r)
{
    stub_account *a = account_by_thumb(j->thumb);
    char *kid = NULL, *pad = NULL;

    if (json_is_true(json_object_get(j->payload, "onlyReturnExisting")) || a) {
        if (a == NULL) {
            reply_problem(r, 400, "accountDoesNotExist", "no account for this key");
            return;
        }
        reply_json(r, 200, json_pack("{s:s}", "status", "valid"));
        account_location(r, a->kid);
        return;
    }
    if (!json_is_true(json_object_get(j->payload, "termsOfServiceAgreed")))
        stub_violation("newAccount without agreeing to the terms of service");
    if (stub_mode("eab-required") && !json_object_get(j->payload, "externalAccountBinding")) {
        stub_violation("newAccount without External Account Binding");
        reply_problem(r, 400, "externalAccountRequired", "EAB required");
        return;
    }
    if (stub_mode("acct-location-long"))
        pad = padded(60 * 1024);
    reply_set(&kid, "%s%s%s", acme_url("/acct/1"), stub_mode("acct-location-hostile") ?
              STUB_HOSTILE_HDR : "", pad ? pad : "");
    account_add(kid, j->jwk_key, j->thumb);
    reply_json(r, 201, json_pack("{s:s, s:s}", "status", "valid", "orders", acme_url("/orders")));
    if (stub_mode("acct-not-json"))
        reply_text(r, 201, "text/plain", "welcome, this is not JSON", 25);
    account_location(r, kid);
    free(kid);
    free(pad);
}

/* A problem document whose fields carry control bytes, and its subproblems. */
static json_t *hostile_problem(void)
{
    json_t *subs = json_array();
    int i;

    for (i = 0; i < 3; i++)
        json_array_append_new(subs, json_pack("{s:s, s:s, s:{s:s, s:s}}", "type",
                                              "urn:ietf:params:acme:error:rejectedIdentifier"
                                              STUB_HOSTILE, "detail", STUB_HOSTILE, "identifier",
                                              "type", "dns" STUB_HOSTILE, "value",
                                              "evil" STUB_HOSTILE ".example.org"));
    return json_pack("{s:s, s:s, s:i, s:o, s:{s:s, s:s}}", "type",
                     "urn:ietf:params:acme:error:unauthorized" STUB_HOSTILE, "detail",
                     STUB_HOSTILE, "status", 403, "subproblems", subs, "identifier", "type",
                     "dns", "value", "evil" STUB_HOSTILE);
}

static json_t *many_subproblems(void)
{
    json_t *subs = json_array();
    int i;

    for (i = 0; i < 5000; i++)
        json_array_append_new(subs, json_pack("{s:s, s:s, s:{s:s, s:s}}", "type",
                                              "urn:ietf:params:acme:error:rejectedIdentifier",
                                              "detail", "this name is refused", "identifier",
                                              "type", "dns", "value", "n.example.org"));
    return json_pack("{s:s, s:s, s:i, s:o}", "type", "urn:ietf:params:acme:error:rejectedIdentifier",
                     "detail", "5000 names refused", "status", 403, "subproblems", subs);
}

/* The problem modes answer newOrder with 403 and the problem; 1 if done. */
static int order_problem(stub_reply *r)
{
    char *pad;

    if (stub_mode("problem-hostile"))
        reply_json(r, 403, hostile_problem());
    else if (stub_mode("problem-many"))
        reply_json(r, 403, many_subproblems());
    else if (stub_mode("problem-not-json"))
        reply_text(r, 403, "application/problem+json", "<html>forbidden</html>", 22);
    else if (stub_mode("problem-type-number"))
        reply_json(r, 403, json_pack("{s:i, s:s}", "type", 5, "detail", "type is a number"));
    else if (stub_mode("problem-types"))
        reply_json(r, 403, json_pack("{s:s, s:[i], s:s, s:i, s:s}", "type",
                                     "urn:ietf:params:acme:error:unauthorized", "detail", 1,
                                     "subproblems", "nope", "identifier", 7, "status", "x"));
    else if (stub_mode("problem-long") && (pad = padded(200 * 1024)) != NULL) {
        reply_json(r, 403, json_pack("{s:s, s:s}", "type", "urn:ietf:params:acme:error:unauthorized",
                                     "detail", pad));
        free(pad);
    } else
        return 0;
    r->ctype = "application/problem+json";
    return 1;
}

/* The Retry-After modes answer newOrder 429 or 503; 1 if done. */
static int order_busy(stub_reply *r)
{
    static int calls;
    static double last;
    const char *ra = NULL;
    char date[64];
    time_t t = time(NULL) + 365L * 86400;
    struct tm tm;

    calls++;
    if (stub_mode("ra-429-once")) {
        if (calls == 1)
            last = stub_now();
        else if (stub_now() - last < 0.95)
            stub_violation("newOrder retried %.2f s after Retry-After: 1", stub_now() - last);
        if (calls > 1)
            return 0;
        ra = "1";
    } else if (stub_mode("ra-far-seconds")) ra = "86400";
    else if (stub_mode("ra-negative")) ra = "-5";
    else if (stub_mode("ra-garbage")) ra = "soon, maybe";
    else if (stub_mode("ra-past-date")) ra = "Thu, 01 Jan 2015 00:00:00 GMT";
    else if (stub_mode("ra-503-forever")) ra = "1";
    else if (stub_mode("ra-far-date")) {
        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
        ra = date;
    } else
        return 0;
    if (stub_mode("ra-503-forever"))
        reply_problem(r, 503, "serverInternal", "busy, come back later");
    else
        reply_problem(r, 429, "rateLimited", "too many orders, come back later");
    reply_set(&r->retry_after, "%s", ra);
    return 1;
}

static void signed_route(const char *path, stub_jws *j, stub_reply *r)
{
    size_t i;

    if (strcmp(path, "/new-acct") == 0)
        new_account(j, r);
    else if (strcmp(path, "/new-order") == 0) {
        if (!order_problem(r) && !order_busy(r))
            acme_new_order(j, r);
    } else if (strcmp(path, "/order/1") == 0)
        acme_order(0, r);
    else if (strcmp(path, "/finalize/1") == 0)
        acme_finalize(j, r);
    else if (strcmp(path, "/cert/1") == 0)
        acme_cert(r);
    else if (sscanf(path, "/authz/%zu", &i) == 1)
        acme_authz(i, r);
    else if (sscanf(path, "/chal/%zu", &i) == 1)
        acme_challenge(i, j, r);
    else
        reply_problem(r, 404, "malformed", "no such resource");
}

/* badNonce in the nonce modes: 1 if answered. */
static int bad_nonce(stub_reply *r)
{
    static int posts;

    if (stub_mode("nonce-bad-always") || (stub_mode("nonce-bad-once") && posts++ == 0)) {
        reply_problem(r, 400, "badNonce", "this nonce is no good");
        return 1;
    }
    return 0;
}

void acme_handle(const char *method, const char *path, const char *body, size_t len,
                 stub_reply *r)
{
    stub_jws j;

    if (strcmp(path, "/dir") == 0 || strcmp(path, "/dir-moved") == 0)
        acme_directory(r);
    else if (strcmp(path, "/nonce") == 0)
        reply_text(r, strcmp(method, "HEAD") == 0 ? 200 : 204, NULL, "", 0);
    else if (strcmp(method, "POST") != 0)
        reply_problem(r, 405, "malformed", "use POST");
    else if (stub_mode("order-hangup") && strcmp(path, "/new-order") == 0)
        r->kind = BODY_HANGUP;
    else if (jws_check(body, len, acme_url("%s", path), strcmp(path, "/new-acct") == 0, &j,
                       r) == 0) {
        if (!bad_nonce(r))
            signed_route(path, &j, r);
        jws_clear(&j);
    }
    if (stub_mode("nonce-none") || (stub_mode("nonce-fresh-only") && strcmp(path, "/nonce") != 0))
        r->no_nonce = 1;
}
