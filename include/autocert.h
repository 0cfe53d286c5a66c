/* autocert.h: public interface of libautocert, an ACME v2 (RFC 8555) client and certificate cache. */
#ifndef AUTOCERT_H
#define AUTOCERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions
 * - Every function that can fail returns autocert_err; AUTOCERT_OK is 0.
 * - Functions returning `char *` hand the caller a string to free with free().
 * - Functions returning `const char *` lend a string that stays valid until the
 *   next call on the same handle (or until the handle is freed).
 * - String arguments are copied; nothing the caller passes is kept.
 * - x_free(NULL) is always a no-op.
 * - The library never prints, exits or aborts: it reports through the logger
 *   set with autocert_set_logger() and through the error detail of the handle.
 * - Threads: a context is configuration.  Set it up first; then any number
 *   of threads may run operations on it at once (each operation keeps its
 *   own ACME session).  The failure details are kept per thread.
 */

/* Error codes.  Codes are only ever added, never renumbered. */
typedef enum {
    AUTOCERT_OK = 0,
    AUTOCERT_ERR_NOMEM = 1,         /* out of memory */
    AUTOCERT_ERR_INVALID = 2,       /* invalid argument or input */
    AUTOCERT_ERR_IO = 3,            /* file system error */
    AUTOCERT_ERR_CRYPTO = 4,        /* OpenSSL failure */
    AUTOCERT_ERR_NETWORK = 5,       /* transport (connection, TLS, DNS) failure */
    AUTOCERT_ERR_HTTP = 6,          /* unexpected HTTP status without a problem document */
    AUTOCERT_ERR_PROTOCOL = 7,      /* malformed or unexpected server response */
    AUTOCERT_ERR_ACME = 8,          /* the ACME server returned a problem document */
    AUTOCERT_ERR_TIMEOUT = 9,       /* the operation ran out of time */
    AUTOCERT_ERR_CORRUPT = 10,      /* a cache file is corrupt or unreadable */
    AUTOCERT_ERR_LOCKED = 11,       /* the cache is locked by another process */
    AUTOCERT_ERR_VALIDATION = 12,   /* a challenge failed: the authorization is invalid */
    AUTOCERT_ERR_NOT_FOUND = 13,    /* no such item */
    AUTOCERT_ERR_EXISTS = 14,       /* refusing to overwrite an existing item */
    AUTOCERT_ERR_EAB_REQUIRED = 15, /* the ACME server requires External Account Binding */
    AUTOCERT_ERR_TOS = 16,          /* the terms of service must be agreed to */
    AUTOCERT_ERR_UNSUPPORTED = 17,  /* feature not offered by the server or the build */
    AUTOCERT_ERR_BIND = 18,         /* could not listen on the challenge address */
    AUTOCERT_ERR_MISMATCH = 19,     /* key does not match certificate, or similar */
    AUTOCERT_ERR_VERIFY = 20,       /* certificate verification failed */
    AUTOCERT_ERR_PASSWORD = 21,     /* wrong or missing password */
    AUTOCERT_ERR_NO_NAMES = 22,     /* a certificate needs a DNS name or IP address, none given */
    AUTOCERT_ERR_HOOK = 23          /* a hook command failed, or overstayed its time limit */
} autocert_err;

/* A fixed English text for an error code; never NULL. */
const char *autocert_strerror(autocert_err err);

/* Library version, e.g. "0.1.0".  Borrowed, static. */
const char *autocert_version(void);

/* Key types for account and certificate keys. */
typedef enum {
    AUTOCERT_KEY_EC256 = 0, /* ECDSA P-256 (default) */
    AUTOCERT_KEY_EC384 = 1, /* ECDSA P-384 */
    AUTOCERT_KEY_RSA2048 = 2,
    AUTOCERT_KEY_RSA3072 = 3,
    AUTOCERT_KEY_RSA4096 = 4,
    AUTOCERT_KEY_ED25519 = 5 /* private CA only: ACME CAs do not issue for it */
} autocert_key_type;

/* Parses "ec256", "ec384", "rsa2048", "rsa3072", "rsa4096", "ed25519"
 * (also "p256", "p384", "ecdsa" and "rsa").  Returns AUTOCERT_ERR_INVALID otherwise. */
autocert_err autocert_key_type_parse(const char *name, autocert_key_type *out);
/* Canonical name of a key type; never NULL. */
const char *autocert_key_type_name(autocert_key_type type);

/* ------------------------------------------------------------------------ */
/* Logging */

typedef enum {
    AUTOCERT_LOG_ERROR = 0,
    AUTOCERT_LOG_WARN = 1,
    AUTOCERT_LOG_INFO = 2,  /* progress: one line per step of a long operation */
    AUTOCERT_LOG_DEBUG = 3  /* protocol detail */
} autocert_log_level;

/* Called with a complete line without a trailing newline. */
typedef void (*autocert_log_fn)(void *arg, autocert_log_level level, const char *msg);

/* ------------------------------------------------------------------------ */
/* Storage: the engine reaches the cache only through this interface.
 *
 * Items are grouped in sets, addressed by a key "<area>/<name>" such as
 * "certs/example.com" or "accounts/<directory-id>"; area, name and item
 * names are 1 to 253 characters of [A-Za-z0-9._@:+-], not starting with
 * '.' (the library checks every key before a backend sees it).  A set is
 * always replaced whole: a reader never sees items of two generations.
 * The directory backend (autocert_storage_dir_new) is the default; other
 * backends (a shared store for a fleet of servers) implement the same
 * operations.
 *
 * Every operation that can fail gets `detail`, a buffer of
 * AUTOCERT_STORAGE_DETAIL bytes holding "" on entry, where a backend may
 * say what went wrong ("open /var/cache/x/certs/a/meta.json: Permission
 * denied"); the library puts it into its messages.
 */
#define AUTOCERT_STORAGE_DETAIL 512

typedef struct {
    const char *name;  /* e.g. "privkey.pem" */
    const void *data;
    size_t len;
    int secret;        /* nonzero: a private key (0600, cleansed after use) */
} autocert_item;

typedef struct autocert_storage_ops {
    /* sizeof(autocert_storage_ops) where the backend was built: operations
     * are only ever appended, and those beyond `size` count as absent. */
    size_t size;
    /* Takes the writer lock of one set, waiting at most `wait_s` seconds,
     * then AUTOCERT_ERR_LOCKED.  Locks of different sets are independent;
     * one set's lock has one holder at a time, also among the threads of a
     * process.  The engine holds a certificate's lock while it orders it,
     * an account's while it registers it. */
    autocert_err (*lock)(void *be, const char *set, int wait_s, char *detail);
    void (*unlock)(void *be, const char *set);
    /* Loads one item of a set into *data (malloc'd, caller frees; cleansed
     * by the caller when secret).  AUTOCERT_ERR_NOT_FOUND when absent. */
    autocert_err (*load)(void *be, const char *set, const char *item,
                         unsigned char **data, size_t *len, char *detail);
    /* Atomically replaces the whole set with the given items.  Writers
     * (store, store_item, remove) hold the set's lock: a backend may then
     * clear what dead writers of the set left behind. */
    autocert_err (*store)(void *be, const char *set,
                          const autocert_item *items, size_t n, char *detail);
    /* Replaces one item of an existing set, atomically for that item and
     * without making a new generation of the set: for metadata that changes
     * while the key and chain stay (renewal state).  The caller holds the
     * set's lock.  AUTOCERT_ERR_NOT_FOUND when the set is absent. */
    autocert_err (*store_item)(void *be, const char *set, const autocert_item *item,
                               char *detail);
    /* Lists the sets whose key starts with `prefix` (e.g. "certs/"):
     * *keys is a malloc'd array of malloc'd strings, caller frees. */
    autocert_err (*list)(void *be, const char *prefix, char ***keys, size_t *n, char *detail);
    /* Removes a whole set.  AUTOCERT_ERR_NOT_FOUND when absent. */
    autocert_err (*remove)(void *be, const char *set, char *detail);
    /* Optional: a file system path of an item (malloc'd), for servers that
     * read files; NULL when the backend has no files. */
    char *(*path)(void *be, const char *set, const char *item);
    /* Optional: what messages call the store (a directory, a URL without
     * its password); borrowed from the backend. */
    const char *(*describe)(void *be);
    /* Frees the backend. */
    void (*destroy)(void *be);

    /* ---- Optional, appended in version 2: a fleet's shared challenges ----
     * A backend shared by several servers may hold the live challenges, so
     * that the node the CA's validation reaches answers for the node that
     * ordered.  Absent (NULL, or beyond `size`) in a backend of one
     * machine: then each node answers only its own challenges. */
    /* Publishes a live challenge: its type ("http-01", "tls-alpn-01"), the
     * identifier, the token (unique: a token published again replaces the
     * entry), the key authorization, and the time it stops being answered. */
    autocert_err (*challenge_put)(void *be, const char *type, const char *ident,
                                  const char *token, const char *key_auth, time_t expires,
                                  char *detail);
    /* Withdraws the challenge of `token`; absent is no error. */
    autocert_err (*challenge_del)(void *be, const char *token, char *detail);
    /* The key authorization (malloc'd) of the unexpired challenge of
     * `type` with `token`, or when `token` is NULL of `ident` (compared
     * without regard to case).  AUTOCERT_ERR_NOT_FOUND when there is none. */
    autocert_err (*challenge_get)(void *be, const char *type, const char *token,
                                  const char *ident, char **key_auth, char *detail);
    /* ---- Optional, version 2: change notification ----
     * Waits at most `timeout_ms` for other writers' stores, and returns the
     * keys of the sets stored since the last call (*keys malloc'd, each key
     * malloc'd; *n may be 0).  A key "*" means that changes may have been
     * missed (the watch was re-established): reload everything.  The first
     * call starts watching.  An error (the database is gone) leaves the
     * caller to fall back to polling and try again later. */
    autocert_err (*changes)(void *be, int timeout_ms, char ***keys, size_t *n, char *detail);
    /* ---- Optional, appended in version 3: several items in one read ----
     * Loads the items names[0..n-1] of one set at once (a server loading
     * thousands of certificates at start pays one round trip a set, not
     * one an item): data[i] malloc'd (caller frees; cleansed by the caller
     * when secret) with its length in len[i], or NULL where the item is
     * absent.  On a failure every data[i] is NULL, and *failed is the
     * index of the item it concerns, or n when it concerns none.  Absent:
     * the items are loaded one by one. */
    autocert_err (*load_items)(void *be, const char *set, const char *const *names, size_t n,
                               unsigned char **data, size_t *len, size_t *failed,
                               char *detail);
} autocert_storage_ops;

typedef struct autocert_storage autocert_storage;

/* A storage handle over caller-supplied operations.  On success the handle
 * owns `be` and releases it with ops->destroy when freed; on failure (NULL:
 * out of memory, or `ops` lacks a required operation or has a size smaller
 * than the first version's) the caller still owns `be`.  `ops` is copied. */
autocert_storage *autocert_storage_new(const autocert_storage_ops *ops, void *be);
/* The directory backend rooted at `dir` (created 0700 if missing).  NULL for
 * `dir` means $AUTOCERT_CACHE, else ~/.autocert-cache. */
autocert_err autocert_storage_dir_new(const char *dir, autocert_storage **out);
struct autocert_ctx; /* the context, below */

/* The PostgreSQL backend: one database shared by a fleet of servers.
 * `conninfo` is a libpq connection string, a URL
 * "postgresql://user[:password]@host[:port]/dbname[?param=value...]"
 * (postgres:// too) or "host=... dbname=..." pairs; the password may also
 * come from ~/.pgpass or PGPASSWORD.  Connects at once (at most 10 s unless
 * the string sets connect_timeout) and creates its tables on first use
 * (autocert_schema, autocert_sets, autocert_items).  Each set is replaced
 * whole in one transaction; a set's lock is a session-level advisory lock,
 * which the server releases when a holder dies.  A lost connection fails
 * the operation that finds it (AUTOCERT_ERR_NETWORK, naming the server,
 * never the password), and the next one connects anew.  Secret items are
 * stored as given unless a key file is set (autocert_storage_set_key_file).
 * AUTOCERT_ERR_UNSUPPORTED in a build without PostgreSQL support. */
autocert_err autocert_storage_pg_new(const char *conninfo, autocert_storage **out);
/* The store named by `where`: a postgresql:// or postgres:// URL opens the
 * PostgreSQL backend, anything else the directory backend; NULL is
 * $AUTOCERT_CACHE (either kind), else ~/.autocert-cache.  A failure is
 * recorded on ctx (which may be NULL) for autocert_last_error(). */
autocert_err autocert_storage_open(struct autocert_ctx *ctx, const char *where, autocert_storage **out);
/* Encryption at rest for a store that supports it (the PostgreSQL backend):
 * secret items (private keys) stored from now on are sealed with
 * AES-256-GCM under the 256-bit key in the file `path`, each bound to its
 * set key, item name and the set's generation, and sealed items are opened
 * with it.  The file holds exactly 32 bytes, or 64 hexadecimal digits
 * (with at most one newline after them: `openssl rand -hex 32`), and must
 * not be readable by group or others.  A sealed item read without a key,
 * or with another key than the one that sealed it (an id of that key is
 * stored with it), fails with AUTOCERT_ERR_PASSWORD naming the item: never
 * taken for a broken entry to replace.  A row changed, or moved to another
 * set, name or generation, fails with AUTOCERT_ERR_CORRUPT.
 * AUTOCERT_ERR_UNSUPPORTED for the directory backend (its files are 0600).
 * ctx may be NULL. */
autocert_err autocert_storage_set_key_file(struct autocert_ctx *ctx, autocert_storage *st,
                                           const char *path);
/* What messages call the store: its directory, or its URL without the
 * password.  Borrowed from `st`, never NULL. */
const char *autocert_storage_describe(const autocert_storage *st);
void autocert_storage_free(autocert_storage *st);
/* The root directory of a directory backend (borrowed), else NULL. */
const char *autocert_storage_dir_root(const autocert_storage *st);

/* ------------------------------------------------------------------------ */
/* The context: configuration shared by the operations run on it. */

typedef struct autocert_ctx autocert_ctx;

#define AUTOCERT_LETSENCRYPT_URL "https://acme-v02.api.letsencrypt.org/directory"
#define AUTOCERT_LETSENCRYPT_STAGING_URL "https://acme-staging-v02.api.letsencrypt.org/directory"

/* A new context with defaults: Let's Encrypt production, EC P-256 keys,
 * HTTP-01 on port 80 of every address, the default cache directory (opened
 * on first use), 300 s total time per operation.  NULL when out of memory.
 * The setters below are for setting up: none of them may run while an
 * operation on the same context runs in another thread. */
autocert_ctx *autocert_ctx_new(void);
/* Frees the context; no operation on it may still run. */
void autocert_ctx_free(autocert_ctx *ctx);

/* The logger is called in the thread that runs the operation logging, one
 * complete line a call: the caller's, for every function of this header,
 * except a manager's work, which logs from its background thread and, for
 * TLS-ALPN-01 validations, from the server's thread running the handshake.
 * With operations in several threads (or a manager) it must be safe to call
 * from each. */
void autocert_set_logger(autocert_ctx *ctx, autocert_log_fn fn, void *arg);
/* Messages above `level` are not passed to the logger (default INFO). */
void autocert_set_log_level(autocert_ctx *ctx, autocert_log_level level);
autocert_err autocert_set_directory(autocert_ctx *ctx, const char *url);
/* Every URL of the ACME server, the directory's and those it hands out,
 * must be https (RFC 8555 section 6.1): signed requests never travel in
 * clear.  A nonzero `allow` lets plain http through, for a local test CA
 * only. */
void autocert_set_allow_http(autocert_ctx *ctx, int allow);
/* PEM file of CA certificates trusted for the ACME server's HTTPS. */
autocert_err autocert_set_ca_bundle(autocert_ctx *ctx, const char *path);
/* Contact e-mail for the account (becomes "mailto:<email>"); NULL clears. */
autocert_err autocert_set_email(autocert_ctx *ctx, const char *email);
void autocert_set_agree_tos(autocert_ctx *ctx, int agree);
/* External Account Binding: key id and base64url HMAC key from the CA. */
autocert_err autocert_set_eab(autocert_ctx *ctx, const char *kid, const char *hmac_b64url);
/* HTTP-01 responder: bind address (NULL: every address) and port (0: 80). */
autocert_err autocert_set_http01(autocert_ctx *ctx, const char *bind_addr, unsigned port);
/* HTTP-01 through an existing web server: tokens are written under
 * DIR/.well-known/acme-challenge/ and removed afterwards.  NULL clears. */
autocert_err autocert_set_webroot(autocert_ctx *ctx, const char *dir);
/* The chain to store when the CA offers several (Link rel="alternate" of
 * the certificate URL): the one whose top certificate (the last of the
 * chain) has `issuer_cn` as its issuer's common name or its own.  When none
 * has, the CA's default chain is kept, with a note in the log.  NULL
 * clears: the default chain. */
autocert_err autocert_set_preferred_chain(autocert_ctx *ctx, const char *issuer_cn);
/* The challenge type that proves control of the names: "http-01" (the
 * default; NULL sets it), "dns-01" (TXT records published through the
 * DNS hook below; needed for wildcard names "*.example.com") or
 * "tls-alpn-01" (RFC 8737: answered by a server's own TLS listener on port
 * 443, so only by a server manager bound to it, see autocert_openssl.h;
 * any other operation fails with AUTOCERT_ERR_UNSUPPORTED before its first
 * request to the CA).  Only that type is answered: a CA that does not
 * offer it for an authorization is an AUTOCERT_ERR_UNSUPPORTED failure.
 * INVALID for any other text. */
autocert_err autocert_set_challenge(autocert_ctx *ctx, const char *type);
/* The DNS-01 hook: a shell command, run as /bin/sh -c CMD with the values
 * as positional parameters, never pasted into the command text:
 *   $1 "add" or "remove", $2 the record name ("_acme-challenge.example.com",
 *   also for "*.example.com"), $3 the TXT value (base64url, 43 characters);
 * the same in the environment as AUTOCERT_DNS_ACTION, AUTOCERT_DNS_NAME and
 * AUTOCERT_DNS_VALUE, with AUTOCERT_IDENTIFIER the name being validated.
 * "add" must return once the record is published where the CA will look;
 * "remove" runs for every record "add" was run for, also after failures.
 * Standard input is /dev/null; its output goes to standard error.  Exit
 * status 0 is success; any other, or running past the hook time limit, is
 * an AUTOCERT_ERR_HOOK failure naming the command, the action and the
 * record.  The string is copied; NULL clears; "" is INVALID. */
autocert_err autocert_set_dns_hook(autocert_ctx *ctx, const char *cmd);
/* Time limit of one hook run, seconds (0: the default, 120).  An "add"
 * also ends at the operation's deadline (autocert_set_timeout); a "remove"
 * gets at least 10 s even after it. */
void autocert_set_hook_timeout(autocert_ctx *ctx, unsigned seconds);
/* The certificate profile to order under (draft-ietf-acme-profiles), e.g.
 * Let's Encrypt's "shortlived"; NULL (the default) leaves the choice to the
 * CA.  Checked against the profiles the CA's directory offers before an
 * order is placed: AUTOCERT_ERR_INVALID naming the offered ones when it is
 * not among them, AUTOCERT_ERR_UNSUPPORTED when the CA offers none.
 * Without a profile, an order for an IP address goes under "shortlived"
 * where the CA offers that.  INVALID here for a name that is empty, longer
 * than 64 characters, or holds spaces or control characters. */
autocert_err autocert_set_profile(autocert_ctx *ctx, const char *name);
void autocert_set_key_type(autocert_ctx *ctx, autocert_key_type type);
void autocert_set_account_key_type(autocert_ctx *ctx, autocert_key_type type);
/* Total time allowed for one operation (obtain, revoke...), seconds. */
void autocert_set_timeout(autocert_ctx *ctx, unsigned seconds);
/* Days before expiry at which a certificate is due for renewal, for
 * autocert_obtain() and autocert_renew(), in place of their default: the
 * CA's renewal window (ARI), else a third of the lifetime left (half for
 * lifetimes under ten days). */
void autocert_set_renew_days(autocert_ctx *ctx, unsigned days);
/* Uses `st` as the cache; the context takes ownership of it (and frees the
 * one it had). */
void autocert_set_storage_take(autocert_ctx *ctx, autocert_storage *st);
/* Uses the cache at `dir`: the directory backend (see
 * autocert_storage_dir_new), or the PostgreSQL backend when `dir` (or, for
 * NULL, $AUTOCERT_CACHE) is a postgresql:// or postgres:// URL (see
 * autocert_storage_open). */
autocert_err autocert_set_cache_dir(autocert_ctx *ctx, const char *dir);
/* autocert_storage_set_key_file on the context's cache (opening the
 * default one first if none is set). */
autocert_err autocert_set_cache_key_file(autocert_ctx *ctx, const char *path);

/* Copies every set of the cache `from` (certs/<name>, accounts/<id>: the
 * items autocert writes) into `to`, each under both sets' locks, then reads
 * it back from `to` and compares it byte for byte.  Sets that exist in `to`
 * already fail the whole run with AUTOCERT_ERR_EXISTS before anything is
 * copied, naming them, unless `flags` has AUTOCERT_MIGRATE_FORCE (then they
 * are replaced).  `fn` (may be NULL) is called after each set with its key
 * and number of items.  Both stores stay the caller's. */
#define AUTOCERT_MIGRATE_FORCE 1u
typedef void (*autocert_migrate_fn)(void *arg, const char *set, size_t items);
autocert_err autocert_cache_migrate(autocert_ctx *ctx, autocert_storage *from,
                                    autocert_storage *to, unsigned flags,
                                    autocert_migrate_fn fn, void *arg);

/* Details of the last failure of a call on this handle in the calling
 * thread.  Borrowed until that thread's next call on the handle, never NULL
 * ("" when there is none).  autocert_last_error() is a readable message:
 * for an ACME problem one line per problem ("type: detail (identifier)"). */
const char *autocert_last_error(const autocert_ctx *ctx);
long autocert_last_http_status(const autocert_ctx *ctx);
const char *autocert_last_problem_type(const autocert_ctx *ctx);

/* Number of HTTP requests sent by the operations on this context (for
 * benchmarks and tests). */
unsigned long autocert_request_count(const autocert_ctx *ctx);
/* Number of connections they opened: one kept-alive connection serves a
 * whole operation. */
unsigned long autocert_connection_count(const autocert_ctx *ctx);

/* Where the time of the operations on this context went, in seconds, summed
 * over all of them (for benchmarks).  Set `size` to sizeof(autocert_timings)
 * before the call: fields are only ever appended. */
typedef struct {
    size_t size;
    double requests; /* HTTP requests, connecting included */
    double connect;  /* of which: establishing connections (TCP and TLS) */
    double waiting;  /* sleeping: polls, the CA's Retry-After, cache locks */
    double keys;     /* generating keys */
    double store;    /* writing to the cache, syncs included */
} autocert_timings;
void autocert_timings_get(const autocert_ctx *ctx, autocert_timings *out);

/* ------------------------------------------------------------------------ */
/* Certificates */

typedef struct autocert_cert autocert_cert;

/* Identifier validation: lower-cases, strips one trailing dot, checks
 * lengths and characters; IPv4/IPv6 literals become IP identifiers in
 * canonical form.  *out is malloc'd, caller frees.  On failure the context
 * detail names the input. */
autocert_err autocert_identifier_normalize(autocert_ctx *ctx, const char *in, char **out);

#define AUTOCERT_OBTAIN_FORCE 0x1u /* issue even when a valid certificate is cached */

/* Obtains a certificate for `names` (DNS names and IP addresses; the first
 * names the cache entry) and stores it in the cache.  When a certificate for
 * exactly these names is cached and not due for renewal (by the rules of
 * autocert_renew(): revoked, the time chosen in the CA's renewal window that
 * the last renewal check stored, else the share of its lifetime left, or the
 * days of autocert_set_renew_days()), no request is made (unless
 * AUTOCERT_OBTAIN_FORCE); autocert_cert_is_new() tells which.
 * *out (may be NULL) receives the cached or new certificate, caller frees
 * with autocert_cert_free().  The entry is locked meanwhile: a second call
 * for the same names (another thread or process) waits, then finds the
 * certificate this one stored; calls for other names run in parallel. */
autocert_err autocert_obtain(autocert_ctx *ctx, const char *const *names, size_t n,
                             unsigned flags, autocert_cert **out);

/* Loads the cached certificate whose entry is named after `name`: its
 * metadata, chain and key.  A wildcard's entry is named "+.example.com"
 * (autocert_cert_name, autocert_cert_list); "*.example.com" and that name
 * both find it.  *out: caller frees with autocert_cert_free(). */
autocert_err autocert_cert_load(autocert_ctx *ctx, const char *name, autocert_cert **out);
/* The same from the entry's metadata alone, without reading the chain or
 * the key (cheap enough for a scan of many entries); the PEM accessors of
 * the result return NULL. */
autocert_err autocert_cert_info(autocert_ctx *ctx, const char *name, autocert_cert **out);
/* Lists cached certificate entry names: *names malloc'd array of malloc'd
 * strings, caller frees with autocert_strv_free(). */
autocert_err autocert_cert_list(autocert_ctx *ctx, char ***names, size_t *n);
void autocert_strv_free(char **v, size_t n);

void autocert_cert_free(autocert_cert *cert);
/* Borrowed from the certificate, valid until autocert_cert_free(). */
const char *autocert_cert_name(const autocert_cert *cert);
size_t autocert_cert_identifier_count(const autocert_cert *cert);
const char *autocert_cert_identifier(const autocert_cert *cert, size_t i);
time_t autocert_cert_not_before(const autocert_cert *cert);
time_t autocert_cert_not_after(const autocert_cert *cert);
/* Nonzero when this call issued the certificate (zero: taken from the cache). */
int autocert_cert_is_new(const autocert_cert *cert);
/* Paths in the directory backend (NULL for other backends). */
const char *autocert_cert_fullchain_path(const autocert_cert *cert);
const char *autocert_cert_key_path(const autocert_cert *cert);
const char *autocert_cert_cert_path(const autocert_cert *cert);
const char *autocert_cert_chain_path(const autocert_cert *cert);
/* PEM texts (NUL-terminated): the certificate followed by its chain, and
 * the private key (cleansed when the certificate is freed).  NULL for a
 * certificate from autocert_cert_info(). */
const char *autocert_cert_fullchain_pem(const autocert_cert *cert);
const char *autocert_cert_key_pem(const autocert_cert *cert);
/* The ACME directory URL of the CA that issued it. */
const char *autocert_cert_directory(const autocert_cert *cert);
/* The type of its key as autocert_key_type_name() spells it ("ec256",
 * "rsa2048", ...); a string because a cache may hold keys of types this
 * version has no enum value for. */
const char *autocert_cert_key_type(const autocert_cert *cert);
/* When the certificate was revoked with autocert_revoke() (0: never).  A
 * revoked certificate is due: the next autocert_obtain() or autocert_renew()
 * replaces it. */
time_t autocert_cert_revoked_at(const autocert_cert *cert);

/* The issuer's common name, and the CA profile it was issued under, as its
 * metadata records them (NULL when it does not: older entries, the CA's
 * default profile).  Escaped: safe to print. */
const char *autocert_cert_issuer(const autocert_cert *cert);
const char *autocert_cert_profile(const autocert_cert *cert);
/* When autocert_renew() will renew it (or, after failures, try again), and
 * by which rule, from what the cache holds: no request is made. */
time_t autocert_cert_renew_at(const autocert_cert *cert);
const char *autocert_cert_renew_reason(const autocert_cert *cert);
/* Failed renewals since the last success, and the last one's message
 * ("" when none). */
unsigned autocert_cert_failures(const autocert_cert *cert);
const char *autocert_cert_last_error(const autocert_cert *cert);

/* ---- Renewal ---- */

/* Keeps the challenge responder (the HTTP-01 daemon) open for the
 * operations that follow, until autocert_responder_stop(): operations in
 * several threads then share its port.  It binds at once, so a port in use
 * is found before any order. */
autocert_err autocert_responder_start(autocert_ctx *ctx);
void autocert_responder_stop(autocert_ctx *ctx);

#define AUTOCERT_RENEW_FORCE 0x1u   /* order even when not due (no backoff, no weekly limit) */
#define AUTOCERT_RENEW_DRY_RUN 0x2u /* order (no "replaces") and check, store nothing */
#define AUTOCERT_RENEW_PLAN 0x4u    /* decide only: AUTOCERT_RENEW_DUE instead of ordering */

typedef enum {
    AUTOCERT_RENEW_NOT_DUE = 0, /* not due: no request was made */
    AUTOCERT_RENEW_RENEWED = 1, /* a new certificate is in the cache */
    AUTOCERT_RENEW_CHECKED = 2, /* dry run: issued and checked, not stored */
    AUTOCERT_RENEW_WAITING = 3, /* due, but waiting (backoff after failures, or the
                                 * weekly limit of orders): no request was made */
    AUTOCERT_RENEW_DUE = 4      /* AUTOCERT_RENEW_PLAN: due, not ordered */
} autocert_renew_outcome;

/* What autocert_renew() did and why.  Initialise with
 * autocert_renew_info_init(): fields are only ever appended. */
typedef struct {
    size_t size;                    /* sizeof(autocert_renew_info), set by _init() */
    autocert_renew_outcome outcome;
    time_t not_after;  /* of the certificate in the cache after the call */
    time_t renew_at;   /* when it is (or was) due */
    time_t wait_until; /* AUTOCERT_RENEW_WAITING, or after a failure: no order before */
    unsigned failures; /* consecutive failed renewals, this one included */
    char why[160];     /* the rule behind renew_at, or why it waits */
} autocert_renew_info;
void autocert_renew_info_init(autocert_renew_info *info);

/* Renews the cached certificate of entry `name` when it is due: revoked, at
 * the time chosen in the CA's renewal window (ARI, RFC 9773) where the CA
 * has one, else with a third of its lifetime left (half for lifetimes under
 * ten days), or the context's renewal days before expiry when set with
 * autocert_set_renew_days().  The names, CA and key type are those of the
 * entry.  Not due: no request is made and nothing is written.  A failure
 * is recorded in the entry (backoff: 1 min, 10 min, 100 min, then daily),
 * and the cached certificate stays.  *info (may be NULL) says what was
 * done.  Returns AUTOCERT_OK unless the renewal failed. */
autocert_err autocert_renew(autocert_ctx *ctx, const char *name, unsigned flags,
                            autocert_renew_info *info);

/* Writes a Prometheus textfile-collector file at `path` (atomically): per
 * cached certificate its expiry, planned renewal, last success and failure
 * and consecutive failures. */
autocert_err autocert_renew_metrics(autocert_ctx *ctx, const char *path);

/* ------------------------------------------------------------------------ */
/* The server manager: certificates for a TLS server's names, loaded from the
 * cache at start, obtained and renewed by a background thread, served from
 * memory by SNI (include/autocert_openssl.h binds it to an OpenSSL SSL_CTX;
 * autocert_manager_lookup serves servers on other TLS libraries).  One
 * certificate per name, in the cache entry named after it, so that
 * `autocert renew` and `autocert list` see the same entries. */

typedef struct autocert_manager autocert_manager;

typedef enum {
    AUTOCERT_EVENT_LOADED = 0,   /* a cached certificate is served: at start, or one
                                  * another process (autocert renew) stored */
    AUTOCERT_EVENT_OBTAINED = 1, /* a new certificate for a name that had none */
    AUTOCERT_EVENT_RENEWED = 2,  /* a renewed certificate replaced the one served */
    AUTOCERT_EVENT_FAILED = 3    /* obtaining or renewing failed: `reason` says why */
} autocert_event;

/* Called in the manager's thread (or in the caller's, from
 * autocert_manager_start and autocert_manager_renew); `name` is the host,
 * `reason` a readable message (escaped, safe to print; "" when there is
 * nothing to say); both are borrowed for the call. */
typedef void (*autocert_event_fn)(void *arg, autocert_event event, const char *name,
                                  const char *reason);

/* A manager working with the configuration of `ctx`: directory, CA bundle,
 * contact, terms, EAB, key type, challenge, storage, logger.  `ctx` must
 * outlive the manager and must not be changed or used by another manager
 * while it runs.  NOMEM when out of memory. */
autocert_err autocert_manager_new(autocert_ctx *ctx, autocert_manager **out);
/* Stops the background thread (waiting for an order under way to end, at
 * most the context's timeout) and the challenge responder, and cleanses
 * the keys held in memory.  NULL is a no-op. */
void autocert_manager_free(autocert_manager *m);
/* The host policy: the exact DNS names the manager may order for (checked
 * and normalized as autocert_identifier_normalize does; IP addresses and
 * wildcards are INVALID: SNI carries neither).  A handshake for any other
 * name never causes an order.  Replaces the list; before start only.
 * INVALID naming the first bad name, NO_NAMES for an empty list. */
autocert_err autocert_manager_set_hosts(autocert_manager *m, const char *const *names, size_t n);
void autocert_manager_set_event_cb(autocert_manager *m, autocert_event_fn fn, void *arg);
/* The port of the TLS listener the manager is attached to (0: unknown).
 * Unless autocert_set_challenge() chose a type, the manager answers
 * TLS-ALPN-01 when it is 443 and HTTP-01 otherwise.  Before start only. */
void autocert_manager_set_tls_port(autocert_manager *m, unsigned port);
/* Loads the cached certificates of the hosts (served at once), opens the
 * challenge responder (for HTTP-01 the daemon binds its port now, see
 * autocert_set_http01; it answers challenges and redirects every other
 * request to https), then starts the background thread, which obtains the
 * missing certificates, renews on the rules of autocert_renew(), and picks
 * up certificates another process stored (checked once a second).  Call it
 * before dropping privileges, after attaching to the TLS listener. */
autocert_err autocert_manager_start(autocert_manager *m);
/* The challenge type answered: "tls-alpn-01", "http-01" or "dns-01". */
const char *autocert_manager_challenge(const autocert_manager *m);
/* Renews `name` (a host of the policy) now, in the caller's thread, as
 * autocert_renew() does with `flags` (AUTOCERT_RENEW_FORCE: even when not
 * due), and serves the new certificate from the next handshake on.  Only
 * after start.  NOT_FOUND for a name outside the policy. */
autocert_err autocert_manager_renew(autocert_manager *m, const char *name, unsigned flags,
                                    autocert_renew_info *info);
/* Number of hosts that have a certificate served now. */
size_t autocert_manager_count(autocert_manager *m);
/* For servers on other TLS libraries: the certificate served for `name`
 * (an SNI name: case and one trailing dot do not matter) as PEM, the
 * certificate followed by its chain, and its private key.  Both malloc'd:
 * free *chain_pem with free(), *key_pem with autocert_secret_free().
 * NOT_FOUND when the name is outside the policy or has no certificate yet. */
autocert_err autocert_manager_lookup(autocert_manager *m, const char *name, char **chain_pem,
                                     char **key_pem);
/* For servers on other TLS libraries answering TLS-ALPN-01 (RFC 8737): when
 * a challenge for `name` is live, the self-signed certificate (with the
 * acmeIdentifier extension) and key to present to a ClientHello offering
 * ALPN "acme-tls/1", as PEM; NOT_FOUND when none is.  Freed as above. */
autocert_err autocert_manager_alpn_challenge(autocert_manager *m, const char *name,
                                             char **cert_pem, char **key_pem);
/* Cleanses and frees a string holding a secret; NULL is a no-op. */
void autocert_secret_free(char *s);

/* ------------------------------------------------------------------------ */
/* Revocation (RFC 8555 section 7.6) */

/* Reason codes of RFC 5280 section 5.3.1 that a subscriber may give. */
typedef enum {
    AUTOCERT_REASON_UNSPECIFIED = 0,
    AUTOCERT_REASON_KEY_COMPROMISE = 1,
    AUTOCERT_REASON_AFFILIATION_CHANGED = 3,
    AUTOCERT_REASON_SUPERSEDED = 4,
    AUTOCERT_REASON_CESSATION_OF_OPERATION = 5
} autocert_revoke_reason;

/* Parses "unspecified", "keyCompromise", "affiliationChanged", "superseded",
 * "cessationOfOperation" (case-insensitive).  AUTOCERT_ERR_INVALID otherwise. */
autocert_err autocert_revoke_reason_parse(const char *name, autocert_revoke_reason *out);
/* The name of a reason as RFC 5280 spells it; never NULL ("unknown"). */
const char *autocert_revoke_reason_name(autocert_revoke_reason reason);

#define AUTOCERT_REVOKE_CERT_KEY 0x1u /* sign with the certificate's own key, not the account's */

/* Revokes the cached certificate of the entry named after `name` at the CA
 * that issued it (the directory its metadata records), signed with the
 * cached account of that CA (which must exist: no account is registered
 * for this), or with AUTOCERT_REVOKE_CERT_KEY with the certificate's key.
 * Then the entry is marked revoked (autocert_cert_revoked_at()), so the
 * next autocert_obtain() of its names orders a new certificate.  When the
 * CA answers that the certificate was revoked already, the entry is marked
 * all the same and AUTOCERT_ERR_ACME is returned with the problem type
 * "urn:ietf:params:acme:error:alreadyRevoked". */
autocert_err autocert_revoke(autocert_ctx *ctx, const char *name, autocert_revoke_reason reason,
                             unsigned flags);

/* ------------------------------------------------------------------------ */
/* The account (RFC 8555 section 7.3) */

/* The cached account of the context's directory, as its CA describes it. */
typedef struct autocert_account autocert_account;

/* Every function here works on the account the cache holds for the
 * context's directory and never registers one: AUTOCERT_ERR_NOT_FOUND
 * naming the directory when there is none, or when it was deactivated.
 * *out (may be NULL where the prototype says so) receives the account as
 * the CA answered; free it with autocert_account_free(). */

/* Fetches the account (POST-as-GET of its URL). */
autocert_err autocert_account_get(autocert_ctx *ctx, autocert_account **out);
/* Sets its contact to the context's e-mail (autocert_set_email; none:
 * no contact) at the CA and in the cache.  `out` may be NULL. */
autocert_err autocert_account_update(autocert_ctx *ctx, autocert_account **out);
/* Key rollover (RFC 8555 section 7.3.5): a new key of the context's account
 * key type, which the cache holds instead of the old one only once the CA
 * accepted it.  The new key is written first next to the old one, as
 * "account.key.rollover" (0600) in the account's set; should the cache fail
 * after the CA accepted, or should the CA's answer never arrive (the
 * outcome unknown), it stays there, and the error says so: it must then be
 * moved over account.key by hand (or removed, when the CA did not take it).
 * While it is there, a rollover fails with AUTOCERT_ERR_EXISTS.  `out` may
 * be NULL. */
autocert_err autocert_account_rollover(autocert_ctx *ctx, autocert_account **out);
/* Deactivates the account at the CA (RFC 8555 section 7.3.6) and marks it
 * in the cache so it is never used again: the next autocert_obtain()
 * registers a new account.  `out` may be NULL. */
autocert_err autocert_account_deactivate(autocert_ctx *ctx, autocert_account **out);

void autocert_account_free(autocert_account *account);
/* Borrowed from the handle, valid until autocert_account_free(). */
const char *autocert_account_url(const autocert_account *account);
/* "ec256", "rsa2048", ... */
const char *autocert_account_key_type(const autocert_account *account);
/* RFC 7638 thumbprint of its public key, base64url. */
const char *autocert_account_thumbprint(const autocert_account *account);
/* "valid", "deactivated" or "revoked" as the CA says ("unknown": it did not). */
const char *autocert_account_status(const autocert_account *account);
size_t autocert_account_contact_count(const autocert_account *account);
/* "mailto:..." URLs; NULL past the end. */
const char *autocert_account_contact(const autocert_account *account, size_t i);

/* ---- Private CA toolkit ---- */
/* A private CA for traffic between one's own nodes: root and intermediate
 * CAs, node certificates, CSR signing, inspection, verification and PKCS#12.
 * Every function reads and writes files; private keys are written 0600,
 * existing files are never overwritten without AUTOCERT_CA_FORCE (and then
 * replaced atomically). */

#define AUTOCERT_CA_FORCE 0x1u        /* replace existing output files */
#define AUTOCERT_CA_INTERMEDIATE 0x2u /* ca_create: an intermediate (pathLen 0) */

/* Roles of a node certificate (extendedKeyUsage). */
#define AUTOCERT_USAGE_SERVER 0x1u
#define AUTOCERT_USAGE_CLIENT 0x2u

/* Parameters of autocert_ca_create/_issue/_sign.  Initialise with
 * autocert_ca_params_init(), then set what is needed: zero or NULL means the
 * documented default.  Fields are only ever appended; `size` tells the
 * library which ones a caller knows, so a program built against an older
 * header keeps working. */
typedef struct {
    size_t size;               /* sizeof(autocert_ca_params), set by _init() */
    const char *out_dir;       /* output directory, created 0700; NULL: "." */
    const char *name;          /* base name: NULL gives "ca", "intermediate" or "node" */
    const char *common_name;   /* NULL: "autocert CA", or the first DNS name / IP */
    int days;                  /* 0: 1825 for CAs, 365 for nodes, cut to the issuer's
                                * expiry; an explicit value past it is an error */
    autocert_key_type key_type; /* of the new key (default AUTOCERT_KEY_EC256) */
    unsigned usage;            /* nodes: AUTOCERT_USAGE_* bits; 0: server */
    const char *const *dns;    /* nodes: DNS names (sign: replace the CSR's SANs) */
    size_t n_dns;
    const char *const *ips;    /* nodes: IP addresses */
    size_t n_ips;
    const char *issuer_cert;   /* issuing CA certificate file (may hold its chain) */
    const char *issuer_key;    /* its key: PEM, encrypted PKCS#8, DER or PKCS#12 */
    const char *issuer_key_password_file; /* first line is the password, or NULL */
    const char *csr;           /* sign: the CSR file (PEM or DER) */
    unsigned flags;            /* AUTOCERT_CA_* */
} autocert_ca_params;

/* Zeroes *p and sets p->size. */
void autocert_ca_params_init(autocert_ca_params *p);

/* Creates a self-signed root CA (or, with AUTOCERT_CA_INTERMEDIATE, a CA
 * signed by issuer_cert/issuer_key) as DIR/NAME.crt and DIR/NAME.key.
 * *cert_path and *key_path (each may be NULL) receive the paths, malloc'd. */
autocert_err autocert_ca_create(autocert_ctx *ctx, const autocert_ca_params *p,
                                char **cert_path, char **key_path);
/* Issues a node certificate and a new key: DIR/NAME.crt (the certificate
 * followed by the issuer's intermediates, never the root) and DIR/NAME.key. */
autocert_err autocert_ca_issue(autocert_ctx *ctx, const autocert_ca_params *p,
                               char **cert_path, char **key_path);
/* Signs the CSR p->csr (its signature is checked; its SANs are used unless
 * p->dns/p->ips are given): DIR/NAME.crt only. */
autocert_err autocert_ca_sign(autocert_ctx *ctx, const autocert_ca_params *p, char **cert_path);

#define AUTOCERT_INSPECT_JSON 0x1u /* JSON instead of text */

/* Describes the certificates, CSRs, keys and PKCS#12 bundles of `path`
 * (PEM with any number of blocks, or DER).  `password_file` opens encrypted
 * keys and PKCS#12 (may be NULL).  *out: malloc'd text or JSON. */
autocert_err autocert_inspect_file(autocert_ctx *ctx, const char *path, const char *password_file,
                                   unsigned flags, char **out);

/* Verifies the first certificate of `cert_file` (later ones are untrusted
 * intermediates) against the CA certificates of `ca_file`; with `host` or
 * `ip` (may be NULL) the name, with `purpose` (AUTOCERT_USAGE_SERVER or
 * _CLIENT, 0: any) the usage.  On failure AUTOCERT_ERR_VERIFY and the
 * reason in the detail ("expired", "name mismatch", ...).  *summary (may
 * be NULL) receives a malloc'd one-line description of the verified chain. */
autocert_err autocert_verify_file(autocert_ctx *ctx, const char *cert_file, const char *ca_file,
                                  const char *host, const char *ip, unsigned purpose,
                                  char **summary);

/* Writes a PKCS#12 bundle `out` (0600; AUTOCERT_CA_FORCE to replace) of the
 * certificate `cert_file` (its extra certificates and those of `chain_file`,
 * which may be NULL, become the chain) and the key `key_file`, which must
 * match, encrypted with the first line of `password_file`.
 * `key_password_file` (may be NULL) opens an encrypted key input. */
autocert_err autocert_export_p12(autocert_ctx *ctx, const char *out, const char *cert_file,
                                 const char *key_file, const char *chain_file,
                                 const char *password_file, const char *key_password_file,
                                 unsigned flags);

#ifdef __cplusplus
}
#endif
#endif /* AUTOCERT_H */
