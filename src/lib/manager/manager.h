/* manager.h: private declarations of the server manager: its handle, the served records, the host table, the worker thread. */
#ifndef AC_MANAGER_H
#define AC_MANAGER_H

#include <pthread.h>
#include <sys/types.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "challenge/challenge.h"
#include "internal.h"

/* ---- served.c: one certificate as handshakes use it ------------------------ */
/* Immutable once made: readers hold it under the table's read lock only
 * as long as they take references to its OpenSSL objects or copy its text. */
typedef struct {
    X509 *leaf;
    STACK_OF(X509) *chain; /* the certificates after the leaf (may be empty) */
    EVP_PKEY *key;
    char *chain_pem;       /* the leaf then its chain, PEM */
    char *key_pem;         /* secret: cleansed on free */
    size_t key_len;
    time_t not_before, not_after;
} ac_served;

/* What says that the cache entry changed: the file's identity and times
 * where the storage has files, else the validity its metadata records. */
typedef struct {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim;
    time_t not_before, not_after;
    int present;
} ac_stamp;

/* The certificate of `host` from the cache, checked: it names exactly
 * `host`, has not expired, and its key fits it.  *renew_at: when the
 * cache says it is due.  NOT_FOUND (no message) when there is no entry;
 * INVALID naming the host when the entry is not one to serve. */
autocert_err ac_served_load(autocert_ctx *ctx, const char *host, ac_served **out,
                            time_t *renew_at);
/* Cleanses the key; NULL is a no-op. */
void ac_served_free(ac_served *s);
/* Nonzero when both hold the same leaf certificate. */
int ac_served_same(const ac_served *a, const ac_served *b);
/* The stamp of the entry of `host` now; `files`: the storage has paths
 * (stat of cert.pem), else the metadata is read. */
void ac_stamp_take(autocert_ctx *ctx, const char *host, ac_stamp *out);
int ac_stamp_equal(const ac_stamp *a, const ac_stamp *b);

/* ---- table.c: the hosts and what is served for each ------------------------- */
typedef struct {
    char *name;   /* normalized */
    ac_served *cur; /* under the table's lock; NULL: nothing served yet */
    /* Under the manager's refresh lock: */
    ac_stamp seen;   /* of the entry when last loaded */
    time_t renew_at; /* served: when to ask for a renewal */
    int busy;        /* orders of this process under way: no pick-up */
    /* The worker's own: */
    time_t retry_at; /* no certificate: the next obtain */
    unsigned failures;
    double next_pick; /* the next pick-up check (ac_now) */
} ac_mhost;

typedef struct {
    pthread_rwlock_t lock; /* guards every host's `cur` */
    ac_mhost *h;
    size_t n;
    size_t *slot;          /* open addressing: index + 1 of a host, 0 empty */
    size_t nslot;          /* a power of two, at least twice n */
} ac_mtable;

/* The table over the normalized names (copied); fixed from then on. */
autocert_err ac_mtable_init(ac_mtable *t, autocert_ctx *ctx, char **names, size_t n);
/* Frees the hosts and their records (cleansing the keys). */
void ac_mtable_clear(ac_mtable *t);
/* The host named `name` (normalized already), or NULL.  No lock needed. */
ac_mhost *ac_mtable_find(const ac_mtable *t, const char *name);
/* The name as an SNI name is compared: lower case, one trailing dot
 * dropped, into buf: 0, or -1 when it cannot be a host name. */
int ac_sni_fold(const char *name, char *buf, size_t n);
/* Serves `s` for `h` (NULL: nothing); the record served before is freed
 * once no reader holds the table. */
void ac_mtable_swap(ac_mtable *t, ac_mhost *h, ac_served *s);
/* Hosts with a record served. */
size_t ac_mtable_count(ac_mtable *t);

/* ---- the handle --------------------------------------------------------------- */
struct autocert_manager {
    autocert_ctx *ctx;
    ac_mtable tab;
    autocert_event_fn event_fn;
    void *event_arg;
    unsigned tls_port;
    unsigned char *alpn; /* the server's protocols, wire format (attach) */
    size_t alpn_len;
    ac_live *live;       /* challenges answered by the responder and the TLS listener */
    int started;
    int files;           /* the storage has files: pick-up by stat */
    autocert_storage *watch; /* the storage, when it notifies changes (worker.c) */
    double watch_retry;      /* ac_now() before which the worker polls instead */
    pthread_mutex_t refresh; /* one load-and-swap at a time; guards hosts' seen and renew_at */
    pthread_mutex_t mu;      /* guards stop */
    pthread_cond_t cv;       /* signalled on stop */
    int stop;
    int worker_running;
    pthread_t worker;
};

/* ---- refresh.c: cache -> table, with the event ---------------------------------- */
/* Reports an event to the caller's callback, the reason escaped. */
void ac_manager_event(autocert_manager *m, autocert_event ev, const char *host,
                      const char *reason);
/* Loads the cached certificate of `h` and serves it unless it is the one
 * served already; on a change reports `ev` with `reason` (ev < 0: none).
 * Returns OK also when nothing changed; *changed (may be NULL) says. */
autocert_err ac_manager_refresh(autocert_manager *m, ac_mhost *h, int ev, const char *reason,
                                int *changed);
/* Pick-up: reloads `h` when its entry's stamp differs from the one seen,
 * unless this process is ordering for it. */
void ac_manager_pickup(autocert_manager *m, ac_mhost *h);
/* Around an order of this process for `h`: what it stores is reported as
 * its own, not picked up as another process's. */
void ac_manager_busy(autocert_manager *m, ac_mhost *h, int delta);

/* ---- worker.c: the background thread ------------------------------------------ */
autocert_err ac_worker_start(autocert_manager *m);
/* Change notification: when the storage `st` notifies changes, the worker
 * reloads a host as soon as another process stores it (watching starts
 * now, before the cache is loaded); else the periodic pick-up alone. */
void ac_worker_watch(autocert_manager *m, autocert_storage *st);
/* Stops and joins it; no-op when it does not run. */
void ac_worker_stop(autocert_manager *m);

#endif /* AC_MANAGER_H */
