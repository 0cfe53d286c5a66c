/* fakeca.h: an ACME CA in memory, reached through the session transport hook, for unit tests of the protocol core. */
#ifndef AC_FAKECA_H
#define AC_FAKECA_H

#include <stddef.h>

#include <jansson.h>

#include "autocert.h"

#define FAKECA_URL "https://ca.test"
#define FAKECA_DIRECTORY FAKECA_URL "/dir"
/* A second directory of the same CA (as a CA's staging and production). */
#define FAKECA_DIRECTORY_B FAKECA_URL "/dir-b"

/* What the CA does; set the fields before the requests they govern. */
typedef struct {
    int tos;                  /* the directory names terms of service */
    int eab_required;         /* ... and requires External Account Binding */
    int nonce_in_directory;   /* the directory response carries a Replay-Nonce */
    int bad_nonce;            /* the next N signed requests fail with badNonce */
    int busy;                 /* the next N POSTs to busy_path answer busy_status */
    const char *busy_path;    /* path prefix, e.g. "/new-order" (NULL: any POST) */
    long busy_status;         /* 429 or 503 */
    long busy_retry_after;    /* Retry-After seconds sent with it, -1: none */
    int authz_valid;          /* new authorizations start valid (reused) */
    int authz_reuse;          /* an identifier validated in an earlier order
                               * starts valid in a new one */
    int authz_polls;          /* polls an answered authorization stays pending */
    const char *authz_error;  /* problem type an answered authorization fails with */
    const char *chal_type;    /* the one challenge type offered (NULL: http-01) */
    const char *odd_ident;    /* the identifier authz_error and chal_type apply
                               * to (NULL: every one) */
    int order_polls;          /* polls a finalized order stays processing */
    const char *order_error;  /* problem type a finalized order fails with
                               * (invalid once it stops processing) */
    int order_no_location;    /* newOrder answers without a Location header */
    int order_no_authz;       /* a new order lists no authorizations */
    int order_no_cert_url;    /* a valid order names no certificate URL */
    const char *webroot;      /* where answered HTTP-01 challenges are checked */
    const char *dns_log;      /* where answered DNS-01 challenges are checked: a file
                               * of "add NAME VALUE" lines (a test hook's log) */
    int validity_days;        /* of issued certificates (default 90) */
    int backdate_days;        /* issued certificates start this many days ago
                               * (as if issued then: near their end) */
    int plain_http;           /* the directory hands out http:// URLs */
    int no_key_change;        /* the directory has no keyChange */
    int alt_chain;            /* certificate URLs link an alternate chain, which
                               * ends at the root cross-signed by the
                               * alternate root FAKECA_ALT_ROOT_CN */
    int alt_chain_broken;     /* ... whose URL then answers 404 */
    int alt_chain_bad;        /* ... which then holds the alternate root itself
                               * after the leaf, which it did not issue */
    const char *lose_answer;  /* POSTs to this path prefix are carried out, but
                               * their answer is lost (NETWORK) */
    int profiles;             /* the directory offers the profiles "classic" and
                               * "shortlived"; newOrder refuses others
                               * (invalidProfile).  Without them it ignores
                               * "profile".  "replaces" naming a certificate ID
                               * for the second time: alreadyReplaced (409) */
    int replaces_broken;      /* newOrder with "replaces" fails: serverInternal (500),
                               * as Pebble 2.10 answers at times */
    int ari;                  /* the directory has renewalInfo (FAKECA_ARI_URL), and
                               * certificates an authority key identifier */
    const char *ari_body;     /* what GET FAKECA_ARI_URL/<id> answers (NULL: a
                               * window from one to two days from now) */
    long ari_status;          /* ... with this status (0: 200) */
    long ari_retry_after;     /* ... and this Retry-After (seconds, -1: none) */
    /* Validates an answered challenge in place of the webroot and the DNS
     * log (NULL: they decide): nonzero when the challenge of `type` for
     * `ident` is answered with `key_auth`, as the test finds it (e.g. in a
     * TLS-ALPN-01 handshake).  Called with the CA's lock held. */
    int (*validate)(void *arg, const char *type, const char *ident, const char *key_auth);
    void *validate_arg;
} fakeca_knobs;

#define FAKECA_ARI_URL FAKECA_URL "/ari"

#define FAKECA_HTTP_URL "http://ca.test"
/* The common names of the CA's root and of its alternate root. */
#define FAKECA_ROOT_CN "fake ACME root"
#define FAKECA_ALT_ROOT_CN "fake alternate root"

/* One request the CA received. */
typedef struct {
    char method[8];
    char path[256];       /* the URL's path */
    json_t *protected_hdr; /* decoded JWS header of a POST, else NULL */
    json_t *payload;      /* decoded payload; NULL for POST-as-GET and non-POSTs */
    long status;          /* what the CA answered */
} fakeca_req;

/* Requests may come from several threads: the CA answers one at a time,
 * and its accessors may be called while others talk to it. */
typedef struct fakeca fakeca;

fakeca *fakeca_new(void);
void fakeca_free(fakeca *ca);
fakeca_knobs *fakeca_knobs_of(fakeca *ca);
/* Routes ctx's requests to the CA and points its directory there. */
void fakeca_attach(fakeca *ca, autocert_ctx *ctx);

size_t fakeca_nreq(const fakeca *ca);
const fakeca_req *fakeca_req_at(const fakeca *ca, size_t i);
/* Requests whose method is `method` (NULL: any) and path starts with `prefix`. */
size_t fakeca_count(const fakeca *ca, const char *method, const char *prefix);
/* The index of the first such request at or after `from`, or -1. */
long fakeca_find(const fakeca *ca, const char *method, const char *prefix, size_t from);
/* Accounts registered; certificates issued. */
size_t fakeca_accounts(const fakeca *ca);
size_t fakeca_issued(const fakeca *ca);
/* Forgets every account, as a test CA does when it restarts: their URLs
 * get accountDoesNotExist, their keys register as new accounts. */
void fakeca_forget_accounts(fakeca *ca);
/* Nonzero when, at the first challenge response of the last order, every
 * one of its pending challenges was already published in the webroot (or,
 * for DNS-01, in the hook's log). */
int fakeca_all_presented_first(const fakeca *ca);
/* The PEM of the CA's root (the chain's last certificate). */
const char *fakeca_root_pem(const fakeca *ca);
/* A chain (leaf, then the root) the CA issued to some other client for the
 * public key of `key_pem` and the DNS names, as the knobs say; malloc'd,
 * NULL on failure.  Not counted by fakeca_issued. */
char *fakeca_issue(fakeca *ca, const char *key_pem, const char *const *names, size_t n);

/* The PEM of the alternate root (self-signed, FAKECA_ALT_ROOT_CN). */
const char *fakeca_alt_root_pem(const fakeca *ca);
/* Revocations accepted; *last_reason (may be NULL) the reason code of the
 * last one (-1: none given). */
size_t fakeca_revoked(const fakeca *ca, int *last_reason);
/* Account n (1-based, as in its URL .../acct/n): deactivated; its contact
 * array as compact JSON (malloc'd, NULL: none); its key's thumbprint
 * (malloc'd). */
int fakeca_account_deactivated(const fakeca *ca, size_t n);
char *fakeca_account_contact(const fakeca *ca, size_t n);
char *fakeca_account_thumbprint(const fakeca *ca, size_t n);

#endif
