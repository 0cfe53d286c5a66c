/* ca_unit.h: fixtures shared by the private CA unit tests: a scratch directory, CAs, certificates and CSRs. */
#ifndef AC_CA_UNIT_H
#define AC_CA_UNIT_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "autocert.h"

typedef struct {
    autocert_ctx *ctx;
    char dir[64];
} fixture;

/* cmocka setup/teardown: a fresh context and an empty directory under
 * /tmp (a fixture * in *state), removed afterwards. */
int fx_setup(void **state);
int fx_teardown(void **state);

/* "DIR/name", malloc'd. */
char *fx_path(fixture *f, const char *name);
void fx_write(fixture *f, const char *name, const void *data, size_t len);
void fx_write_text(fixture *f, const char *name, const char *text);
/* The first PEM certificate of a file. */
X509 *fx_load_first(const char *file);
/* How many certificates ac_certs_load finds in a file. */
int fx_count_certs(const char *file);

/* A root CA (ca.crt, ca.key) and with `inter` an intermediate
 * (intermediate.crt, .key) in the directory. */
void fx_make_cas(fixture *f, int inter, autocert_key_type kt);
/* autocert_ca_issue by the CA of file `ca` ("ca.crt", its key "ca.key"),
 * base name `name` (NULL: node), one DNS name and one IP address (each may
 * be NULL), `days` (0: the default). */
autocert_err fx_issue(fixture *f, const char *ca, const char *name, unsigned usage,
                      const char *dns, const char *ip, int days);

/* A new key of type `t`. */
EVP_PKEY *fx_key(autocert_key_type t);
/* Appends a SAN entry of `type` holding `len` bytes: GEN_DNS, GEN_EMAIL and
 * GEN_URI as IA5String (NULs allowed), GEN_IPADD as the raw octets. */
void fx_san_add(GENERAL_NAMES *gens, int type, const void *data, int len);
/* Appends a registeredID entry (a kind that is neither DNS, IP, e-mail nor URI). */
void fx_san_add_rid(GENERAL_NAMES *gens, const char *oid);
/* A v3 certificate for `pub` with CN `cn`, valid from `nb` to `na`,
 * issued by `issuer` (NULL: itself) and signed with `sign_key`;
 * basicConstraints `bc` and the SANs are added when not NULL.  Built with
 * OpenSSL alone, independent of the code under test. */
X509 *fx_make_cert(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *sign_key, time_t nb,
                   time_t na, const char *bc, GENERAL_NAMES *sans);
/* PEM text of a certificate, malloc'd. */
char *fx_pem(X509 *x);
/* Writes the PEM of `n` certificates into one file. */
void fx_write_certs(fixture *f, const char *name, X509 **certs, int n);
/* Writes a PEM CSR signed by `key`, subject CN `cn` (NULL: none), with the
 * SANs (NULL: no extension). */
void fx_write_csr(fixture *f, const char *name, EVP_PKEY *key, const char *cn,
                  GENERAL_NAMES *sans);

#endif
