/* obtain.c: autocert_obtain and the cached certificate object: cache check, renewal window, atomic store. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "acme/acme.h"
#include "storage/storage.h"

#define ITEM_KEY "privkey.pem"
#define ITEM_CERT "cert.pem"
#define ITEM_CHAIN "chain.pem"
#define ITEM_FULL "fullchain.pem"
#define ITEM_META "meta.json"

struct autocert_cert {
    char *name;
    char **ids;
    size_t n_ids;
    time_t not_before, not_after;
    int is_new;
    char *fullchain_pem;
    char *key_pem; /* secret: cleansed on free */
    size_t key_len;
    char *directory;
    char *key_type;
    char *path_full, *path_key, *path_cert, *path_chain;
};

void autocert_cert_free(autocert_cert *c)
{
    if (c == NULL)
        return;
    free(c->name);
    autocert_strv_free(c->ids, c->n_ids);
    free(c->fullchain_pem);
    ac_free_secret(c->key_pem, c->key_len);
    free(c->directory);
    free(c->key_type);
    free(c->path_full);
    free(c->path_key);
    free(c->path_cert);
    free(c->path_chain);
    free(c);
}

const char *autocert_cert_name(const autocert_cert *c) { return c->name; }
size_t autocert_cert_identifier_count(const autocert_cert *c) { return c->n_ids; }
const char *autocert_cert_identifier(const autocert_cert *c, size_t i)
{
    return i < c->n_ids ? c->ids[i] : NULL;
}
time_t autocert_cert_not_before(const autocert_cert *c) { return c->not_before; }
time_t autocert_cert_not_after(const autocert_cert *c) { return c->not_after; }
int autocert_cert_is_new(const autocert_cert *c) { return c->is_new; }
const char *autocert_cert_fullchain_path(const autocert_cert *c) { return c->path_full; }
const char *autocert_cert_key_path(const autocert_cert *c) { return c->path_key; }
const char *autocert_cert_cert_path(const autocert_cert *c) { return c->path_cert; }
const char *autocert_cert_chain_path(const autocert_cert *c) { return c->path_chain; }
const char *autocert_cert_fullchain_pem(const autocert_cert *c) { return c->fullchain_pem; }
const char *autocert_cert_key_pem(const autocert_cert *c) { return c->key_pem; }
const char *autocert_cert_directory(const autocert_cert *c) { return c->directory; }
const char *autocert_cert_key_type(const autocert_cert *c) { return c->key_type; }

/* "certs/<entry>" */
static char *cert_set(const char *entry)
{
    size_t n = strlen(entry) + 7;
    char *s = malloc(n);

    if (s)
        snprintf(s, n, "certs/%s", entry);
    return s;
}

/* "cache file <where>" of an item, into buf. */
static const char *cache_file(autocert_storage *st, const char *set, const char *item, char *buf,
                              size_t n)
{
    char *where = ac_storage_where(st, set, item);

    snprintf(buf, n, "cache file %s", where ? where : item);
    free(where);
    return buf;
}

/* Loads entry `entry` from the cache into a certificate object.  Every file
 * that is present but unreadable or malformed is an error naming it. */
static autocert_err load_entry(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                               int meta_only, autocert_cert **out)
{
    char *set = cert_set(entry);
    unsigned char *meta = NULL, *full = NULL, *key = NULL;
    size_t metalen = 0, fulllen = 0, keylen = 0, i;
    json_t *j = NULL, *names;
    autocert_cert *c = NULL;
    ac_certinfo ci;
    char what[600];
    autocert_err rc;

    *out = NULL;
    memset(&ci, 0, sizeof(ci));
    if (set == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    rc = ac_storage_load(ctx, st, set, ITEM_META, &meta, &metalen);
    if (rc == AUTOCERT_OK && !meta_only)
        rc = ac_storage_load(ctx, st, set, ITEM_FULL, &full, &fulllen);
    if (rc == AUTOCERT_OK && !meta_only)
        rc = ac_storage_load(ctx, st, set, ITEM_KEY, &key, &keylen);
    if (rc == AUTOCERT_ERR_NOT_FOUND)
        ac_err(ctx, rc, "no cached certificate for %s", entry);
    if (rc != AUTOCERT_OK)
        goto out;
    cache_file(st, set, ITEM_META, what, sizeof(what));
    j = json_loadb((const char *)meta, metalen, 0, NULL);
    names = json_object_get(j, "names");
    if (!json_is_array(names) || json_array_size(names) == 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: malformed (no names)", what);
        goto out;
    }
    cache_file(st, set, ITEM_FULL, what, sizeof(what));
    if (meta_only) {
        ci.not_before = (time_t)json_integer_value(json_object_get(j, "not_before"));
        ci.not_after = (time_t)json_integer_value(json_object_get(j, "not_after"));
    } else if ((rc = ac_certinfo_parse(ctx, (const char *)full, fulllen, what, &ci)) !=
               AUTOCERT_OK) {
        goto out;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL ||
        (c->ids = calloc(json_array_size(names), sizeof(char *))) == NULL)
        goto nomem;
    for (i = 0; i < json_array_size(names); i++) {
        const char *v = json_string_value(json_array_get(names, i));
        if (v == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: malformed names",
                        cache_file(st, set, ITEM_META, what, sizeof(what)));
            goto out;
        }
        if ((c->ids[c->n_ids++] = strdup(v)) == NULL)
            goto nomem;
    }
    c->name = strdup(entry);
    c->fullchain_pem = (char *)full;
    full = NULL;
    c->key_pem = (char *)key;
    c->key_len = keylen;
    key = NULL;
    c->directory = strdup(json_string_value(json_object_get(j, "directory")) ?
                          json_string_value(json_object_get(j, "directory")) : "");
    c->key_type = strdup(json_string_value(json_object_get(j, "key_type")) ?
                         json_string_value(json_object_get(j, "key_type")) : "");
    if (c->name == NULL || c->directory == NULL || c->key_type == NULL)
        goto nomem;
    c->not_before = ci.not_before;
    c->not_after = ci.not_after;
    c->path_full = ac_storage_path(st, set, ITEM_FULL);
    c->path_key = ac_storage_path(st, set, ITEM_KEY);
    c->path_cert = ac_storage_path(st, set, ITEM_CERT);
    c->path_chain = ac_storage_path(st, set, ITEM_CHAIN);
    *out = c;
    c = NULL;
    goto out;
nomem:
    rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
out:
    autocert_cert_free(c);
    ac_certinfo_clear(&ci);
    json_decref(j);
    free(meta);
    free(full);
    ac_free_secret(key, keylen);
    free(set);
    return rc;
}

/* When a certificate should be renewed: renew_days before expiry, or with a
 * third of its lifetime left for short-lived certificates. */
static time_t renew_at(const autocert_ctx *ctx, const autocert_cert *c)
{
    time_t life = c->not_after - c->not_before;
    time_t margin = (time_t)ctx->renew_days * 86400;

    if (life > 0 && margin > life / 3)
        margin = life / 3;
    return c->not_after - margin;
}

/* Nonzero when the cached certificate covers exactly `ids` from this CA. */
static int same_names(const autocert_ctx *ctx, const autocert_cert *c, const ac_ident *ids, size_t n)
{
    size_t i, j;

    if (c->n_ids != n || strcmp(c->directory, ctx->directory_url) != 0)
        return 0;
    for (i = 0; i < n; i++) {
        for (j = 0; j < c->n_ids; j++)
            if (strcmp(ids[i].value, c->ids[j]) == 0)
                break;
        if (j == c->n_ids)
            return 0;
    }
    return 1;
}

/* Writes the whole certificate set in one atomic replacement. */
static autocert_err store_entry(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                const ac_ident *ids, size_t n, EVP_PKEY *key, const char *chain)
{
    char *set = cert_set(entry), *keypem = NULL, *leaf = NULL, *rest = NULL, *full = NULL;
    char *meta = NULL;
    size_t keylen = 0, i, fl;
    json_t *j = NULL, *names = NULL;
    ac_certinfo ci;
    autocert_item items[5];
    autocert_err rc;

    memset(&ci, 0, sizeof(ci));
    if (set == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if ((rc = ac_pem_split(ctx, chain, strlen(chain), &leaf, &rest)) != AUTOCERT_OK ||
        (rc = ac_certinfo_parse(ctx, leaf, strlen(leaf), "issued certificate", &ci)) != AUTOCERT_OK)
        goto out;
    if (!ac_key_matches_cert(key, leaf, strlen(leaf))) {
        rc = ac_err(ctx, AUTOCERT_ERR_MISMATCH, "the issued certificate does not match the key");
        goto out;
    }
    fl = strlen(leaf) + strlen(rest) + 1;
    if ((full = malloc(fl)) == NULL)
        goto nomem;
    snprintf(full, fl, "%s%s", leaf, rest);
    if ((rc = ac_key_to_pem(ctx, key, &keypem, &keylen)) != AUTOCERT_OK)
        goto out;
    if ((names = json_array()) == NULL)
        goto nomem;
    for (i = 0; i < n; i++)
        json_array_append_new(names, json_string(ids[i].value));
    j = json_pack("{s:O, s:s, s:I, s:I, s:s, s:I}", "names", names, "directory",
                  ctx->directory_url, "not_before", (json_int_t)ci.not_before, "not_after",
                  (json_int_t)ci.not_after, "key_type", ac_key_type_of(key), "issued_at",
                  (json_int_t)time(NULL));
    if (j == NULL || (meta = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL)
        goto nomem;
    items[0] = (autocert_item){ITEM_KEY, keypem, keylen, 1};
    items[1] = (autocert_item){ITEM_CERT, leaf, strlen(leaf), 0};
    items[2] = (autocert_item){ITEM_CHAIN, rest, strlen(rest), 0};
    items[3] = (autocert_item){ITEM_FULL, full, strlen(full), 0};
    items[4] = (autocert_item){ITEM_META, meta, strlen(meta), 0};
    rc = ac_storage_store(ctx, st, set, items, 5);
    goto out;
nomem:
    rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
out:
    ac_certinfo_clear(&ci);
    ac_free_secret(keypem, keylen);
    free(leaf);
    free(rest);
    free(full);
    free(meta);
    free(set);
    json_decref(j);
    json_decref(names);
    return rc;
}

/* Parses and de-duplicates the requested names. */
static autocert_err parse_names(autocert_ctx *ctx, const char *const *names, size_t n,
                                ac_ident **out, size_t *nout)
{
    ac_ident *ids;
    size_t i, j, k = 0;
    autocert_err rc;

    *out = NULL;
    *nout = 0;
    if (n == 0)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "no names given");
    if (n > 100)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "too many names (%zu, at most 100)", n);
    if ((ids = calloc(n, sizeof(*ids))) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        ac_ident id;

        if ((rc = ac_ident_parse(ctx, names[i], 0, &id)) != AUTOCERT_OK) {
            for (j = 0; j < k; j++)
                ac_ident_clear(&ids[j]);
            free(ids);
            return rc;
        }
        for (j = 0; j < k; j++)
            if (ids[j].type == id.type && strcmp(ids[j].value, id.value) == 0)
                break;
        if (j < k)
            ac_ident_clear(&id);
        else
            ids[k++] = id;
    }
    *out = ids;
    *nout = k;
    return AUTOCERT_OK;
}

autocert_err autocert_obtain(autocert_ctx *ctx, const char *const *names, size_t n,
                             unsigned flags, autocert_cert **out)
{
    ac_ident *ids = NULL;
    size_t nids = 0, i;
    autocert_storage *st = NULL;
    autocert_cert *cached = NULL;
    EVP_PKEY *key = NULL;
    char *entry = NULL, *chain = NULL, *lockset = NULL;
    int locked = 0;
    ac_session sess;
    autocert_err rc;

    if (out)
        *out = NULL;
    ac_err_clear(ctx);
    if ((rc = ac_session_init(&sess, ctx, NULL)) != AUTOCERT_OK)
        return rc;
    if ((rc = parse_names(ctx, names, n, &ids, &nids)) != AUTOCERT_OK)
        goto out;
    if ((rc = ac_storage(ctx, &st)) != AUTOCERT_OK)
        goto out;
    if ((entry = ac_ident_entry_name(&ids[0])) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((lockset = cert_set(entry)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = ac_storage_lock(ctx, st, lockset, (int)ctx->timeout_s)) != AUTOCERT_OK)
        goto out;
    locked = 1;

    rc = load_entry(ctx, st, entry, 0, &cached);
    if (rc == AUTOCERT_OK) {
        char when[64];

        if (!(flags & AUTOCERT_OBTAIN_FORCE) && same_names(ctx, cached, ids, nids) &&
            time(NULL) < renew_at(ctx, cached)) {
            ac_utc_format(cached->not_after, AC_UTC_MINUTE, when, sizeof(when));
            ac_log(ctx, AUTOCERT_LOG_INFO,
                   "a valid certificate for %s is cached (expires %s, not due for renewal): no "
                   "request made",
                   entry, when);
            if (out) {
                *out = cached;
                cached = NULL;
            }
            goto out;
        }
        if (!same_names(ctx, cached, ids, nids))
            ac_log(ctx, AUTOCERT_LOG_INFO, "the cached certificate %s covers other names or another CA: replacing it",
                   entry);
    } else if (rc == AUTOCERT_ERR_NOT_FOUND) {
        ac_err_clear(ctx);
    } else if (!(flags & AUTOCERT_OBTAIN_FORCE)) {
        /* Never silently replace what we cannot read. */
        goto out;
    } else {
        ac_log(ctx, AUTOCERT_LOG_WARN, "%s; replacing it as forced", autocert_last_error(ctx));
        ac_err_clear(ctx);
    }

    if ((rc = ac_account_ensure(&sess)) != AUTOCERT_OK)
        goto out;
    ac_log(ctx, AUTOCERT_LOG_INFO, "generating a %s certificate key", autocert_key_type_name(ctx->key_type));
    if (ctx->key_type == AUTOCERT_KEY_ED25519) {
        rc = ac_err(ctx, AUTOCERT_ERR_UNSUPPORTED, "ACME CAs do not issue certificates for ed25519 keys");
        goto out;
    }
    if ((rc = ac_key_generate(ctx, ctx->key_type, &key)) != AUTOCERT_OK)
        goto out;
    if ((rc = ac_order_issue(&sess, ids, nids, key, &chain)) != AUTOCERT_OK)
        goto out;
    if ((rc = store_entry(ctx, st, entry, ids, nids, key, chain)) != AUTOCERT_OK)
        goto out;
    ac_log(ctx, AUTOCERT_LOG_INFO, "certificate for %s stored", entry);
    if (out) {
        if ((rc = load_entry(ctx, st, entry, 0, out)) == AUTOCERT_OK)
            (*out)->is_new = 1;
    }
out:
    if (locked)
        ac_storage_unlock(st, lockset);
    free(lockset);
    autocert_cert_free(cached);
    EVP_PKEY_free(key);
    free(chain);
    free(entry);
    for (i = 0; i < nids; i++)
        ac_ident_clear(&ids[i]);
    free(ids);
    ac_session_cleanup(&sess);
    return rc;
}

static autocert_err cert_load(autocert_ctx *ctx, const char *name, int meta_only,
                              autocert_cert **out)
{
    autocert_storage *st = NULL;
    ac_ident id;
    char *entry = NULL;
    autocert_err rc;

    *out = NULL;
    ac_err_clear(ctx);
    if ((rc = ac_ident_parse(ctx, name, 1, &id)) != AUTOCERT_OK)
        return rc;
    entry = ac_ident_entry_name(&id);
    ac_ident_clear(&id);
    if (entry == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if ((rc = ac_storage(ctx, &st)) == AUTOCERT_OK)
        rc = load_entry(ctx, st, entry, meta_only, out);
    free(entry);
    return rc;
}

autocert_err autocert_cert_load(autocert_ctx *ctx, const char *name, autocert_cert **out)
{
    return cert_load(ctx, name, 0, out);
}

autocert_err autocert_cert_info(autocert_ctx *ctx, const char *name, autocert_cert **out)
{
    return cert_load(ctx, name, 1, out);
}

autocert_err autocert_cert_list(autocert_ctx *ctx, char ***names, size_t *n)
{
    autocert_storage *st = NULL;
    autocert_err rc;
    size_t i;

    *names = NULL;
    *n = 0;
    ac_err_clear(ctx);
    if ((rc = ac_storage(ctx, &st)) != AUTOCERT_OK)
        return rc;
    if ((rc = ac_storage_list(ctx, st, "certs/", names, n)) != AUTOCERT_OK)
        return rc;
    /* Strip the "certs/" prefix. */
    for (i = 0; i < *n; i++)
        memmove((*names)[i], (*names)[i] + 6, strlen((*names)[i] + 6) + 1);
    return AUTOCERT_OK;
}
