/* keys.c: private key generation, PEM encoding and decoding, key type names. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "internal.h"

static const struct {
    const char *name;
    autocert_key_type type;
} key_names[] = {
    {"ec256", AUTOCERT_KEY_EC256},   {"ec384", AUTOCERT_KEY_EC384},
    {"rsa2048", AUTOCERT_KEY_RSA2048}, {"rsa3072", AUTOCERT_KEY_RSA3072},
    {"rsa4096", AUTOCERT_KEY_RSA4096}, {"ed25519", AUTOCERT_KEY_ED25519},
    /* aliases */
    {"p256", AUTOCERT_KEY_EC256},    {"p384", AUTOCERT_KEY_EC384},
    {"ecdsa", AUTOCERT_KEY_EC256},   {"rsa", AUTOCERT_KEY_RSA2048},
};

autocert_err autocert_key_type_parse(const char *name, autocert_key_type *out)
{
    size_t i;

    if (name == NULL)
        return AUTOCERT_ERR_INVALID;
    for (i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++) {
        if (strcasecmp(name, key_names[i].name) == 0) {
            *out = key_names[i].type;
            return AUTOCERT_OK;
        }
    }
    return AUTOCERT_ERR_INVALID;
}

const char *autocert_key_type_name(autocert_key_type type)
{
    size_t i;

    for (i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
        if (key_names[i].type == type)
            return key_names[i].name;
    return "unknown";
}

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* Fuzz builds (configure --enable-fuzzers) use one fixed P-256 key instead
 * of generating one: runs are reproducible and no input pays for a key. */
static EVP_PKEY *fixed_ec256(void)
{
    static const char pem[] =
        "-----BEGIN PRIVATE KEY-----\n"
        "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgeRpObGDg2YYDKebH\n"
        "4oFkP9/p1Qs+SxpYsOnTKe9lWguhRANCAASEaQ5WEvoBKJjNsSY+MHcYn/+xXf5Z\n"
        "VDWriivDtjDnHfNBS2xTkWooxlYBRKxHrDXxBETno3wEJSc3aDv+onwN\n"
        "-----END PRIVATE KEY-----\n";
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

    BIO_free(bio);
    return key;
}
#endif

autocert_err ac_key_generate(autocert_ctx *ctx, autocert_key_type type, EVP_PKEY **out)
{
    EVP_PKEY *key = NULL;
    double t0 = ac_now();

    *out = NULL;
    switch (type) {
    case AUTOCERT_KEY_EC256:
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
        key = fixed_ec256();
#else
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
#endif
        break;
    case AUTOCERT_KEY_EC384:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        break;
    case AUTOCERT_KEY_RSA2048:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        break;
    case AUTOCERT_KEY_RSA3072:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
        break;
    case AUTOCERT_KEY_RSA4096:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
        break;
    case AUTOCERT_KEY_ED25519:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    default:
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "unknown key type %d", (int)type);
    }
    ac_ctx_spent(ctx, AC_TIME_KEYS, t0);
    if (key == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot generate a %s key",
                          autocert_key_type_name(type));
    *out = key;
    return AUTOCERT_OK;
}

autocert_err ac_key_to_pem(autocert_ctx *ctx, EVP_PKEY *key, char **pem, size_t *len)
{
    BIO *bio = NULL;
    BUF_MEM *mem = NULL;
    char *copy = NULL;
    autocert_err rc = AUTOCERT_OK;

    *pem = NULL;
    *len = 0;
    bio = BIO_new(BIO_s_secmem());
    if (bio == NULL)
        bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot encode private key");
        goto out;
    }
    BIO_get_mem_ptr(bio, &mem);
    copy = malloc(mem->length + 1);
    if (copy == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(copy, mem->data, mem->length);
    copy[mem->length] = '\0';
    *pem = copy;
    *len = mem->length;
out:
    BIO_free(bio); /* secure/mem BIOs are cleansed on free for secmem */
    return rc;
}

/* PEM passphrase callback: notes that a passphrase was asked for and gives none. */
static int refuse_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(int *)u = 1;
    return -1;
}

autocert_err ac_key_from_pem(autocert_ctx *ctx, const void *pem, size_t len,
                             const char *what, EVP_PKEY **out)
{
    BIO *bio = NULL;
    EVP_PKEY *key = NULL;
    int encrypted = 0;

    *out = NULL;
    if (len > INT32_MAX)
        return ac_err(ctx, AUTOCERT_ERR_CORRUPT, "%s: too large for a key", what);
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    /* No passphrase at all: an encrypted key is refused before any key
     * derivation (not tried with an empty passphrase, whose derivation may
     * ask for billions of rounds), and nothing prompts. */
    key = PEM_read_bio_PrivateKey(bio, NULL, refuse_passphrase, &encrypted);
    BIO_free(bio);
    if (key == NULL && encrypted) {
        ERR_clear_error();
        return ac_err(ctx, AUTOCERT_ERR_CORRUPT,
                      "%s: the private key is encrypted (only unencrypted keys are read)", what);
    }
    if (key == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_CORRUPT, "%s: not a readable PEM private key", what);
    *out = key;
    return AUTOCERT_OK;
}

const char *ac_key_type_of(EVP_PKEY *key)
{
    int bits;

    if (key == NULL)
        return "unknown";
    bits = EVP_PKEY_get_bits(key);
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[64];
        size_t glen = 0;

        if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                            sizeof(group), &glen))
            return "unknown";
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
            return "ec256";
        if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
            return "ec384";
        if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0)
            return "ec521";
        return "unknown";
    }
    if (EVP_PKEY_is_a(key, "RSA")) {
        switch (bits) {
        case 2048: return "rsa2048";
        case 3072: return "rsa3072";
        case 4096: return "rsa4096";
        default: return "rsa";
        }
    }
    if (EVP_PKEY_is_a(key, "ED25519"))
        return "ed25519";
    return "unknown";
}
