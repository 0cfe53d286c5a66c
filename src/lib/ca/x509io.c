/* x509io.c: the private CA's files: reading certificates, keys, CSRs and passwords; safe writing. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca/ca.h"

#define MAX_PASSWORD 1024

autocert_err ac_file_read(autocert_ctx *ctx, const char *path, size_t max,
                          unsigned char **data, size_t *len)
{
    ac_buf b;
    unsigned char chunk[4096];
    int fd = -1;
    ssize_t n;
    autocert_err rc = AUTOCERT_OK;

    *data = NULL;
    *len = 0;
    ac_buf_init(&b, max);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = ac_err(ctx, errno == ENOENT ? AUTOCERT_ERR_NOT_FOUND : AUTOCERT_ERR_IO,
                    "%s: %s", path, strerror(errno));
        goto out;
    }
    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ac_err(ctx, AUTOCERT_ERR_IO, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (ac_buf_append(&b, chunk, (size_t)n) < 0) {
            rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: larger than %zu bytes", path, max);
            goto out;
        }
    }
    if (b.len == 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: empty file", path);
        goto out;
    }
    *len = b.len;
    *data = (unsigned char *)ac_buf_steal(&b);
out:
    OPENSSL_cleanse(chunk, sizeof(chunk));
    if (fd >= 0)
        close(fd);
    ac_buf_free_secret(&b);
    return rc;
}

autocert_err ac_password_read(autocert_ctx *ctx, const char *path, char **pw)
{
    unsigned char *data = NULL;
    size_t len = 0, n;
    autocert_err rc;

    *pw = NULL;
    if ((rc = ac_file_read(ctx, path, MAX_PASSWORD, &data, &len)) != AUTOCERT_OK)
        return rc;
    n = strcspn((char *)data, "\r\n");
    OPENSSL_cleanse(data + n, len - n);
    if (n == 0) {
        ac_free_secret(data, len);
        return ac_err(ctx, AUTOCERT_ERR_PASSWORD, "%s: the first line (the password) is empty", path);
    }
    *pw = (char *)data;
    return AUTOCERT_OK;
}

static int is_pem(const unsigned char *data, size_t len)
{
    (void)len;
    return strstr((const char *)data, "-----BEGIN ") != NULL;
}

/* Reads the password file if one is given; *pw stays NULL otherwise. */
static autocert_err maybe_password(autocert_ctx *ctx, const char *file, char **pw)
{
    *pw = NULL;
    return file ? ac_password_read(ctx, file, pw) : AUTOCERT_OK;
}

static void free_password(char *pw)
{
    if (pw)
        ac_free_secret(pw, strlen(pw));
}

autocert_err ac_certs_load(autocert_ctx *ctx, const char *path, const char *password_file,
                           STACK_OF(X509) **out)
{
    unsigned char *data = NULL;
    size_t len = 0;
    char *pw = NULL;
    BIO *bio = NULL;
    X509 *x = NULL, *p12cert = NULL;
    STACK_OF(X509) *certs = NULL, *p12chain = NULL;
    autocert_err rc;

    *out = NULL;
    if ((rc = ac_file_read(ctx, path, AC_MAX_FILE, &data, &len)) != AUTOCERT_OK)
        goto out;
    if ((certs = sk_X509_new_null()) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (is_pem(data, len)) {
        if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
            goto out;
        }
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
            if (!sk_X509_push(certs, x)) {
                rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
                goto out;
            }
            x = NULL;
        }
        ERR_clear_error();
    } else {
        const unsigned char *p = data;

        if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
            if (!sk_X509_push(certs, x)) {
                rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
                goto out;
            }
            x = NULL;
        } else {
            ERR_clear_error();
            if ((rc = maybe_password(ctx, password_file, &pw)) != AUTOCERT_OK)
                goto out;
            rc = ac_p12_parse(ctx, data, len, path, pw, NULL, &p12cert, &p12chain);
            if (rc != AUTOCERT_OK)
                goto out;
            if (p12cert && !sk_X509_push(certs, p12cert)) {
                rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
                goto out;
            }
            p12cert = NULL;
            while (p12chain && sk_X509_num(p12chain) > 0) {
                x = sk_X509_shift(p12chain);
                if (!sk_X509_push(certs, x)) {
                    rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
                    goto out;
                }
                x = NULL;
            }
        }
    }
    if (sk_X509_num(certs) == 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: no certificate in the file", path);
        goto out;
    }
    *out = certs;
    certs = NULL;
out:
    X509_free(x);
    X509_free(p12cert);
    sk_X509_pop_free(p12chain, X509_free);
    sk_X509_pop_free(certs, X509_free);
    BIO_free(bio);
    free_password(pw);
    ac_free_secret(data, len);
    return rc;
}

/* PEM password callback: `u` is the password or NULL (none: fail). */
static int pw_cb(char *buf, int size, int rwflag, void *u)
{
    const char *pw = u;
    size_t n;

    (void)rwflag;
    if (pw == NULL || size <= 0)
        return -1;
    n = strlen(pw);
    if (n > (size_t)size)
        return -1;
    memcpy(buf, pw, n);
    return (int)n;
}

autocert_err ac_privkey_load(autocert_ctx *ctx, const char *path, const char *password_file,
                             EVP_PKEY **out)
{
    unsigned char *data = NULL;
    size_t len = 0;
    char *pw = NULL;
    BIO *bio = NULL;
    EVP_PKEY *key = NULL;
    autocert_err rc;

    *out = NULL;
    if ((rc = ac_file_read(ctx, path, AC_MAX_FILE, &data, &len)) != AUTOCERT_OK)
        goto out;
    if ((rc = maybe_password(ctx, password_file, &pw)) != AUTOCERT_OK)
        goto out;
    if (is_pem(data, len)) {
        int encrypted = strstr((char *)data, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
                        strstr((char *)data, "Proc-Type: 4,ENCRYPTED") != NULL;

        if (encrypted && pw == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_PASSWORD,
                        "%s: the key is encrypted: a password file is needed", path);
            goto out;
        }
        if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
            goto out;
        }
        key = PEM_read_bio_PrivateKey(bio, NULL, pw_cb, pw);
        if (key == NULL) {
            if (encrypted)
                rc = ac_err(ctx, AUTOCERT_ERR_PASSWORD,
                            "%s: wrong password for the encrypted key", path);
            else
                rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: no readable private key", path);
            ERR_clear_error();
            goto out;
        }
    } else {
        const unsigned char *p = data;

        key = d2i_AutoPrivateKey(NULL, &p, (long)len);
        if (key == NULL) {
            ERR_clear_error();
            rc = ac_p12_parse(ctx, data, len, path, pw, &key, NULL, NULL);
            if (rc != AUTOCERT_OK)
                goto out;
            if (key == NULL) {
                rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: the PKCS#12 holds no private key", path);
                goto out;
            }
        }
    }
    *out = key;
    key = NULL;
out:
    EVP_PKEY_free(key);
    BIO_free(bio);
    free_password(pw);
    ac_free_secret(data, len);
    return rc;
}

autocert_err ac_csr_load(autocert_ctx *ctx, const char *path, X509_REQ **out)
{
    unsigned char *data = NULL;
    size_t len = 0;
    BIO *bio = NULL;
    X509_REQ *req = NULL;
    EVP_PKEY *pub;
    autocert_err rc;

    *out = NULL;
    if ((rc = ac_file_read(ctx, path, AC_MAX_FILE, &data, &len)) != AUTOCERT_OK)
        goto out;
    if (is_pem(data, len)) {
        if ((bio = BIO_new_mem_buf(data, (int)len)) != NULL)
            req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
    } else {
        const unsigned char *p = data;
        req = d2i_X509_REQ(NULL, &p, (long)len);
    }
    if (req == NULL) {
        ERR_clear_error();
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: not a certificate signing request", path);
        goto out;
    }
    pub = X509_REQ_get0_pubkey(req);
    if (pub == NULL || X509_REQ_verify(req, pub) != 1) {
        ERR_clear_error();
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: the CSR's signature does not verify", path);
        goto out;
    }
    *out = req;
    req = NULL;
out:
    X509_REQ_free(req);
    BIO_free(bio);
    free(data);
    return rc;
}

autocert_err ac_x509_pem_append(autocert_ctx *ctx, X509 *x, ac_buf *b)
{
    BIO *bio = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;
    autocert_err rc = AUTOCERT_OK;

    if (bio == NULL || !PEM_write_bio_X509(bio, x)) {
        rc = ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot encode a certificate");
        goto out;
    }
    BIO_get_mem_ptr(bio, &m);
    if (ac_buf_append(b, m->data, m->length) < 0)
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
out:
    BIO_free(bio);
    return rc;
}

char *ac_path_join(const char *dir, const char *base, const char *ext)
{
    ac_buf b;

    ac_buf_init(&b, 8192);
    if (ac_buf_appendf(&b, "%s%s%s%s", dir ? dir : "", dir && *dir ? "/" : "", base,
                       ext ? ext : "") < 0) {
        ac_buf_free(&b);
        return NULL;
    }
    return ac_buf_steal(&b);
}

autocert_err ac_dir_ensure(autocert_ctx *ctx, const char *dir)
{
    struct stat st;

    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return ac_err(ctx, AUTOCERT_ERR_IO, "%s: not a directory", dir);
        return AUTOCERT_OK;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return ac_err(ctx, AUTOCERT_ERR_IO, "cannot create directory %s: %s", dir, strerror(errno));
    return AUTOCERT_OK;
}

autocert_err ac_files_absent(autocert_ctx *ctx, const ac_outfile *f, size_t n)
{
    struct stat st;
    size_t i;

    for (i = 0; i < n; i++)
        if (lstat(f[i].path, &st) == 0)
            return ac_err(ctx, AUTOCERT_ERR_EXISTS,
                          "%s already exists (not overwritten; --force replaces it)", f[i].path);
    return AUTOCERT_OK;
}

/* The directory part of `path` ("." when none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Writes one temporary file next to f->path; *tmp malloc'd. */
static autocert_err write_temp(autocert_ctx *ctx, const ac_outfile *f, char **tmp)
{
    char *dir = dir_of(f->path);
    int fd = -1;
    autocert_err rc = AUTOCERT_OK;

    *tmp = dir ? ac_path_join(dir, ".autocert-tmp.XXXXXX", NULL) : NULL;
    if (*tmp == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* mkstemp creates the file 0600, so a key is never readable by others. */
    if ((fd = mkstemp(*tmp)) < 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_IO, "cannot create a file in %s: %s", dir, strerror(errno));
        free(*tmp);
        *tmp = NULL;
        goto out;
    }
    if (ac_write_all(fd, f->data, f->len) != 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_IO, "%s: %s", f->path, strerror(errno));
        goto out;
    }
    if (fchmod(fd, f->secret ? 0600 : 0644) != 0 || fsync(fd) != 0) {
        rc = ac_err(ctx, AUTOCERT_ERR_IO, "%s: %s", f->path, strerror(errno));
        goto out;
    }
out:
    if (fd >= 0 && close(fd) != 0 && rc == AUTOCERT_OK)
        rc = ac_err(ctx, AUTOCERT_ERR_IO, "%s: %s", f->path, strerror(errno));
    if (rc != AUTOCERT_OK && *tmp) {
        unlink(*tmp);
        free(*tmp);
        *tmp = NULL;
    }
    free(dir);
    return rc;
}

static void sync_dir(const char *path)
{
    char *dir = dir_of(path);

    if (dir)
        (void)ac_fsync_dir(dir);
    free(dir);
}

autocert_err ac_files_write(autocert_ctx *ctx, const ac_outfile *f, size_t n, int force)
{
    char **tmp = NULL;
    int *placed = NULL;
    size_t i;
    autocert_err rc = AUTOCERT_OK;

    if ((tmp = calloc(n ? n : 1, sizeof(*tmp))) == NULL ||
        (placed = calloc(n ? n : 1, sizeof(*placed))) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!force && (rc = ac_files_absent(ctx, f, n)) != AUTOCERT_OK)
        goto out;
    for (i = 0; i < n; i++)
        if ((rc = write_temp(ctx, &f[i], &tmp[i])) != AUTOCERT_OK)
            goto out;
    for (i = 0; i < n; i++) {
        if (force) {
            if (rename(tmp[i], f[i].path) != 0) {
                rc = ac_err(ctx, AUTOCERT_ERR_IO, "cannot replace %s: %s", f[i].path, strerror(errno));
                goto out;
            }
        } else {
            /* link() never replaces: a file that appeared meanwhile is kept. */
            if (link(tmp[i], f[i].path) != 0) {
                rc = ac_err(ctx, errno == EEXIST ? AUTOCERT_ERR_EXISTS : AUTOCERT_ERR_IO,
                            "cannot create %s: %s", f[i].path, strerror(errno));
                goto out;
            }
            unlink(tmp[i]);
        }
        placed[i] = 1;
        free(tmp[i]);
        tmp[i] = NULL;
        sync_dir(f[i].path);
    }
out:
    for (i = 0; tmp && i < n; i++) {
        if (tmp[i]) {
            unlink(tmp[i]);
            free(tmp[i]);
        }
        /* Without force nothing existed before: take back what this call made. */
        if (rc != AUTOCERT_OK && !force && placed && placed[i])
            unlink(f[i].path);
    }
    free(tmp);
    free(placed);
    return rc;
}
