/* live.c: the table of challenges being answered, shared by the responders that serve them. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "challenge/challenge.h"

#define MAX_TOKEN_LEN 256
#define MAX_KEYAUTH_LEN 512
#define MAX_IDENT_LEN 253

typedef struct {
    char *type;
    char *ident;
    char *token;
    char *key_auth;
} entry;

struct ac_live {
    pthread_mutex_t lock; /* guards e[] and n: responders read from their threads */
    entry e[AC_LIVE_MAX];
    size_t n;
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

    if (l != NULL && pthread_mutex_init(&l->lock, NULL) != 0) {
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

int ac_live_by_token(ac_live *l, const char *type, const char *token, char *buf, size_t n)
{
    return lookup(l, type, 0, token, buf, n);
}

int ac_live_by_ident(ac_live *l, const char *type, const char *ident, char *buf, size_t n)
{
    return lookup(l, type, 1, ident, buf, n);
}
