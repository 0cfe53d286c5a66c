/* ca.h: private declarations of the private CA toolkit. */
#ifndef AC_CA_H
#define AC_CA_H

#include "internal.h"

#include <openssl/x509.h>


/* x509io.c: the toolkit's files. */
/* Reads a whole file of at most `max` bytes; *data malloc'd, NUL-terminated. */
autocert_err ac_file_read(autocert_ctx *ctx, const char *path, size_t max,
                          unsigned char **data, size_t *len);
/* The first line of a password file (without the line end); *pw malloc'd,
 * free with ac_free_secret(*pw, strlen(*pw)). */
autocert_err ac_password_read(autocert_ctx *ctx, const char *path, char **pw);
/* Every certificate of a PEM, DER or PKCS#12 file, in file order (new stack). */
autocert_err ac_certs_load(autocert_ctx *ctx, const char *path, const char *password_file,
                           STACK_OF(X509) **out);
/* The private key of a PEM (plain or encrypted), DER or PKCS#12 file. */
autocert_err ac_privkey_load(autocert_ctx *ctx, const char *path, const char *password_file,
                             EVP_PKEY **out);
/* A CSR (PEM or DER) whose signature verifies. */
autocert_err ac_csr_load(autocert_ctx *ctx, const char *path, X509_REQ **out);
/* PEM text of a certificate appended to `b`. */
autocert_err ac_x509_pem_append(autocert_ctx *ctx, X509 *x, ac_buf *b);

typedef struct {
    const char *path;
    const void *data;
    size_t len;
    int secret; /* 0600 instead of 0644 */
} ac_outfile;
/* AUTOCERT_ERR_EXISTS (naming it) when one of the files exists. */
autocert_err ac_files_absent(autocert_ctx *ctx, const ac_outfile *f, size_t n);
/* Writes every file through a temporary file in the same directory: with
 * `force` renamed over the target, else linked (never replacing).  On
 * failure the files of this call are removed again. */
autocert_err ac_files_write(autocert_ctx *ctx, const ac_outfile *f, size_t n, int force);
/* Creates `dir` (mode 0700) unless it exists as a directory. */
autocert_err ac_dir_ensure(autocert_ctx *ctx, const char *dir);
/* "dir/base.ext", malloc'd. */
char *ac_path_join(const char *dir, const char *base, const char *ext);

/* x509build.c: the building blocks of a certificate. */
/* Seconds since the epoch of an ASN1_TIME, (time_t)-1 when unreadable. */
time_t ac_asn1_time(const ASN1_TIME *t);
/* A random positive 128-bit serial number. */
autocert_err ac_x509_set_serial(autocert_ctx *ctx, X509 *x);
/* notBefore a few minutes back (never before the issuer's), notAfter `days`
 * ahead; INVALID when days <= 0 or the certificate would outlive `issuer`
 * (NULL: self-signed) -- with `clamp` it ends with the issuer instead --
 * or the issuer is not currently valid. */
autocert_err ac_x509_set_validity(autocert_ctx *ctx, X509 *x, int days, X509 *issuer, int clamp);
/* One extension in openssl config syntax ("critical,CA:TRUE"); `issuer`
 * (NULL: x itself) is consulted for authorityKeyIdentifier. */
autocert_err ac_x509_add_ext(autocert_ctx *ctx, X509 *x, X509 *issuer, int nid, const char *value);
/* subjectAltName from validated identifiers. */
autocert_err ac_x509_add_sans(autocert_ctx *ctx, X509 *x, const ac_ident *ids, size_t n);
/* The digest for signing with `key`: SHA-384 for P-384 and larger, SHA-256
 * otherwise, NULL for Ed25519 (which has its own). */
const EVP_MD *ac_x509_md(EVP_PKEY *key);
autocert_err ac_x509_sign(autocert_ctx *ctx, X509 *x, EVP_PKEY *key);
/* A subject with one CN. */
autocert_err ac_x509_set_cn(autocert_ctx *ctx, X509 *x, int subject, const char *cn);

/* pkcs12.c */
/* Parses a DER PKCS#12; *key, *cert and *chain may each be NULL to ignore;
 * PASSWORD when the password (NULL: none) does not open it. */
autocert_err ac_p12_parse(autocert_ctx *ctx, const unsigned char *der, size_t len,
                          const char *what, const char *password, EVP_PKEY **key,
                          X509 **cert, STACK_OF(X509) **chain);

#endif /* AC_CA_H */
