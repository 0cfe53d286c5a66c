/* authz.c: the authorizations of an order: present every challenge, then respond to all, then poll them together. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"

/* One authorization of the order. */
typedef struct {
    const char *url;     /* borrowed from the order object */
    json_t *authz;       /* as last fetched */
    char id[300];        /* "dns:example.com", for messages */
    ac_chal chal;        /* the challenge answered; its strings are owned below */
    char *ident, *token, *chal_url, *key_auth;
    int presented;
    int done;            /* valid */
} authz;

typedef struct {
    ac_session *s;
    ac_responder *r;
    authz *a;
    size_t n;
    const ac_order *o;
} authz_run;

/* The identifier of an authorization as "type:value". */
static void ident_text(json_t *obj, char *buf, size_t n)
{
    json_t *id = json_object_get(obj, "identifier");
    const char *v = json_string_value(json_object_get(id, "value"));
    const char *t = json_string_value(json_object_get(id, "type"));

    /* The CA's words: shown, never sent to a terminal as they are. */
    snprintf(buf, n, "%s:%s", AC_SAFE(t ? t : "?"), AC_SAFE(v ? v : "?"));
}

/* Reports why an authorization ended invalid, from its challenges' errors. */
static autocert_err authz_failed(ac_session *s, const authz *a)
{
    json_t *chals = json_object_get(a->authz, "challenges"), *c;
    char what[400];
    size_t i;

    snprintf(what, sizeof(what), "validation of %s failed", a->id);
    json_array_foreach(chals, i, c) {
        json_t *e = json_object_get(c, "error");
        if (json_is_object(e)) {
            ac_err_problem(s->ctx, 0, e, what);
            ac_err_recode(s->ctx, AUTOCERT_ERR_VALIDATION);
            return AUTOCERT_ERR_VALIDATION;
        }
    }
    return ac_err(s->ctx, AUTOCERT_ERR_VALIDATION, "%s: authorization is %s", what,
                  AC_SAFE(ac_acme_status(a->authz)));
}

/* Whether the authorization is for one of the order's identifiers, after
 * normalisation (a CA may write a name in capitals, with a trailing dot).
 * The authorization of a wildcard names its base domain with "wildcard":
 * true (RFC 8555 section 7.1.4): it stands for "*." and the base. */
static int ordered(const ac_order *o, json_t *authz_obj)
{
    json_t *id = json_object_get(authz_obj, "identifier");
    const char *t = json_string_value(json_object_get(id, "type"));
    const char *v = json_string_value(json_object_get(id, "value"));
    char star[300];
    ac_ident got;
    size_t i;
    int hit = 0;

    if (v != NULL && json_is_true(json_object_get(authz_obj, "wildcard")) &&
        strncmp(v, "*.", 2) != 0 && snprintf(star, sizeof(star), "*.%s", v) < (int)sizeof(star))
        v = star;
    if (t == NULL || v == NULL || ac_ident_parse(NULL, v, 1, &got) != AUTOCERT_OK)
        return 0;
    if ((got.type == AC_ID_IP) == (strcmp(t, "ip") == 0) &&
        (got.type == AC_ID_DNS) == (strcmp(t, "dns") == 0))
        for (i = 0; !hit && i < o->n_ids; i++)
            hit = o->ids[i].type == got.type && strcmp(o->ids[i].value, got.value) == 0;
    ac_ident_clear(&got);
    return hit;
}

static autocert_err need_status(ac_session *s, const authz *a)
{
    char what[340];

    snprintf(what, sizeof(what), "the authorization of %s", a->id);
    return ac_acme_need_status(s->ctx, a->authz, what);
}

/* Fetches every authorization; the valid ones need nothing more. */
static autocert_err fetch_all(authz_run *run, json_t *urls)
{
    ac_http_resp resp;
    autocert_err rc = AUTOCERT_OK;
    size_t i;

    ac_http_resp_init(&resp);
    for (i = 0; i < run->n && rc == AUTOCERT_OK; i++) {
        authz *a = &run->a[i];

        if ((a->url = json_string_value(json_array_get(urls, i))) == NULL) {
            rc = ac_err(run->s->ctx, AUTOCERT_ERR_PROTOCOL, "order: malformed authorizations list");
            break;
        }
        if ((rc = ac_acme_fetch(run->s, a->url, "authorization", &resp, &a->authz)) != AUTOCERT_OK)
            break;
        ident_text(a->authz, a->id, sizeof(a->id));
        if ((rc = need_status(run->s, a)) != AUTOCERT_OK)
            break;
        /* Never answered: proving control of a name nobody ordered. */
        if (!ordered(run->o, a->authz)) {
            rc = ac_err(run->s->ctx, AUTOCERT_ERR_PROTOCOL, "the CA sent an authorization for "
                        "%s, which was not ordered: refused", a->id);
            break;
        }
        if (strcmp(ac_acme_status(a->authz), "valid") == 0) {
            ac_log(run->s->ctx, AUTOCERT_LOG_INFO, "%s: already authorized", a->id);
            a->done = 1;
        } else if (strcmp(ac_acme_status(a->authz), "pending") != 0) {
            rc = authz_failed(run->s, a);
        }
    }
    ac_http_resp_free(&resp);
    return rc;
}

/* The challenge object of `type` in an authorization, or NULL. */
static json_t *challenge_of(json_t *authz_obj, const char *type)
{
    json_t *chals = json_object_get(authz_obj, "challenges"), *c;
    size_t i;

    json_array_foreach(chals, i, c) {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

/* No challenge of the responder's type in an authorization: an error that
 * names the types the CA offers. */
static autocert_err no_challenge(authz_run *run, const authz *a)
{
    json_t *chals = json_object_get(a->authz, "challenges"), *c;
    char offered[200] = "";
    size_t i, len;

    json_array_foreach(chals, i, c) {
        const char *t = json_string_value(json_object_get(c, "type"));
        len = strlen(offered);
        if (t && len + 2 < sizeof(offered))
            snprintf(offered + len, sizeof(offered) - len, "%s%s", len ? ", " : "", t);
    }
    return ac_err(run->s->ctx, AUTOCERT_ERR_UNSUPPORTED,
                  "%s: the server offers no %s challenge, the type chosen (it offers: %s)", a->id,
                  ac_responder_type(run->r, 0), *offered ? AC_SAFE(offered) : "none");
}

/* Picks the responder's most preferred challenge type the CA offers for a
 * pending authorization, and computes its key authorization. */
static autocert_err choose(authz_run *run, authz *a, const char *thumb)
{
    const char *type = NULL;
    json_t *c = NULL, *id = json_object_get(a->authz, "identifier");
    size_t i, kalen;

    for (i = 0; c == NULL && (type = ac_responder_type(run->r, i)) != NULL; i++)
        c = challenge_of(a->authz, type);
    if (c == NULL)
        return no_challenge(run, a);
    /* Copies: the authorization object is replaced by every poll. */
    a->ident = json_string_value(json_object_get(id, "value")) ?
               strdup(json_string_value(json_object_get(id, "value"))) : NULL;
    a->token = json_string_value(json_object_get(c, "token")) ?
               strdup(json_string_value(json_object_get(c, "token"))) : NULL;
    a->chal_url = json_string_value(json_object_get(c, "url")) ?
                  strdup(json_string_value(json_object_get(c, "url"))) : NULL;
    if (a->ident == NULL || a->token == NULL || a->chal_url == NULL || !ac_token_valid(a->token))
        return ac_err(run->s->ctx, AUTOCERT_ERR_PROTOCOL, "%s: malformed %s challenge", a->id, type);
    kalen = strlen(a->token) + 1 + strlen(thumb) + 1;
    if ((a->key_auth = malloc(kalen)) == NULL)
        return ac_err(run->s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    snprintf(a->key_auth, kalen, "%s.%s", a->token, thumb);
    a->chal = (ac_chal){type, a->ident, a->token, a->key_auth, run->s->deadline};
    return AUTOCERT_OK;
}

/* Publishes a challenge for every pending authorization, then waits until
 * the CA can see them all. */
static autocert_err present_all(authz_run *run)
{
    char *thumb = NULL;
    autocert_err rc;
    size_t i;

    if ((rc = ac_jwk_thumbprint(run->s->ctx, run->s->account.key, &thumb)) != AUTOCERT_OK)
        return rc;
    for (i = 0; i < run->n && rc == AUTOCERT_OK; i++) {
        authz *a = &run->a[i];

        if (a->done)
            continue;
        if ((rc = choose(run, a, thumb)) == AUTOCERT_OK &&
            (rc = ac_responder_present(run->r, run->s->ctx, &a->chal)) == AUTOCERT_OK)
            a->presented = 1;
    }
    free(thumb);
    if (rc == AUTOCERT_OK)
        rc = ac_responder_ready(run->r, run->s->ctx);
    return rc;
}

/* Tells the CA to validate every presented challenge. */
static autocert_err respond_all(authz_run *run)
{
    ac_http_resp resp;
    json_t *empty = json_object();
    autocert_err rc = AUTOCERT_OK;
    size_t i;

    if (empty == NULL)
        return ac_err(run->s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    ac_http_resp_init(&resp);
    for (i = 0; i < run->n && rc == AUTOCERT_OK; i++) {
        authz *a = &run->a[i];

        if (!a->presented)
            continue;
        ac_log(run->s->ctx, AUTOCERT_LOG_INFO, "%s: answering %s challenge", a->id, a->chal.type);
        rc = ac_acme_post(run->s, a->chal_url, empty, "challenge response", &resp);
    }
    json_decref(empty);
    ac_http_resp_free(&resp);
    return rc;
}

/* One poll of every authorization still pending; *busy when some are, and
 * *retry_after the longest Retry-After the CA gave (or -1). */
static autocert_err poll_round(authz_run *run, int *busy, long *retry_after)
{
    ac_http_resp resp;
    autocert_err rc = AUTOCERT_OK;
    size_t i;

    *busy = 0;
    *retry_after = -1;
    ac_http_resp_init(&resp);
    for (i = 0; i < run->n && rc == AUTOCERT_OK; i++) {
        authz *a = &run->a[i];
        const char *st;

        if (a->done)
            continue;
        json_decref(a->authz);
        a->authz = NULL;
        if ((rc = ac_acme_fetch(run->s, a->url, "authorization", &resp, &a->authz)) != AUTOCERT_OK)
            break;
        if (resp.retry_after > *retry_after)
            *retry_after = resp.retry_after;
        if ((rc = need_status(run->s, a)) != AUTOCERT_OK)
            break;
        st = ac_acme_status(a->authz);
        if (strcmp(st, "valid") == 0) {
            ac_log(run->s->ctx, AUTOCERT_LOG_INFO, "%s: validated", a->id);
            a->done = 1;
        } else if (strcmp(st, "pending") == 0 || strcmp(st, "processing") == 0) {
            *busy = 1;
        } else {
            rc = authz_failed(run->s, a);
        }
    }
    ac_http_resp_free(&resp);
    return rc;
}

/* Polls in rounds until every authorization is valid. */
static autocert_err poll_all(authz_run *run)
{
    ac_backoff b;
    long retry_after = -1;
    int busy = 0;
    autocert_err rc = AUTOCERT_OK;
    size_t i;

    ac_backoff_init(&b);
    for (i = 0; i < run->n; i++)
        busy |= !run->a[i].done;
    while (busy && rc == AUTOCERT_OK) {
        rc = ac_session_sleep(run->s, ac_backoff_next(&b, retry_after), "authorization");
        if (rc == AUTOCERT_OK)
            rc = poll_round(run, &busy, &retry_after);
    }
    return rc;
}

autocert_err ac_order_authorize(ac_session *s, ac_order *o, ac_responder *r)
{
    json_t *urls = json_object_get(o->obj, "authorizations");
    authz_run run = {s, r, NULL, json_array_size(urls), o};
    autocert_err rc;
    size_t i;

    if ((run.a = calloc(run.n ? run.n : 1, sizeof(*run.a))) == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if ((rc = fetch_all(&run, urls)) == AUTOCERT_OK &&
        (rc = present_all(&run)) == AUTOCERT_OK &&
        (rc = respond_all(&run)) == AUTOCERT_OK)
        rc = poll_all(&run);
    for (i = 0; i < run.n; i++) {
        if (run.a[i].presented)
            ac_responder_cleanup(r, &run.a[i].chal);
        free(run.a[i].ident);
        free(run.a[i].token);
        free(run.a[i].chal_url);
        free(run.a[i].key_auth);
        json_decref(run.a[i].authz);
    }
    free(run.a);
    return rc;
}
