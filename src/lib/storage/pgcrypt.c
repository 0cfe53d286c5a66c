/* pgcrypt.c: secret items sealed at rest (AES-256-GCM, bound to set, item and generation) and the key file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "storage/pg.h"

#define AAD_TAG "autocert sealed item v1"
#define KEY_FILE_MAX 66 /* 64 hex digits and a newline, and one byte to see more */

/* The key from the file's bytes: 32 raw, or 64 hex digits (one newline after). */
static int key_from(const unsigned char *buf, size_t n, unsigned char *key)
{
    size_t i;

    if (n == AC_PG_KEY_LEN) {
        memcpy(key, buf, AC_PG_KEY_LEN);
        return 0;
    }
    if (n == 2 * AC_PG_KEY_LEN + 1 && buf[n - 1] == '\n')
        n--;
    if (n != 2 * AC_PG_KEY_LEN)
        return -1;
    for (i = 0; i < AC_PG_KEY_LEN; i++) {
        int hi = OPENSSL_hexchar2int(buf[2 * i]), lo = OPENSSL_hexchar2int(buf[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

autocert_err ac_pgcrypt_read_key(const char *path, unsigned char key[AC_PG_KEY_LEN], char *detail)
{
    unsigned char buf[KEY_FILE_MAX + 1];
    struct stat sb;
    ssize_t r;
    size_t n = 0;
    int fd;
    autocert_err rc = AUTOCERT_ERR_INVALID;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
        snprintf(detail, AUTOCERT_STORAGE_DETAIL, "cannot open key file %s: %s", path,
                 AC_STRERROR(errno));
        return AUTOCERT_ERR_IO;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(detail, AUTOCERT_STORAGE_DETAIL, "key file %s: not a regular file", path);
        goto out;
    }
    if ((sb.st_mode & 077) != 0) {
        snprintf(detail, AUTOCERT_STORAGE_DETAIL,
                 "key file %s: mode %03o lets group or others read it (chmod 600)", path,
                 (unsigned)(sb.st_mode & 0777));
        goto out;
    }
    while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(detail, AUTOCERT_STORAGE_DETAIL, "cannot read key file %s: %s", path,
                     AC_STRERROR(errno));
            rc = AUTOCERT_ERR_IO;
            goto out;
        }
        n += (size_t)r;
    }
    if (key_from(buf, n, key) == 0)
        rc = AUTOCERT_OK;
    else
        snprintf(detail, AUTOCERT_STORAGE_DETAIL,
                 "key file %s: expected exactly 32 bytes or 64 hexadecimal digits "
                 "(openssl rand -hex 32)", path);
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    close(fd);
    return rc;
}

/* The additional authenticated data: what the sealed bytes belong to. */
static unsigned char *aad_of(const char *set, const char *item, long long gen, size_t *n)
{
    size_t ls = strlen(set), li = strlen(item), tl = sizeof(AAD_TAG);
    unsigned char *a = malloc(tl + ls + 1 + li + 1 + 8), *p;
    unsigned long long g = (unsigned long long)gen;
    int i;

    if (a == NULL)
        return NULL;
    p = a;
    memcpy(p, AAD_TAG, tl); /* with its NUL */
    p += tl;
    memcpy(p, set, ls + 1);
    p += ls + 1;
    memcpy(p, item, li + 1);
    p += li + 1;
    for (i = 7; i >= 0; i--)
        *p++ = (unsigned char)(g >> (8 * i));
    *n = (size_t)(p - a);
    return a;
}

/* The id of a key: which key sealed an item, so that another key is told
 * apart from a changed row.  0, or -1. */
static int key_id(const unsigned char *key, unsigned char *id)
{
    static const char tag[] = "autocert key id";
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok;

    ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(c, tag, sizeof(tag)) == 1 &&
         EVP_DigestUpdate(c, key, AC_PG_KEY_LEN) == 1 && EVP_DigestFinal_ex(c, md, &mdlen) == 1;
    EVP_MD_CTX_free(c);
    if (ok)
        memcpy(id, md, AC_PGCRYPT_KEYID_LEN);
    return ok ? 0 : -1;
}

/* One AES-256-GCM pass: encrypts (enc) or decrypts `in` into `out`; the
 * tag is written to or checked against `tag`.  0, or -1. */
static int gcm(int enc, const unsigned char *key, const unsigned char *iv, const unsigned char *aad,
               size_t aadlen, const unsigned char *in, size_t n, unsigned char *out,
               unsigned char *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok;

    ok = c != NULL && n <= 0x7fffffff && aadlen <= 0x7fffffff &&
         EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, AC_PGCRYPT_IV_LEN, NULL) == 1 &&
         EVP_CipherInit_ex(c, NULL, NULL, key, iv, enc) == 1 &&
         EVP_CipherUpdate(c, NULL, &len, aad, (int)aadlen) == 1 &&
         (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n) == 1) &&
         (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, AC_PGCRYPT_TAG_LEN, tag) == 1) &&
         EVP_CipherFinal_ex(c, out + (n ? len : 0), &len) == 1 &&
         (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, AC_PGCRYPT_TAG_LEN, tag) == 1);
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

autocert_err ac_pgcrypt_seal(const unsigned char key[AC_PG_KEY_LEN], const char *set,
                             const char *item, long long gen, const unsigned char *in,
                             size_t n, unsigned char **out, size_t *outlen)
{
    size_t aadlen = 0;
    unsigned char *aad = aad_of(set, item, gen, &aadlen), *o;

    *out = NULL;
    *outlen = 0;
    if (aad == NULL || n > AC_MAX_FILE || (o = malloc(n + AC_PGCRYPT_OVERHEAD)) == NULL) {
        free(aad);
        return AUTOCERT_ERR_NOMEM;
    }
    o[0] = AC_PGCRYPT_VERSION;
    if (key_id(key, o + 1) != 0 || RAND_bytes(o + 1 + AC_PGCRYPT_KEYID_LEN, AC_PGCRYPT_IV_LEN) != 1 ||
        gcm(1, key, o + 1 + AC_PGCRYPT_KEYID_LEN, aad, aadlen, in, n, o + AC_PGCRYPT_HEAD,
            o + AC_PGCRYPT_HEAD + n) != 0) {
        free(aad);
        free(o);
        return AUTOCERT_ERR_CRYPTO;
    }
    free(aad);
    *out = o;
    *outlen = n + AC_PGCRYPT_OVERHEAD;
    return AUTOCERT_OK;
}

autocert_err ac_pgcrypt_open(const unsigned char key[AC_PG_KEY_LEN], const char *set,
                             const char *item, long long gen, const unsigned char *in,
                             size_t n, unsigned char **out, size_t *outlen)
{
    unsigned char tag[AC_PGCRYPT_TAG_LEN], id[AC_PGCRYPT_KEYID_LEN], *aad, *o;
    size_t aadlen = 0, clen;

    *out = NULL;
    *outlen = 0;
    if (n < AC_PGCRYPT_OVERHEAD || in[0] != AC_PGCRYPT_VERSION)
        return AUTOCERT_ERR_CORRUPT;
    if (key_id(key, id) != 0)
        return AUTOCERT_ERR_CRYPTO;
    if (CRYPTO_memcmp(id, in + 1, sizeof(id)) != 0)
        return AUTOCERT_ERR_PASSWORD;
    clen = n - AC_PGCRYPT_OVERHEAD;
    memcpy(tag, in + n - AC_PGCRYPT_TAG_LEN, sizeof(tag));
    if ((aad = aad_of(set, item, gen, &aadlen)) == NULL || (o = malloc(clen + 1)) == NULL) {
        free(aad);
        return AUTOCERT_ERR_NOMEM;
    }
    if (gcm(0, key, in + 1 + AC_PGCRYPT_KEYID_LEN, aad, aadlen, in + AC_PGCRYPT_HEAD, clen, o,
            tag) != 0) {
        free(aad);
        ac_free_secret(o, clen + 1);
        return AUTOCERT_ERR_CORRUPT;
    }
    free(aad);
    o[clen] = '\0';
    *out = o;
    *outlen = clen;
    return AUTOCERT_OK;
}
