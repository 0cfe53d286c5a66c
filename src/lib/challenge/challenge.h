/* challenge.h: private declarations of the challenge solvers, the live challenge table and the responder. */
#ifndef AC_CHALLENGE_H
#define AC_CHALLENGE_H

#include <sys/socket.h>

#include "internal.h"

/* ---- live.c: the challenges being answered right now -------------------- */
/* A thread-safe table that responders read: the HTTP-01 daemon by token,
 * a TLS listener by identifier.  It may outlive one order: a server keeps
 * one for all its orders. */
typedef struct ac_live ac_live;

#define AC_LIVE_MAX 100 /* challenges in one table at once */

ac_live *ac_live_new(void);
void ac_live_free(ac_live *l);
/* Publishes (or replaces) the key authorization of `token`, a challenge of
 * `type` ("http-01") for the identifier `ident`.  INVALID, naming it, for a
 * token that is not 1 to 256 base64url characters or a malformed key
 * authorization; INVALID when the table is full. */
autocert_err ac_live_add(ac_live *l, autocert_ctx *ctx, const char *type, const char *ident,
                         const char *token, const char *key_auth);
void ac_live_remove(ac_live *l, const char *token);
/* Shares the table with the fleet when the context's storage holds live
 * challenges (a PostgreSQL store): what is added from now on is published
 * to the store and withdrawn on removal, and a lookup that misses the table
 * asks the store (answers cached a few seconds, queries rate-limited).  The
 * context's storage must outlive the table. */
void ac_live_bind(ac_live *l, autocert_ctx *ctx);
/* Copies the key authorization of a live challenge, found by token (or by
 * identifier, in any case) and type, into buf: 0, or -1 when there is none. */
int ac_live_by_token(ac_live *l, const char *type, const char *token, char *buf, size_t n);
int ac_live_by_ident(ac_live *l, const char *type, const char *ident, char *buf, size_t n);
/* Nonzero when `token` contains only base64url characters (1 to 256). */
int ac_token_valid(const char *token);

/* ---- conns.c: the responder's connections, counted per client ----------- */
#define AC_CONNS_MAX 256     /* connections at once (libmicrohttpd's own limit is above) */
#define AC_CONNS_CROWDED 192 /* open connections from which a newcomer displaces one */
#define AC_CONNS_OLD 10.0    /* seconds: this old, a connection closes when another client comes */

/* A client: an IPv4 address (as ::ffff:a.b.c.d), or an IPv6 /64. */
typedef struct {
    unsigned char b[16];
} ac_client;

typedef struct {
    int used, closing; /* closing: shut down, not yet closed by the daemon */
    int fd;
    long client;       /* index in ac_conns.clients (while open) */
    double since;      /* accepted at (ac_now) */
} ac_conn;

/* The table of connections; all zero is empty.  Used from one thread. */
typedef struct {
    ac_conn c[AC_CONNS_MAX];
    struct {
        ac_client who;
        unsigned n; /* open connections; 0: the entry is free */
    } clients[AC_CONNS_MAX];
    size_t used, open;
} ac_conns;

/* The client of a peer address of `len` bytes into *out: 0, or -1 for an
 * address that is neither IPv4 nor IPv6. */
int ac_conns_client(const struct sockaddr *sa, socklen_t len, ac_client *out);
/* Decides on a newcomer from `who` at time `now`: 1 to accept it, 0 to
 * refuse it.  The descriptors of the connections that must give way are
 * written to victims (room for AC_CONNS_MAX + 1), their number to *nv;
 * they are marked closing, and the caller shuts them down. */
int ac_conns_admit(ac_conns *t, const ac_client *who, double now, int *victims, size_t *nv);
/* Records an accepted connection: its slot, or -1 when the table is full. */
long ac_conns_add(ac_conns *t, const ac_client *who, int fd, double now);
/* Forgets the connection in `slot` (closed); -1 is a no-op. */
void ac_conns_remove(ac_conns *t, long slot);

/* ---- http01.c: HTTP-01 (RFC 8555 section 8.3) ---------------------------- */
/* A responder: an embedded daemon serving a live table, or files written
 * under a web server's document root. */
typedef struct ac_http01 ac_http01;
/* Starts it (webroot mode when `webroot` is set); it serves `live` (NULL:
 * a table of its own). */
autocert_err ac_http01_start(autocert_ctx *ctx, ac_live *live, const char *bind_addr,
                             unsigned port, const char *webroot, ac_http01 **out);
/* Publishes `key_auth` at /.well-known/acme-challenge/<token>. */
autocert_err ac_http01_add(ac_http01 *h, autocert_ctx *ctx, const char *ident, const char *token,
                           const char *key_auth);
/* Withdraws a token (its file in webroot mode). */
void ac_http01_remove(ac_http01 *h, const char *token);
/* Stops the daemon and withdraws everything it published; NULL is a no-op. */
void ac_http01_stop(ac_http01 *h);
/* The token of a request target as sent (before any decoding) when it is
 * exactly /.well-known/acme-challenge/<token>: a pointer into `target`
 * (borrowed), or NULL for any other target, such as one with a query,
 * a fragment, parameters, an escape or a dot segment. */
const char *ac_http01_token_of(const char *target);
/* The port the daemon listens on (useful when 0 asked an ephemeral port). */
unsigned ac_http01_port(const ac_http01 *h);

/* ---- redirect.c: the daemon's redirect to https (ctx->https_redirect_port) -- */
#define AC_REDIRECT_TARGET_MAX 2048 /* bytes of a request target redirected */

/* Nonzero when a request target as sent can be redirected: it starts with
 * '/', has at most AC_REDIRECT_TARGET_MAX bytes, and only printable ASCII
 * without space. */
int ac_redirect_target_ok(const char *target);
/* "https://HOST[:PORT]TARGET" into out (n bytes; no port when it is 443):
 * HOST is the Host header `host` without its port, a DNS name (normalised)
 * or an IP literal ("[v6]"); 0, or -1 for a host or target that must not
 * be redirected to (the request is then answered 400). */
int ac_redirect_location(const char *host, const char *target, unsigned port, char *out,
                         size_t n);

/* ---- challenge.c: the solvers and the responder -------------------------- */
/* One challenge to answer. */
typedef struct {
    const char *type;     /* "http-01" */
    const char *ident;    /* the identifier's value, "example.com" */
    const char *token;
    const char *key_auth; /* token "." account key thumbprint */
    double deadline;      /* the operation's end (ac_now() seconds); 0: none */
} ac_chal;

/* What a challenge type needs, as the storage backends' table: an order
 * presents all its challenges, waits until all are ready, then tells the
 * CA to validate them all, and cleans up after. */
typedef struct {
    const char *type;
    /* Checks the context's settings for this solver without acting on them
     * (an address that does not parse, a webroot that is missing): run
     * before the first request to a CA, so that nothing is ordered in
     * vain. */
    autocert_err (*check)(autocert_ctx *ctx);
    /* Prepares to answer, reading its settings from ctx; `live` is the
     * table the responder serves.  *state is the solver's own. */
    autocert_err (*open)(autocert_ctx *ctx, ac_live *live, void **state);
    /* Publishes one challenge. */
    autocert_err (*present)(void *state, autocert_ctx *ctx, const ac_chal *c);
    /* Returns once every presented challenge can be seen by the CA. */
    autocert_err (*ready)(void *state, autocert_ctx *ctx);
    /* Withdraws one challenge. */
    void (*cleanup)(void *state, const ac_chal *c);
    void (*close)(void *state);
} ac_solver_ops;

extern const ac_solver_ops ac_http01_solver;
extern const ac_solver_ops ac_dns01_solver;

/* The responder of one or more orders: a live table and the solvers opened
 * for it, each on first use.  It answers the challenge type the context
 * chose when it was made (autocert_set_challenge). */
typedef struct ac_responder ac_responder;

/* `live` NULL: a table of its own. */
autocert_err ac_responder_new(autocert_ctx *ctx, ac_live *live, ac_responder **out);
/* The check of the context's settings by the solver of the challenge type
 * it chose (see ac_solver_ops.check). */
autocert_err ac_responder_check(autocert_ctx *ctx);
/* Closes the solvers (withdrawing what they still publish). */
void ac_responder_free(ac_responder *r);
/* The i-th challenge type it answers, most preferred first; NULL past the last. */
const char *ac_responder_type(const ac_responder *r, size_t i);
autocert_err ac_responder_present(ac_responder *r, autocert_ctx *ctx, const ac_chal *c);
/* Waits until every open solver's challenges can be seen by the CA. */
autocert_err ac_responder_ready(ac_responder *r, autocert_ctx *ctx);
void ac_responder_cleanup(ac_responder *r, const ac_chal *c);
/* Opens the preferred solver now (binds the HTTP-01 port) rather than on
 * first use: a port that cannot be had is found before anything is asked
 * of the CA. */
autocert_err ac_responder_open(ac_responder *r, autocert_ctx *ctx);
/* The responder kept open by autocert_responder_start, or NULL. */
ac_responder *ac_responder_shared(autocert_ctx *ctx);
/* Keeps `r` open as the context's shared responder, as
 * autocert_responder_start does (autocert_responder_stop frees it): the
 * server manager's, over its own live table.  EXISTS when the context has
 * one already (r stays the caller's). */
autocert_err ac_responder_share(autocert_ctx *ctx, ac_responder *r);

/* ---- dns01.c: DNS-01 (RFC 8555 section 8.4) through the user's hook -------- */
/* The TXT record's value: base64url(SHA-256(key_auth)); *out malloc'd. */
autocert_err ac_dns01_txt_value(autocert_ctx *ctx, const char *key_auth, char **out);
/* The record's name "_acme-challenge.<ident>" ("*." left off); malloc'd, NULL
 * when out of memory. */
char *ac_dns01_record_name(const char *ident);

/* ---- tlsalpn01.c: TLS-ALPN-01 (RFC 8737) on a server's own TLS listener ---- */
/* The solver publishes challenges of type "tls-alpn-01" in the live table by
 * identifier; a TLS listener (the server manager's OpenSSL binding) answers
 * them.  Its check refuses a context without such a listener. */
extern const ac_solver_ops ac_tlsalpn01_solver;

#define AC_ACME_TLS_ALPN "acme-tls/1"

/* The self-signed certificate that answers the challenge of `ident` (a DNS
 * name): a new P-256 key, subjectAltName dNSName `ident`, and the critical
 * id-pe-acmeIdentifier extension (1.3.6.1.5.5.7.1.31) holding the DER
 * OCTET STRING of SHA-256(key_auth).  *cert and *key are the caller's
 * (X509 * and EVP_PKEY *, kept as void * so that this header needs no
 * OpenSSL types). */
autocert_err ac_tlsalpn01_cert(autocert_ctx *ctx, const char *ident, const char *key_auth,
                               void **cert, void **key);

#endif /* AC_CHALLENGE_H */
