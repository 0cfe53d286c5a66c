/* renew.h: the renewal state kept in an entry's meta.json, and the rule of when a certificate is due. */
#ifndef AC_RENEW_H
#define AC_RENEW_H

#include "cache.h"

#define AC_RENEW_MAX_ORDERS 16 /* order times remembered per entry */
#define AC_RENEW_WEEK_LIMIT 5  /* orders of one entry in 7 days without --force */

/* The member "renewal" of meta.json. */
typedef struct {
    time_t last_success, last_failure, next_try; /* 0: never, none */
    unsigned failures;                           /* consecutive failed renewals */
    char last_error[320];                        /* escaped, "" when none */
    time_t orders[AC_RENEW_MAX_ORDERS];          /* recent new orders, oldest first */
    size_t n_orders;
    /* ARI (RFC 9773) for the certificate of this generation only. */
    time_t ari_start, ari_end, ari_chosen, ari_next_check;
    char ari_cert_id[160]; /* its certificate ID: "replaces" of the next order */
} ac_renew_state;

/* Reads the state out of a meta.json document (absent or malformed
 * members read as none: the state is advice, never a reason to fail). */
void ac_renew_state_read(const json_t *doc, ac_renew_state *s);
/* The state as the "renewal" object; NULL when out of memory. */
json_t *ac_renew_state_json(const ac_renew_state *s);
/* The state a new generation starts with: the history of orders and
 * successes, not the failures or the ARI window of the one replaced. */
void ac_renew_state_next(const ac_renew_state *old, time_t now, ac_renew_state *next);
/* The CA's renewal window of `from` (times, choice, next check, certificate
 * ID) put into *to, the rest of *to left as it is. */
void ac_renew_state_take_ari(ac_renew_state *to, const ac_renew_state *from);
/* Counts a failed renewal: backoff of 1 min, 10 min, 100 min, then a day. */
void ac_renew_state_failed(ac_renew_state *s, time_t now, int ordered, const char *error);

typedef enum { AC_PLAN_NOT_DUE, AC_PLAN_DUE, AC_PLAN_WAIT } ac_plan_verdict;

typedef struct {
    ac_plan_verdict verdict;
    time_t renew_at;   /* when the certificate is (was) due */
    time_t wait_until; /* AC_PLAN_WAIT: no order before then */
    char why[160];     /* the rule that set renew_at, or why it waits */
} ac_renew_plan;

/* When the certificate of `m` is due: revoked, the chosen time in its ARI
 * window, `days` before expiry when nonzero, else with a third of its
 * lifetime left (half under 10 days).  A due certificate waits out a
 * failure's backoff and the limit of orders a week.  `force` makes it due. */
void ac_renew_plan_make(const ac_cert_meta *m, const ac_renew_state *s, unsigned days, int force,
                        time_t now, ac_renew_plan *p);

/* ---- renewari.c: the CA's renewal window ------------------------------- */
/* Once the stored Retry-After has passed, asks the CA for the renewal window
 * of the entry's certificate and updates *s (chosen time, next check, the
 * certificate ID), saving it in meta.json under the entry's lock when
 * `save`.  A CA without ARI is asked again after a day; a malformed window
 * is ignored with a warning; a CA that does not answer is not asked again
 * by this process, nothing is written, and the window kept from before (if
 * any) stands.  Never fails the renewal: problems are logged. */
void ac_renew_ari_refresh(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                          const ac_cert_meta *m, ac_renew_state *s, int save);

#endif /* AC_RENEW_H */
