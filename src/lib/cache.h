/* cache.h: the cache schema: set keys, item names, certificate metadata, cached objects. */
#ifndef AC_CACHE_H
#define AC_CACHE_H

#include "internal.h"
#include "storage/storage.h"

/* The areas of the cache: sets "certs/<entry>" and "accounts/<host>-<hash>". */
#define AC_AREA_CERTS "certs/"
#define AC_AREA_ACCOUNTS "accounts/"

/* Items of a certificate set "certs/<entry>". */
#define AC_ITEM_KEY "privkey.pem"
#define AC_ITEM_CERT "cert.pem"
#define AC_ITEM_CHAIN "chain.pem"
#define AC_ITEM_FULLCHAIN "fullchain.pem"
#define AC_ITEM_META "meta.json"
/* Items of an account set "accounts/<host>-<hash>". */
#define AC_ITEM_ACCOUNT_KEY "account.key"
#define AC_ITEM_ACCOUNT_META "account.json"
/* The new key of a key rollover, kept next to account.key until the set
 * holding it replaced the old one (see account_ops.c). */
#define AC_ITEM_ACCOUNT_ROLLOVER "account.key.rollover"

/* "certs/<entry>", malloc'd (NULL when out of memory). */
char *ac_cache_cert_set(const char *entry);
/* The entry of a certificate set's key, borrowed from `set`; NULL when
 * `set` is not in AC_AREA_CERTS. */
const char *ac_cache_entry_of(const char *set);
/* "accounts/<host>-<12 hex of SHA-256(directory URL)>": one account per
 * directory.  *out malloc'd. */
autocert_err ac_cache_account_set(autocert_ctx *ctx, const char *directory_url, char **out);

/* A certificate entry's meta.json. */
typedef struct {
    char **names;      /* identifiers, normalised */
    size_t n_names;
    char *directory;   /* ACME directory URL of the issuing CA */
    char *key_type;    /* "ec256", ... */
    time_t not_before, not_after, issued_at;
    time_t revoked_at;     /* when autocert_revoke revoked it (0: not revoked) */
    char *revoked_reason;  /* its reason, as RFC 5280 names it (NULL: none) */
    json_t *doc;       /* the document as read: members this version does
                        * not know survive an update */
} ac_cert_meta;

void ac_cert_meta_clear(ac_cert_meta *m);
/* Reads only meta.json of `entry`; NOT_FOUND (with a message) when the
 * entry is absent, CORRUPT naming the file when it is malformed. */
autocert_err ac_cache_meta_load(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                ac_cert_meta *out);
/* Rewrites meta.json alone, keeping the key and chain; the caller holds the
 * entry's lock. */
autocert_err ac_cache_meta_update(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                  const ac_cert_meta *m);
/* Marks the entry revoked at `when` for `reason` (meta.json alone, through
 * ac_cache_meta_update); the caller holds the entry's lock. */
autocert_err ac_cache_mark_revoked(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                   time_t when, const char *reason);

/* A cached certificate, as the public autocert_cert handle. */
struct autocert_cert {
    char *name;
    char **ids;
    size_t n_ids;
    time_t not_before, not_after;
    int is_new;
    char *fullchain_pem; /* NULL when loaded from the metadata alone */
    char *key_pem;       /* secret: cleansed on free */
    size_t key_len;
    char *directory;
    char *key_type;
    time_t revoked_at; /* 0: not revoked */
    char *path_full, *path_key, *path_cert, *path_chain;
    /* From meta.json: who issued it, and its renewal plan and history. */
    char *issuer;  /* escaped; NULL when the metadata does not say */
    char *profile; /* escaped; NULL: the CA's default */
    time_t renew_at; /* when renew will order (a backoff's end, if waiting) */
    time_t due_at;   /* when due by renew's rules, a backoff aside */
    char renew_why[160];
    unsigned failures;
    char last_error[320];
};

#define AC_LOAD_META_ONLY 0x1u /* read meta.json alone, not the chain and key */
/* Loads entry `entry`.  Every item that is present but unreadable or
 * malformed is an error naming it; NOT_FOUND when there is no entry. */
autocert_err ac_cache_cert_load(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                unsigned flags, autocert_cert **out);
/* Stores a newly issued certificate as a new generation of `entry`: key,
 * leaf, chain, full chain and fresh metadata, in one replacement.  The
 * chain was checked (ac_issued_check) before. */
autocert_err ac_cache_cert_store(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                 const ac_ident *ids, size_t n, const char *directory_url,
                                 EVP_PKEY *key, const char *chain);
/* The same, the members of `carry` (a JSON object, may be NULL) put into the
 * new meta.json: the renewal history that outlives a generation. */
autocert_err ac_cache_cert_store_with(autocert_ctx *ctx, autocert_storage *st, const char *entry,
                                      const ac_ident *ids, size_t n, const char *directory_url,
                                      EVP_PKEY *key, const char *chain, const json_t *carry);

/* The cached account of a set: *key, and *url (NULL when only the key
 * survived).  NOT_FOUND without a message when no key is cached, or the
 * cached account was deactivated (its account.json says so). */
autocert_err ac_cache_account_load(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                   EVP_PKEY **key, char **url);
autocert_err ac_cache_account_save(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                   EVP_PKEY *key, const char *url, const char *directory_url);
/* Replaces the account set whole: `key` and account.json holding `doc`. */
autocert_err ac_cache_account_replace(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                      EVP_PKEY *key, json_t *doc);
/* Rewrites account.json alone (the key stays); the caller holds the set's
 * lock. */
autocert_err ac_cache_account_doc_store(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                        json_t *doc);
/* account.json of a set, parsed (*doc a new reference).  NOT_FOUND without
 * a message when absent, CORRUPT naming the file when not a JSON object. */
autocert_err ac_cache_account_doc(autocert_ctx *ctx, autocert_storage *st, const char *set,
                                  json_t **doc);

/* ---- cert.c: the certificate handle and the rules about it -------------- */
/* Nonzero when `c` covers exactly `ids` (in any order) and came from the CA
 * at `directory_url`. */
int ac_cert_covers(const autocert_cert *c, const char *directory_url, const ac_ident *ids,
                   size_t n);

#endif /* AC_CACHE_H */
