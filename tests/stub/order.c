/* order.c: the stub's order, its authorizations and challenges, finalize and the certificate download. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "stub.h"

#define MANY_AUTHZ 10000

static int all_valid(void)
{
    size_t i;

    for (i = 0; i < order.n; i++)
        if (strcmp(order.authz[i].status, "valid") != 0)
            return 0;
    return 1;
}

/* The order's status now, as the mode makes it move. */
static const char *order_status(void)
{
    if (order.finalized_at == 0)
        return all_valid() ? "ready" : "pending";
    if (stub_mode("order-stuck") || stub_mode("order-stuck-ra"))
        return "processing";
    if (stub_mode("order-processing") && stub_now() < order.finalized_at + 1.0)
        return "processing";
    if (stub_mode("order-invalid"))
        return "invalid";
    return "valid";
}

static json_t *authz_urls(void)
{
    json_t *a = json_array();
    size_t i, n = stub_mode("order-many-authz") ? MANY_AUTHZ : order.n;

    for (i = 0; i < n; i++)
        json_array_append_new(a, json_string(acme_url("/authz/%zu", i)));
    return a;
}

static json_t *order_json(void)
{
    const char *st = order_status();
    json_t *ids = json_array(), *o;
    size_t i;

    for (i = 0; i < order.n; i++)
        json_array_append_new(ids, json_pack("{s:s, s:s}", "type", order.type[i], "value",
                                             order.value[i]));
    o = json_pack("{s:s, s:s, s:o, s:o, s:s}", "status", st, "expires", "2099-01-01T00:00:00Z",
                  "identifiers", ids, "authorizations", authz_urls(), "finalize",
                  acme_url("/finalize/1"));
    if (stub_mode("order-authz-string"))
        json_object_set_new(o, "authorizations", json_string(acme_url("/authz/0")));
    if (stub_mode("order-finalize-number"))
        json_object_set_new(o, "finalize", json_integer(42));
    if (strcmp(st, "invalid") == 0)
        json_object_set_new(o, "error", json_pack("{s:s, s:s}", "type",
                                                  "urn:ietf:params:acme:error:badCSR" STUB_HOSTILE,
                                                  "detail", STUB_HOSTILE));
    if (strcmp(st, "valid") == 0) {
        if (stub_mode("cert-url-http"))
            json_object_set_new(o, "certificate", json_sprintf("%s/cert/1", stub.plain_base));
        else if (stub_mode("order-cert-number"))
            json_object_set_new(o, "certificate", json_integer(7));
        else if (!stub_mode("cert-no-url"))
            json_object_set_new(o, "certificate", json_string(acme_url("/cert/1")));
        if (stub_mode("order-status-number"))
            json_object_set_new(o, "status", json_integer(5));
    }
    return o;
}

/* A random token (base64url of 24 bytes), or the mode's bad one. */
static void new_token(char *out, size_t n)
{
    unsigned char raw[24];
    char *t;

    RAND_bytes(raw, sizeof(raw));
    t = b64url_encode(raw, sizeof(raw));
    snprintf(out, n, "%s", t ? t : "x");
    free(t);
}

/* Takes the identifiers of a newOrder; -1 when unusable. */
static int take_identifiers(json_t *ids)
{
    json_t *id;
    size_t i;

    if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > STUB_MAX_NAMES)
        return -1;
    memset(order.authz, 0, sizeof(order.authz));
    json_array_foreach(ids, i, id) {
        const char *t = json_string_value(json_object_get(id, "type"));
        const char *v = json_string_value(json_object_get(id, "value"));
        if (t == NULL || v == NULL || (strcmp(t, "dns") != 0 && strcmp(t, "ip") != 0) ||
            strlen(v) >= sizeof(order.value[0]))
            return -1;
        snprintf(order.type[i], sizeof(order.type[i]), "%s", t);
        snprintf(order.value[i], sizeof(order.value[i]), "%s", v);
        snprintf(order.authz[i].status, sizeof(order.authz[i].status), "%s",
                 stub_mode("order-authz-valid") ? "valid" : "pending");
        new_token(order.authz[i].token, sizeof(order.authz[i].token));
    }
    order.n = json_array_size(ids);
    return 0;
}

void acme_new_order(stub_jws *j, stub_reply *r)
{
    if (take_identifiers(json_object_get(j->payload, "identifiers")) != 0) {
        stub_violation("newOrder with unusable identifiers");
        reply_problem(r, 400, "malformed", "bad identifiers");
        return;
    }
    free(order.pem);
    order.pem = NULL;
    order.finalized_at = order.not_before = 0;
    order.active = 1;
    order.acct = j->acct;
    reply_json(r, 201, order_json());
    if (stub_mode("order-not-json"))
        reply_text(r, 201, "application/json", "{{{ not json", 12);
    if (stub_mode("order-redirect"))
        r->status = 302;
    if (!stub_mode("order-no-location"))
        reply_set(&r->location, "%s%s", acme_url("/order/1"),
                  stub_mode("order-location-hostile") ? STUB_HOSTILE_HDR : "");
}

/* The Retry-After of an order that is still processing. */
static void order_wait(stub_reply *r)
{
    const char *ra = stub_mode("order-stuck-ra") ? "86400" : stub_mode("order-processing") ? "1" : NULL;

    if (ra && strcmp(order_status(), "processing") == 0) {
        reply_set(&r->retry_after, "%s", ra);
        order.not_before = stub_now() + (double)atoi(ra) - 0.05;
    }
}

void acme_order(int after_finalize, stub_reply *r)
{
    if (!order.active) {
        reply_problem(r, 404, "malformed", "no order");
        return;
    }
    if (!after_finalize && order.not_before > 0 && stub_now() < order.not_before)
        stub_violation("order polled %.2f s before its Retry-After", order.not_before - stub_now());
    reply_json(r, 200, order_json());
    order_wait(r);
    if (after_finalize)
        reply_set(&r->location, "%s", acme_url("/order/1"));
}

void acme_finalize(stub_jws *j, stub_reply *r)
{
    const char *csr = json_string_value(json_object_get(j->payload, "csr")), *why = NULL;

    if (!order.active || !all_valid() || order.finalized_at != 0) {
        stub_violation("finalize of an order that is not ready");
        reply_problem(r, 403, "orderNotReady", "the order is not ready");
        return;
    }
    if (csr == NULL || (order.pem = ca_issue(csr, &why)) == NULL) {
        stub_violation("finalize: %s", csr ? why : "no csr");
        reply_problem(r, 400, "badCSR", csr ? why : "no csr");
        return;
    }
    order.finalized_at = stub_now();
    acme_order(1, r);
}

void acme_cert(stub_reply *r)
{
    if (order.pem == NULL || strcmp(order_status(), "valid") != 0) {
        stub_violation("certificate download before the order is valid");
        reply_problem(r, 403, "malformed", "no certificate yet");
        return;
    }
    reply_text(r, 200, "application/pem-certificate-chain", order.pem, strlen(order.pem));
    if (stub_mode("cert-endless"))
        r->kind = BODY_ENDLESS;
    else if (stub_mode("cert-trickle"))
        r->kind = BODY_TRICKLE;
    else if (stub_mode("cert-2mib")) {
        size_t n = 2u << 20, k;
        char *big = malloc(n + 1);
        for (k = 0; big && k < n; k++)
            big[k] = k % 65 == 64 ? '\n' : 'A';
        if (big)
            reply_text(r, 200, "application/pem-certificate-chain", big, n);
        free(big);
    }
}
