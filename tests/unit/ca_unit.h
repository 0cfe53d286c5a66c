/* ca_unit.h: fixtures shared by the private CA unit tests: a scratch directory, CAs and node certificates. */
#ifndef AC_CA_UNIT_H
#define AC_CA_UNIT_H

#include <stddef.h>

#include <openssl/x509.h>

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

#endif
