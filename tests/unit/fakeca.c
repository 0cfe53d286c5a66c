/* fakeca.c: an ACME CA in memory for unit tests: accounts, nonces, orders, HTTP-01 checked in a webroot, issuance. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "fakeca.h"

#define MAX_REQ 512
#define MAX_ORDERS 32
#define MAX_AUTHZ 8
#define MAX_ACCOUNTS 8

typedef struct {
    char type[8];     /* dns, ip */
    char ident[256];
    char token[64];
    char status[16];  /* pending, valid, invalid */
    int answered;
    int polls_left;
    char error_type[128]; /* why it is invalid */
    const char *error_detail;
} fake_authz;

typedef struct {
    json_t *identifiers;
    fake_authz authz[MAX_AUTHZ];
    size_t n_authz;
    char status[16];  /* pending, ready, processing, valid, invalid */
    int polls_left;
    char error_type[128]; /* the problem it ends invalid with ("": none) */
    char *cert_pem;
    int first_answer_seen;
    int revoked;      /* revokeCert accepted for its certificate */
} fake_order;

struct fakeca {
    pthread_mutex_t mu; /* one request at a time: sessions may run in threads */
    fakeca_knobs k;
    fakeca_req req[MAX_REQ];
    size_t n_req;
    unsigned long next_nonce;
    unsigned char used[4096];   /* used[n]: nonce n was used */
    char *thumbs[MAX_ACCOUNTS]; /* registered accounts by JWK thumbprint */
    json_t *contact[MAX_ACCOUNTS]; /* their contact arrays (NULL: none) */
    int deactivated[MAX_ACCOUNTS];
    size_t n_accounts;
    size_t n_revoked;
    int last_reason;            /* of the last accepted revocation, -1: none given */
    fake_order orders[MAX_ORDERS];
    size_t n_orders;
    char replaced[MAX_ORDERS][256]; /* certificate IDs named by "replaces" */
    size_t n_replaced;
    size_t issued;
    int all_presented_first;
    EVP_PKEY *key;
    X509 *root;
    char *root_pem;
    EVP_PKEY *alt_key;  /* the alternate root's */
    char *alt_root_pem; /* FAKECA_ALT_ROOT_CN, self-signed */
    char *cross_pem;    /* the root's name and key, issued by the alternate root */
};

/* A response being built. */
typedef struct {
    long status;
    json_t *body;
    char location[256];
    long retry_after;
    char *raw; /* a body that is not JSON (the certificate) */
    char link[256]; /* a Link rel="alternate" target ("": none) */
} answer;

/* ---- helpers --------------------------------------------------------------- */

static char *b64(const void *p, size_t n)
{
    char *s = NULL;

    return ac_b64url_encode(p, n, &s) == AUTOCERT_OK ? s : NULL;
}

static json_t *decode_json(const char *b64text)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    json_t *j;

    if (b64text == NULL || ac_b64url_decode(b64text, &raw, &len) != AUTOCERT_OK)
        return NULL;
    j = len ? json_loadb((const char *)raw, len, 0, NULL) : NULL;
    free(raw);
    return j;
}

/* RFC 7638 thumbprint of a JWK, computed here without the library's code. */
static char *thumbprint(json_t *jwk)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    json_t *req = NULL;
    unsigned char md[32];
    unsigned int mdlen = 0;
    char *text, *out = NULL;

    if (kty && strcmp(kty, "EC") == 0)
        req = json_pack("{s:O, s:O, s:O, s:O}", "crv", json_object_get(jwk, "crv"), "kty",
                        json_object_get(jwk, "kty"), "x", json_object_get(jwk, "x"), "y",
                        json_object_get(jwk, "y"));
    else if (kty && strcmp(kty, "RSA") == 0)
        req = json_pack("{s:O, s:O, s:O}", "e", json_object_get(jwk, "e"), "kty",
                        json_object_get(jwk, "kty"), "n", json_object_get(jwk, "n"));
    text = req ? json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (text && EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL))
        out = b64(md, mdlen);
    free(text);
    json_decref(req);
    return out;
}

static json_t *problem(const char *type, const char *detail)
{
    return json_pack("{s:s, s:s}", "type", type, "detail", detail);
}

static void fail(answer *a, long status, const char *type, const char *detail)
{
    char urn[128];

    snprintf(urn, sizeof(urn), "urn:ietf:params:acme:error:%s", type);
    a->status = status;
    json_decref(a->body);
    a->body = problem(urn, detail);
}

/* ---- the CA's own key and certificate ---------------------------------------- */

/* An authority key identifier, as a CA with ARI gives its certificates
 * (RFC 9773 certificate IDs are made of it). */
static void add_aki(X509 *x)
{
    static const unsigned char id[] = "fakeca-key-id-000000";
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();

    if (akid && (akid->keyid = ASN1_OCTET_STRING_new()) != NULL &&
        ASN1_OCTET_STRING_set(akid->keyid, id, (int)sizeof(id) - 1))
        X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, 0);
    AUTHORITY_KEYID_free(akid);
}

static X509 *sign_cert(fakeca *ca, EVP_PKEY *pub, const char *cn, X509_NAME *issuer, int days,
                       STACK_OF(X509_EXTENSION) *exts)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    int i;

    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(1000 + ca->issued));
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, issuer ? issuer : name);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600 - (long)ca->k.backdate_days * 86400);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)(days - ca->k.backdate_days) * 86400);
    X509_set_pubkey(x, pub);
    for (i = 0; exts && i < sk_X509_EXTENSION_num(exts); i++)
        X509_add_ext(x, sk_X509_EXTENSION_value(exts, i), -1);
    if (issuer && ca->k.ari)
        add_aki(x);
    X509_sign(x, ca->key, EVP_sha256());
    X509_NAME_free(name);
    return x;
}

/* A CA certificate: subject `cn` with the public key `pub`, issued by
 * `issuer_cn` and signed by `signer`. */
static X509 *ca_cert(EVP_PKEY *pub, const char *cn, const char *issuer_cn, EVP_PKEY *signer)
{
    X509 *x = X509_new();
    X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();

    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC, (const unsigned char *)issuer_cn, -1, -1,
                               0);
    X509_set_subject_name(x, subj);
    X509_set_issuer_name(x, iss);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 86400);
    X509_set_pubkey(x, pub);
    X509_sign(x, signer, EVP_sha256());
    X509_NAME_free(subj);
    X509_NAME_free(iss);
    return x;
}

static char *pem_of(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;
    char *s = NULL;

    if (b && PEM_write_bio_X509(b, x)) {
        BIO_get_mem_ptr(b, &m);
        s = strndup(m->data, m->length);
    }
    BIO_free(b);
    return s;
}

fakeca *fakeca_new(void)
{
    fakeca *ca = calloc(1, sizeof(*ca));

    if (ca == NULL)
        return NULL;
    if (pthread_mutex_init(&ca->mu, NULL) != 0) {
        free(ca);
        return NULL;
    }
    ca->k.nonce_in_directory = 1;
    ca->k.busy_retry_after = -1;
    ca->k.ari_retry_after = -1;
    ca->k.validity_days = 90;
    ca->last_reason = -1;
    ca->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ca->root = ca->key ? sign_cert(ca, ca->key, FAKECA_ROOT_CN, NULL, 3650, NULL) : NULL;
    ca->root_pem = ca->root ? pem_of(ca->root) : NULL;
    if (ca->root_pem && (ca->alt_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) != NULL) {
        X509 *alt = ca_cert(ca->alt_key, FAKECA_ALT_ROOT_CN, FAKECA_ALT_ROOT_CN, ca->alt_key);
        X509 *cross = ca_cert(ca->key, FAKECA_ROOT_CN, FAKECA_ALT_ROOT_CN, ca->alt_key);

        ca->alt_root_pem = alt ? pem_of(alt) : NULL;
        ca->cross_pem = cross ? pem_of(cross) : NULL;
        X509_free(alt);
        X509_free(cross);
    }
    if (ca->root_pem == NULL || ca->alt_root_pem == NULL || ca->cross_pem == NULL) {
        fakeca_free(ca);
        return NULL;
    }
    return ca;
}

void fakeca_free(fakeca *ca)
{
    size_t i;

    if (ca == NULL)
        return;
    for (i = 0; i < ca->n_req; i++) {
        json_decref(ca->req[i].protected_hdr);
        json_decref(ca->req[i].payload);
    }
    for (i = 0; i < ca->n_accounts; i++) {
        free(ca->thumbs[i]);
        json_decref(ca->contact[i]);
    }
    for (i = 0; i < ca->n_orders; i++) {
        json_decref(ca->orders[i].identifiers);
        free(ca->orders[i].cert_pem);
    }
    EVP_PKEY_free(ca->key);
    X509_free(ca->root);
    free(ca->root_pem);
    EVP_PKEY_free(ca->alt_key);
    free(ca->alt_root_pem);
    free(ca->cross_pem);
    pthread_mutex_destroy(&ca->mu);
    free(ca);
}

fakeca_knobs *fakeca_knobs_of(fakeca *ca)
{
    return &ca->k;
}

/* ---- resources ------------------------------------------------------------------ */

static void directory(fakeca *ca, answer *a)
{
    json_t *meta = json_object();

    if (ca->k.tos)
        json_object_set_new(meta, "termsOfService", json_string(FAKECA_URL "/terms"));
    if (ca->k.eab_required)
        json_object_set_new(meta, "externalAccountRequired", json_true());
    if (ca->k.profiles)
        json_object_set_new(meta, "profiles",
                            json_pack("{s:s, s:s}", "classic", "the 90-day certificate",
                                      "shortlived", "a 160-hour certificate"));
    a->status = 200;
    if (ca->k.plain_http)
        a->body = json_pack("{s:s, s:s, s:s, s:s, s:o}", "newNonce", FAKECA_HTTP_URL "/nonce",
                            "newAccount", FAKECA_HTTP_URL "/new-account", "newOrder",
                            FAKECA_HTTP_URL "/new-order", "revokeCert", FAKECA_HTTP_URL "/revoke",
                            "meta", meta);
    else if (ca->k.no_key_change)
        a->body = json_pack("{s:s, s:s, s:s, s:s, s:o}", "newNonce", FAKECA_URL "/nonce",
                            "newAccount", FAKECA_URL "/new-account", "newOrder",
                            FAKECA_URL "/new-order", "revokeCert", FAKECA_URL "/revoke", "meta",
                            meta);
    else
        a->body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "newNonce", FAKECA_URL "/nonce",
                            "newAccount", FAKECA_URL "/new-account", "newOrder",
                            FAKECA_URL "/new-order", "revokeCert", FAKECA_URL "/revoke",
                            "keyChange", FAKECA_URL "/key-change", "meta", meta);
    if (ca->k.ari)
        json_object_set_new(a->body, "renewalInfo", json_string(ca->k.plain_http
                                                                     ? FAKECA_HTTP_URL "/ari"
                                                                     : FAKECA_ARI_URL));
}

/* GET FAKECA_ARI_URL/<id>: the window the knobs say. */
static void renewal_info(fakeca *ca, answer *a)
{
    char start[32], end[32];
    time_t now = time(NULL) + 86400, later = now + 86400;
    struct tm tm;

    a->status = ca->k.ari_status ? ca->k.ari_status : 200;
    a->retry_after = ca->k.ari_retry_after;
    if (ca->k.ari_body) {
        a->raw = strdup(ca->k.ari_body);
        return;
    }
    strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&later, &tm));
    a->body = json_pack("{s:{s:s, s:s}}", "suggestedWindow", "start", start, "end", end);
}

/* The newOrder options: a profile the CA offers (where it has profiles); a certificate not yet
 * replaced (marked replaced by this order at once). */
static int order_options_ok(fakeca *ca, json_t *payload, answer *a)
{
    const char *profile = json_string_value(json_object_get(payload, "profile"));
    const char *replaces = json_string_value(json_object_get(payload, "replaces"));
    size_t i;

    /* A CA without profiles ignores the member, as any unknown one. */
    if (profile && ca->k.profiles && strcmp(profile, "classic") != 0 &&
        strcmp(profile, "shortlived") != 0) {
        fail(a, 400, "invalidProfile", "no such profile");
        return 0;
    }
    if (replaces == NULL)
        return 1;
    if (ca->k.replaces_broken) {
        fail(a, 500, "serverInternal", "could not find an order for the given certificate");
        return 0;
    }
    for (i = 0; i < ca->n_replaced; i++) {
        if (strcmp(ca->replaced[i], replaces) == 0) {
            fail(a, 409, "alreadyReplaced", "the certificate has a replacement order already");
            return 0;
        }
    }
    if (ca->n_replaced < MAX_ORDERS)
        snprintf(ca->replaced[ca->n_replaced++], sizeof(ca->replaced[0]), "%s", replaces);
    return 1;
}

/* newAccount: registration, or the lookup of a known key. */
static void new_account(fakeca *ca, json_t *hdr, json_t *payload, answer *a)
{
    char *thumb = thumbprint(json_object_get(hdr, "jwk"));
    size_t i;

    for (i = 0; thumb && i < ca->n_accounts; i++)
        if (strcmp(ca->thumbs[i], thumb) == 0)
            break;
    if (thumb == NULL) {
        fail(a, 400, "malformed", "newAccount needs a jwk");
    } else if (i < ca->n_accounts && ca->deactivated[i]) {
        fail(a, 403, "unauthorized", "the account of this key is deactivated");
    } else if (i < ca->n_accounts) {
        a->status = 200;
    } else if (json_is_true(json_object_get(payload, "onlyReturnExisting"))) {
        fail(a, 400, "accountDoesNotExist", "no account for this key");
    } else if (ca->k.tos && !json_is_true(json_object_get(payload, "termsOfServiceAgreed"))) {
        fail(a, 403, "userActionRequired", "terms of service not agreed");
    } else if (ca->k.eab_required && !json_object_get(payload, "externalAccountBinding")) {
        fail(a, 400, "externalAccountRequired", "EAB required");
    } else if (i < MAX_ACCOUNTS) {
        ca->contact[ca->n_accounts] = json_incref(json_object_get(payload, "contact"));
        ca->thumbs[ca->n_accounts++] = thumb;
        thumb = NULL;
        a->status = 201;
    }
    if (a->status < 300) {
        snprintf(a->location, sizeof(a->location), FAKECA_URL "/acct/%zu", i + 1);
        a->body = json_pack("{s:s}", "status", "valid");
    }
    free(thumb);
}

static json_t *order_json(const fakeca *ca, const fake_order *o, size_t n)
{
    json_t *authz = json_array();
    char url[128];
    size_t i;

    for (i = 0; !ca->k.order_no_authz && i < o->n_authz; i++) {
        snprintf(url, sizeof(url), FAKECA_URL "/authz/%zu-%zu", n, i);
        json_array_append_new(authz, json_string(url));
    }
    snprintf(url, sizeof(url), FAKECA_URL "/finalize/%zu", n);
    json_t *j = json_pack("{s:s, s:O, s:o, s:s}", "status", o->status, "identifiers",
                          o->identifiers, "authorizations", authz, "finalize", url);
    if (o->cert_pem && !ca->k.order_no_cert_url) {
        snprintf(url, sizeof(url), FAKECA_URL "/cert/%zu", n);
        json_object_set_new(j, "certificate", json_string(url));
    }
    if (strcmp(o->status, "invalid") == 0 && o->error_type[0])
        json_object_set_new(j, "error", problem(o->error_type, "the fake CA could not issue"));
    return j;
}

/* Whether the misbehaviour knobs apply to the identifier of `z`. */
static int odd(const fakeca *ca, const fake_authz *z)
{
    return ca->k.odd_ident == NULL || strcmp(ca->k.odd_ident, z->ident) == 0;
}

/* Whether `z`'s identifier was validated for an earlier order. */
static int validated_before(const fakeca *ca, const fake_authz *z)
{
    size_t i, k;

    for (i = 0; i < ca->n_orders; i++)
        for (k = 0; k < ca->orders[i].n_authz; k++)
            if (strcmp(ca->orders[i].authz[k].ident, z->ident) == 0 &&
                strcmp(ca->orders[i].authz[k].type, z->type) == 0 &&
                strcmp(ca->orders[i].authz[k].status, "valid") == 0)
                return 1;
    return 0;
}

/* "ready" once every authorization of a pending order is valid. */
static void order_update(fake_order *o)
{
    size_t k, valid = 0;

    for (k = 0; k < o->n_authz; k++)
        valid += strcmp(o->authz[k].status, "valid") == 0;
    if (valid == o->n_authz && strcmp(o->status, "pending") == 0)
        snprintf(o->status, sizeof(o->status), "ready");
}

static void new_order(fakeca *ca, json_t *payload, answer *a)
{
    json_t *ids = json_object_get(payload, "identifiers"), *id;
    fake_order *o;
    size_t i;

    if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > MAX_AUTHZ ||
        ca->n_orders == MAX_ORDERS) {
        fail(a, 400, "malformed", "bad identifiers");
        return;
    }
    if (!order_options_ok(ca, payload, a))
        return;
    o = &ca->orders[ca->n_orders];
    o->identifiers = json_incref(ids);
    json_array_foreach(ids, i, id) {
        fake_authz *z = &o->authz[o->n_authz++];
        const char *type = json_string_value(json_object_get(id, "type"));
        snprintf(z->type, sizeof(z->type), "%s", type ? type : "");
        snprintf(z->ident, sizeof(z->ident), "%s", json_string_value(json_object_get(id, "value")));
        snprintf(z->token, sizeof(z->token), "tok%zuX%zu_abcDEF-123", ca->n_orders, i);
        snprintf(z->status, sizeof(z->status), "%s",
                 ca->k.authz_valid || (ca->k.authz_reuse && validated_before(ca, z)) ? "valid"
                                                                                      : "pending");
    }
    snprintf(o->status, sizeof(o->status), "pending");
    order_update(o);
    a->status = 201;
    if (!ca->k.order_no_location)
        snprintf(a->location, sizeof(a->location), FAKECA_URL "/order/%zu", ca->n_orders);
    a->body = order_json(ca, o, ca->n_orders);
    ca->n_orders++;
}

static json_t *authz_json(const fakeca *ca, const fake_authz *z, size_t on, size_t i)
{
    const char *type = ca->k.chal_type && odd(ca, z) ? ca->k.chal_type : "http-01";
    char url[128];
    json_t *chal;

    snprintf(url, sizeof(url), FAKECA_URL "/chal/%zu-%zu", on, i);
    chal = json_pack("{s:s, s:s, s:s, s:s}", "type", type, "url", url, "token", z->token,
                     "status", z->status);
    if (strcmp(z->status, "invalid") == 0 && z->error_type[0])
        json_object_set_new(chal, "error", problem(z->error_type, z->error_detail));
    return json_pack("{s:s, s:{s:s, s:s}, s:[o]}", "status", z->status, "identifier", "type",
                     z->type, "value", z->ident, "challenges", chal);
}

static void authz_fail(fake_authz *z, const char *type, const char *detail)
{
    snprintf(z->status, sizeof(z->status), "invalid");
    snprintf(z->error_type, sizeof(z->error_type), "%s", type);
    z->error_detail = detail;
}

/* Whether the DNS hook's log shows the TXT record of `z` added: at
 * _acme-challenge.<name> ("*." left off), base64url(SHA-256(key authorization)). */
static int txt_published(const fakeca *ca, const fake_authz *z, const char *thumb)
{
    const char *base = strncmp(z->ident, "*.", 2) == 0 ? z->ident + 2 : z->ident;
    char ka[256], want[512], line[512], *value = NULL;
    unsigned char md[32];
    unsigned int mdlen = 0;
    int found = 0;
    FILE *f;

    snprintf(ka, sizeof(ka), "%s.%s", z->token, thumb ? thumb : "");
    if (EVP_Digest(ka, strlen(ka), md, &mdlen, EVP_sha256(), NULL) != 1 ||
        (value = b64(md, mdlen)) == NULL)
        return 0;
    snprintf(want, sizeof(want), "add _acme-challenge.%s %s", base, value);
    free(value);
    if ((f = fopen(ca->k.dns_log, "r")) == NULL)
        return 0;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strncmp(line, want, strlen(want)) == 0 &&
                (line[strlen(want)] == '\n' || line[strlen(want)] == ' ');
    fclose(f);
    return found;
}

/* Whether the webroot holds the right key authorization for `z`. */
static int published(const fakeca *ca, const fake_authz *z, const char *thumb)
{
    char path[1024], want[256], got[256] = "";
    FILE *f;
    size_t n;

    snprintf(want, sizeof(want), "%s.%s", z->token, thumb ? thumb : "");
    if (ca->k.validate != NULL)
        return ca->k.validate(ca->k.validate_arg,
                              ca->k.chal_type && odd(ca, z) ? ca->k.chal_type : "http-01",
                              z->ident, want);
    if (ca->k.dns_log != NULL && ca->k.chal_type && strcmp(ca->k.chal_type, "dns-01") == 0 &&
        odd(ca, z))
        return txt_published(ca, z, thumb);
    if (ca->k.webroot == NULL)
        return 1;
    snprintf(path, sizeof(path), "%s/.well-known/acme-challenge/%s", ca->k.webroot, z->token);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    n = fread(got, 1, sizeof(got) - 1, f);
    fclose(f);
    got[n] = '\0';
    return strcmp(got, want) == 0;
}

/* A challenge response: checks the publication, starts validation. */
static void answer_challenge(fakeca *ca, size_t on, size_t i, const char *thumb, answer *a)
{
    fake_order *o = &ca->orders[on];
    fake_authz *z = &o->authz[i];
    size_t k;

    if (!o->first_answer_seen) {
        o->first_answer_seen = 1;
        ca->all_presented_first = 1;
        for (k = 0; k < o->n_authz; k++)
            if (strcmp(o->authz[k].status, "pending") == 0 && !published(ca, &o->authz[k], thumb))
                ca->all_presented_first = 0;
    }
    z->answered = 1;
    z->polls_left = ca->k.authz_polls;
    if (!published(ca, z, thumb))
        authz_fail(z, "urn:ietf:params:acme:error:incorrectResponse",
                   "the key authorization is not in the webroot");
    a->status = 200;
    a->body = json_pack("{s:s, s:s}", "type", "http-01", "status", "processing");
}

/* An authorization poll: validation ends after the configured polls. */
static void get_authz(fakeca *ca, size_t on, size_t i, answer *a)
{
    fake_order *o = &ca->orders[on];
    fake_authz *z = &o->authz[i];

    if (z->answered && strcmp(z->status, "pending") == 0 && z->polls_left-- <= 0) {
        if (ca->k.authz_error && odd(ca, z))
            authz_fail(z, ca->k.authz_error, "the fake CA refused it");
        else
            snprintf(z->status, sizeof(z->status), "valid");
    }
    order_update(o);
    a->status = 200;
    a->body = authz_json(ca, z, on, i);
}

/* The CSR's SANs must be the order's identifiers; the certificate copies them. */
static void finalize(fakeca *ca, size_t on, json_t *payload, answer *a)
{
    fake_order *o = &ca->orders[on];
    unsigned char *der = NULL;
    size_t len = 0;
    const unsigned char *p;
    X509_REQ *req = NULL;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    X509 *leaf = NULL;
    char *pem;

    if (strcmp(o->status, "ready") != 0) {
        fail(a, 403, "orderNotReady", "the order is not ready");
        return;
    }
    if (ac_b64url_decode(json_string_value(json_object_get(payload, "csr")), &der, &len) != AUTOCERT_OK ||
        (p = der, req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL ||
        X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) != 1) {
        fail(a, 400, "badCSR", "the CSR does not parse or verify");
    } else if (ca->k.order_error) {
        /* Issuance fails once processing is over. */
        snprintf(o->error_type, sizeof(o->error_type), "%s", ca->k.order_error);
        o->polls_left = ca->k.order_polls;
        snprintf(o->status, sizeof(o->status), "%s", o->polls_left > 0 ? "processing" : "invalid");
        a->status = 200;
        a->body = order_json(ca, o, on);
    } else {
        exts = X509_REQ_get_extensions(req);
        leaf = sign_cert(ca, X509_REQ_get0_pubkey(req), o->authz[0].ident,
                         X509_get_subject_name(ca->root), ca->k.validity_days, exts);
        pem = pem_of(leaf);
        len = strlen(pem) + strlen(ca->root_pem) + 1;
        if ((o->cert_pem = malloc(len)) != NULL)
            snprintf(o->cert_pem, len, "%s%s", pem, ca->root_pem);
        free(pem);
        ca->issued++;
        o->polls_left = ca->k.order_polls;
        snprintf(o->status, sizeof(o->status), "%s", o->polls_left > 0 ? "processing" : "valid");
        a->status = 200;
        a->body = order_json(ca, o, on);
    }
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_free(leaf);
    X509_REQ_free(req);
    free(der);
}

static void get_order(fakeca *ca, size_t on, answer *a)
{
    fake_order *o = &ca->orders[on];

    if (strcmp(o->status, "processing") == 0) {
        if (o->polls_left > 0)
            o->polls_left--;
        else
            snprintf(o->status, sizeof(o->status), "%s", o->error_type[0] ? "invalid" : "valid");
    }
    a->status = 200;
    a->body = order_json(ca, o, on);
}

/* ---- the transport ---------------------------------------------------------------- */

/* The account thumbprint behind a kid, or NULL. */
static const char *account_of(fakeca *ca, json_t *hdr)
{
    const char *kid = json_string_value(json_object_get(hdr, "kid"));
    size_t n;

    if (kid == NULL || sscanf(kid, FAKECA_URL "/acct/%zu", &n) != 1 || n == 0 ||
        n > ca->n_accounts || ca->deactivated[n - 1])
        return NULL;
    /* A forgotten account (fakeca_forget_accounts). */
    return ca->thumbs[n - 1][0] ? ca->thumbs[n - 1] : NULL;
}

/* The leaf of an issued chain, DER in *der (OPENSSL_free), its length or -1. */
static int leaf_der(const char *pem, unsigned char **der, EVP_PKEY **pub)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    int len = x ? i2d_X509(x, der) : -1;

    if (pub)
        *pub = x ? EVP_PKEY_dup(X509_get0_pubkey(x)) : NULL;
    X509_free(x);
    BIO_free(b);
    return len;
}

/* The order that issued the certificate of a revokeCert payload, or NULL;
 * *cert_thumb (malloc'd) the thumbprint of its key. */
static fake_order *order_of_cert(fakeca *ca, json_t *payload, char **cert_thumb)
{
    unsigned char *want = NULL, *der = NULL;
    size_t wlen = 0, i;
    EVP_PKEY *pub = NULL;
    fake_order *found = NULL;

    *cert_thumb = NULL;
    if (ac_b64url_decode(json_string_value(json_object_get(payload, "certificate")), &want,
                         &wlen) != AUTOCERT_OK)
        return NULL;
    for (i = 0; found == NULL && i < ca->n_orders; i++) {
        int len;

        if (ca->orders[i].cert_pem == NULL)
            continue;
        len = leaf_der(ca->orders[i].cert_pem, &der, &pub);
        if (len > 0 && (size_t)len == wlen && memcmp(der, want, wlen) == 0) {
            json_t *jwk = ac_jwk(pub);
            found = &ca->orders[i];
            *cert_thumb = thumbprint(jwk);
            json_decref(jwk);
        }
        OPENSSL_free(der);
        der = NULL;
        EVP_PKEY_free(pub);
        pub = NULL;
    }
    free(want);
    return found;
}

/* revokeCert: by an account (kid), or by the certificate's key (jwk). */
static void revoke(fakeca *ca, json_t *hdr, json_t *payload, const char *thumb, answer *a)
{
    json_t *jwk = json_object_get(hdr, "jwk"), *reason = json_object_get(payload, "reason");
    char *jwk_thumb = jwk ? thumbprint(jwk) : NULL, *cert_thumb = NULL;
    json_int_t r = reason ? json_integer_value(reason) : -1;
    fake_order *o = order_of_cert(ca, payload, &cert_thumb);

    if (thumb == NULL && jwk_thumb == NULL)
        fail(a, 403, "unauthorized", "neither the kid of an account nor a jwk");
    else if (reason && (!json_is_integer(reason) || r < 0 || r == 2 || r == 7 || r > 10))
        fail(a, 400, "badRevocationReason", "not a reason a subscriber may give");
    else if (o == NULL)
        fail(a, 404, "malformed", "unknown certificate");
    else if (o->revoked)
        fail(a, 400, "alreadyRevoked", "Certificate has already been revoked.");
    else if (jwk_thumb && (cert_thumb == NULL || strcmp(jwk_thumb, cert_thumb) != 0))
        fail(a, 403, "unauthorized", "the jwk is not the certificate's key");
    else {
        o->revoked = 1;
        ca->n_revoked++;
        ca->last_reason = (int)r;
        a->status = 200;
    }
    free(jwk_thumb);
    free(cert_thumb);
}

/* The account object of account number n (1-based). */
static json_t *account_json(const fakeca *ca, size_t n)
{
    json_t *j = json_pack("{s:s}", "status", ca->deactivated[n - 1] ? "deactivated" : "valid");

    if (ca->contact[n - 1])
        json_object_set(j, "contact", ca->contact[n - 1]);
    return j;
}

/* POST to an account URL: POST-as-GET, a contact update, or deactivation. */
static void account(fakeca *ca, json_t *hdr, size_t n, json_t *payload, int as_get, answer *a)
{
    const char *kid = json_string_value(json_object_get(hdr, "kid"));
    const char *status = json_string_value(json_object_get(payload, "status"));
    json_t *contact = json_object_get(payload, "contact");
    char url[128];

    snprintf(url, sizeof(url), FAKECA_URL "/acct/%zu", n);
    if (n == 0 || n > ca->n_accounts || kid == NULL || strcmp(kid, url) != 0) {
        fail(a, 403, "unauthorized", "not the account of the kid");
        return;
    }
    if (!as_get && status && strcmp(status, "deactivated") == 0) {
        ca->deactivated[n - 1] = 1;
    } else if (!as_get && json_is_array(contact)) {
        json_decref(ca->contact[n - 1]);
        ca->contact[n - 1] = json_incref(contact);
    } else if (!as_get) {
        fail(a, 400, "malformed", "an empty account update");
        return;
    }
    a->status = 200;
    a->body = account_json(ca, n);
}

/* keyChange: the inner JWS names the account and its old key and carries
 * the new key, for the same URL as the outer one. */
static void key_change(fakeca *ca, json_t *hdr, json_t *inner, answer *a)
{
    const char *kid = json_string_value(json_object_get(hdr, "kid"));
    json_t *ih = decode_json(json_string_value(json_object_get(inner, "protected")));
    json_t *ip = decode_json(json_string_value(json_object_get(inner, "payload")));
    const char *iurl = json_string_value(json_object_get(ih, "url"));
    const char *acct = json_string_value(json_object_get(ip, "account"));
    char *newt = thumbprint(json_object_get(ih, "jwk"));
    char *oldt = thumbprint(json_object_get(ip, "oldKey"));
    size_t n = 0, i;

    if (kid)
        sscanf(kid, FAKECA_URL "/acct/%zu", &n);
    for (i = 0; newt && i < ca->n_accounts; i++)
        if (strcmp(ca->thumbs[i], newt) == 0)
            break;
    if (ih == NULL || ip == NULL || newt == NULL || json_object_get(ih, "kid") ||
        json_object_get(ih, "nonce") || iurl == NULL || strcmp(iurl, FAKECA_URL "/key-change"))
        fail(a, 400, "malformed", "the inner JWS is not a key change");
    else if (acct == NULL || kid == NULL || strcmp(acct, kid) != 0 || oldt == NULL ||
             n == 0 || n > ca->n_accounts || strcmp(oldt, ca->thumbs[n - 1]) != 0)
        fail(a, 400, "malformed", "the inner JWS names another account or key");
    else if (i < ca->n_accounts)
        fail(a, 409, "malformed", "the new key has an account already");
    else {
        free(ca->thumbs[n - 1]);
        ca->thumbs[n - 1] = newt;
        newt = NULL;
        a->status = 200;
    }
    json_decref(ih);
    json_decref(ip);
    free(newt);
    free(oldt);
}

/* The certificate of order `on`: its default chain (leaf, root), or the
 * alternate one (leaf, the root cross-signed by the alternate root), each
 * linking to the other when the CA offers alternates. */
static void certificate(fakeca *ca, size_t on, int alt, answer *a)
{
    const char *pem = ca->orders[on].cert_pem, *end = strstr(pem, "-----END CERTIFICATE-----");
    size_t leaf = end ? (size_t)(end - pem) + strlen("-----END CERTIFICATE-----\n") : 0;
    size_t n = leaf + strlen(ca->cross_pem) + 1;

    if (alt && (!ca->k.alt_chain || ca->k.alt_chain_broken)) {
        fail(a, 404, "malformed", "no such chain");
        return;
    }
    a->status = 200;
    if (!alt) {
        a->raw = strdup(pem);
    } else if ((a->raw = malloc(n + strlen(ca->alt_root_pem))) != NULL) {
        /* A bad one: the alternate root never issued the leaf. */
        snprintf(a->raw, n + strlen(ca->alt_root_pem), "%.*s%s", (int)leaf, pem,
                 ca->k.alt_chain_bad ? ca->alt_root_pem : ca->cross_pem);
    }
    if (ca->k.alt_chain)
        snprintf(a->link, sizeof(a->link), FAKECA_URL "/cert/%zu%s", on, alt ? "" : "/alt");
}

/* Whether the kid names a deactivated account. */
static int deactivated_kid(const fakeca *ca, json_t *hdr)
{
    const char *kid = json_string_value(json_object_get(hdr, "kid"));
    size_t n;

    return kid && sscanf(kid, FAKECA_URL "/acct/%zu", &n) == 1 && n >= 1 && n <= ca->n_accounts &&
           ca->deactivated[n - 1];
}

/* Routes a signed POST once its nonce and URL checked out. */
static void route_post(fakeca *ca, const char *path, json_t *hdr, json_t *payload, int as_get,
                       answer *a)
{
    const char *thumb = account_of(ca, hdr);
    size_t on = 0, i = 0;

    if (strcmp(path, "/new-account") == 0)
        new_account(ca, hdr, payload, a);
    else if (strcmp(path, "/revoke") == 0)
        revoke(ca, hdr, payload, thumb, a);
    else if (thumb == NULL && deactivated_kid(ca, hdr))
        fail(a, 403, "unauthorized", "the account is deactivated");
    else if (thumb == NULL)
        fail(a, 400, "accountDoesNotExist", "unknown kid");
    else if (sscanf(path, "/acct/%zu", &on) == 1)
        account(ca, hdr, on, payload, as_get, a);
    else if (strcmp(path, "/key-change") == 0)
        key_change(ca, hdr, payload, a);
    else if (strcmp(path, "/new-order") == 0)
        new_order(ca, payload, a);
    else if (sscanf(path, "/authz/%zu-%zu", &on, &i) == 2 && on < ca->n_orders &&
             i < ca->orders[on].n_authz && as_get)
        get_authz(ca, on, i, a);
    else if (sscanf(path, "/chal/%zu-%zu", &on, &i) == 2 && on < ca->n_orders &&
             i < ca->orders[on].n_authz)
        answer_challenge(ca, on, i, thumb, a);
    else if (sscanf(path, "/finalize/%zu", &on) == 1 && on < ca->n_orders)
        finalize(ca, on, payload, a);
    else if (sscanf(path, "/order/%zu", &on) == 1 && on < ca->n_orders && as_get)
        get_order(ca, on, a);
    else if (sscanf(path, "/cert/%zu", &on) == 1 && on < ca->n_orders && ca->orders[on].cert_pem)
        certificate(ca, on, strstr(path, "/alt") != NULL, a);
    else
        fail(a, 404, "malformed", "no such resource");
}

/* Checks the JWS of a POST: a fresh nonce, the right url. */
static int jws_ok(fakeca *ca, const char *url, json_t *hdr, answer *a)
{
    const char *nonce = json_string_value(json_object_get(hdr, "nonce"));
    const char *hurl = json_string_value(json_object_get(hdr, "url"));
    unsigned long n = 0;

    if (nonce == NULL || sscanf(nonce, "nonce-%lu", &n) != 1 || n == 0 || n > ca->next_nonce ||
        n >= sizeof(ca->used) || ca->used[n]) {
        fail(a, 400, "badNonce", "stale or unknown nonce");
        return 0;
    }
    ca->used[n] = 1;
    if (ca->k.bad_nonce > 0) {
        ca->k.bad_nonce--;
        fail(a, 400, "badNonce", "nonce rejected on purpose");
        return 0;
    }
    if (hurl == NULL || strcmp(hurl, url) != 0) {
        fail(a, 400, "unauthorized", "the JWS url is not the request's");
        return 0;
    }
    return 1;
}

static void post(fakeca *ca, const ac_http_req *req, const char *path, fakeca_req *r, answer *a)
{
    json_t *jws = json_loads(req->body, 0, NULL);
    const char *p64 = json_string_value(json_object_get(jws, "payload"));

    r->protected_hdr = decode_json(json_string_value(json_object_get(jws, "protected")));
    r->payload = decode_json(p64);
    if (r->protected_hdr == NULL || p64 == NULL) {
        fail(a, 400, "malformed", "not a flattened JWS");
    } else if (jws_ok(ca, req->url, r->protected_hdr, a)) {
        if (ca->k.busy > 0 && (ca->k.busy_path == NULL ||
                               strncmp(path, ca->k.busy_path, strlen(ca->k.busy_path)) == 0)) {
            ca->k.busy--;
            fail(a, ca->k.busy_status, "rateLimited", "come back later");
            a->retry_after = ca->k.busy_retry_after;
        } else {
            route_post(ca, path, r->protected_hdr, r->payload, p64[0] == '\0', a);
        }
    }
    json_decref(jws);
}

static void respond(fakeca *ca, answer *a, ac_http_resp *resp)
{
    char nonce[32];
    char *text = a->raw ? a->raw : (a->body ? json_dumps(a->body, JSON_COMPACT) : NULL);

    resp->status = a->status;
    if (text)
        ac_buf_append(&resp->body, text, strlen(text));
    if (text != a->raw)
        free(text);
    free(a->raw);
    json_decref(a->body);
    snprintf(nonce, sizeof(nonce), "nonce-%lu", ++ca->next_nonce);
    resp->nonce = strdup(nonce);
    resp->location = a->location[0] ? strdup(a->location) : NULL;
    resp->retry_after = a->retry_after;
    if (a->link[0]) { /* as the header would say it */
        char value[300];

        snprintf(value, sizeof(value), "<%s>;rel=\"alternate\"", a->link);
        ac_http_parse_links(resp, value, FAKECA_URL);
    }
}

static autocert_err request(void *arg, void **state, autocert_ctx *ctx, const ac_http_req *req,
                            ac_http_resp *resp)
{
    fakeca *ca = arg;
    fakeca_req *r;
    const char *path = strncmp(req->url, FAKECA_URL, strlen(FAKECA_URL)) == 0
                           ? req->url + strlen(FAKECA_URL)
                       : strncmp(req->url, FAKECA_HTTP_URL, strlen(FAKECA_HTTP_URL)) == 0
                           ? req->url + strlen(FAKECA_HTTP_URL) : req->url;
    answer a = {404, NULL, "", -1, NULL, ""};

    (void)state;
    pthread_mutex_lock(&ca->mu);
    /* Its slot taken under the lock: two threads never write one slot. */
    r = &ca->req[ca->n_req < MAX_REQ ? ca->n_req : MAX_REQ - 1];
    if (ca->n_req < MAX_REQ)
        ca->n_req++;
    memset(r, 0, sizeof(*r));
    snprintf(r->method, sizeof(r->method), "%s", req->method);
    snprintf(r->path, sizeof(r->path), "%s", path);
    if (strcmp(req->method, "GET") == 0 && (strcmp(path, "/dir") == 0 || strcmp(path, "/dir-b") == 0)) {
        directory(ca, &a);
    } else if (strcmp(req->method, "GET") == 0 && strncmp(path, "/ari/", 5) == 0) {
        renewal_info(ca, &a);
    } else if (strcmp(req->method, "HEAD") == 0 && strcmp(path, "/nonce") == 0) {
        a.status = 200;
    } else if (strcmp(req->method, "POST") == 0) {
        post(ca, req, path, r, &a);
    }
    r->status = a.status;
    respond(ca, &a, resp);
    if (ca->k.lose_answer && strcmp(req->method, "POST") == 0 &&
        strncmp(path, ca->k.lose_answer, strlen(ca->k.lose_answer)) == 0) {
        pthread_mutex_unlock(&ca->mu);
        return ac_err(ctx, AUTOCERT_ERR_NETWORK, "POST %s: connection reset (test)", req->url);
    }
    if (strncmp(path, "/dir", 4) == 0 && !ca->k.nonce_in_directory) {
        free(resp->nonce);
        resp->nonce = NULL;
    }
    pthread_mutex_unlock(&ca->mu);
    return AUTOCERT_OK;
}

static void cleanup(void *arg, void *state)
{
    (void)arg;
    (void)state;
}

static const ac_transport fake_transport = {request, cleanup};

void fakeca_attach(fakeca *ca, autocert_ctx *ctx)
{
    ac_ctx_set_transport(ctx, &fake_transport, ca);
    autocert_set_directory(ctx, FAKECA_DIRECTORY);
}

/* ---- what the tests read ----------------------------------------------------------- */

/* The accessors take the lock: a test may look while a thread talks to the CA. */
static void lock(const fakeca *ca)
{
    pthread_mutex_lock(&((fakeca *)ca)->mu);
}

static void unlock(const fakeca *ca)
{
    pthread_mutex_unlock(&((fakeca *)ca)->mu);
}

size_t fakeca_nreq(const fakeca *ca)
{
    size_t n;

    lock(ca);
    n = ca->n_req;
    unlock(ca);
    return n;
}

/* A record does not change once answered (while fewer than MAX_REQ came). */
const fakeca_req *fakeca_req_at(const fakeca *ca, size_t i)
{
    const fakeca_req *r;

    lock(ca);
    r = i < ca->n_req ? &ca->req[i] : NULL;
    unlock(ca);
    return r;
}

void fakeca_forget_accounts(fakeca *ca)
{
    size_t i;

    lock(ca);
    for (i = 0; i < ca->n_accounts; i++)
        ca->thumbs[i][0] = '\0';
    unlock(ca);
}

size_t fakeca_accounts(const fakeca *ca)
{
    size_t n;

    lock(ca);
    n = ca->n_accounts;
    unlock(ca);
    return n;
}

size_t fakeca_issued(const fakeca *ca)
{
    size_t n;

    lock(ca);
    n = ca->issued;
    unlock(ca);
    return n;
}

int fakeca_all_presented_first(const fakeca *ca)
{
    int v;

    lock(ca);
    v = ca->all_presented_first;
    unlock(ca);
    return v;
}

const char *fakeca_root_pem(const fakeca *ca) { return ca->root_pem; }

static long find(const fakeca *ca, const char *method, const char *prefix, size_t from)
{
    size_t i;

    for (i = from; i < ca->n_req; i++)
        if ((method == NULL || strcmp(ca->req[i].method, method) == 0) &&
            strncmp(ca->req[i].path, prefix, strlen(prefix)) == 0)
            return (long)i;
    return -1;
}

long fakeca_find(const fakeca *ca, const char *method, const char *prefix, size_t from)
{
    long i;

    lock(ca);
    i = find(ca, method, prefix, from);
    unlock(ca);
    return i;
}

size_t fakeca_count(const fakeca *ca, const char *method, const char *prefix)
{
    size_t n = 0;
    long i = -1;

    lock(ca);
    while ((i = find(ca, method, prefix, (size_t)(i + 1))) >= 0)
        n++;
    unlock(ca);
    return n;
}

char *fakeca_issue(fakeca *ca, const char *key_pem, const char *const *names, size_t n)
{
    BIO *b = BIO_new_mem_buf(key_pem, -1);
    EVP_PKEY *key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *san = NULL;
    X509 *leaf = NULL;
    ac_buf sans;
    char *pem = NULL, *chain = NULL;
    size_t i, len;

    ac_buf_init(&sans, 8192);
    for (i = 0; i < n; i++)
        ac_buf_appendf(&sans, "%sDNS:%s", i ? "," : "", names[i]);
    if (key && exts && n > 0 &&
        (san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, (char *)sans.data)) &&
        sk_X509_EXTENSION_push(exts, san) > 0) {
        san = NULL;
        lock(ca);
        leaf = sign_cert(ca, key, names[0], X509_get_subject_name(ca->root), ca->k.validity_days,
                         exts);
        unlock(ca);
    }
    if (leaf && (pem = pem_of(leaf)) != NULL) {
        len = strlen(pem) + strlen(ca->root_pem) + 1;
        if ((chain = malloc(len)) != NULL)
            snprintf(chain, len, "%s%s", pem, ca->root_pem);
    }
    free(pem);
    X509_free(leaf);
    X509_EXTENSION_free(san);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    ac_buf_free(&sans);
    EVP_PKEY_free(key);
    BIO_free(b);
    return chain;
}

size_t fakeca_revoked(const fakeca *ca, int *last_reason)
{
    size_t n;

    lock(ca);
    n = ca->n_revoked;
    if (last_reason)
        *last_reason = ca->last_reason;
    unlock(ca);
    return n;
}

int fakeca_account_deactivated(const fakeca *ca, size_t n)
{
    int v;

    lock(ca);
    v = n >= 1 && n <= ca->n_accounts && ca->deactivated[n - 1];
    unlock(ca);
    return v;
}

char *fakeca_account_contact(const fakeca *ca, size_t n)
{
    char *s = NULL;

    lock(ca);
    if (n >= 1 && n <= ca->n_accounts && ca->contact[n - 1])
        s = json_dumps(ca->contact[n - 1], JSON_COMPACT);
    unlock(ca);
    return s;
}

char *fakeca_account_thumbprint(const fakeca *ca, size_t n)
{
    char *s = NULL;

    lock(ca);
    if (n >= 1 && n <= ca->n_accounts)
        s = strdup(ca->thumbs[n - 1]);
    unlock(ca);
    return s;
}

const char *fakeca_alt_root_pem(const fakeca *ca) { return ca->alt_root_pem; }
