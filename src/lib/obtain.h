/* obtain.h: one order under the entry's lock, as autocert_obtain and autocert_renew run it. */
#ifndef AC_OBTAIN_H
#define AC_OBTAIN_H

#include "cache.h"

/* What a caller changes in an obtain; zeroed (ac_obtain_opts_init) it is
 * autocert_obtain's. */
typedef struct {
    const char *directory; /* the CA: NULL for the context's */
    int key_type;          /* the new key: -1 for the context's */
    const char *profile;   /* the CA's profile when the context names none */
    const char *replaces;  /* the ARI certificate ID of the one replaced */
    /* Under the entry's lock: nonzero when the cached certificate `c`,
     * which covers the names, needs no new order.  NULL: not due by the
     * context's renewal days. */
    int (*fresh)(void *arg, autocert_ctx *ctx, const autocert_cert *c);
    void *fresh_arg;
    const json_t *carry; /* members put into the new meta.json (may be NULL) */
    int dry_run;         /* order and check the certificate, store nothing */
    int *ordered;        /* set nonzero once a new order was asked for */
} ac_obtain_opts;

void ac_obtain_opts_init(ac_obtain_opts *o);

/* autocert_obtain with `o`.  With o->dry_run a new certificate is checked
 * and dropped: AUTOCERT_OK with *out NULL. */
autocert_err ac_obtain_run(autocert_ctx *ctx, const char *const *names, size_t n, unsigned flags,
                           const ac_obtain_opts *o, autocert_cert **out);

#endif /* AC_OBTAIN_H */
