/* ca.h: private declarations of the private CA toolkit. */
#ifndef AC_CA_H
#define AC_CA_H

#include "internal.h"

#include <openssl/x509.h>

/* x509io.c: the toolkit's inputs. */
/* The first line of a password file (without the line end); *pw malloc'd,
 * free with ac_free_secret(*pw, strlen(*pw)). */
autocert_err ac_password_read(autocert_ctx *ctx, const char *path, char **pw);
/* Every certificate of a PEM, DER or PKCS#12 file, in file order (new stack). */
autocert_err ac_certs_load(autocert_ctx *ctx, const char *path, const char *password_file,
                           STACK_OF(X509) **out);
/* The private key of a PEM (plain or encrypted), DER or PKCS#12 file. */
autocert_err ac_privkey_load(autocert_ctx *ctx, const char *path, const char *password_file,
                             EVP_PKEY **out);
/* Parses a DER PKCS#12; *key, *cert and *chain may each be NULL to ignore;
 * PASSWORD when the password (NULL: none) does not open it. */
autocert_err ac_p12_parse(autocert_ctx *ctx, const unsigned char *der, size_t len,
                          const char *what, const char *password, EVP_PKEY **key,
                          X509 **cert, STACK_OF(X509) **chain);
/* A CSR (PEM or DER) whose signature verifies. */
autocert_err ac_csr_load(autocert_ctx *ctx, const char *path, X509_REQ **out);
/* PEM text of a certificate appended to `b`. */
autocert_err ac_x509_pem_append(autocert_ctx *ctx, X509 *x, ac_buf *b);

/* x509build.c: the building blocks of a certificate. */
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

#endif /* AC_CA_H */
