/* cache.c: the cache schema: set keys, item names, meta.json, loading and storing certificates and accounts. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "cache.h"
#include "renew.h"

/* ---- set keys ------------------------------------------------------------- */

char *ac_cache_cert_set(const char *entry)
{
    size_t n = strlen(AC_AREA_CERTS) + strlen(entry) + 1;
    char *s = malloc(n);

    if (s)
        snprintf(s, n, AC_AREA_CERTS "%s", entry);
    return s;
}

const char *ac_cache_entry_of(const char *set)
{
    size_t n = strlen(AC_AREA_CERTS);

    return strncmp(set, AC_AREA_CERTS, n) == 0 ? set + n : NULL;
}

autocert_err ac_cache_account_set(autocert_ctx *ctx, const char *directory_url, char **out)
{
    const char *h = strstr(directory_url, "://");
    unsigned char md[32];
    unsigned int mdlen = 0;
    char host[64];
    size_t i = 0, n;

    *out = NULL;
    h = h ? h + 3 : directory_url;
    for (; h[i] && h[i] != '/' && i < sizeof(host) - 1; i++) {
        char c = h[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        host[i] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-') ? c : '-';
    }
    host[i] = '\0';
    if (i == 0 || host[0] == '.')
        snprintf(host, sizeof(host), "acme");
    if (!EVP_Digest(directory_url, strlen(directory_url), md, &mdlen, EVP_sha256(), NULL))
        return ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot hash directory URL");
    n = strlen(AC_AREA_ACCOUNTS) + strlen(host) + 1 + 12 + 1;
    if ((*out = malloc(n)) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    snprintf(*out, n, AC_AREA_ACCOUNTS "%s-%02x%02x%02x%02x%02x%02x", host, md[0], md[1], md[2], md[3],
             md[4], md[5]);
    return AUTOCERT_OK;
}

/* ---- meta.json ------------------------------------------------------------ */

void ac_cert_meta_clear(ac_cert_meta *m)
{
    autocert_strv_free(m->names, m->n_names);
    free(m->directory);
    free(m->key_type);
    free(m->revoked_reason);
    json_decref(m->doc);
    memset(m, 0, sizeof(*m));
}

/* "cache file <where>" for messages, malloc'd. */
static char *cache_file(const autocert_storage *st, const char *set, const char *item)
{
    char *where = ac_storage_where(st, set, item);
    ac_buf b;

    ac_buf_init(&b, 8192);
    ac_buf_appendf(&b, "cache file %s", where ? where : item);
    free(where);
    return ac_buf_steal(&b);
}

static char *dup_member(json_t *doc, const char *name)
{
    const char *v = json_string_value(json_object_get(doc, name));

    return strdup(v ? v : "");
}

/* Nonzero when `v` is an identifier in the normalised form the cache writes. */
static int name_ok(const char *v)
{
    ac_ident id;
    int ok = ac_ident_parse(NULL, v, 1, &id) == AUTOCERT_OK && strcmp(id.value, v) == 0;

    ac_ident_clear(&id);
    return ok;
}

/* The latest time meta.json may hold: the end of the year 9999, which every
 * certificate date can express; later ones would overflow renewal arithmetic. */
#define META_TIME_MAX 253402300799LL

/* A time member of meta.json into *out: 0 when absent; 0 (malformed) when
 * it is not an integer from 0 to META_TIME_MAX. */
static int meta_time(json_t *doc, const char *name, time_t *out)
{
    json_t *v = json_object_get(doc, name);

    *out = 0;
    if (v == NULL)
        return 1;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > META_TIME_MAX)
        return 0;
    *out = (time_t)json_integer_value(v);
    return 1;
}

/* CORRUPT: the item `item` of `set` is malformed, `why`.  The file's name
 * is made only here, for the message: a scan of many entries reads
 * thousands that are well formed. */
static autocert_err meta_bad(autocert_ctx *ctx, const autocert_storage *st, const char *set,
                             const char *item, const char *why)
{
    char *what = cache_file(st, set, item);
    autocert_err rc = what ? ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: %s", what, why)
                           : ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");

    free(what);
    return rc;
}

/* Fills *m from a parsed document; CORRUPT naming the file of `set` when malformed. */
static autocert_err meta_from_doc(autocert_ctx *ctx, json_t *doc, const autocert_storage *st,
                                  const char *set, ac_cert_meta *m)
{
    json_t *names = json_object_get(doc, "names");
    size_t i, n = json_array_size(names);
    char why[320];

    if (!json_is_array(names) || n == 0)
        return meta_bad(ctx, st, set, AC_ITEM_META, "malformed (no names)");
    if ((m->names = calloc(n, sizeof(char *))) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        const char *v = json_string_value(json_array_get(names, i));
        if (v == NULL)
            return meta_bad(ctx, st, set, AC_ITEM_META, "malformed names");
        if (!name_ok(v)) {
            snprintf(why, sizeof(why), "malformed names ('%s' is not a valid identifier)",
                     AC_SAFE(v));
            return meta_bad(ctx, st, set, AC_ITEM_META, why);
        }
        if ((m->names[m->n_names++] = strdup(v)) == NULL)
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    m->directory = dup_member(doc, "directory");
    m->key_type = dup_member(doc, "key_type");
    if (m->directory == NULL || m->key_type == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if (!meta_time(doc, "not_before", &m->not_before) ||
        !meta_time(doc, "not_after", &m->not_after) ||
        !meta_time(doc, "issued_at", &m->issued_at) ||
        !meta_time(doc, "revoked_at", &m->revoked_at))
        return meta_bad(ctx, st, set, AC_ITEM_META,
                        "malformed times (seconds since 1970 up to the year 9999)");
    if (json_is_string(json_object_get(doc, "revoked_reason")) &&
        (m->revoked_reason = dup_member(doc, "revoked_reason")) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    m->doc = json_incref(doc);
    return AUTOCERT_OK;
}

/* Reads and parses meta.json of `set`. */
static autocert_err meta_read(autocert_ctx *ctx, autocert_storage *st, const char *set,
                              const char *entry, ac_cert_meta *out)
{
    unsigned char *data = NULL;
    size_t len = 0;
    json_t *doc = NULL;
    autocert_err rc;

    rc = ac_storage_load(ctx, st, set, AC_ITEM_META, &data, &len);
    if (rc == AUTOCERT_ERR_NOT_FOUND)
        return ac_err(ctx, rc, "no cached certificate for %s", entry);
    if (rc != AUTOCERT_OK)
        return rc;
    doc = json_loadb((const char *)data, len, 0, NULL);
    rc = meta_from_doc(ctx, doc, st, set, out);
    if (rc != AUTOCERT_OK)
        ac_cert_meta_clear(out);
    json_decref(doc);
    free(data);
    return rc;
}

autocert_err ac_cache_meta_load(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                ac_cert_meta *out)
{
    char *set = ac_cache_cert_set(entry);
    autocert_err rc;

    memset(out, 0, sizeof(*out));
    if (set == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    rc = meta_read(ctx, st, set, entry, out);
    free(set);
    return rc;
}

/* The document of *m: its own members over whatever the old one held. */
static json_t *meta_to_doc(const ac_cert_meta *m)
{
    json_t *doc = m->doc ? json_deep_copy(m->doc) : json_object(), *names = json_array();
    size_t i;

    if (doc == NULL || names == NULL) {
        json_decref(doc);
        json_decref(names);
        return NULL;
    }
    /* A name that cannot be added fails the document: a meta.json that
     * lacks a name would not match its certificate. */
    for (i = 0; i < m->n_names; i++)
        if (json_array_append_new(names, json_string(m->names[i])) != 0) {
            json_decref(doc);
            json_decref(names);
            return NULL;
        }
    if (json_object_set_new(doc, "names", names) != 0 ||
        json_object_set_new(doc, "directory", json_string(m->directory ? m->directory : "")) ||
        json_object_set_new(doc, "key_type", json_string(m->key_type ? m->key_type : "")) ||
        json_object_set_new(doc, "not_before", json_integer((json_int_t)m->not_before)) ||
        json_object_set_new(doc, "not_after", json_integer((json_int_t)m->not_after)) ||
        json_object_set_new(doc, "issued_at", json_integer((json_int_t)m->issued_at)) ||
        (m->revoked_at &&
         json_object_set_new(doc, "revoked_at", json_integer((json_int_t)m->revoked_at))) ||
        (m->revoked_reason &&
         json_object_set_new(doc, "revoked_reason", json_string(m->revoked_reason)))) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* meta.json text of *m, malloc'd. */
static char *meta_text(const ac_cert_meta *m)
{
    json_t *doc = meta_to_doc(m);
    char *text = doc ? ac_json_dump(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

    json_decref(doc);
    return text;
}

autocert_err ac_cache_meta_update(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                  const ac_cert_meta *m)
{
    char *set = ac_cache_cert_set(entry), *text = meta_text(m);
    autocert_item item;
    autocert_err rc;

    if (set == NULL || text == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    } else {
        item = (autocert_item){AC_ITEM_META, text, strlen(text), 0};
        rc = ac_storage_store_item(ctx, st, set, &item);
    }
    free(set);
    free(text);
    return rc;
}

autocert_err ac_cache_mark_revoked(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                   time_t when, const char *reason)
{
    ac_cert_meta m;
    autocert_err rc;

    if ((rc = ac_cache_meta_load(ctx, st, entry, &m)) != AUTOCERT_OK)
        return rc;
    m.revoked_at = when;
    free(m.revoked_reason);
    if ((m.revoked_reason = strdup(reason)) == NULL)
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    else
        rc = ac_cache_meta_update(ctx, st, entry, &m);
    ac_cert_meta_clear(&m);
    return rc;
}

/* ---- certificates ---------------------------------------------------------- */

/* Takes the metadata's names, directory and key type into the handle. */
static void take_meta(autocert_cert *c, ac_cert_meta *m)
{
    c->ids = m->names;
    c->n_ids = m->n_names;
    c->directory = m->directory;
    c->key_type = m->key_type;
    c->not_before = m->not_before;
    c->not_after = m->not_after;
    c->revoked_at = m->revoked_at;
    m->names = NULL;
    m->n_names = 0;
    m->directory = m->key_type = NULL;
}

/* A string member of the metadata, escaped; NULL when absent. */
static char *meta_str(const ac_cert_meta *m, const char *name)
{
    const char *v = json_string_value(json_object_get(m->doc, name));

    return v ? ac_escape_dup(v, 200) : NULL;
}

/* The issuer, profile and renewal plan of the handle, from the metadata
 * (the figures of the handle are there already). */
static autocert_err renewal_of(autocert_ctx *ctx, autocert_cert *c, const ac_cert_meta *m)
{
    ac_renew_state s;
    ac_renew_plan p;

    ac_renew_state_read(m->doc, &s);
    ac_renew_plan_make(m, &s, ctx->renew_days_set ? ctx->renew_days : 0, 0, time(NULL), &p);
    c->renew_at = p.verdict == AC_PLAN_WAIT ? p.wait_until : p.renew_at;
    c->due_at = p.renew_at;
    snprintf(c->renew_why, sizeof(c->renew_why), "%s", p.why);
    c->failures = s.failures;
    memcpy(c->last_error, s.last_error, sizeof(c->last_error));
    if ((json_object_get(m->doc, "issuer") && (c->issuer = meta_str(m, "issuer")) == NULL) ||
        (json_object_get(m->doc, "profile") && (c->profile = meta_str(m, "profile")) == NULL))
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return AUTOCERT_OK;
}

/* The PEM items of an entry a server is handed. */
static const char *const pem_items[] = {AC_ITEM_FULLCHAIN, AC_ITEM_KEY, AC_ITEM_CERT, AC_ITEM_CHAIN};
#define N_PEM 4

/* Reads them all in one read of the store; a missing one makes the entry
 * broken, named. */
static autocert_err read_pems(autocert_ctx *ctx, autocert_storage *st, const char *set,
                              const char *name, unsigned char **data, size_t *len)
{
    autocert_err rc = ac_storage_load_items(ctx, st, set, pem_items, N_PEM, data, len);
    size_t i;

    for (i = 0; i < N_PEM && rc == AUTOCERT_OK; i++) {
        if (data[i] == NULL) {
            char *what = cache_file(st, set, pem_items[i]);
            rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "cache entry %s is incomplete: %s is missing",
                        name, what ? what : pem_items[i]);
            free(what);
        }
    }
    return rc;
}

/* Nonzero when the two name lists hold the same names, in any order. */
static int same_names(char **a, size_t na, char **b, size_t nb)
{
    size_t i, j;

    if (na != nb)
        return 0;
    for (i = 0; i < na; i++) {
        for (j = 0; j < nb && strcasecmp(a[i], b[j]) != 0; j++)
            ;
        if (j == nb)
            return 0;
    }
    return 1;
}

/* cert.pem is one certificate, chain.pem only certificates that decode
 * (none when the CA sent the leaf alone), fullchain.pem the two in turn:
 * a server may be handed any of them. */
static autocert_err check_parts(autocert_ctx *ctx, unsigned char **d, size_t *len, char **what)
{
    autocert_err rc;
    int n;

    if ((rc = ac_pem_certs(ctx, (const char *)d[2], len[2], what[2], &n)) != AUTOCERT_OK)
        return rc;
    if (n == 0)
        return ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: no PEM certificate", what[2]);
    if (n > 1)
        return ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: %d certificates, not one", what[2], n);
    if ((rc = ac_pem_certs(ctx, (const char *)d[3], len[3], what[3], &n)) != AUTOCERT_OK)
        return rc;
    if (n == 0 && len[3] != 0)
        return ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: no PEM certificate", what[3]);
    if (len[0] != len[2] + len[3] || memcmp(d[0], d[2], len[2]) != 0 ||
        memcmp(d[0] + len[2], d[3], len[3]) != 0)
        return ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: not %s followed by %s", what[0],
                      AC_ITEM_CERT, AC_ITEM_CHAIN);
    return AUTOCERT_OK;
}

/* The items hold together: the key is the certificate's, cert.pem and
 * chain.pem decode, fullchain.pem is cert.pem followed by chain.pem, the
 * certificate names what meta.json says.  CORRUPT naming the file that does not fit. */
static autocert_err check_pems(autocert_ctx *ctx, autocert_storage *st, const char *set,
                               const autocert_cert *c, unsigned char **d, size_t *len,
                               ac_certinfo *ci)
{
    char *what[N_PEM] = {NULL, NULL, NULL, NULL};
    EVP_PKEY *key = NULL;
    autocert_err rc = AUTOCERT_OK;
    size_t i;

    for (i = 0; i < N_PEM && rc == AUTOCERT_OK; i++)
        if ((what[i] = cache_file(st, set, pem_items[i])) == NULL)
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if (rc == AUTOCERT_OK &&
        (rc = ac_certinfo_parse(ctx, (const char *)d[0], len[0], what[0], ci)) == AUTOCERT_OK &&
        (rc = ac_key_from_pem(ctx, d[1], len[1], what[1], &key)) == AUTOCERT_OK) {
        if (!ac_key_matches_cert(key, (const char *)d[0], len[0]))
            rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: not the key of the certificate", what[1]);
        else if ((rc = check_parts(ctx, d, len, what)) == AUTOCERT_OK &&
                 !same_names(c->ids, c->n_ids, ci->names, ci->n_names))
            rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: the certificate names other identifiers "
                        "than %s", what[0], AC_ITEM_META);
    }
    EVP_PKEY_free(key);
    for (i = 0; i < N_PEM; i++)
        free(what[i]);
    return rc;
}

/* Reads and checks everything a server is handed; the certificate's
 * validity wins over the metadata's. */
static autocert_err load_pems(autocert_ctx *ctx, autocert_storage *st, const char *set,
                              autocert_cert *c)
{
    unsigned char *d[N_PEM] = {NULL, NULL, NULL, NULL};
    size_t len[N_PEM] = {0, 0, 0, 0}, i;
    ac_certinfo ci;
    autocert_err rc;

    memset(&ci, 0, sizeof(ci));
    if ((rc = read_pems(ctx, st, set, c->name, d, len)) == AUTOCERT_OK &&
        (rc = check_pems(ctx, st, set, c, d, len, &ci)) == AUTOCERT_OK) {
        c->not_before = ci.not_before;
        c->not_after = ci.not_after;
        c->fullchain_pem = (char *)d[0];
        c->key_pem = (char *)d[1];
        c->key_len = len[1];
        d[0] = d[1] = NULL;
    }
    ac_certinfo_clear(&ci);
    free(d[0]);
    ac_free_secret(d[1], len[1]);
    for (i = 2; i < N_PEM; i++)
        free(d[i]);
    return rc;
}

static void set_paths(autocert_storage *st, const char *set, autocert_cert *c)
{
    c->path_full = ac_storage_path(st, set, AC_ITEM_FULLCHAIN);
    c->path_key = ac_storage_path(st, set, AC_ITEM_KEY);
    c->path_cert = ac_storage_path(st, set, AC_ITEM_CERT);
    c->path_chain = ac_storage_path(st, set, AC_ITEM_CHAIN);
}

autocert_err ac_cache_cert_load(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                unsigned flags, autocert_cert **out)
{
    char *set = ac_cache_cert_set(entry);
    autocert_cert *c = calloc(1, sizeof(*c));
    ac_cert_meta m;
    autocert_err rc;

    *out = NULL;
    memset(&m, 0, sizeof(m));
    if (set == NULL || c == NULL || (c->name = strdup(entry)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = meta_read(ctx, st, set, entry, &m)) != AUTOCERT_OK)
        goto out;
    take_meta(c, &m);
    if ((rc = renewal_of(ctx, c, &m)) != AUTOCERT_OK)
        goto out;
    if (!(flags & AC_LOAD_META_ONLY) && (rc = load_pems(ctx, st, set, c)) != AUTOCERT_OK)
        goto out;
    set_paths(st, set, c);
    *out = c;
    c = NULL;
out:
    ac_cert_meta_clear(&m);
    autocert_cert_free(c);
    free(set);
    return rc;
}

/* The items of a new certificate set; the strings go into *bufs (4). */
static autocert_err cert_items(autocert_ctx *ctx, EVP_PKEY *key, const char *chain,
                               ac_certinfo *ci, char **bufs, size_t *keylen)
{
    size_t fl;
    autocert_err rc;

    if ((rc = ac_pem_split(ctx, chain, strlen(chain), &bufs[1], &bufs[2])) != AUTOCERT_OK ||
        (rc = ac_certinfo_parse(ctx, bufs[1], strlen(bufs[1]), "issued certificate", ci)) !=
            AUTOCERT_OK)
        return rc;
    fl = strlen(bufs[1]) + strlen(bufs[2]) + 1;
    if ((bufs[3] = malloc(fl)) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    snprintf(bufs[3], fl, "%s%s", bufs[1], bufs[2]);
    return ac_key_to_pem(ctx, key, &bufs[0], keylen);
}

/* Fresh metadata for a new generation: of the replaced certificate's
 * state only the members of `carry` (may be NULL) carry over. */
static autocert_err new_meta(autocert_ctx *ctx, const ac_ident *ids, size_t n,
                             const char *directory_url, EVP_PKEY *key, const ac_certinfo *ci,
                             const json_t *carry, char **text)
{
    ac_cert_meta m;
    size_t i;

    memset(&m, 0, sizeof(m));
    m.doc = carry != NULL ? json_deep_copy(carry) : json_object();
    if (m.doc == NULL || json_object_set_new(m.doc, "issuer", json_string(ci->issuer)) != 0) {
        json_decref(m.doc);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    m.names = calloc(n ? n : 1, sizeof(char *));
    for (i = 0; m.names && i < n; i++)
        if ((m.names[m.n_names++] = strdup(ids[i].value)) == NULL)
            break;
    m.directory = strdup(directory_url);
    m.key_type = strdup(ac_key_type_of(key));
    m.not_before = ci->not_before;
    m.not_after = ci->not_after;
    m.issued_at = time(NULL);
    *text = (m.names && i == n && m.directory && m.key_type) ? meta_text(&m) : NULL;
    ac_cert_meta_clear(&m);
    return *text ? AUTOCERT_OK : ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
}

autocert_err ac_cache_cert_store(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                 const ac_ident *ids, size_t n, const char *directory_url,
                                 EVP_PKEY *key, const char *chain)
{
    return ac_cache_cert_store_with(ctx, st, entry, ids, n, directory_url, key, chain, NULL);
}

autocert_err ac_cache_cert_store_with(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                      const ac_ident *ids, size_t n, const char *directory_url,
                                      EVP_PKEY *key, const char *chain, const json_t *carry)
{
    char *set = ac_cache_cert_set(entry), *bufs[4] = {NULL, NULL, NULL, NULL}, *meta = NULL;
    size_t keylen = 0, i;
    ac_certinfo ci;
    autocert_item items[5];
    autocert_err rc;

    memset(&ci, 0, sizeof(ci));
    if (set == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if ((rc = cert_items(ctx, key, chain, &ci, bufs, &keylen)) == AUTOCERT_OK &&
        (rc = new_meta(ctx, ids, n, directory_url, key, &ci, carry, &meta)) == AUTOCERT_OK) {
        items[0] = (autocert_item){AC_ITEM_KEY, bufs[0], keylen, 1};
        items[1] = (autocert_item){AC_ITEM_CERT, bufs[1], strlen(bufs[1]), 0};
        items[2] = (autocert_item){AC_ITEM_CHAIN, bufs[2], strlen(bufs[2]), 0};
        items[3] = (autocert_item){AC_ITEM_FULLCHAIN, bufs[3], strlen(bufs[3]), 0};
        items[4] = (autocert_item){AC_ITEM_META, meta, strlen(meta), 0};
        rc = ac_storage_store(ctx, st, set, items, 5);
    }
    ac_certinfo_clear(&ci);
    ac_free_secret(bufs[0], keylen);
    for (i = 1; i < 4; i++)
        free(bufs[i]);
    free(meta);
    free(set);
    return rc;
}

/* ---- accounts --------------------------------------------------------------- */

autocert_err ac_cache_account_doc(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                  json_t **doc)
{
    unsigned char *meta = NULL;
    size_t metalen = 0;
    char *what;
    autocert_err rc = ac_storage_load(ctx, st, set, AC_ITEM_ACCOUNT_META, &meta, &metalen);

    *doc = NULL;
    if (rc != AUTOCERT_OK)
        return rc;
    *doc = json_loadb((const char *)meta, metalen, 0, NULL);
    if (!json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
        what = cache_file(st, set, AC_ITEM_ACCOUNT_META);
        rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: not a JSON object", what ? what : set);
        free(what);
    }
    free(meta);
    return rc;
}

/* The account URL of account.json; *url NULL when the file is absent.
 * *deactivated: the account was deactivated (RFC 8555 section 7.3.6). */
static autocert_err account_url(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                char **url, int *deactivated)
{
    const char *v, *status;
    char *what;
    json_t *j = NULL;
    autocert_err rc = ac_cache_account_doc(ctx, st, set, &j);

    *url = NULL;
    *deactivated = 0;
    if (rc == AUTOCERT_ERR_NOT_FOUND)
        return AUTOCERT_OK;
    if (rc != AUTOCERT_OK)
        return rc;
    status = json_string_value(json_object_get(j, "status"));
    *deactivated = status != NULL && strcmp(status, "deactivated") == 0;
    if ((v = json_string_value(json_object_get(j, "url"))) == NULL) {
        what = cache_file(st, set, AC_ITEM_ACCOUNT_META);
        rc = ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: no account URL", what ? what : set);
        free(what);
    } else if ((*url = strdup(v)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    json_decref(j);
    return rc;
}

autocert_err ac_cache_account_load(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                   EVP_PKEY **key, char **url)
{
    unsigned char *pem = NULL;
    size_t pemlen = 0;
    char *what = NULL;
    int deactivated = 0;
    autocert_err rc;

    *key = NULL;
    *url = NULL;
    if ((rc = ac_storage_load(ctx, st, set, AC_ITEM_ACCOUNT_KEY, &pem, &pemlen)) != AUTOCERT_OK)
        return rc;
    if ((what = cache_file(st, set, AC_ITEM_ACCOUNT_KEY)) == NULL)
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    else if ((rc = ac_key_from_pem(ctx, pem, pemlen, what, key)) == AUTOCERT_OK &&
             (rc = account_url(ctx, st, set, url, &deactivated)) == AUTOCERT_OK && deactivated) {
        /* Never used again: the next registration replaces it. */
        ac_log(ctx, AUTOCERT_LOG_DEBUG, "the cached account %s was deactivated", AC_SAFE(*url));
        free(*url);
        *url = NULL;
        rc = AUTOCERT_ERR_NOT_FOUND;
    }
    if (rc != AUTOCERT_OK) {
        EVP_PKEY_free(*key);
        *key = NULL;
    }
    ac_free_secret(pem, pemlen);
    free(what);
    return rc;
}

autocert_err ac_cache_account_replace(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                      EVP_PKEY *key, json_t *doc)
{
    char *pem = NULL, *meta = NULL;
    size_t pemlen = 0;
    autocert_item items[2];
    autocert_err rc;

    if ((rc = ac_key_to_pem(ctx, key, &pem, &pemlen)) != AUTOCERT_OK)
        return rc;
    if ((meta = ac_json_dump(doc, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    } else {
        items[0] = (autocert_item){AC_ITEM_ACCOUNT_KEY, pem, pemlen, 1};
        items[1] = (autocert_item){AC_ITEM_ACCOUNT_META, meta, strlen(meta), 0};
        rc = ac_storage_store(ctx, st, set, items, 2);
    }
    ac_free_secret(pem, pemlen);
    free(meta);
    return rc;
}

autocert_err ac_cache_account_save(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                   EVP_PKEY *key, const char *url, const char *directory_url)
{
    json_t *j = json_pack("{s:s, s:s, s:s*, s:s}", "url", url, "directory", directory_url,
                          "email", ctx->email, "key_type", ac_key_type_of(key));
    autocert_err rc;

    if (j == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    rc = ac_cache_account_replace(ctx, st, set, key, j);
    json_decref(j);
    return rc;
}

autocert_err ac_cache_account_doc_store(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                        json_t *doc)
{
    char *meta = ac_json_dump(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    autocert_item item;
    autocert_err rc;

    if (meta == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    item = (autocert_item){AC_ITEM_ACCOUNT_META, meta, strlen(meta), 0};
    rc = ac_storage_store_item(ctx, st, set, &item);
    free(meta);
    return rc;
}
