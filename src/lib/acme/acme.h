/* acme.h: private declarations of the ACME engine: HTTP, JWS, directory and signed POST, account, order, CSR. */
#ifndef AC_ACME_H
#define AC_ACME_H

#include "internal.h"

#include "challenge/challenge.h"

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
/* The JWS "alg" for a key: "ES256", "ES384", "RS256"; NULL if unsupported. */
const char *ac_jws_alg(EVP_PKEY *key);

/* ---- http.c: libcurl, one reused handle per context ------------------- */
typedef struct {
    long status;
    ac_buf body;
    char *content_type;
    char *location;
    char *nonce;
    long retry_after;   /* seconds, -1 when absent */
} ac_http_resp;

void ac_http_resp_init(ac_http_resp *r);
void ac_http_resp_free(ac_http_resp *r);
/* method "GET", "HEAD" or "POST" (body sent as application/jose+json). */
autocert_err ac_http_request(autocert_ctx *ctx, const char *method, const char *url,
                             const char *body, ac_http_resp *resp);
void ac_http_cleanup(autocert_ctx *ctx);
/* Seconds from a Retry-After value (delta-seconds or HTTP-date); -1 if bad. */
long ac_http_parse_retry_after(const char *value, time_t now);

/* ---- acme.c: directory, nonces, the single signed-POST path ----------- */

autocert_err ac_acme_directory(autocert_ctx *ctx);
/* Signs and POSTs `payload` (NULL: POST-as-GET) to `url` with the account
 * key (kid = account URL once known).  Retries badNonce, honours
 * Retry-After on 429/503 within the operation deadline.  Any non-2xx
 * response with a problem document becomes an error.  `what` names the
 * request in messages. */
autocert_err ac_acme_post(autocert_ctx *ctx, const char *url, json_t *payload,
                          const char *what, ac_http_resp *resp);
/* The JSON object of a response body (new reference); PROTOCOL on failure. */
autocert_err ac_acme_json(autocert_ctx *ctx, ac_http_resp *resp, const char *what, json_t **out);
/* Seconds left before the deadline of the current operation. */
double ac_deadline_left(autocert_ctx *ctx);
void ac_deadline_start(autocert_ctx *ctx);
/* Sleeps `seconds` unless that passes the deadline: TIMEOUT then. */
autocert_err ac_sleep(autocert_ctx *ctx, double seconds, const char *what);

/* ---- account.c -------------------------------------------------------- */
/* Loads or creates the account for the current directory. */
autocert_err ac_account_ensure(autocert_ctx *ctx);

/* ---- order.c ---------------------------------------------------------- */
/* Runs one order for `ids` with the loaded account, answering HTTP-01, and
 * finalizes it with a CSR of `cert_key`.  *chain: the PEM chain (malloc'd). */
autocert_err ac_order_issue(autocert_ctx *ctx, const ac_ident *ids, size_t n, EVP_PKEY *cert_key,
                            char **chain);

/* ---- csr.c ------------------------------------------------------------ */
/* DER CSR signed by `key` with a SAN extension holding every identifier.
 * *der malloc'd. */
autocert_err ac_csr_build(autocert_ctx *ctx, EVP_PKEY *key, const ac_ident *ids, size_t n,
                          unsigned char **der, size_t *len);

#endif /* AC_ACME_H */
