/* ca_unit.c: fixtures shared by the private CA unit tests. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca_unit.h"

int fx_setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/autocert-unit.XXXXXX");
    if (mkdtemp(f->dir) == NULL || (f->ctx = autocert_ctx_new()) == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

int fx_teardown(void **state)
{
    fixture *f = *state;
    int rc = ac_remove_tree(f->dir);

    autocert_ctx_free(f->ctx);
    free(f);
    return rc;
}

char *fx_path(fixture *f, const char *name)
{
    char *p = ac_path_join(f->dir, name, NULL);

    assert_non_null(p);
    return p;
}

void fx_write(fixture *f, const char *name, const void *data, size_t len)
{
    char *p = fx_path(f, name);
    FILE *fp = fopen(p, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    free(p);
}

void fx_write_text(fixture *f, const char *name, const char *text)
{
    fx_write(f, name, text, strlen(text));
}

X509 *fx_load_first(const char *file)
{
    FILE *fp = fopen(file, "r");
    X509 *x;

    assert_non_null(fp);
    x = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(x);
    return x;
}

int fx_count_certs(const char *file)
{
    STACK_OF(X509) *s = NULL;
    int n;

    assert_int_equal(ac_certs_load(NULL, file, NULL, &s), AUTOCERT_OK);
    n = sk_X509_num(s);
    sk_X509_pop_free(s, X509_free);
    return n;
}

void fx_make_cas(fixture *f, int inter, autocert_key_type kt)
{
    autocert_ca_params p;
    char *c = fx_path(f, "ca.crt"), *k = fx_path(f, "ca.key");

    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.key_type = kt;
    assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_OK);
    if (inter) {
        p.flags = AUTOCERT_CA_INTERMEDIATE;
        p.issuer_cert = c;
        p.issuer_key = k;
        assert_int_equal(autocert_ca_create(f->ctx, &p, NULL, NULL), AUTOCERT_OK);
    }
    free(c);
    free(k);
}

autocert_err fx_issue(fixture *f, const char *ca, const char *name, unsigned usage,
                      const char *dns, const char *ip, int days)
{
    autocert_ca_params p;
    char *c = fx_path(f, ca), *k;
    char keyname[64];
    const char *dv[1] = {dns}, *iv[1] = {ip};
    autocert_err rc;

    snprintf(keyname, sizeof(keyname), "%.*s.key", (int)(strlen(ca) - 4), ca);
    k = fx_path(f, keyname);
    autocert_ca_params_init(&p);
    p.out_dir = f->dir;
    p.name = name;
    p.usage = usage;
    p.dns = dns ? dv : NULL;
    p.n_dns = dns ? 1 : 0;
    p.ips = ip ? iv : NULL;
    p.n_ips = ip ? 1 : 0;
    p.days = days;
    p.issuer_cert = c;
    p.issuer_key = k;
    rc = autocert_ca_issue(f->ctx, &p, NULL, NULL);
    free(c);
    free(k);
    return rc;
}
