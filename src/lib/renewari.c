/* renewari.c: the CA's renewal window (ARI, RFC 9773) of a cached certificate, asked for once its Retry-After has passed and kept in the renewal state. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "acme/ari.h"
#include "renew.h"

#define NO_ARI_RECHECK 86400 /* a CA without ARI is asked again after a day */
#define FAILED_RECHECK 3600  /* after a failed request, an hour */
#define LOCK_WAIT_S 10

/* What this process learnt of the CA at `url`: KNOWN_NOTHING, or that it
 * has no ARI (asked again in a day), or that it did not answer (not asked
 * again by this process, nothing written: the next run asks). */
enum { KNOWN_NOTHING, KNOWN_NO_ARI, KNOWN_DOWN };

static int known(autocert_ctx *ctx, const char *url)
{
    size_t i;
    int k = KNOWN_NOTHING;

    pthread_mutex_lock(&ctx->lock);
    for (i = 0; i < ctx->n_no_ari && k == KNOWN_NOTHING; i++)
        if (strcmp(ctx->no_ari[i] + 1, url) == 0)
            k = ctx->no_ari[i][0] == 'n' ? KNOWN_NO_ARI : KNOWN_DOWN;
    pthread_mutex_unlock(&ctx->lock);
    return k;
}

static void note(autocert_ctx *ctx, const char *url, int what)
{
    size_t len = strlen(url);
    char **v, *copy = malloc(len + 2);

    if (copy == NULL)
        return;
    copy[0] = what == KNOWN_NO_ARI ? 'n' : 'd';
    memcpy(copy + 1, url, len + 1);
    pthread_mutex_lock(&ctx->lock);
    if ((v = realloc(ctx->no_ari, (ctx->n_no_ari + 1) * sizeof(char *))) != NULL) {
        ctx->no_ari = v;
        ctx->no_ari[ctx->n_no_ari++] = copy;
        copy = NULL;
    }
    pthread_mutex_unlock(&ctx->lock);
    free(copy);
}

/* When to renew in `w`: at once when the window has started (RFC 9773
 * section 4.2: a time past is renewal now); else a random time in it, the
 * one chosen before while the window stays the same. */
static time_t choose(const ac_renew_state *s, const ac_ari_window *w, time_t now)
{
    uint32_t random = 0;

    if (s->ari_chosen != 0 && s->ari_start == w->start && s->ari_end == w->end)
        return s->ari_chosen;
    if (w->start <= now)
        return now;
    if (RAND_bytes((unsigned char *)&random, sizeof(random)) != 1)
        random = (uint32_t)now;
    return ac_ari_pick(w, now, random);
}

/* Takes what one fetch said into *s. */
static void take(autocert_ctx *ctx, const char *entry, const char *id, const ac_ari_window *w,
                 autocert_err rc, ac_renew_state *s, time_t now)
{
    char from[32], to[32];

    if (rc == AUTOCERT_OK) {
        s->ari_chosen = choose(s, w, now);
        s->ari_start = w->start;
        s->ari_end = w->end;
        s->ari_next_check = w->retry_after;
        snprintf(s->ari_cert_id, sizeof(s->ari_cert_id), "%s", id);
        ac_utc_format(w->start, AC_UTC_MINUTE, from, sizeof(from));
        ac_utc_format(w->end, AC_UTC_MINUTE, to, sizeof(to));
        ac_log(ctx, AUTOCERT_LOG_DEBUG, "%s: the CA's renewal window is %s to %s", entry, from, to);
        return;
    }
    if (rc == AUTOCERT_ERR_UNSUPPORTED) {
        s->ari_next_check = now + NO_ARI_RECHECK;
    } else if (rc == AUTOCERT_ERR_PROTOCOL) {
        ac_log(ctx, AUTOCERT_LOG_WARN, "%s: the CA's renewal window is ignored: %s", entry,
               autocert_last_error(ctx));
        s->ari_next_check = w->retry_after ? w->retry_after : now + FAILED_RECHECK;
    } else {
        /* No answer: the window kept from before, if any, stands. */
        ac_log(ctx, AUTOCERT_LOG_INFO, "%s: cannot ask the CA for its renewal window: %s", entry,
               autocert_last_error(ctx));
        s->ari_next_check = now + FAILED_RECHECK;
        ac_err_clear(ctx);
        return;
    }
    /* No ARI, or a malformed window: no plan from the CA, the lifetime rule
     * stands. */
    s->ari_chosen = s->ari_start = s->ari_end = 0;
    ac_err_clear(ctx);
}

/* Asks the CA for the window of the certificate `pem` into *s; nonzero
 * when the CA answered (a window, no ARI, a malformed window): worth
 * keeping. */
static int ask(autocert_ctx *ctx, const char *entry, const ac_cert_meta *m, const char *pem,
               ac_renew_state *s, time_t now)
{
    ac_session sess;
    ac_ari_window w;
    char *id = NULL;
    autocert_err rc;
    int answered;

    memset(&w, 0, sizeof(w));
    if ((rc = ac_ari_cert_id(ctx, pem, &id)) != AUTOCERT_OK) {
        rc = AUTOCERT_ERR_UNSUPPORTED; /* no key identifier: no ARI for it */
    } else if ((rc = ac_session_init(&sess, ctx, m->directory)) == AUTOCERT_OK) {
        rc = ac_ari_fetch(&sess, id, &w);
        ac_session_cleanup(&sess);
        if (rc == AUTOCERT_ERR_UNSUPPORTED)
            note(ctx, m->directory, KNOWN_NO_ARI);
        else if (rc == AUTOCERT_ERR_NETWORK || rc == AUTOCERT_ERR_TIMEOUT)
            note(ctx, m->directory, KNOWN_DOWN);
    }
    answered = rc == AUTOCERT_OK || rc == AUTOCERT_ERR_UNSUPPORTED || rc == AUTOCERT_ERR_PROTOCOL;
    take(ctx, entry, id ? id : "", &w, rc, s, now);
    ac_ari_window_clear(&w);
    free(id);
    return answered;
}

/* Saves the ARI part of *s into the entry's renewal state, under its lock:
 * the rest of the state is as the file holds it now. */
static void save_ari(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                     const ac_renew_state *s)
{
    char *set = ac_cache_cert_set(entry);
    ac_cert_meta m;
    ac_renew_state now;
    json_t *state;

    memset(&m, 0, sizeof(m));
    if (set == NULL || ac_storage_lock(ctx, st, set, LOCK_WAIT_S) != AUTOCERT_OK) {
        free(set);
        ac_err_clear(ctx);
        return;
    }
    if (ac_cache_meta_load(ctx, st, entry, &m) == AUTOCERT_OK) {
        ac_renew_state_read(m.doc, &now);
        ac_renew_state_take_ari(&now, s);
        if ((state = ac_renew_state_json(&now)) == NULL ||
            json_object_set_new(m.doc, "renewal", state) != 0 ||
            ac_cache_meta_update(ctx, st, entry, &m) != AUTOCERT_OK)
            ac_log(ctx, AUTOCERT_LOG_WARN, "%s: cannot keep the CA's renewal window: %s", entry,
                   autocert_last_error(ctx));
    }
    ac_storage_unlock(st, set);
    ac_cert_meta_clear(&m);
    ac_err_clear(ctx);
    free(set);
}

void ac_renew_ari_refresh(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                          const ac_cert_meta *m, ac_renew_state *s, int save)
{
    time_t now = time(NULL);
    unsigned char *pem = NULL;
    size_t len = 0;
    char *set;
    int keep = 0;

    if (now < s->ari_next_check)
        return;
    switch (known(ctx, m->directory)) {
    case KNOWN_NO_ARI:
        s->ari_next_check = now + NO_ARI_RECHECK;
        keep = 1;
        break;
    case KNOWN_DOWN:
        break; /* the window kept from before, if any, stands */
    default:
        if ((set = ac_cache_cert_set(entry)) == NULL)
            break;
        if (ac_storage_load(ctx, st, set, AC_ITEM_CERT, &pem, &len) == AUTOCERT_OK)
            keep = ask(ctx, entry, m, (const char *)pem, s, now);
        ac_err_clear(ctx);
        free(pem);
        free(set);
    }
    if (save && keep)
        save_ari(ctx, st, entry, s);
}
