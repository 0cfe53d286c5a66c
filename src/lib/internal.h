/* internal.h: private declarations shared by the modules of libautocert. */
#ifndef AC_INTERNAL_H
#define AC_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "autocert.h"

#ifdef __GNUC__
#define AC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define AC_PRINTF(a, b)
#endif

/* Upper bounds on what the network may hand us. */
#define AC_MAX_BODY (1024u * 1024u)     /* any ACME response body */
#define AC_MAX_HEADER 8192u             /* one response header line */
#define AC_MAX_FILE (4u * 1024u * 1024u) /* any cache file */

/* ---- buf.c: bounded growable buffer ----------------------------------- */
typedef struct {
    unsigned char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max; /* appending past this fails */
} ac_buf;

void ac_buf_init(ac_buf *b, size_t max);
/* 0 on success, -1 when the maximum would be exceeded or memory ran out. */
int ac_buf_append(ac_buf *b, const void *p, size_t n);
int ac_buf_appendf(ac_buf *b, const char *fmt, ...) AC_PRINTF(2, 3);
/* Gives the contents away as a NUL-terminated string (caller frees); the
 * buffer is left empty.  Returns NULL when empty and not allocated. */
char *ac_buf_steal(ac_buf *b);
void ac_buf_free(ac_buf *b);
/* Cleanses the contents before freeing (secrets). */
void ac_buf_free_secret(ac_buf *b);

/* ---- error.c: the detail record of the last failure ------------------- */
typedef struct {
    autocert_err code;
    long http_status;
    char *problem_type; /* ACME problem type or NULL */
    char *msg;          /* readable message or NULL */
} ac_errinfo;

/* Records `code` with a formatted message on the context; returns `code`.
 * ctx may be NULL (nothing is recorded). */
autocert_err ac_err(autocert_ctx *ctx, autocert_err code, const char *fmt, ...) AC_PRINTF(3, 4);
/* Same, with the OpenSSL error queue appended (and cleared). */
autocert_err ac_err_ssl(autocert_ctx *ctx, autocert_err code, const char *fmt, ...) AC_PRINTF(3, 4);
/* Records an ACME problem document (RFC 7807, RFC 8555 section 6.7, with
 * subproblems) received with HTTP status `status`; returns the mapped code
 * (AUTOCERT_ERR_ACME, _EAB_REQUIRED, _TOS, ...).  `context` prefixes it
 * ("new order", ...) and may be NULL. */
autocert_err ac_err_problem(autocert_ctx *ctx, long status, json_t *problem, const char *context);
/* Formats a problem document in one line per problem into *out (malloc'd). */
char *ac_problem_format(json_t *problem);
/* Maps an ACME problem type URN to an error code. */
autocert_err ac_problem_code(const char *type);
void ac_err_clear(autocert_ctx *ctx);
void ac_errinfo_free(ac_errinfo *e);

/* ---- log.c ------------------------------------------------------------- */
void ac_log(autocert_ctx *ctx, autocert_log_level level, const char *fmt, ...) AC_PRINTF(3, 4);

/* ---- b64url.c: base64url without padding (RFC 4648 section 5) --------- */
/* *out malloc'd NUL-terminated. */
autocert_err ac_b64url_encode(const void *in, size_t len, char **out);
/* Accepts input with or without padding; rejects other alphabets. */
autocert_err ac_b64url_decode(const char *in, unsigned char **out, size_t *outlen);

/* ---- keys.c: key generation and PEM ----------------------------------- */
autocert_err ac_key_generate(autocert_ctx *ctx, autocert_key_type type, EVP_PKEY **out);
/* Unencrypted PKCS#8 PEM, *pem malloc'd (cleanse before free). */
autocert_err ac_key_to_pem(autocert_ctx *ctx, EVP_PKEY *key, char **pem, size_t *len);
/* `what` names the source in error messages (a file name). */
autocert_err ac_key_from_pem(autocert_ctx *ctx, const void *pem, size_t len,
                             const char *what, EVP_PKEY **out);
/* "ec256", "rsa2048"... of an existing key; "unknown" otherwise. Static. */
const char *ac_key_type_of(EVP_PKEY *key);
/* Frees a buffer after cleansing it. */
void ac_free_secret(void *p, size_t len);

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

/* ---- ident.c: identifier validation ------------------------------------ */
typedef enum { AC_ID_DNS = 0, AC_ID_IP = 1 } ac_id_type;
typedef struct {
    ac_id_type type;
    char *value; /* normalised: lower-case DNS name or canonical IP text */
} ac_ident;

/* Validates and normalises one identifier. `allow_wildcard` permits a
 * leading "*." label. */
autocert_err ac_ident_parse(autocert_ctx *ctx, const char *in, int allow_wildcard, ac_ident *out);
void ac_ident_clear(ac_ident *id);
/* Cache entry name for an identifier: safe as one path component. malloc'd. */
char *ac_ident_entry_name(const ac_ident *id);

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
typedef struct {
    char *new_nonce, *new_account, *new_order, *revoke_cert, *key_change;
    char *terms_of_service;
    int eab_required;
} ac_directory;

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

/* ---- http01.c ---------------------------------------------------------- */
/* A live challenge: the token and its key authorization. */
typedef struct ac_http01 ac_http01;
/* Starts the responder (embedded daemon, or webroot when `webroot` set). */
autocert_err ac_http01_start(autocert_ctx *ctx, const char *bind_addr, unsigned port,
                             const char *webroot, ac_http01 **out);
/* Publishes `key_auth` at /.well-known/acme-challenge/<token>. */
autocert_err ac_http01_add(ac_http01 *h, autocert_ctx *ctx, const char *token, const char *key_auth);
/* Withdraws a token (its file in webroot mode). */
void ac_http01_remove(ac_http01 *h, const char *token);
/* Stops the daemon and removes every file it wrote; NULL is a no-op. */
void ac_http01_stop(ac_http01 *h);
/* The port the daemon listens on (useful when 0 asked an ephemeral port). */
unsigned ac_http01_port(const ac_http01 *h);
/* Nonzero when `token` contains only base64url characters. */
int ac_token_valid(const char *token);

/* ---- csr.c ------------------------------------------------------------ */
/* DER CSR signed by `key` with a SAN extension holding every identifier.
 * *der malloc'd. */
autocert_err ac_csr_build(autocert_ctx *ctx, EVP_PKEY *key, const ac_ident *ids, size_t n,
                          unsigned char **der, size_t *len);

/* ---- certinfo.c: facts about an issued PEM chain ---------------------- */
typedef struct {
    time_t not_before, not_after;
    char **names; /* SANs of the leaf, "dns:" names bare, IPs in text form */
    size_t n_names;
} ac_certinfo;
autocert_err ac_certinfo_parse(autocert_ctx *ctx, const char *pem, size_t len,
                               const char *what, ac_certinfo *out);
void ac_certinfo_clear(ac_certinfo *ci);
/* Splits a PEM chain into the leaf and the rest (both malloc'd). */
autocert_err ac_pem_split(autocert_ctx *ctx, const char *pem, size_t len,
                          char **leaf, char **rest);
/* Nonzero if the private key matches the leaf certificate. */
int ac_key_matches_cert(EVP_PKEY *key, const char *leaf_pem, size_t len);

/* ---- fsutil.c: file system helpers (0 on success, -1 with errno) ------- */
/* Writes all of `data`, retrying on EINTR and short writes. */
int ac_write_all(int fd, const void *data, size_t len);
/* fsync(2) of a directory, making renames and creations in it durable. */
int ac_fsync_dir(const char *path);
/* rm -r of `path` without following symbolic links; ENOENT is success. */
int ac_remove_tree(const char *path);
/* mkdir -p with mode 0700 for every missing component. */
int ac_mkdir_parents(const char *path);

/* ---- storage.c / storage_dir.c ----------------------------------------- */
struct autocert_storage {
    const autocert_storage_ops *ops;
    void *be;
    char *root; /* directory backend only */
};

/* Loads one item (see autocert_storage_ops.load); a failure other than
 * NOT_FOUND is recorded on ctx naming the file.  NOT_FOUND is returned
 * without a message, for the caller to word. */
autocert_err ac_storage_load(autocert_ctx *ctx, autocert_storage *st, const char *set,
                             const char *item, unsigned char **data, size_t *len);

/* ---- context ---------------------------------------------------------- */
struct ac_account {
    EVP_PKEY *key;
    char *url;
    char *set; /* storage key "accounts/<id>" */
};

struct autocert_ctx {
    /* configuration */
    char *directory_url;
    char *ca_bundle;
    char *email;
    int agree_tos;
    char *eab_kid;
    char *eab_hmac;
    char *http_bind;
    unsigned http_port;
    char *webroot;
    autocert_key_type key_type;
    autocert_key_type account_key_type;
    unsigned timeout_s;
    unsigned renew_days;
    autocert_log_fn log_fn;
    void *log_arg;
    autocert_log_level log_level;
    autocert_storage *storage;

    /* session */
    void *curl;          /* CURL *, reused for every request */
    void *curl_headers;  /* struct curl_slist * for POSTs */
    unsigned long n_requests;
    unsigned long n_connects; /* connections libcurl opened */
    ac_directory dir;
    int have_dir;
    char *nonce;
    struct ac_account account;
    double deadline;     /* monotonic seconds */

    /* last failure */
    ac_errinfo err;
};

/* Monotonic clock, seconds. */
double ac_now(void);
/* The storage, opening the default directory backend on first use. */
autocert_err ac_storage(autocert_ctx *ctx, autocert_storage **out);

/* ---- Private CA toolkit: x509io.c, x509build.c, pkcs12.c --------------- */
#include <openssl/x509.h>

/* x509io.c: the toolkit's files. */
/* Reads a whole file of at most `max` bytes; *data malloc'd, NUL-terminated. */
autocert_err ac_file_read(autocert_ctx *ctx, const char *path, size_t max,
                          unsigned char **data, size_t *len);
/* The first line of a password file (without the line end); *pw malloc'd,
 * free with ac_free_secret(*pw, strlen(*pw)). */
autocert_err ac_password_read(autocert_ctx *ctx, const char *path, char **pw);
/* Every certificate of a PEM, DER or PKCS#12 file, in file order (new stack). */
autocert_err ac_certs_load(autocert_ctx *ctx, const char *path, const char *password_file,
                           STACK_OF(X509) **out);
/* The private key of a PEM (plain or encrypted), DER or PKCS#12 file. */
autocert_err ac_privkey_load(autocert_ctx *ctx, const char *path, const char *password_file,
                             EVP_PKEY **out);
/* A CSR (PEM or DER) whose signature verifies. */
autocert_err ac_csr_load(autocert_ctx *ctx, const char *path, X509_REQ **out);
/* PEM text of a certificate appended to `b`. */
autocert_err ac_x509_pem_append(autocert_ctx *ctx, X509 *x, ac_buf *b);

typedef struct {
    const char *path;
    const void *data;
    size_t len;
    int secret; /* 0600 instead of 0644 */
} ac_outfile;
/* AUTOCERT_ERR_EXISTS (naming it) when one of the files exists. */
autocert_err ac_files_absent(autocert_ctx *ctx, const ac_outfile *f, size_t n);
/* Writes every file through a temporary file in the same directory: with
 * `force` renamed over the target, else linked (never replacing).  On
 * failure the files of this call are removed again. */
autocert_err ac_files_write(autocert_ctx *ctx, const ac_outfile *f, size_t n, int force);
/* Creates `dir` (mode 0700) unless it exists as a directory. */
autocert_err ac_dir_ensure(autocert_ctx *ctx, const char *dir);
/* "dir/base.ext", malloc'd. */
char *ac_path_join(const char *dir, const char *base, const char *ext);

/* x509build.c: the building blocks of a certificate. */
/* Seconds since the epoch of an ASN1_TIME, (time_t)-1 when unreadable. */
time_t ac_asn1_time(const ASN1_TIME *t);
/* A random positive 128-bit serial number. */
autocert_err ac_x509_set_serial(autocert_ctx *ctx, X509 *x);
/* notBefore a few minutes back (never before the issuer's), notAfter `days`
 * ahead; INVALID when days <= 0 or the certificate would outlive `issuer`
 * (NULL: self-signed) -- with `clamp` it ends with the issuer instead --
 * or the issuer is not currently valid. */
autocert_err ac_x509_set_validity(autocert_ctx *ctx, X509 *x, int days, X509 *issuer, int clamp);
/* One extension in openssl config syntax ("critical,CA:TRUE"); `issuer`
 * (NULL: x itself) is consulted for authorityKeyIdentifier. */
autocert_err ac_x509_add_ext(autocert_ctx *ctx, X509 *x, X509 *issuer, int nid, const char *value);
/* subjectAltName from validated identifiers. */
autocert_err ac_x509_add_sans(autocert_ctx *ctx, X509 *x, const ac_ident *ids, size_t n);
/* The digest for signing with `key`: SHA-384 for P-384 and larger, SHA-256
 * otherwise, NULL for Ed25519 (which has its own). */
const EVP_MD *ac_x509_md(EVP_PKEY *key);
autocert_err ac_x509_sign(autocert_ctx *ctx, X509 *x, EVP_PKEY *key);
/* A subject with one CN. */
autocert_err ac_x509_set_cn(autocert_ctx *ctx, X509 *x, int subject, const char *cn);

/* pkcs12.c */
/* Parses a DER PKCS#12; *key, *cert and *chain may each be NULL to ignore;
 * PASSWORD when the password (NULL: none) does not open it. */
autocert_err ac_p12_parse(autocert_ctx *ctx, const unsigned char *der, size_t len,
                          const char *what, const char *password, EVP_PKEY **key,
                          X509 **cert, STACK_OF(X509) **chain);

#endif /* AC_INTERNAL_H */
