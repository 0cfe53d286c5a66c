/* stub.h: declarations shared by the files of acme_stub, a misbehaving ACME server for the tests. */
#ifndef STUB_H
#define STUB_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define STUB_MAX_NAMES 16
#define STUB_MAX_BODY (256 * 1024)

/* Text that would take over a terminal if printed raw: clear screen, set
 * the title, a forged line, a tab, a C1 CSI, a bidi override, a line
 * separator, DEL.  Valid UTF-8, so that JSON can carry it. */
#define STUB_HOSTILE "\x1b[2J\x1b]0;owned\x07\r\nautocert: certificate stored OK\r\n" \
                     "\t\xc2\x9b" "31m\xe2\x80\xae" "desrever\xe2\x80\xa8" "x\x7f"
/* The same for a header value: no CR or LF, a raw C1 byte. */
#define STUB_HOSTILE_HDR "\x1b[2J\x1b]0;owned\x07\t\x9b" "31m\xe2\x80\xae" "x\x7f"

/* ---- main.c: the configuration -------------------------------------- */
typedef struct {
    const char *mode;        /* the one misbehaviour of this run */
    int port;                /* ACME listener on 127.0.0.1 */
    int http01_port;         /* where the client's HTTP-01 responder listens */
    int plain_port;          /* plain-HTTP listener that only records, 0: none */
    const char *http01_root; /* webroot mode: read challenge files here */
    int tls;                 /* the ACME listener speaks TLS */
    char base[80];           /* "https://127.0.0.1:PORT" */
    char plain_base[80];     /* "http://127.0.0.1:PLAIN_PORT" */
} stub_cfg;

extern stub_cfg stub;
extern volatile int stub_stopping;

/* Whether the run's mode is `name`. */
int stub_mode(const char *name);
void stub_log(const char *fmt, ...);
/* A request the client should never have sent, as a CA would refuse it:
 * logged as "VIOLATION", which fails the test. */
void stub_violation(const char *fmt, ...);
/* Sleeps `s` seconds unless the stub is stopping; 0 when stopped. */
int stub_nap(double s);

/* ---- modes.c ---------------------------------------------------------- */
int stub_mode_known(const char *name);
void stub_modes_print(void);

/* ---- reply.c: what goes back to the client ----------------------------- */
typedef enum {
    BODY_PLAIN,   /* body as given */
    BODY_ENDLESS, /* an endless body, as fast as the client reads */
    BODY_SLOW,    /* an endless body, a few bytes every 100 ms */
    BODY_TRICKLE, /* the body one byte every 200 ms */
    BODY_STALL,   /* half of the body, then nothing until the stub stops */
    BODY_HANGUP   /* close the connection without an answer */
} stub_body;

typedef struct {
    int status;
    char *body;          /* malloc'd */
    size_t len;
    const char *ctype;
    char *location;      /* malloc'd */
    char *retry_after;   /* malloc'd */
    char *link;          /* malloc'd */
    int no_nonce;        /* leave out Replay-Nonce */
    stub_body kind;
} stub_reply;

void reply_clear(stub_reply *r);
void reply_json(stub_reply *r, int status, json_t *j); /* takes j */
void reply_text(stub_reply *r, int status, const char *ctype, const char *text, size_t len);
void reply_problem(stub_reply *r, int status, const char *type, const char *detail);
void reply_set(char **slot, const char *fmt, ...);
struct MHD_Connection;
int reply_send(struct MHD_Connection *c, stub_reply *r);

/* ---- state.c: nonces, accounts, the order ------------------------------ */
char *nonce_new(void);
/* 1 when `n` was issued by the stub and not used yet (it is used now). */
int nonce_take(const char *n);

typedef struct {
    char *kid;
    EVP_PKEY *key;
    char *thumb;
} stub_account;

typedef struct {
    char status[16];
    char token[64];
    int answered;
    char why[200];        /* why validation failed */
} stub_authz;

typedef struct {
    int active;
    size_t n;
    char type[STUB_MAX_NAMES][8];
    char value[STUB_MAX_NAMES][256];
    stub_authz authz[STUB_MAX_NAMES];
    char status[16];
    double finalized_at;  /* monotonic seconds */
    double not_before;    /* no poll before this (Retry-After given) */
    char *pem;            /* the issued chain */
    stub_account *acct;
} stub_order;

extern stub_order order;
stub_account *account_add(const char *kid, EVP_PKEY *key, const char *thumb);
stub_account *account_by_kid(const char *kid);
stub_account *account_by_thumb(const char *thumb);
void state_free(void);
double stub_now(void);

/* ---- jws.c: checks a signed request as a CA would ----------------------- */
typedef struct {
    json_t *payload;        /* NULL: POST-as-GET */
    stub_account *acct;     /* kid requests */
    EVP_PKEY *jwk_key;      /* jwk requests (newAccount) */
    char *thumb;            /* of jwk_key */
} stub_jws;

/* 0 and *out filled, or -1 with the problem in `r` (and a violation logged
 * when the client is at fault). */
int jws_check(const char *body, size_t len, const char *url, int want_jwk, stub_jws *out,
              stub_reply *r);
void jws_clear(stub_jws *j);
int b64url_decode(const char *in, unsigned char **out, size_t *len);
char *b64url_encode(const unsigned char *in, size_t len);

/* ---- ca.c: the throwaway issuing CA ------------------------------------ */
int ca_init(const char *root_out);
void ca_free(void);
/* Checks a CSR (base64url DER) against the order and issues the chain the
 * mode asks for; NULL with *why set on a bad CSR. */
char *ca_issue(const char *csr64, const char **why);

/* ---- validate.c: HTTP-01 -------------------------------------------------- */
/* NULL when the responder (or the webroot) serves `key_auth` for `token`;
 * otherwise why not (static text). */
const char *validate_http01(const char *name, const char *token, const char *key_auth,
                            char *why, size_t n);

/* ---- acme.c, order.c: the resources -------------------------------------- */
void acme_handle(const char *method, const char *path, const char *body, size_t len,
                 stub_reply *r);
void acme_directory(stub_reply *r);
void acme_new_order(stub_jws *j, stub_reply *r);
void acme_order(int after_finalize, stub_reply *r);
void acme_finalize(stub_jws *j, stub_reply *r);
void acme_cert(stub_reply *r);
void acme_authz(size_t i, stub_reply *r);
void acme_challenge(size_t i, stub_jws *j, stub_reply *r);
const char *acme_url(const char *fmt, ...);

#endif
