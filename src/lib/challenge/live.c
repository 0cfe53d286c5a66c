/* live.c: the table of challenges being answered, shared by the responders that serve them. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "challenge/challenge.h"
#include "storage/storage.h"

#define MAX_TOKEN_LEN 256
#define MAX_KEYAUTH_LEN 512
#define MAX_IDENT_LEN 253
#define STORE_LIFE_S 3600 /* a published challenge's life, unless withdrawn before */

typedef struct {
    char *type;
    char *ident;
    char *token;
    char *key_auth;
} entry;

/* What the fleet's store answered lately, by token or identifier: a
 * flood of unknown tokens costs the database one query each at most,
 * and no more than STORE_RATE queries a second in all. */
#define CACHE_N 64
#define CACHE_TTL_S 3.0
#define STORE_RATE 20

typedef struct {
    char type[16];
    int by_ident;
    char value[MAX_TOKEN_LEN + 1];
    char key_auth[MAX_KEYAUTH_LEN + 1]; /* "" when the store had none */
    double at;                          /* ac_now() of the answer; 0: unused */
} cached;

struct ac_live {
    pthread_mutex_t lock; /* guards e[] and n: responders read from their threads */
    entry e[AC_LIVE_MAX];
    size_t n;
    /* The fleet's store (ac_live_bind), where the backend holds challenges. */
    autocert_ctx *ctx;
    autocert_storage *store;
    pthread_mutex_t cache_lock; /* guards cache, window and asked */
    cached cache[CACHE_N];
    double window; /* the second the rate counts in */
    unsigned asked;
};

/* Nonzero when `s` is 1 to `max` characters of the base64url alphabet, or
 * `extra` (0: none). */
static int b64url_text(const char *s, size_t max, char extra)
{
    size_t i;

    if (s == NULL || s[0] == '\0')
        return 0;
    for (i = 0; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= max)
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || (extra && c == (unsigned char)extra)))
            return 0;
    }
    return 1;
}

int ac_token_valid(const char *token)
{
    return b64url_text(token, MAX_TOKEN_LEN, 0);
}

/* A key authorization is token "." thumbprint: base64url and dots. */
static int keyauth_valid(const char *ka)
{
    return b64url_text(ka, MAX_KEYAUTH_LEN, '.');
}

ac_live *ac_live_new(void)
{
    ac_live *l = calloc(1, sizeof(*l));

    if (l == NULL)
        return NULL;
    if (pthread_mutex_init(&l->lock, NULL) != 0) {
        free(l);
        return NULL;
    }
    if (pthread_mutex_init(&l->cache_lock, NULL) != 0) {
        pthread_mutex_destroy(&l->lock);
        free(l);
        return NULL;
    }
    return l;
}

static void entry_clear(entry *e)
{
    free(e->type);
    free(e->ident);
    free(e->token);
    free(e->key_auth);
    memset(e, 0, sizeof(*e));
}

void ac_live_free(ac_live *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->n; i++)
        entry_clear(&l->e[i]);
    pthread_mutex_destroy(&l->lock);
    pthread_mutex_destroy(&l->cache_lock);
    free(l);
}

/* Index of `token` or -1; the lock is held. */
static long find_token(const ac_live *l, const char *token)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strcmp(l->e[i].token, token) == 0)
            return (long)i;
    return -1;
}

static autocert_err check(autocert_ctx *ctx, const char *type, const char *ident,
                          const char *token, const char *key_auth)
{
    if (!ac_token_valid(token))
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "challenge token '%s' is not a base64url string of 1 to %d characters",
                      token ? ac_escape(token, 64, (char[80]){0}, 80) : "(null)", MAX_TOKEN_LEN);
    if (!keyauth_valid(key_auth))
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "key authorization for token %s is empty, too long (over %d) or malformed",
                      token, MAX_KEYAUTH_LEN);
    if (type == NULL || ident == NULL || strlen(ident) > MAX_IDENT_LEN)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "challenge for token %s has no type or identifier",
                      token);
    return AUTOCERT_OK;
}

autocert_err ac_live_add(ac_live *l, autocert_ctx *ctx, const char *type, const char *ident,
                         const char *token, const char *key_auth)
{
    entry n = {strdup(type ? type : ""), strdup(ident ? ident : ""), strdup(token ? token : ""),
               strdup(key_auth ? key_auth : "")};
    autocert_err rc;
    long i;

    if ((rc = check(ctx, type, ident, token, key_auth)) != AUTOCERT_OK) {
        entry_clear(&n);
        return rc;
    }
    if (n.type == NULL || n.ident == NULL || n.token == NULL || n.key_auth == NULL) {
        entry_clear(&n);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_lock(&l->lock);
    if ((i = find_token(l, token)) < 0 && l->n >= AC_LIVE_MAX) {
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "too many challenges at once (at most %d)",
                    AC_LIVE_MAX);
    } else {
        if (i < 0)
            i = (long)l->n++;
        entry_clear(&l->e[i]);
        l->e[i] = n;
        memset(&n, 0, sizeof(n));
    }
    pthread_mutex_unlock(&l->lock);
    entry_clear(&n);
    /* Published before the CA is asked to validate: any node may answer. */
    if (rc == AUTOCERT_OK && l->store != NULL &&
        (rc = ac_storage_challenge_put(ctx, l->store, type, ident, token, key_auth,
                                       time(NULL) + STORE_LIFE_S)) != AUTOCERT_OK)
        ac_live_remove(l, token);
    return rc;
}

void ac_live_remove(ac_live *l, const char *token)
{
    long i;

    if (l == NULL || !ac_token_valid(token))
        return;
    pthread_mutex_lock(&l->lock);
    if ((i = find_token(l, token)) >= 0) {
        entry_clear(&l->e[i]);
        l->e[i] = l->e[l->n - 1];
        memset(&l->e[l->n - 1], 0, sizeof(l->e[0]));
        l->n--;
    }
    pthread_mutex_unlock(&l->lock);
    if (i >= 0 && l->store != NULL)
        ac_storage_challenge_del(l->ctx, l->store, token);
}

/* The key authorization of the first entry of `type` whose `field` (token
 * or identifier) is `value`, copied into buf.  An identifier is a DNS name
 * (or an IP address): its case does not matter, as an SNI name's may
 * differ from the order's. */
static int lookup(ac_live *l, const char *type, int by_ident, const char *value, char *buf,
                  size_t n)
{
    size_t i;
    int found = -1;

    if (value == NULL || n == 0)
        return -1;
    pthread_mutex_lock(&l->lock);
    for (i = 0; i < l->n && found < 0; i++) {
        const entry *e = &l->e[i];
        int same = by_ident ? strcasecmp(e->ident, value) == 0 : strcmp(e->token, value) == 0;

        if (strcmp(e->type, type) == 0 && same)
            found = snprintf(buf, n, "%s", e->key_auth) < (int)n ? 0 : -1;
    }
    pthread_mutex_unlock(&l->lock);
    return found;
}

void ac_live_bind(ac_live *l, autocert_ctx *ctx)
{
    autocert_storage *st;

    pthread_mutex_lock(&ctx->lock);
    st = ctx->storage;
    pthread_mutex_unlock(&ctx->lock);
    if (ac_storage_has_challenges(st)) {
        l->ctx = ctx;
        l->store = st;
    }
}

/* The cache slot of (type, by_ident, value): its index, or -1 (cache_lock held). */
static int cache_find(const ac_live *l, const char *type, int by_ident, const char *value)
{
    double now = ac_now();
    int i;

    for (i = 0; i < CACHE_N; i++) {
        const cached *c = &l->cache[i];
        if (c->at > 0 && now - c->at < CACHE_TTL_S && c->by_ident == by_ident &&
            strcmp(c->type, type) == 0 && strcmp(c->value, value) == 0)
            return i;
    }
    return -1;
}

/* Records an answer of the store in the oldest slot (cache_lock held). */
static void cache_put(ac_live *l, const char *type, int by_ident, const char *value,
                      const char *key_auth)
{
    cached *c = &l->cache[0];
    int i;

    for (i = 1; i < CACHE_N; i++)
        if (l->cache[i].at < c->at)
            c = &l->cache[i];
    snprintf(c->type, sizeof(c->type), "%s", type);
    snprintf(c->value, sizeof(c->value), "%s", value);
    snprintf(c->key_auth, sizeof(c->key_auth), "%s", key_auth ? key_auth : "");
    c->by_ident = by_ident;
    c->at = ac_now();
}

/* Nonzero when one more query of the store fits this second's budget (cache_lock held). */
static int may_ask(ac_live *l)
{
    double now = ac_now();

    if (now - l->window >= 1.0) {
        l->window = now;
        l->asked = 0;
    }
    return l->asked++ < STORE_RATE;
}

/* A miss in the table: the fleet's store, through the cache. */
static int from_store(ac_live *l, const char *type, int by_ident, const char *value, char *buf,
                      size_t n)
{
    char *ka = NULL;
    int i, found = -1, ask;

    if (l->store == NULL || strlen(type) >= sizeof(l->cache[0].type) ||
        strlen(value) > MAX_TOKEN_LEN || (!by_ident && !ac_token_valid(value)))
        return -1;
    pthread_mutex_lock(&l->cache_lock);
    if ((i = cache_find(l, type, by_ident, value)) >= 0 && l->cache[i].key_auth[0])
        found = snprintf(buf, n, "%s", l->cache[i].key_auth) < (int)n ? 0 : -1;
    ask = i < 0 && may_ask(l);
    pthread_mutex_unlock(&l->cache_lock);
    if (!ask)
        return found;
    if (ac_storage_challenge_get(l->store, type, by_ident ? NULL : value, by_ident ? value : NULL,
                                 &ka) != AUTOCERT_OK || !keyauth_valid(ka)) {
        free(ka);
        ka = NULL;
    }
    /* A name's challenge may be published any moment: only a token's
     * absence is remembered (tokens are new with each challenge). */
    pthread_mutex_lock(&l->cache_lock);
    if (ka != NULL || !by_ident)
        cache_put(l, type, by_ident, value, ka);
    pthread_mutex_unlock(&l->cache_lock);
    if (ka != NULL)
        found = snprintf(buf, n, "%s", ka) < (int)n ? 0 : -1;
    free(ka);
    return found;
}

int ac_live_by_token(ac_live *l, const char *type, const char *token, char *buf, size_t n)
{
    if (lookup(l, type, 0, token, buf, n) == 0)
        return 0;
    return token != NULL && n > 0 ? from_store(l, type, 0, token, buf, n) : -1;
}

int ac_live_by_ident(ac_live *l, const char *type, const char *ident, char *buf, size_t n)
{
    if (lookup(l, type, 1, ident, buf, n) == 0)
        return 0;
    return ident != NULL && n > 0 ? from_store(l, type, 1, ident, buf, n) : -1;
}
