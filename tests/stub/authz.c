/* authz.c: the stub's authorizations and their HTTP-01 challenges, with the modes that break them. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stub.h"

/* The identifier value the authorization shows for name i. */
static json_t *ident_value(size_t i)
{
    char caps[300];
    size_t k;

    if (i == 0 && stub_mode("authz-unordered"))
        return json_string("other.example.net");
    if (i == 0 && stub_mode("authz-hostile-ident"))
        return json_string("evil" STUB_HOSTILE ".example.org");
    if (stub_mode("authz-caps")) {
        for (k = 0; order.value[i][k] && k < sizeof(caps) - 2; k++)
            caps[k] = (char)toupper((unsigned char)order.value[i][k]);
        caps[k++] = '.';
        caps[k] = '\0';
        return json_string(caps);
    }
    return json_string(order.value[i]);
}

static json_t *token_of(size_t i)
{
    char t[301];

    if (stub_mode("token-long")) {
        memset(t, 'a', 300);
        t[300] = '\0';
        return json_string(t);
    }
    if (stub_mode("token-empty"))
        return json_string("");
    if (stub_mode("token-bad"))
        return json_string("abc$%/?def");
    if (stub_mode("token-number"))
        return json_integer(12345);
    if (stub_mode("token-dotdot"))
        return json_string("../../../escape");
    return json_string(order.authz[i].token);
}

static json_t *challenge_json(size_t i)
{
    stub_authz *a = &order.authz[i];
    const char *st = strcmp(a->status, "pending") == 0 ? (a->answered ? "processing" : "pending")
                                                       : a->status;
    json_t *c = json_pack("{s:s, s:s, s:s, s:o}", "type", "http-01", "url",
                          acme_url("/chal/%zu", i), "status", st, "token", token_of(i));

    if (strcmp(a->status, "invalid") == 0)
        json_object_set_new(c, "error", json_pack("{s:s, s:s}", "type",
                                                  "urn:ietf:params:acme:error:unauthorized",
                                                  "detail", stub_mode("authz-invalid") ?
                                                  STUB_HOSTILE : a->why));
    return c;
}

void acme_authz(size_t i, stub_reply *r)
{
    json_t *a;
    size_t k;

    if (!order.active || (i >= order.n && !stub_mode("order-many-authz"))) {
        reply_problem(r, 404, "malformed", "no such authorization");
        return;
    }
    k = i % order.n;
    a = json_pack("{s:s, s:{s:s, s:o}, s:[o], s:s}", "status", order.authz[k].status,
                  "identifier", "type", order.type[k], "value", ident_value(k), "challenges",
                  challenge_json(k), "expires", "2099-01-01T00:00:00Z");
    if (stub_mode("authz-no-status"))
        json_object_del(a, "status");
    if (stub_mode("authz-no-challenges"))
        json_object_set_new(a, "challenges", json_array());
    reply_json(r, 200, a);
    if (stub_mode("authz-not-json"))
        reply_text(r, 200, "application/json", "<<< not json", 12);
    if (stub_mode("authz-stuck-ra") && order.authz[k].answered)
        reply_set(&r->retry_after, "86400");
}

/* Validates the challenge of authorization i as the mode allows. */
static void validate(size_t i, stub_account *acct)
{
    stub_authz *a = &order.authz[i];
    char ka[512], why[200];

    a->answered = 1;
    if (stub_mode("authz-stuck") || stub_mode("authz-stuck-ra"))
        return;
    if (stub_mode("authz-invalid")) {
        snprintf(a->status, sizeof(a->status), "invalid");
        return;
    }
    snprintf(ka, sizeof(ka), "%s.%s", a->token, acct->thumb);
    if (validate_http01(order.value[i], a->token, ka, why, sizeof(why)) != NULL) {
        stub_log("validation of %s failed: %s", order.value[i], why);
        snprintf(a->why, sizeof(a->why), "%s", why);
        snprintf(a->status, sizeof(a->status), "invalid");
    } else {
        snprintf(a->status, sizeof(a->status), "valid");
    }
}

void acme_challenge(size_t i, stub_jws *j, stub_reply *r)
{
    if (!order.active || i >= order.n) {
        reply_problem(r, 404, "malformed", "no such challenge");
        return;
    }
    if (j->payload && strcmp(order.authz[i].status, "pending") == 0 && !order.authz[i].answered)
        validate(i, j->acct);
    else if (j->payload)
        stub_log("challenge %zu answered again", i);
    reply_json(r, 200, challenge_json(i));
    reply_set(&r->link, "<%s>;rel=\"up\"", acme_url("/authz/%zu", i));
}
