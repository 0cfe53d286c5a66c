/* pg.h: private declarations of the PostgreSQL storage backend (pg.c, pgconn.c, pgschema.c, pglock.c, pgcrypt.c, pgurl.c). */
#ifndef AC_PG_H
#define AC_PG_H

#include "internal.h"

/* ---- pgurl.c: connection strings (no libpq needed) ----------------------- */
/* Nonzero when `s` is a postgresql:// or postgres:// URL. */
int ac_pg_is_url(const char *s);
/* `conninfo` (a URL or "key=value ..." string) without its password: the
 * password of the URL's user information and every password parameter are
 * left out.  malloc'd; NULL when out of memory. */
char *ac_pg_redact(const char *conninfo);

/* ---- pgcrypt.c: sealing secret items (no libpq needed) -------------------- */
#define AC_PG_KEY_LEN 32
/* Around the ciphertext: a version byte, the key's id (the first bytes of
 * SHA-256("autocert key id", key): which key sealed it), the IV, the tag. */
#define AC_PGCRYPT_VERSION 1
#define AC_PGCRYPT_KEYID_LEN 8
#define AC_PGCRYPT_IV_LEN 12
#define AC_PGCRYPT_TAG_LEN 16
#define AC_PGCRYPT_HEAD (1 + AC_PGCRYPT_KEYID_LEN + AC_PGCRYPT_IV_LEN)
#define AC_PGCRYPT_OVERHEAD (AC_PGCRYPT_HEAD + AC_PGCRYPT_TAG_LEN)

/* Reads the key file `path`: exactly 32 bytes, or 64 hexadecimal digits
 * with at most one newline after them; a regular file neither group nor
 * world may read.  INVALID (or IO) with `detail` saying why. */
autocert_err ac_pgcrypt_read_key(const char *path, unsigned char key[AC_PG_KEY_LEN],
                                 char *detail);
/* AES-256-GCM of `in` bound to its place: the set key, the item name and
 * the set's generation are the additional authenticated data.  *out is
 * malloc'd: version byte, key id, random IV, ciphertext, tag. */
autocert_err ac_pgcrypt_seal(const unsigned char key[AC_PG_KEY_LEN], const char *set,
                             const char *item, long long gen, const unsigned char *in,
                             size_t n, unsigned char **out, size_t *outlen);
/* The reverse: *out malloc'd (NUL-terminated, cleanse it).  PASSWORD when
 * another key sealed it (its id differs); CORRUPT when the place or the
 * bytes are not those it was sealed with. */
autocert_err ac_pgcrypt_open(const unsigned char key[AC_PG_KEY_LEN], const char *set,
                             const char *item, long long gen, const unsigned char *in,
                             size_t n, unsigned char **out, size_t *outlen);

/* ---- pg.c (pgnone.c without libpq): the backend --------------------------- */
/* Connects to `conninfo` and creates or upgrades the schema; *ops and *be
 * for autocert_storage_new.  UNSUPPORTED in a build without libpq. */
autocert_err ac_pg_open(const char *conninfo, const autocert_storage_ops **ops, void **be,
                        char *detail);
/* Nonzero when `ops` are this backend's. */
int ac_pg_owns(const autocert_storage_ops *ops);
/* Seals secret items stored from now on with `key`, and opens sealed ones. */
void ac_pg_set_key(void *be, const unsigned char key[AC_PG_KEY_LEN]);

#ifdef HAVE_LIBPQ
#include "storage/pqload.h"

/* A set lock of this process. */
typedef struct ac_pg_held {
    char *set;
    unsigned long epoch; /* the session it was taken in */
    int taken;           /* 0 while its thread still waits for it */
    struct ac_pg_held *next;
} ac_pg_held;

typedef struct {
    char *conninfo;      /* as given: may hold the password, never shown */
    char *name;          /* without the password, for messages */
    pthread_mutex_t mu;  /* guards everything below: one statement or transaction at a time */
    PGconn *conn;        /* NULL until connected, and after the session was lost */
    unsigned long epoch; /* sessions opened: a lock taken in an earlier one is gone */
    ac_pg_held *held;
    int has_key;
    unsigned char key[AC_PG_KEY_LEN];
    /* The watch (pgshare.c): a second session doing LISTEN. */
    pthread_mutex_t lmu; /* guards lconn */
    PGconn *lconn;       /* NULL until the first `changes`, and after it was lost */
} ac_pg;

/* ---- pgconn.c: the session -------------------------------------------------- */
/* Connects unless connected (caller holds mu); *fresh when a new session
 * was opened.  NETWORK naming the database when it cannot. */
autocert_err ac_pg_connect(ac_pg *pg, int *fresh, char *detail);
/* Closes the session, if any. */
void ac_pg_drop(ac_pg *pg);
/* A new session with the backend's bounded waits (check its status). */
PGconn *ac_pg_session(const ac_pg *pg);
/* A notice processor that drops the server's notices. */
void ac_pg_no_notice(void *arg, const char *msg);
/* Runs one parameterized statement (caller holds mu and connected):
 * `vals`/`lens`/`fmts` as PQexecParams (NULL lens/fmts: all text),
 * results binary when `binary`.  The result when its status is `want`;
 * else NULL with *rc and detail set: NETWORK when the session died (it is
 * dropped: the next call reconnects), IO for a refused statement. */
PGresult *ac_pg_exec(ac_pg *pg, const char *sql, int n, const char *const *vals,
                     const int *lens, const int *fmts, int binary, ExecStatusType want,
                     autocert_err *rc, char *detail);
/* Runs a statement without parameters or results ("BEGIN", "COMMIT"). */
autocert_err ac_pg_cmd(ac_pg *pg, const char *sql, char *detail);
/* Ends a failed transaction (nothing of it stays). */
void ac_pg_rollback(ac_pg *pg);
/* "<what> <database>: <libpq's message on one line, escaped>" into detail. */
void ac_pg_detail(const ac_pg *pg, char *detail, const char *what, const char *msg);

/* ---- pgschema.c: the tables ------------------------------------------------- */
#define AC_PG_SCHEMA_VERSION 2
/* Creates the tables on first use and upgrades older ones, in one
 * transaction under a lock of its own (caller holds mu, just connected). */
autocert_err ac_pg_schema(ac_pg *pg, char *detail);
/* Connected with the schema in place: what every operation calls first
 * (caller holds mu). */
autocert_err ac_pg_ready(ac_pg *pg, char *detail);

/* ---- pglock.c: set locks ---------------------------------------------------- */
autocert_err ac_pg_lock(void *be, const char *set, int wait_s, char *detail);
void ac_pg_unlock(void *be, const char *set);
/* OK unless this process took the lock of `set` in a session since lost
 * (caller holds mu): then a writer must not write. */
autocert_err ac_pg_lock_check(ac_pg *pg, const char *set, char *detail);
/* Forgets every lock (destroy: closing the session releases them). */
void ac_pg_locks_free(ac_pg *pg);
/* ---- pgshare.c: live challenges and change notification ------------------- */
#define AC_PG_CHANNEL "autocert" /* NOTIFY autocert, '<set key>' on every store */
autocert_err ac_pg_challenge_put(void *be, const char *type, const char *ident,
                                 const char *token, const char *key_auth, time_t expires,
                                 char *detail);
autocert_err ac_pg_challenge_del(void *be, const char *token, char *detail);
autocert_err ac_pg_challenge_get(void *be, const char *type, const char *token,
                                 const char *ident, char **key_auth, char *detail);
autocert_err ac_pg_changes(void *be, int timeout_ms, char ***keys, size_t *n, char *detail);
/* Tells the other sessions that `set` changed, on commit of the open
 * transaction (caller holds mu). */
autocert_err ac_pg_notify(ac_pg *pg, const char *set, char *detail);
/* Closes the watch session (destroy). */
void ac_pg_watch_free(ac_pg *pg);
#endif /* HAVE_LIBPQ */

#endif /* AC_PG_H */
