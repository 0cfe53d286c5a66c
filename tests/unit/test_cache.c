/* test_cache.c: the cache schema: set keys, certificate entries and their meta.json, accounts. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cache.h"

#define DIR_URL "https://acme.example/directory"
#define NB ((time_t)1700000000)           /* Tue, 14 Nov 2023 22:13:20 GMT */
#define NA (NB + (time_t)90 * 86400)      /* 90 days later */

typedef struct {
    autocert_ctx *ctx;
    autocert_storage *st;
    char dir[64];
    EVP_PKEY *key;   /* the certificate key */
    char *leaf;      /* self-signed for example.com and www.example.com */
    char *issuer;    /* another certificate, standing for the chain */
    char *chain;     /* leaf + issuer */
} fixture;

/* ---- certificates with OpenSSL alone ------------------------------------------ */

static char *to_pem(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;
    char *s;

    assert_non_null(b);
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    BIO_get_mem_ptr(b, &m);
    s = strndup(m->data, m->length);
    assert_non_null(s);
    BIO_free(b);
    return s;
}

/* A self-signed certificate of `key`, CN `cn`, the SANs `sans` (OpenSSL
 * configuration syntax, NULL: none), valid from nb to na. */
static char *make_cert(EVP_PKEY *key, const char *cn, const char *sans, time_t nb, time_t na)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_NAME *name;
    X509V3_CTX v3;
    char *pem;

    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
    name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)cn, -1, -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    if (sans) {
        X509_EXTENSION *ext;

        X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, sans);
        assert_non_null(ext);
        assert_int_equal(X509_add_ext(x, ext, -1), 1);
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    pem = to_pem(x);
    X509_free(x);
    return pem;
}

static EVP_PKEY *new_key(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

    assert_non_null(k);
    return k;
}

/* ---- the fixture ------------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    char root[128];
    EVP_PKEY *ca;
    size_t n;

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/autocert-cache-XXXXXX");
    if (mkdtemp(f->dir) == NULL || (f->ctx = autocert_ctx_new()) == NULL)
        return -1;
    snprintf(root, sizeof(root), "%s/cache", f->dir);
    if (autocert_storage_dir_new(root, &f->st) != AUTOCERT_OK)
        return -1;
    f->key = new_key();
    f->leaf = make_cert(f->key, "example.com", "DNS:example.com,DNS:www.example.com", NB, NA);
    ca = new_key();
    f->issuer = make_cert(ca, "Test Issuer", NULL, NB - 86400, NA + 86400);
    EVP_PKEY_free(ca);
    n = strlen(f->leaf) + strlen(f->issuer) + 1;
    f->chain = malloc(n);
    if (f->chain == NULL)
        return -1;
    snprintf(f->chain, n, "%s%s", f->leaf, f->issuer);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    autocert_storage_free(f->st);
    autocert_ctx_free(f->ctx);
    EVP_PKEY_free(f->key);
    free(f->leaf);
    free(f->issuer);
    free(f->chain);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static const ac_ident example_ids[] = {{AC_ID_DNS, (char *)"example.com"},
                                       {AC_ID_DNS, (char *)"www.example.com"}};

static void store_example(fixture *f)
{
    assert_int_equal(ac_cache_cert_store(f->ctx, f->st, "example.com", example_ids, 2, DIR_URL,
                                         f->key, f->chain),
                     AUTOCERT_OK);
}

/* An item of a set, as a string (malloc'd); NULL when absent. */
static char *item(fixture *f, const char *set, const char *name)
{
    unsigned char *data = NULL;
    size_t len = 0;
    char *s;

    if (ac_storage_load(f->ctx, f->st, set, name, &data, &len) != AUTOCERT_OK)
        return NULL;
    s = strndup((char *)data, len);
    free(data);
    return s;
}

/* The file of an item (malloc'd). */
static char *file_of(fixture *f, const char *set, const char *name)
{
    char *p = ac_storage_path(f->st, set, name);

    assert_non_null(p);
    return p;
}

static void overwrite(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

static json_t *meta_json(fixture *f, const char *entry)
{
    char set[128];
    char *text;
    json_t *j;

    snprintf(set, sizeof(set), "certs/%s", entry);
    text = item(f, set, AC_ITEM_META);
    assert_non_null(text);
    j = json_loads(text, 0, NULL);
    assert_non_null(j);
    free(text);
    return j;
}

/* ---- set keys ----------------------------------------------------------------------- */

static void expect_account_set(autocert_ctx *ctx, const char *url, const char *host)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char want[160];
    char *set = NULL;

    assert_int_equal(EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL), 1);
    snprintf(want, sizeof(want), "accounts/%s-%02x%02x%02x%02x%02x%02x", host, md[0], md[1],
             md[2], md[3], md[4], md[5]);
    assert_int_equal(ac_cache_account_set(ctx, url, &set), AUTOCERT_OK);
    assert_string_equal(set, want);
    assert_true(ac_storage_key_ok(set));
    free(set);
}

static void test_set_keys(void **state)
{
    fixture *f = *state;
    char *a = NULL, *b = NULL, *c = NULL;
    char longurl[200];

    a = ac_cache_cert_set("example.com");
    assert_string_equal(a, "certs/example.com");
    free(a);
    /* And back: the entry of a certificate set, none of another area. */
    assert_string_equal(ac_cache_entry_of("certs/example.com"), "example.com");
    assert_null(ac_cache_entry_of("accounts/example.com"));
    assert_null(ac_cache_entry_of("certsexample.com"));

    /* Stable for one URL, different for another. */
    assert_int_equal(ac_cache_account_set(f->ctx, AUTOCERT_LETSENCRYPT_URL, &a), AUTOCERT_OK);
    assert_int_equal(ac_cache_account_set(f->ctx, AUTOCERT_LETSENCRYPT_URL, &b), AUTOCERT_OK);
    assert_int_equal(ac_cache_account_set(f->ctx, AUTOCERT_LETSENCRYPT_STAGING_URL, &c),
                     AUTOCERT_OK);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    free(a);
    free(b);
    free(c);

    /* The host part: lower case, other characters become '-'. */
    expect_account_set(f->ctx, AUTOCERT_LETSENCRYPT_URL, "acme-v02.api.letsencrypt.org");
    expect_account_set(f->ctx, "https://127.0.0.1:14000/dir", "127.0.0.1-14000");
    expect_account_set(f->ctx, "HTTPS://ACME.Example/dir", "acme.example");
    expect_account_set(f->ctx, "https://user@[::1]:443/d", "user----1--443");
    expect_account_set(f->ctx, "https://a_b~c/dir", "a-b-c");
    expect_account_set(f->ctx, "acme.example/dir", "acme.example");
    /* No host, or one that would make a hidden name. */
    expect_account_set(f->ctx, "https:///dir", "acme");
    expect_account_set(f->ctx, "https://.hidden/dir", "acme");
    /* A long host is cut to 63 characters. */
    memset(longurl, 0, sizeof(longurl));
    memcpy(longurl, "https://", 8);
    memset(longurl + 8, 'h', 100);
    memcpy(longurl + 108, "/dir", 4);
    {
        char host[64];
        memset(host, 'h', 63);
        host[63] = '\0';
        expect_account_set(f->ctx, longurl, host);
    }
}

/* ---- certificates ---------------------------------------------------------------------- */

static void test_store_load_full(void **state)
{
    fixture *f = *state;
    autocert_cert *c = NULL;
    EVP_PKEY *back = NULL;
    char *s, *path;
    time_t before = time(NULL);
    json_t *m;

    store_example(f);
    /* The items of the set. */
    s = item(f, "certs/example.com", AC_ITEM_CERT);
    assert_string_equal(s, f->leaf);
    free(s);
    s = item(f, "certs/example.com", AC_ITEM_CHAIN);
    assert_string_equal(s, f->issuer);
    free(s);
    s = item(f, "certs/example.com", AC_ITEM_FULLCHAIN);
    assert_string_equal(s, f->chain);
    free(s);
    m = meta_json(f, "example.com");
    assert_string_equal(json_string_value(json_array_get(json_object_get(m, "names"), 0)),
                        "example.com");
    assert_string_equal(json_string_value(json_array_get(json_object_get(m, "names"), 1)),
                        "www.example.com");
    assert_string_equal(json_string_value(json_object_get(m, "directory")), DIR_URL);
    assert_string_equal(json_string_value(json_object_get(m, "key_type")), "ec256");
    assert_int_equal(json_integer_value(json_object_get(m, "not_before")), NB);
    assert_int_equal(json_integer_value(json_object_get(m, "not_after")), NA);
    assert_true(json_integer_value(json_object_get(m, "issued_at")) >= before);
    assert_true(json_integer_value(json_object_get(m, "issued_at")) <= time(NULL));
    json_decref(m);

    assert_int_equal(ac_cache_cert_load(f->ctx, f->st, "example.com", 0, &c), AUTOCERT_OK);
    assert_non_null(c);
    assert_string_equal(c->name, "example.com");
    assert_int_equal(c->n_ids, 2);
    assert_string_equal(c->ids[0], "example.com");
    assert_string_equal(c->ids[1], "www.example.com");
    assert_string_equal(c->directory, DIR_URL);
    assert_string_equal(c->key_type, "ec256");
    assert_int_equal(c->not_before, NB);
    assert_int_equal(c->not_after, NA);
    assert_false(c->is_new);
    assert_string_equal(c->fullchain_pem, f->chain);
    assert_non_null(c->key_pem);
    assert_int_equal(strlen(c->key_pem), c->key_len);
    assert_int_equal(ac_key_from_pem(f->ctx, c->key_pem, c->key_len, "k", &back), AUTOCERT_OK);
    assert_int_equal(EVP_PKEY_eq(back, f->key), 1);
    EVP_PKEY_free(back);
    /* The files of a directory cache. */
    path = file_of(f, "certs/example.com", AC_ITEM_FULLCHAIN);
    assert_string_equal(c->path_full, path);
    free(path);
    path = file_of(f, "certs/example.com", AC_ITEM_KEY);
    assert_string_equal(c->path_key, path);
    free(path);
    path = file_of(f, "certs/example.com", AC_ITEM_CERT);
    assert_string_equal(c->path_cert, path);
    free(path);
    path = file_of(f, "certs/example.com", AC_ITEM_CHAIN);
    assert_string_equal(c->path_chain, path);
    free(path);
    autocert_cert_free(c);
}

/* Sets meta.json's dates apart from the certificate's. */
static void shift_meta_dates(fixture *f, const char *entry, time_t nb, time_t na)
{
    ac_cert_meta m;
    char set[128];

    snprintf(set, sizeof(set), "certs/%s", entry);
    assert_int_equal(ac_cache_meta_load(f->ctx, f->st, entry, &m), AUTOCERT_OK);
    m.not_before = nb;
    m.not_after = na;
    assert_int_equal(ac_storage_lock(f->ctx, f->st, set, 0), AUTOCERT_OK);
    assert_int_equal(ac_cache_meta_update(f->ctx, f->st, entry, &m), AUTOCERT_OK);
    ac_storage_unlock(f->st, set);
    ac_cert_meta_clear(&m);
}

static void test_validity_source(void **state)
{
    fixture *f = *state;
    autocert_cert *c = NULL;

    store_example(f);
    shift_meta_dates(f, "example.com", 1000, 2000);
    /* Whole: the dates of the certificate itself. */
    assert_int_equal(ac_cache_cert_load(f->ctx, f->st, "example.com", 0, &c), AUTOCERT_OK);
    assert_int_equal(c->not_before, NB);
    assert_int_equal(c->not_after, NA);
    autocert_cert_free(c);
    /* Metadata alone: its dates, and no PEMs. */
    assert_int_equal(ac_cache_cert_load(f->ctx, f->st, "example.com", AC_LOAD_META_ONLY, &c),
                     AUTOCERT_OK);
    assert_int_equal(c->not_before, 1000);
    assert_int_equal(c->not_after, 2000);
    assert_null(c->fullchain_pem);
    assert_null(c->key_pem);
    assert_int_equal(c->key_len, 0);
    assert_int_equal(c->n_ids, 2);
    assert_string_equal(c->directory, DIR_URL);
    assert_non_null(c->path_full);
    autocert_cert_free(c);
}

static void test_meta_only_ignores_chain(void **state)
{
    fixture *f = *state;
    autocert_cert *c = NULL;
    char *path;

    store_example(f);
    path = file_of(f, "certs/example.com", AC_ITEM_FULLCHAIN);
    overwrite(path, "not a certificate\n");
    assert_int_equal(ac_cache_cert_load(f->ctx, f->st, "example.com", 0, &c),
                     AUTOCERT_ERR_CORRUPT);
    assert_null(c);
    assert_non_null(strstr(autocert_last_error(f->ctx), path));
    assert_int_equal(ac_cache_cert_load(f->ctx, f->st, "example.com", AC_LOAD_META_ONLY, &c),
                     AUTOCERT_OK);
    assert_int_equal(c->not_after, NA);
    autocert_cert_free(c);
    free(path);
}

/* Stores a set with some of the items of a certificate entry. */
static void store_partial(fixture *f, int with_key, int with_full)
{
    ac_cert_meta m;
    autocert_item items[3];
    char *meta, *keypem = NULL;
    size_t n = 0, keylen = 0;
    json_t *doc;

    memset(&m, 0, sizeof(m));
    doc = json_pack("{s:[s], s:s, s:s, s:I, s:I, s:I}", "names", "example.com", "directory",
                    DIR_URL, "key_type", "ec256", "not_before", (json_int_t)NB, "not_after",
                    (json_int_t)NA, "issued_at", (json_int_t)NB);
    meta = json_dumps(doc, 0);
    json_decref(doc);
    items[n++] = (autocert_item){AC_ITEM_META, meta, strlen(meta), 0};
    if (with_key) {
        assert_int_equal(ac_key_to_pem(f->ctx, f->key, &keypem, &keylen), AUTOCERT_OK);
        items[n++] = (autocert_item){AC_ITEM_KEY, keypem, keylen, 1};
    }
    if (with_full)
        items[n++] = (autocert_item){AC_ITEM_FULLCHAIN, f->chain, strlen(f->chain), 0};
    assert_int_equal(ac_storage_store(f->ctx, f->st, "certs/example.com", items, n), AUTOCERT_OK);
    free(meta);
    ac_free_secret(keypem, keylen);
}

static void test_incomplete_entry(void **state)
{
    fixture *f = *state;
    autocert_cert *c = NULL;

    store_partial(f, 0, 1);
    assert_int_equal(ac_cache_cert_load(f->ctx, f->st, "example.com", 0, &c),
                     AUTOCERT_ERR_CORRUPT);
    assert_null(c);
    assert_non_null(strstr(autocert_last_error(f->ctx), "/privkey.pem is missing"));
    assert_non_null(strstr(autocert_last_error(f->ctx), "example.com"));

    store_partial(f, 1, 0);
    assert_int_equal(ac_cache_cert_load(f->ctx, f->st, "example.com", 0, &c),
                     AUTOCERT_ERR_CORRUPT);
    assert_non_null(strstr(autocert_last_error(f->ctx), "/fullchain.pem is missing"));

    /* Key and full chain are not all a server is handed: cert.pem too. */
    store_partial(f, 1, 1);
    assert_int_equal(ac_cache_cert_load(f->ctx, f->st, "example.com", 0, &c),
                     AUTOCERT_ERR_CORRUPT);
    assert_non_null(strstr(autocert_last_error(f->ctx), "/cert.pem is missing"));
}

static void test_meta_malformed(void **state)
{
    fixture *f = *state;
    static const char *const bad[] = {
        "{\"directory\": \"" DIR_URL "\", \"not_after\": 1}", /* no names */
        "{\"names\": []}",
        "{\"names\": \"example.com\"}",
        "{\"names\": [\"example.com\", 7]}",
        "not json",
        /* A name that is not an identifier (it would be printed, compared
         * and ordered again as one). */
        "{\"names\": [\"exa mple.com\"]}",
        "{\"names\": [\"\\u001b[2J.example.com\"]}",
        "{\"names\": [\"*x.example.com\"]}", /* a wildcard (dns-01) is "*." and a name */
        "{\"names\": [\"Example.com\"]}",
        /* Times out of range: renewal arithmetic would overflow. */
        "{\"names\": [\"example.com\"], \"not_after\": 9223372036854775807}",
        "{\"names\": [\"example.com\"], \"not_before\": -9223372036854775807, "
        "\"not_after\": 9223372036854775807}",
        "{\"names\": [\"example.com\"], \"not_after\": -1}",
        "{\"names\": [\"example.com\"], \"not_after\": 253402300800}",
        "{\"names\": [\"example.com\"], \"issued_at\": \"yesterday\"}",
    };
    autocert_cert *c = NULL;
    ac_cert_meta m;
    char *path;
    size_t i;

    store_example(f);
    path = file_of(f, "certs/example.com", AC_ITEM_META);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        overwrite(path, bad[i]);
        assert_int_equal(ac_cache_cert_load(f->ctx, f->st, "example.com", AC_LOAD_META_ONLY, &c),
                         AUTOCERT_ERR_CORRUPT);
        assert_null(c);
        assert_non_null(strstr(autocert_last_error(f->ctx), path));
        assert_int_equal(ac_cache_meta_load(f->ctx, f->st, "example.com", &m),
                         AUTOCERT_ERR_CORRUPT);
        assert_null(m.names);
        assert_null(m.doc);
        assert_non_null(strstr(autocert_last_error(f->ctx), "meta.json"));
    }
    free(path);
}

static void test_absent_entry(void **state)
{
    fixture *f = *state;
    autocert_cert *c = (autocert_cert *)&c;
    ac_cert_meta m;

    assert_int_equal(ac_cache_cert_load(f->ctx, f->st, "nothing.example", 0, &c),
                     AUTOCERT_ERR_NOT_FOUND);
    assert_null(c);
    assert_non_null(strstr(autocert_last_error(f->ctx), "nothing.example"));
    assert_int_equal(ac_cache_meta_load(f->ctx, f->st, "nothing.example", &m),
                     AUTOCERT_ERR_NOT_FOUND);
}

static ino_t inode_of(const char *path)
{
    struct stat sb;

    assert_int_equal(stat(path, &sb), 0);
    return sb.st_ino;
}

static void test_meta_update(void **state)
{
    fixture *f = *state;
    char *key_path, *meta_path, *full_path;
    ino_t key_ino, full_ino;
    ac_cert_meta m;
    json_t *doc;

    store_example(f);
    key_path = file_of(f, "certs/example.com", AC_ITEM_KEY);
    full_path = file_of(f, "certs/example.com", AC_ITEM_FULLCHAIN);
    meta_path = file_of(f, "certs/example.com", AC_ITEM_META);
    key_ino = inode_of(key_path);
    full_ino = inode_of(full_path);

    /* A member this version does not know, added by hand (a newer
     * version's renewal state). */
    doc = meta_json(f, "example.com");
    assert_int_equal(json_object_set_new(doc, "renewal", json_pack("{s:s, s:i}", "window",
                                                                   "later", "tries", 3)),
                     0);
    assert_int_equal(json_dump_file(doc, meta_path, 0), 0);
    json_decref(doc);

    assert_int_equal(ac_cache_meta_load(f->ctx, f->st, "example.com", &m), AUTOCERT_OK);
    assert_int_equal(m.n_names, 2);
    assert_non_null(m.doc);
    m.not_after = NA + 5;
    assert_int_equal(ac_storage_lock(f->ctx, f->st, "certs/example.com", 0), AUTOCERT_OK);
    assert_int_equal(ac_cache_meta_update(f->ctx, f->st, "example.com", &m), AUTOCERT_OK);
    ac_storage_unlock(f->st, "certs/example.com");
    ac_cert_meta_clear(&m);

    /* meta.json alone was rewritten: the key and chain are the same files. */
    assert_true(inode_of(key_path) == key_ino);
    assert_true(inode_of(full_path) == full_ino);
    doc = meta_json(f, "example.com");
    assert_int_equal(json_integer_value(json_object_get(doc, "not_after")), NA + 5);
    assert_int_equal(json_integer_value(json_object_get(doc, "not_before")), NB);
    assert_string_equal(json_string_value(json_object_get(doc, "directory")), DIR_URL);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "renewal"), "window")), "later");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "renewal"), "tries")),
                     3);
    json_decref(doc);

    /* A new generation starts from fresh metadata. */
    store_example(f);
    doc = meta_json(f, "example.com");
    assert_null(json_object_get(doc, "renewal"));
    assert_int_equal(json_integer_value(json_object_get(doc, "not_after")), NA);
    json_decref(doc);
    assert_true(inode_of(key_path) != key_ino);

    /* Updating an entry that is not there. */
    memset(&m, 0, sizeof(m));
    assert_int_equal(ac_cache_meta_update(f->ctx, f->st, "absent.example", &m),
                     AUTOCERT_ERR_NOT_FOUND);
    free(key_path);
    free(full_path);
    free(meta_path);
}

static void test_store_refusals(void **state)
{
    fixture *f = *state;
    autocert_cert *c = NULL;

    /* (What the CA issued is checked before, by ac_issued_check.)  No
     * certificate at all: nothing stored. */
    assert_int_not_equal(ac_cache_cert_store(f->ctx, f->st, "example.com", example_ids, 2,
                                             DIR_URL, f->key, "no PEM here"),
                         AUTOCERT_OK);
    assert_int_equal(ac_cache_cert_load(f->ctx, f->st, "example.com", 0, &c),
                     AUTOCERT_ERR_NOT_FOUND);
}

/* ---- accounts ---------------------------------------------------------------------------- */

static void test_account_round_trip(void **state)
{
    fixture *f = *state;
    EVP_PKEY *key = new_key(), *back = NULL;
    char *set = NULL, *url = NULL, *text;
    json_t *j;

    assert_int_equal(ac_cache_account_set(f->ctx, DIR_URL, &set), AUTOCERT_OK);
    /* None yet: NOT_FOUND. */
    assert_int_equal(ac_cache_account_load(f->ctx, f->st, set, &back, &url),
                     AUTOCERT_ERR_NOT_FOUND);
    assert_null(back);
    assert_null(url);

    assert_int_equal(autocert_set_email(f->ctx, "admin@example.com"), AUTOCERT_OK);
    assert_int_equal(ac_cache_account_save(f->ctx, f->st, set, key, "https://acme.example/acct/7",
                                           DIR_URL),
                     AUTOCERT_OK);
    assert_int_equal(ac_cache_account_load(f->ctx, f->st, set, &back, &url), AUTOCERT_OK);
    assert_int_equal(EVP_PKEY_eq(back, key), 1);
    assert_string_equal(url, "https://acme.example/acct/7");
    text = item(f, set, AC_ITEM_ACCOUNT_META);
    j = json_loads(text, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "directory")), DIR_URL);
    assert_string_equal(json_string_value(json_object_get(j, "email")), "admin@example.com");
    assert_string_equal(json_string_value(json_object_get(j, "key_type")), "ec256");
    json_decref(j);
    free(text);
    EVP_PKEY_free(back);
    free(url);

    /* Saved again without an e-mail: none recorded. */
    assert_int_equal(autocert_set_email(f->ctx, NULL), AUTOCERT_OK);
    assert_int_equal(ac_cache_account_save(f->ctx, f->st, set, key, "https://acme.example/acct/8",
                                           DIR_URL),
                     AUTOCERT_OK);
    text = item(f, set, AC_ITEM_ACCOUNT_META);
    j = json_loads(text, 0, NULL);
    assert_null(json_object_get(j, "email"));
    assert_string_equal(json_string_value(json_object_get(j, "url")),
                        "https://acme.example/acct/8");
    json_decref(j);
    free(text);
    EVP_PKEY_free(key);
    free(set);
}

static void test_account_key_only(void **state)
{
    fixture *f = *state;
    EVP_PKEY *key = new_key(), *back = NULL;
    char *pem = NULL, *url = (char *)"x";
    size_t len = 0;
    autocert_item it;

    assert_int_equal(ac_key_to_pem(f->ctx, key, &pem, &len), AUTOCERT_OK);
    it = (autocert_item){AC_ITEM_ACCOUNT_KEY, pem, len, 1};
    assert_int_equal(ac_storage_store(f->ctx, f->st, "accounts/only-key", &it, 1), AUTOCERT_OK);
    assert_int_equal(ac_cache_account_load(f->ctx, f->st, "accounts/only-key", &back, &url),
                     AUTOCERT_OK);
    assert_int_equal(EVP_PKEY_eq(back, key), 1);
    assert_null(url);
    EVP_PKEY_free(back);
    EVP_PKEY_free(key);
    ac_free_secret(pem, len);
}

static void test_account_corrupt(void **state)
{
    fixture *f = *state;
    EVP_PKEY *key = new_key(), *back = (EVP_PKEY *)&back;
    char *pem = NULL, *url = (char *)"x", *path;
    size_t len = 0;
    autocert_item it[2];
    static const char no_url[] = "{\"directory\": \"" DIR_URL "\"}";

    assert_int_equal(ac_key_to_pem(f->ctx, key, &pem, &len), AUTOCERT_OK);
    it[0] = (autocert_item){AC_ITEM_ACCOUNT_KEY, pem, len, 1};
    it[1] = (autocert_item){AC_ITEM_ACCOUNT_META, no_url, strlen(no_url), 0};
    assert_int_equal(ac_storage_store(f->ctx, f->st, "accounts/a", it, 2), AUTOCERT_OK);
    path = file_of(f, "accounts/a", AC_ITEM_ACCOUNT_META);
    assert_int_equal(ac_cache_account_load(f->ctx, f->st, "accounts/a", &back, &url),
                     AUTOCERT_ERR_CORRUPT);
    assert_null(back);
    assert_null(url);
    assert_non_null(strstr(autocert_last_error(f->ctx), path));
    assert_non_null(strstr(autocert_last_error(f->ctx), "no account URL"));
    free(path);

    /* A key that is not one: CORRUPT naming account.key. */
    it[0] = (autocert_item){AC_ITEM_ACCOUNT_KEY, "garbage", 7, 1};
    assert_int_equal(ac_storage_store(f->ctx, f->st, "accounts/b", it, 1), AUTOCERT_OK);
    path = file_of(f, "accounts/b", AC_ITEM_ACCOUNT_KEY);
    assert_int_equal(ac_cache_account_load(f->ctx, f->st, "accounts/b", &back, &url),
                     AUTOCERT_ERR_CORRUPT);
    assert_null(back);
    assert_non_null(strstr(autocert_last_error(f->ctx), path));
    free(path);
    EVP_PKEY_free(key);
    ac_free_secret(pem, len);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_set_keys),
        T(test_store_load_full),
        T(test_validity_source),
        T(test_meta_only_ignores_chain),
        T(test_incomplete_entry),
        T(test_meta_malformed),
        T(test_absent_entry),
        T(test_meta_update),
        T(test_store_refusals),
        T(test_account_round_trip),
        T(test_account_key_only),
        T(test_account_corrupt),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
