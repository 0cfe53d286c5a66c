/* internal.h: private declarations shared by the modules of libautocert. */
#ifndef AC_INTERNAL_H
#define AC_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include <sys/types.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>

#include "autocert.h"

#ifdef __GNUC__
#define AC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define AC_PRINTF(a, b)
#endif

/* Upper bounds on what the network may hand us. */
#define AC_MAX_BODY (1024u * 1024u)     /* any ACME response body */
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
/* Frees `len` bytes at `p` after cleansing them; NULL is a no-op. */
void ac_free_secret(void *p, size_t len);

/* ---- error.c: the detail record of the last failure ------------------- */
/* One record per thread and context: see error.c. */
typedef struct {
    autocert_err code;
    long http_status;
    char *problem_type; /* ACME problem type or NULL */
    char *msg;          /* readable message or NULL */
} ac_errinfo;

/* strerror(e), safe in threads: the text, in `buf` when it needs one. */
const char *ac_strerror(int e, char *buf, size_t n);
/* The same with a buffer that lives as long as the enclosing full
 * expression, e.g. ac_err(ctx, code, "%s: %s", path, AC_STRERROR(errno)). */
#define AC_STRERROR(e) ac_strerror((e), (char[128]){0}, 128)
/* Records `code` with a formatted message on the context; returns `code`.
 * ctx may be NULL (nothing is recorded). */
autocert_err ac_err(autocert_ctx *ctx, autocert_err code, const char *fmt, ...) AC_PRINTF(3, 4);
/* Same, with the OpenSSL error queue appended (and cleared). */
autocert_err ac_err_ssl(autocert_ctx *ctx, autocert_err code, const char *fmt, ...) AC_PRINTF(3, 4);
/* Nonzero when OpenSSL's error queue says it ran out of memory (its first
 * or last error); the queue is left as it is. */
int ac_ssl_nomem(void);
/* Records an ACME problem document (RFC 7807, RFC 8555 section 6.7, with
 * subproblems) received with HTTP status `status`; returns the mapped code
 * (AUTOCERT_ERR_ACME, _EAB_REQUIRED, _TOS, ...).  `context` prefixes it
 * ("new order", ...) and may be NULL. */
autocert_err ac_err_problem(autocert_ctx *ctx, long status, json_t *problem, const char *context);
/* Formats a problem document in one line per problem into *out (malloc'd). */
char *ac_problem_format(json_t *problem);
/* Maps an ACME problem type URN to an error code. */
autocert_err ac_problem_code(const char *type);
/* Forgets the failure recorded for ctx in the calling thread. */
void ac_err_clear(autocert_ctx *ctx);
/* Frees the calling thread's record for ctx (when the context goes). */
void ac_err_forget(const autocert_ctx *ctx);
/* Amends the failure just recorded: its HTTP status, its code. */
void ac_err_http_status(autocert_ctx *ctx, long status);
void ac_err_recode(autocert_ctx *ctx, autocert_err code);

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

/* ---- certinfo.c: facts about certificates: SANs, validity, chain, key -- */
#include <openssl/x509v3.h> /* GENERAL_NAMES */

/* One subjectAltName entry. */
typedef enum { AC_SAN_DNS, AC_SAN_IP, AC_SAN_EMAIL, AC_SAN_URI, AC_SAN_OTHER } ac_san_type;
typedef struct {
    ac_san_type type;
    /* The DNS name, e-mail address or URI up to its first NUL; an IP
     * address in text form ("192.0.2.7", "2001:db8::7"); NULL for OTHER
     * and for an IP address of neither 4 nor 16 octets. */
    char *value;
    int has_nul; /* the DNS name, e-mail address or URI holds a NUL: malformed */
} ac_san;
typedef struct {
    ac_san *v;
    size_t n;
} ac_sans;
/* Every entry of `gens` (NULL: none), in order, into *out (cleared first;
 * empty again on failure).  Free with ac_sans_clear. */
autocert_err ac_sans_parse(autocert_ctx *ctx, const GENERAL_NAMES *gens, ac_sans *out);
/* Frees the entries; the list is left empty.  Clearing twice is harmless. */
void ac_sans_clear(ac_sans *s);

typedef struct {
    time_t not_before, not_after;
    char **names; /* SANs of the leaf, "dns:" names bare, IPs in text form */
    size_t n_names;
    char *issuer; /* the issuer's common name (else its whole name), escaped */
} ac_certinfo;
autocert_err ac_certinfo_parse(autocert_ctx *ctx, const char *pem, size_t len,
                               const char *what, ac_certinfo *out);
void ac_certinfo_clear(ac_certinfo *ci);
/* Seconds since the epoch of an ASN1_TIME, (time_t)-1 when NULL or unreadable. */
time_t ac_asn1_time(const ASN1_TIME *t);
/* Splits a PEM chain into the leaf and the rest (both malloc'd). */
autocert_err ac_pem_split(autocert_ctx *ctx, const char *pem, size_t len,
                          char **leaf, char **rest);
/* How many certificates the PEM text holds, in *count; CORRUPT naming
 * `what` when one does not decode. */
autocert_err ac_pem_certs(autocert_ctx *ctx, const char *pem, size_t len, const char *what,
                          int *count);
/* Nonzero if the private key matches the leaf certificate. */
int ac_key_matches_cert(EVP_PKEY *key, const char *leaf_pem, size_t len);

/* ---- text.c: outside text made safe to print ----------------------------- */
/* `in` (NULL: "(none)") with control bytes shown as ^X (ESC as ^[), bytes
 * that are not safe UTF-8 (C1 controls, bidi overrides, line separators)
 * as \xNN, at most `max` bytes of it then "...", into buf.  Returns buf. */
char *ac_escape(const char *in, size_t max, char *buf, size_t n);
/* The same, malloc'd (NULL when out of memory). */
char *ac_escape_dup(const char *in, size_t max);
/* For a message argument: lives as long as the enclosing full expression. */
#define AC_SAFE(s) ac_escape((s), 400, (char[420]){0}, 420)

/* ---- timeutil.c: clocks and time formats --------------------------------- */
/* Monotonic clock, seconds. */
double ac_now(void);
typedef enum {
    AC_UTC_MINUTE, /* 2026-11-23 19:37 UTC */
    AC_UTC_SECOND, /* 2026-11-23 19:37:00 UTC */
    AC_UTC_ISO     /* 2026-11-23T19:37:00Z */
} ac_utc_style;
/* `t` as UTC text into buf; "?" when `t` is (time_t)-1 or does not format. */
void ac_utc_format(time_t t, ac_utc_style style, char *buf, size_t n);
/* Sleeps `seconds` (fractions allowed), resuming after signals. */
void ac_sleep_s(double seconds);

/* ---- hook.c: a user's hook command ---------------------------------------- */
#define AC_HOOK_TIMEOUT_S 120 /* default time limit of one run */
typedef struct {
    const char *what;        /* for messages: "DNS hook" */
    const char *cmd;         /* run as /bin/sh -c CMD */
    const char *const *args; /* its positional parameters "$1"..., NULL-terminated */
    const char *const *env;  /* "NAME=value" set in its environment, NULL-terminated */
    double timeout_s;        /* time limit of the run */
} ac_hook;
/* Runs the hook and waits for it: OK on exit status 0.  AUTOCERT_ERR_HOOK,
 * naming `what`, the command and `label` ("add _acme-challenge.example.com"),
 * when it cannot start, ends with another status or a signal, or runs past
 * its time limit (then its whole process group is stopped). */
autocert_err ac_hook_run(autocert_ctx *ctx, const ac_hook *h, const char *label);
/* The same without recording the failure on ctx (for a cleanup after
 * another failure, whose detail must stay): the message goes into msg. */
autocert_err ac_hook_exec(autocert_ctx *ctx, const ac_hook *h, const char *label, char *msg,
                          size_t n);

/* ---- fsutil.c: files and directories ------------------------------------ */
/* errno level: 0 on success, -1 with errno. */
/* Writes all of `data`, retrying on EINTR and short writes. */
int ac_write_all(int fd, const void *data, size_t len);
/* fsync(2) of a directory, making renames and creations in it durable. */
int ac_fsync_dir(const char *path);
/* rm -r of `path` without following symbolic links; ENOENT is success. */
int ac_remove_tree(const char *path);
#define AC_MKDIR_NOFOLLOW 0x1u /* an existing symbolic link is not the directory */
/* Creates the directory `path` with `mode` (whatever the umask) unless it
 * exists; what exists must be a directory (ENOTDIR).  *made (may be NULL)
 * is set when this call created it. */
int ac_mkdir(const char *path, mode_t mode, unsigned flags, int *made);
/* mkdir -p with mode 0700 for every missing component. */
int ac_mkdir_parents(const char *path);
#define AC_WRITE_SYNC 0x1u /* fsync the file before closing it */
/* The new file `name` in the directory `dfd` (O_EXCL, O_NOFOLLOW) holding
 * `data`, with `mode` whatever the umask.  Nothing is left on failure. */
int ac_file_create_at(int dfd, const char *name, const void *data, size_t len, mode_t mode,
                      unsigned flags);
/* The same, not synced but its write-back started, and left open: the fd
 * (the caller fsyncs and closes it), or -1 with errno (nothing left). */
int ac_file_create_open(int dfd, const char *name, const void *data, size_t len, mode_t mode);
/* The same under a fresh name "DIR/<tag>XXXXXX"; *path (malloc'd) names it. */
int ac_file_create_temp(const char *dir, const char *tag, const void *data, size_t len,
                        mode_t mode, unsigned flags, char **path);

/* Context level: failures are recorded on ctx, naming the path. */
/* Reads a whole file of at most `max` bytes; *data malloc'd, NUL-terminated. */
autocert_err ac_file_read(autocert_ctx *ctx, const char *path, size_t max,
                          unsigned char **data, size_t *len);
/* "dir/base.ext", malloc'd. */
char *ac_path_join(const char *dir, const char *base, const char *ext);
/* Creates `dir` (mode 0700) unless it exists as a directory. */
autocert_err ac_dir_ensure(autocert_ctx *ctx, const char *dir);

/* One output file of ac_files_write. */
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

/* ---- dlsyms.c: libraries loaded on first use ------------------------------ */
/* dlopen(soname), then dlsym of each names[i] into *slots[i]: 0, or -1 with
 * the reason in why (wn bytes).  The library is never closed. */
int ac_dl_load(const char *soname, const char *const *names, void **const *slots, size_t n,
               char *why, size_t wn);
/* ---- json.c: JSON text -------------------------------------------------- */
#define AC_JSON_MAX (16u * 1024 * 1024)
/* The text of `j` (json_dump_callback flags), malloc'd; NULL when any part
 * of it could not be written (out of memory, or longer than `max`). */
char *ac_json_dump_max(const json_t *j, size_t flags, size_t max);
char *ac_json_dump(const json_t *j, size_t flags);

/* ---- ctx.c: configuration ---------------------------------------------- */
/* What autocert_timings reports, kept in the context. */
typedef enum {
    AC_TIME_REQUESTS, AC_TIME_CONNECT, AC_TIME_WAITING, AC_TIME_KEYS, AC_TIME_STORE,
    AC_TIME_KINDS
} ac_time_kind;
/* (timeutil.c) Adds `seconds`, or the time since `since` (ac_now), to the
 * context's `kind`; ctx may be NULL. */
void ac_ctx_add(autocert_ctx *ctx, ac_time_kind kind, double seconds);
void ac_ctx_spent(autocert_ctx *ctx, ac_time_kind kind, double since);
typedef struct ac_transport ac_transport; /* acme/acme.h */
struct ac_net;                            /* acme/http.c */
struct ac_dircache;                       /* acme/dircache.c */

/* The context is configuration, read by every operation and written only
 * by the setters (before operations start).  Operations keep their state
 * in sessions of their own; the counters are atomic, the lazily opened
 * default storage and what the sessions hand on to each other (net, dirs)
 * are guarded by `lock`. */
struct autocert_ctx {
    char *directory_url;
    char *ca_bundle;
    char *email;
    int agree_tos;
    char *eab_kid;
    char *eab_hmac;
    char *http_bind;
    unsigned http_port;
    char *webroot;
    char *preferred_chain; /* issuer CN of the top certificate wanted, or NULL */
    const char *challenge; /* "http-01", "dns-01" or "tls-alpn-01": static */
    int challenge_set;     /* autocert_set_challenge was called */
    /* Set by a server manager: a TLS listener answers TLS-ALPN-01 from the
     * live table of the shared responder (the solver refuses otherwise). */
    int tls_listener;
    /* Nonzero: the HTTP-01 daemon redirects every request that is not a
     * challenge to https on this port (443: no port in the URL). */
    unsigned https_redirect_port;
    char *dns_hook;
    unsigned hook_timeout_s;
    autocert_key_type key_type;
    autocert_key_type account_key_type;
    unsigned timeout_s;
    unsigned renew_days;
    int renew_days_set;   /* autocert_set_renew_days was called */
    /* A responder kept open across operations (autocert_responder_start),
     * and how to free it: the context does not know its type. */
    void *responder;
    void (*responder_free)(void *responder);
    /* Directory URLs found without ARI by this process (under `lock`). */
    char **no_ari;
    size_t n_no_ari;
    char *profile;        /* newOrder "profile" (NULL: the CA's default) */
    int allow_http;       /* plain-HTTP URLs allowed (a local test CA) */
    autocert_log_fn log_fn;
    void *log_arg;
    autocert_log_level log_level;
    autocert_storage *storage;
    pthread_mutex_t lock;
    const ac_transport *transport; /* NULL: HTTPS over libcurl */
    void *transport_arg;
    /* What the sessions share on the wire (acme/http.c), created on first
     * use under `lock`. */
    struct ac_net *net;
    /* ACME directories fetched by its sessions (acme/dircache.c), kept a
     * minute for the next ones, under `lock`. */
    struct ac_dircache *dirs;
    atomic_ulong n_requests;
    atomic_ulong n_connects;
    atomic_ullong us[AC_TIME_KINDS]; /* microseconds spent, by ac_time_kind */
    unsigned long long id; /* unique, never reused: keys the failure records */
};

/* (acme/http.c) Frees what the sessions of a context shared on the wire:
 * idle handles with their connections, the libcurl share; NULL: no-op. */
void ac_net_free(struct ac_net *net);
/* (acme/dircache.c) Frees the directories kept for the sessions; NULL: no-op. */
void ac_dircache_free(struct ac_dircache *c);
/* Drops the directories kept for the next sessions: they fetch them anew. */
void ac_ctx_forget_directories(autocert_ctx *ctx);
/* Routes the context's requests through `tp` (tests play a CA with it). */
void ac_ctx_set_transport(autocert_ctx *ctx, const ac_transport *tp, void *arg);
/* The storage, opening the default directory backend on first use. */
autocert_err ac_storage(autocert_ctx *ctx, autocert_storage **out);

#endif /* AC_INTERNAL_H */
