/* acme.h: private declarations of the ACME engine: HTTP, JWS, directory and signed POST, account, order, CSR. */
#ifndef AC_ACME_H
#define AC_ACME_H

#include "internal.h"

#include "challenge/challenge.h"
#include "storage/storage.h"

/* ---- jws.c: the only code that signs with the account key -------------- */
/* The public JWK of a key (new reference), members in lexical order. */
json_t *ac_jwk(EVP_PKEY *key);
/* RFC 7638 thumbprint, base64url, *out malloc'd. */
autocert_err ac_jwk_thumbprint(autocert_ctx *ctx, EVP_PKEY *key, char **out);
/* Flattened JWS (RFC 7515 7.2.2) over `payload` (NULL: empty payload for
 * POST-as-GET).  With kid NULL the public key is embedded as "jwk".
 * *out malloc'd JSON text. */
autocert_err ac_jws_sign(autocert_ctx *ctx, EVP_PKEY *key, const char *kid,
                         const char *nonce, const char *url, const char *payload,
                         char **out);
/* External Account Binding JWS (RFC 8555 7.3.4): HS256 over the account's
 * JWK with the CA-issued key id and MAC key.  *out is a new reference. */
autocert_err ac_jws_eab(autocert_ctx *ctx, EVP_PKEY *account_key, const char *eab_kid,
                        const unsigned char *mac_key, size_t mac_len, const char *url,
                        json_t **out);
/* The inner JWS of a key change (RFC 8555 section 7.3.5): signed by
 * `new_key`, whose JWK it embeds, for `url` (the directory's keyChange),
 * over {"account": account_url, "oldKey": JWK of old_key}.  *out is a new
 * reference, the payload of the outer request signed by the old key. */
autocert_err ac_jws_key_change(autocert_ctx *ctx, EVP_PKEY *new_key, EVP_PKEY *old_key,
                               const char *account_url, const char *url, json_t **out);
/* The JWS "alg" for a key: "ES256", "ES384", "RS256"; NULL if unsupported. */
const char *ac_jws_alg(EVP_PKEY *key);

/* ---- http.c and the transport hook ------------------------------------ */
typedef struct {
    long status;
    ac_buf body;
    char *location;
    char *nonce;
    long retry_after;        /* seconds, -1 when absent */
    unsigned long connects;  /* connections opened for this request */
    double connect_s;        /* time spent opening them (TCP and TLS) */
    char **alternates;       /* Link: <URL>;rel="alternate" targets, absolute */
    size_t n_alternates;
} ac_http_resp;

void ac_http_resp_init(ac_http_resp *r);
void ac_http_resp_free(ac_http_resp *r);
/* Seconds from a Retry-After value (delta-seconds or HTTP-date); -1 if bad. */
long ac_http_parse_retry_after(const char *value, time_t now);
#define AC_MAX_ALTERNATES 8 /* Link alternates kept from one response */
/* Adds the targets of the links of one Link header value (RFC 8288) whose
 * rel is "alternate" to r->alternates: absolute http(s) URLs as they are,
 * paths ("/...") resolved against the origin of `base` (the request's URL),
 * other references skipped.  A value that does not parse ends the parsing
 * there; at most AC_MAX_ALTERNATES are kept.  -1 when out of memory. */
int ac_http_parse_links(ac_http_resp *r, const char *value, const char *base);

typedef struct {
    const char *method;  /* "GET", "HEAD" or "POST" (body as application/jose+json) */
    const char *url;
    const char *body;    /* POST only */
    double timeout;      /* seconds for the whole request */
} ac_http_req;

/* How a session reaches the network.  `request` performs one request and
 * fills `resp` (a failure is recorded on ctx); `*state` is the transport's
 * own per-session state, NULL at first, released by `cleanup`.  `arg` is
 * the pointer given with the transport.  The default is HTTPS over
 * libcurl (ac_http_transport); tests install their own to play a CA. */
struct ac_transport {
    autocert_err (*request)(void *arg, void **state, autocert_ctx *ctx, const ac_http_req *req,
                            ac_http_resp *resp);
    void (*cleanup)(void *arg, void *state);
};
extern const ac_transport ac_http_transport;

/* ---- session.c: one ACME conversation ---------------------------------- */
/* The URLs of an ACME directory. */
typedef struct {
    char *new_nonce, *new_account, *new_order, *revoke_cert, *key_change;
    char *terms_of_service;
    int eab_required;
    char *renewal_info;  /* RFC 9773 renewalInfo, NULL when the CA has no ARI */
    json_t *profiles;    /* meta.profiles: name -> description, NULL when none */
} ac_directory;

typedef struct {
    EVP_PKEY *key;
    char *url;
} ac_account;

#define AC_SESSION_LOCKS 4

/* A storage lock a session holds. */
typedef struct {
    autocert_storage *st;
    char *set;
} ac_held_lock;

/* Everything one operation (an order, a revocation...) keeps while it
 * talks to one CA: the context's configuration is only read, and what
 * sessions hand on to each other (a directory, an HTTP handle) is taken
 * and given back under the context's locks, so several sessions may run
 * on one context in parallel threads. */
typedef struct ac_session {
    autocert_ctx *ctx;        /* configuration, logger, failure records */
    char *directory_url;      /* the CA this session serves */
    const ac_transport *tp;
    void *tp_arg;
    void *tp_state;
    ac_directory dir;
    int have_dir;
    char *nonce;              /* from the last response, not yet used */
    ac_account account;
    double deadline;          /* monotonic seconds */
    ac_held_lock locks[AC_SESSION_LOCKS]; /* in the order taken */
    size_t n_locks;
    /* Called after a wait that released the locks and took them back:
     * whether the operation may go on (nobody renewed it meanwhile). */
    autocert_err (*relocked)(struct ac_session *s, void *arg);
    void *relocked_arg;
} ac_session;

/* ---- dircache.c: the directories of a context's sessions ---------------- */
/* Frees the URLs and profiles of `d` and zeroes it. */
void ac_directory_clear(ac_directory *d);
#define AC_DIR_TTL_S 60.0 /* seconds a fetched directory serves the next sessions */
/* The directory of `url` fetched by a session of the context less than a
 * minute ago: copied into *out (nothing of it shared), 1; 0 when there is
 * none; -1 out of memory. */
int ac_dircache_get(autocert_ctx *ctx, const char *url, ac_directory *out);
/* Keeps a copy of `d`, the directory of `url` a session fetched and
 * checked, for the context's next sessions (out of memory: not kept). */
void ac_dircache_put(autocert_ctx *ctx, const char *url, const ac_directory *d);

/* Starts a session with `directory_url` (NULL: the context's) and the
 * context's timeout as its deadline. */
autocert_err ac_session_init(ac_session *s, autocert_ctx *ctx, const char *directory_url);
void ac_session_cleanup(ac_session *s);
/* Seconds left before the session's deadline. */
double ac_session_left(const ac_session *s);
/* Sleeps `seconds` unless that passes the deadline: TIMEOUT then. */
autocert_err ac_session_sleep(ac_session *s, double seconds, const char *what);
/* Takes the storage lock of `set` for the session, waiting at most the
 * time the session has left; released by ac_session_unlock or cleanup. */
autocert_err ac_session_lock(ac_session *s, autocert_storage *st, const char *set);
void ac_session_unlock(ac_session *s, const char *set);
/* Nonzero when the session holds the lock of `set`. */
int ac_session_holds(const ac_session *s, const char *set);
/* Waits `seconds` because the CA asked to come back later: the session's
 * locks are released meanwhile (others may work on those sets), taken back
 * after, and `relocked` says whether to go on. */
autocert_err ac_session_wait(ac_session *s, double seconds, const char *what);
/* The wait before each poll of an object the CA is working on: the first
 * after AC_POLL_FIRST (validations and finalization often take a few
 * milliseconds), each next one twice as long up to AC_POLL_MAX; a
 * Retry-After of the server is a minimum. */
#define AC_POLL_FIRST 0.002
#define AC_POLL_MAX 2.0
typedef struct {
    double next;
} ac_backoff;
void ac_backoff_init(ac_backoff *b);
/* The next wait, given the last response's Retry-After (-1: none). */
double ac_backoff_next(ac_backoff *b, long retry_after);
/* One HTTP request through the session's transport, within its deadline. */
autocert_err ac_session_request(ac_session *s, const char *method, const char *url,
                                const char *body, ac_http_resp *resp);

/* ---- acme.c: directory, nonces, the single signed-POST path ----------- */
autocert_err ac_acme_directory(ac_session *s);
/* Signs and POSTs `payload` (NULL: POST-as-GET) to `url` with the account
 * key (kid = account URL once known).  Retries badNonce, honours
 * Retry-After on 429/503 within the session's deadline.  Any non-2xx
 * response becomes an error (from its problem document when it has one).
 * `what` names the request in messages. */
autocert_err ac_acme_post(ac_session *s, const char *url, json_t *payload, const char *what,
                          ac_http_resp *resp);
/* The error of a non-2xx response: from its problem document when it has
 * one, else the bare HTTP status.  `what` names the request. */
autocert_err ac_acme_response_error(autocert_ctx *ctx, const ac_http_resp *resp, const char *what);
/* The JSON object of a response body (new reference); PROTOCOL on failure. */
autocert_err ac_acme_json(autocert_ctx *ctx, ac_http_resp *resp, const char *what, json_t **out);
/* POST-as-GET of `url` into *out (a JSON object, new reference). */
autocert_err ac_acme_fetch(ac_session *s, const char *url, const char *what, ac_http_resp *resp,
                           json_t **out);
/* The "status" of an ACME object, "" when it has none. */
const char *ac_acme_status(json_t *obj);
/* Whether a URL the server gave (a Location) can be used: printable ASCII,
 * no spaces, as RFC 3986 writes a URL. */
int ac_acme_url_ok(const char *url);
/* PROTOCOL ("<what> has no status") when the object has no string status:
 * a CA that leaves it out has said nothing about the object, which is not
 * a failed validation. */
autocert_err ac_acme_need_status(autocert_ctx *ctx, json_t *obj, const char *what);

/* ---- account.c -------------------------------------------------------- */
/* Loads or creates the account of the session's directory. */
autocert_err ac_account_ensure(ac_session *s);
/* Before the first request: the cached account is loaded into the session
 * (ac_account_ensure then uses it), and one still to be written (none
 * cached, or its key alone) has a set this process can lock, so that a
 * cache that cannot take it is found before the CA is asked. */
autocert_err ac_account_check_local(ac_session *s);
/* Loads the cached account of the session's directory (looking up its URL
 * when only the key is cached), never registering one: NOT_FOUND naming the
 * directory when the cache has none (or only a deactivated one). */
autocert_err ac_account_load(ac_session *s);
/* The CA no longer knows the session's account (accountDoesNotExist for
 * its URL, e.g. a test CA that restarted): registers the same key anew
 * (newAccount, not only an existing one) and saves the new URL, or takes
 * the URL another process saved for the key meanwhile. */
autocert_err ac_account_reregister(ac_session *s);


/* ---- order.c: one order, one step a function ---------------------------- */
/* What an order asks for beyond its identifiers. */
typedef struct {
    const char *profile;  /* newOrder "profile" (NULL: the CA's default) */
    const char *replaces; /* newOrder "replaces": the ARI certificate ID of the
                           * certificate this one replaces (NULL: none) */
} ac_order_opts;

typedef struct {
    char *url;   /* the order's own URL (Location of newOrder) */
    json_t *obj; /* the order object as last seen */
    int replaces_dropped; /* the CA said alreadyReplaced: ordered without "replaces" */
    const ac_ident *ids; /* what was ordered: borrowed from ac_order_new's caller */
    size_t n_ids;
} ac_order;

#define AC_PROBLEM_ALREADY_REPLACED "urn:ietf:params:acme:error:alreadyReplaced"
#define AC_PROBLEM_SERVER_INTERNAL "urn:ietf:params:acme:error:serverInternal"

void ac_order_clear(ac_order *o);
/* newOrder for `ids` (borrowed: they must outlive the order).  An order
 * listing more authorizations than identifiers is refused.  When the CA
 * answers that the certificate named by opts->replaces was already
 * replaced (alreadyReplaced, RFC 9773 section 5), the order is placed once
 * more without "replaces" (a warning is logged, o->replaces_dropped is
 * set); never more than once. */
autocert_err ac_order_new(ac_session *s, const ac_ident *ids, size_t n, const ac_order_opts *opts,
                          ac_order *o);
/* Finalizes the order with a CSR of `key` for `ids`, and waits until it is
 * valid. */
autocert_err ac_order_finalize(ac_session *s, ac_order *o, EVP_PKEY *key, const ac_ident *ids,
                               size_t n);
/* Downloads the certificate chain of a valid order; *chain PEM, malloc'd.
 * With a preferred chain set on the context, the chain whose top
 * certificate matches it among the default and the alternates. */
autocert_err ac_order_download(ac_session *s, ac_order *o, char **chain);

/* ---- authz.c: the authorizations of an order ----------------------------- */
/* Makes every authorization of the order valid: fetches them all, presents
 * a challenge for each pending one through `r`, waits until all are ready,
 * asks the CA to validate them all, then polls them together. */
autocert_err ac_order_authorize(ac_session *s, ac_order *o, ac_responder *r);

/* ---- chain.c: the preferred chain ----------------------------------------- */
/* Nonzero when the top (last) certificate of the PEM chain has `want` as
 * its issuer's or its own CN; its issuer's CN goes into issuer (n bytes). */
int ac_chain_matches(const char *pem, const char *want, char *issuer, size_t n);
/* Keeps *chain (malloc'd PEM, the default chain of a certificate URL) when
 * it matches `want`, else replaces it with the first of the alternate
 * chains (absolute URLs, fetched in turn) that does; when none does, or
 * one cannot be fetched, the default stays, with a note in the log. */
void ac_chain_choose(ac_session *s, const char *want, char **chain, char *const *alternates,
                     size_t n);

/* ---- issued.c: what the CA handed back ----------------------------------- */
/* Checks the PEM chain downloaded for an order before anything is stored:
 * the leaf's SANs are exactly `ids`, its key is `key`, it is valid now,
 * and each certificate issued the one before it (signature checked).  A
 * leaf without its chain is taken with a warning.  PROTOCOL (MISMATCH for
 * the key) naming what is wrong. */
autocert_err ac_issued_check(autocert_ctx *ctx, const char *pem, const ac_ident *ids, size_t n,
                             EVP_PKEY *key);

/* ---- csr.c ------------------------------------------------------------ */
/* DER CSR signed by `key` with a SAN extension holding every identifier.
 * *der malloc'd. */
autocert_err ac_csr_build(autocert_ctx *ctx, EVP_PKEY *key, const ac_ident *ids, size_t n,
                          unsigned char **der, size_t *len);

#endif /* AC_ACME_H */
