/* inspect.c: human and JSON summaries of certificates, CSRs, keys and bundles. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"

/* ---- facts as JSON ------------------------------------------------------- */

/* Text from the file, safe to print: control bytes, bytes that are not
 * UTF-8 and characters that reorder or break lines shown escaped (so the
 * JSON string always exists); NULL when memory ran out. */
static json_t *safe_json(const char *s, size_t n, size_t max)
{
    char *copy = strndup(s, n), *e = copy ? ac_escape_dup(copy, max) : NULL;
    json_t *j = e ? json_string(e) : NULL;

    free(copy);
    free(e);
    return j;
}

static json_t *name_json(const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;
    json_t *j = NULL;

    if (bio && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        BIO_get_mem_ptr(bio, &m);
        j = safe_json(m->data, m->length, 4096);
    }
    BIO_free(bio);
    return j ? j : json_string("");
}

static json_t *time_json(time_t t)
{
    char buf[32];

    if (t == (time_t)-1)
        return json_null();
    ac_utc_format(t, AC_UTC_ISO, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *hex_json(const unsigned char *p, size_t n, int colons)
{
    static const char digits[] = "0123456789ABCDEF";
    ac_buf b;
    json_t *j;
    size_t i;

    ac_buf_init(&b, 4096);
    for (i = 0; i < n; i++) {
        char c[3] = {digits[p[i] >> 4], digits[p[i] & 15], ':'};
        if (ac_buf_append(&b, c, (colons && i + 1 < n) ? 3 : 2) < 0)
            break;
    }
    j = json_string(b.data ? (char *)b.data : "");
    ac_buf_free(&b);
    return j;
}

static json_t *key_json(EVP_PKEY *key)
{
    const char *alg = EVP_PKEY_is_a(key, "EC")        ? "ECDSA"
                      : EVP_PKEY_is_a(key, "RSA")     ? "RSA"
                      : EVP_PKEY_is_a(key, "ED25519") ? "Ed25519"
                                                      : EVP_PKEY_get0_type_name(key);

    return json_pack("{s:s, s:s?, s:i}", "type", ac_key_type_of(key), "algorithm", alg, "bits",
                     EVP_PKEY_get_bits(key));
}

static const char *san_prefix(ac_san_type t)
{
    switch (t) {
    case AC_SAN_DNS: return "DNS:";
    case AC_SAN_IP: return "IP:";
    case AC_SAN_EMAIL: return "email:";
    case AC_SAN_URI: return "URI:";
    default: return "other";
    }
}

/* "DNS:name", "IP:192.0.2.7" ("IP:?" when unreadable), "email:...",
 * "URI:...", "other"; NULL when memory ran out. */
static json_t *sans_json(const GENERAL_NAMES *gens)
{
    json_t *a = json_array();
    ac_sans s;
    size_t i;

    if (a == NULL || ac_sans_parse(NULL, gens, &s) != AUTOCERT_OK) {
        json_decref(a);
        return NULL;
    }
    for (i = 0; i < s.n; i++) {
        const char *v = s.v[i].value;
        ac_buf b;

        ac_buf_init(&b, 1024);
        ac_buf_appendf(&b, "%s", san_prefix(s.v[i].type));
        if (s.v[i].type == AC_SAN_IP && v == NULL)
            ac_buf_appendf(&b, "?");
        else if (v)
            ac_buf_append(&b, v, strlen(v));
        /* Escaped, never left out: a name that is not UTF-8 is shown too. */
        if (b.data)
            json_array_append_new(a, safe_json((char *)b.data, b.len, 1024));
        ac_buf_free(&b);
    }
    ac_sans_clear(&s);
    return a;
}

static json_t *key_usage_json(X509 *x)
{
    static const struct { uint32_t bit; const char *name; } ku[] = {
        {KU_DIGITAL_SIGNATURE, "digitalSignature"}, {KU_NON_REPUDIATION, "nonRepudiation"},
        {KU_KEY_ENCIPHERMENT, "keyEncipherment"}, {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
        {KU_KEY_AGREEMENT, "keyAgreement"}, {KU_KEY_CERT_SIGN, "keyCertSign"},
        {KU_CRL_SIGN, "cRLSign"},
    };
    json_t *a = json_array();
    uint32_t bits = X509_get_key_usage(x);
    size_t i;

    if (!(X509_get_extension_flags(x) & EXFLAG_KUSAGE))
        return a;
    for (i = 0; i < sizeof(ku) / sizeof(ku[0]); i++)
        if (bits & ku[i].bit)
            json_array_append_new(a, json_string(ku[i].name));
    return a;
}

static json_t *eku_json(X509 *x)
{
    static const struct { uint32_t bit; const char *name; } xku[] = {
        {XKU_SSL_SERVER, "serverAuth"}, {XKU_SSL_CLIENT, "clientAuth"},
        {XKU_CODE_SIGN, "codeSigning"}, {XKU_SMIME, "emailProtection"},
        {XKU_TIMESTAMP, "timeStamping"}, {XKU_OCSP_SIGN, "OCSPSigning"},
    };
    json_t *a = json_array();
    uint32_t bits = X509_get_extended_key_usage(x);
    size_t i;

    if (!(X509_get_extension_flags(x) & EXFLAG_XKUSAGE))
        return a;
    for (i = 0; i < sizeof(xku) / sizeof(xku[0]); i++)
        if (bits & xku[i].bit)
            json_array_append_new(a, json_string(xku[i].name));
    return a;
}

static json_t *cert_json(X509 *x)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    char *serial_hex = bn ? BN_bn2hex(bn) : NULL;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    time_t nb = ac_asn1_time(X509_get0_notBefore(x)), na = ac_asn1_time(X509_get0_notAfter(x));
    time_t now = time(NULL);
    uint32_t flags = X509_get_extension_flags(x);
    int is_ca = X509_check_ca(x) >= 1;
    long pathlen = X509_get_pathlen(x);
    EVP_PKEY *pub = X509_get0_pubkey(x);
    double left = na == (time_t)-1 ? 0 : difftime(na, now) / 86400.0;
    json_t *j;

    X509_digest(x, EVP_sha256(), md, &mdlen);
    j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:s, s:o, s:s?, s:o, s:b, s:b, s:o, s:o, s:s}",
                  "type", "certificate", "subject", name_json(X509_get_subject_name(x)),
                  "issuer", name_json(X509_get_issuer_name(x)), "sans", sans_json(gens),
                  "not_before", time_json(nb), "not_after", time_json(na),
                  "days_left", (json_int_t)(left < 0 ? left - 1 : left),
                  "status", na != (time_t)-1 && na < now ? "expired"
                            : nb != (time_t)-1 && nb > now ? "not yet valid" : "valid",
                  "key", pub ? key_json(pub) : json_null(), "serial", serial_hex,
                  "sha256", hex_json(md, mdlen, 1), "ca", is_ca,
                  "self_signed", (flags & EXFLAG_SS) != 0, "key_usage", key_usage_json(x),
                  "ext_key_usage", eku_json(x), "signature",
                  OBJ_nid2ln(X509_get_signature_nid(x)));
    if (j && is_ca && pathlen >= 0)
        json_object_set_new(j, "path_len", json_integer(pathlen));
    GENERAL_NAMES_free(gens);
    OPENSSL_free(serial_hex);
    BN_free(bn);
    return j;
}

static json_t *csr_json(X509_REQ *req)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
    EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
    int sig_ok = pub && X509_REQ_verify(req, pub) == 1;
    json_t *j;

    ERR_clear_error();
    j = json_pack("{s:s, s:o, s:o, s:o, s:b}", "type", "csr", "subject",
                  name_json(X509_REQ_get_subject_name(req)), "sans", sans_json(gens), "key",
                  pub ? key_json(pub) : json_null(), "signature_valid", sig_ok);
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return j;
}

/* ---- collecting the items of a file -------------------------------------- */

typedef struct {
    json_t *items;          /* array of objects */
    STACK_OF(X509) *certs;  /* every certificate, file order */
    EVP_PKEY *key;          /* the first private key */
    const char *password;
} collect;

static autocert_err add_cert(autocert_ctx *ctx, collect *c, X509 *x)
{
    json_t *j = cert_json(x);

    if (j == NULL || json_array_append_new(c->items, j) < 0 || !X509_up_ref(x))
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if (!sk_X509_push(c->certs, x)) {
        X509_free(x);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    return AUTOCERT_OK;
}

static autocert_err add_key(autocert_ctx *ctx, collect *c, EVP_PKEY *key)
{
    json_t *j = json_pack("{s:s, s:o}", "type", "private key", "key", key_json(key));

    if (j == NULL || json_array_append_new(c->items, j) < 0)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if (c->key == NULL && EVP_PKEY_up_ref(key))
        c->key = key;
    return AUTOCERT_OK;
}

static autocert_err add_simple(autocert_ctx *ctx, collect *c, json_t *j)
{
    if (j == NULL || json_array_append_new(c->items, j) < 0)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    return AUTOCERT_OK;
}

/* ---- one PEM block each -------------------------------------------------- */

static autocert_err add_cert_der(autocert_ctx *ctx, collect *c, const char *path,
                                 const unsigned char *der, long len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, len);
    autocert_err rc;

    if (x == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_INVALID, "%s: malformed certificate", path);
    rc = add_cert(ctx, c, x);
    X509_free(x);
    return rc;
}

static autocert_err add_csr_der(autocert_ctx *ctx, collect *c, const char *path,
                                const unsigned char *der, long len)
{
    const unsigned char *p = der;
    X509_REQ *r = d2i_X509_REQ(NULL, &p, len);
    autocert_err rc;

    if (r == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_INVALID, "%s: malformed CSR", path);
    rc = add_simple(ctx, c, csr_json(r));
    X509_REQ_free(r);
    return rc;
}

static autocert_err add_key_der(autocert_ctx *ctx, collect *c, const char *path,
                                const unsigned char *der, long len)
{
    const unsigned char *p = der;
    EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, len);
    autocert_err rc;

    if (k == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_INVALID, "%s: malformed private key", path);
    rc = add_key(ctx, c, k);
    EVP_PKEY_free(k);
    return rc;
}

/* An encrypted PKCS#8 key: described when the password opens it, else
 * listed as encrypted; PASSWORD when the given password does not open it. */
static autocert_err add_encrypted_key_der(autocert_ctx *ctx, collect *c, const char *path,
                                          const unsigned char *der, long len)
{
    const unsigned char *p = der;
    X509_SIG *sig = d2i_X509_SIG(NULL, &p, len);
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    EVP_PKEY *k = NULL;
    autocert_err rc;

    if (sig && c->password)
        p8 = PKCS8_decrypt(sig, c->password, (int)strlen(c->password));
    if (p8)
        k = EVP_PKCS82PKEY(p8);
    if (sig && c->password && k == NULL)
        rc = ac_err(ctx, AUTOCERT_ERR_PASSWORD, "%s: wrong password for the encrypted key", path);
    else if (k)
        rc = add_key(ctx, c, k);
    else
        rc = add_simple(ctx, c, json_pack("{s:s}", "type", "encrypted private key"));
    ERR_clear_error();
    EVP_PKEY_free(k);
    PKCS8_PRIV_KEY_INFO_free(p8);
    X509_SIG_free(sig);
    return rc;
}

static autocert_err add_pubkey_der(autocert_ctx *ctx, collect *c, const char *path,
                                   const unsigned char *der, long len)
{
    const unsigned char *p = der;
    EVP_PKEY *k = d2i_PUBKEY(NULL, &p, len);
    autocert_err rc;

    if (k == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_INVALID, "%s: malformed public key", path);
    rc = add_simple(ctx, c, json_pack("{s:s, s:o}", "type", "public key", "key", key_json(k)));
    EVP_PKEY_free(k);
    return rc;
}

/* One PEM block of type `name` holding DER `der`. */
static autocert_err add_block(autocert_ctx *ctx, collect *c, const char *path, const char *name,
                              const unsigned char *der, long len)
{
    if (strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0)
        return add_cert_der(ctx, c, path, der, len);
    if (strcmp(name, "CERTIFICATE REQUEST") == 0 || strcmp(name, "NEW CERTIFICATE REQUEST") == 0)
        return add_csr_der(ctx, c, path, der, len);
    if (strcmp(name, "PRIVATE KEY") == 0 || strcmp(name, "EC PRIVATE KEY") == 0 ||
        strcmp(name, "RSA PRIVATE KEY") == 0)
        return add_key_der(ctx, c, path, der, len);
    if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0)
        return add_encrypted_key_der(ctx, c, path, der, len);
    if (strcmp(name, "PUBLIC KEY") == 0)
        return add_pubkey_der(ctx, c, path, der, len);
    return add_simple(ctx, c, json_pack("{s:s, s:o}", "type", "other", "label",
                                        safe_json(name, strlen(name), 80)));
}

/* ---- a whole file -------------------------------------------------------- */

static autocert_err collect_pem(autocert_ctx *ctx, collect *c, const char *path,
                                const unsigned char *data, size_t len)
{
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long dlen = 0;
    autocert_err rc = AUTOCERT_OK;

    if (bio == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    while (rc == AUTOCERT_OK && PEM_read_bio(bio, &name, &header, &der, &dlen)) {
        if (header && strstr(header, "ENCRYPTED"))
            rc = add_simple(ctx, c, json_pack("{s:s}", "type", "encrypted private key"));
        else
            rc = add_block(ctx, c, path, name, der, dlen);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_clear_free(der, (size_t)dlen);
        name = header = NULL;
        der = NULL;
    }
    ERR_clear_error();
    BIO_free(bio);
    return rc;
}

/* The certificate, then the chain, then the key of a PKCS#12 bundle. */
static autocert_err collect_p12(autocert_ctx *ctx, collect *c, const char *path,
                                const unsigned char *data, size_t len)
{
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    STACK_OF(X509) *chain = NULL;
    autocert_err rc;
    int i;

    if ((rc = ac_p12_parse(ctx, data, len, path, c->password, &k, &x, &chain)) != AUTOCERT_OK)
        goto out;
    if (x && (rc = add_cert(ctx, c, x)) != AUTOCERT_OK)
        goto out;
    for (i = 0; chain && i < sk_X509_num(chain); i++)
        if ((rc = add_cert(ctx, c, sk_X509_value(chain, i))) != AUTOCERT_OK)
            goto out;
    if (k)
        rc = add_key(ctx, c, k);
out:
    X509_free(x);
    EVP_PKEY_free(k);
    sk_X509_pop_free(chain, X509_free);
    return rc;
}

/* A DER certificate, CSR or private key, else a PKCS#12 bundle. */
static autocert_err collect_der(autocert_ctx *ctx, collect *c, const char *path,
                                const unsigned char *data, size_t len)
{
    const unsigned char *p = data;
    X509 *x = NULL;
    X509_REQ *r = NULL;
    EVP_PKEY *k = NULL;
    autocert_err rc;

    if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
        rc = add_cert(ctx, c, x);
        goto out;
    }
    p = data;
    if ((r = d2i_X509_REQ(NULL, &p, (long)len)) != NULL) {
        rc = add_simple(ctx, c, csr_json(r));
        goto out;
    }
    p = data;
    if ((k = d2i_AutoPrivateKey(NULL, &p, (long)len)) != NULL) {
        rc = add_key(ctx, c, k);
        goto out;
    }
    ERR_clear_error();
    rc = collect_p12(ctx, c, path, data, len);
out:
    ERR_clear_error();
    X509_free(x);
    X509_REQ_free(r);
    EVP_PKEY_free(k);
    return rc;
}

/* ---- chain order --------------------------------------------------------- */

static json_t *chain_json(STACK_OF(X509) *certs)
{
    int i, n = sk_X509_num(certs);
    ac_buf b;
    json_t *j;
    const char *order = "ok";

    ac_buf_init(&b, 4096);
    for (i = 1; i < n; i++) {
        if (X509_check_issued(sk_X509_value(certs, i), sk_X509_value(certs, i - 1)) != X509_V_OK) {
            order = "wrong";
            ac_buf_appendf(&b, "certificate %d was not issued by certificate %d", i, i + 1);
            break;
        }
    }
    if (b.data == NULL)
        ac_buf_appendf(&b, "leaf first, each certificate followed by its issuer");
    if (n > 1 && (X509_get_extension_flags(sk_X509_value(certs, n - 1)) & EXFLAG_SS))
        ac_buf_appendf(&b, "; ends with a self-signed root (servers normally leave it out)");
    j = json_pack("{s:s, s:s}", "order", order, "detail", b.data ? (char *)b.data : "");
    ac_buf_free(&b);
    return j;
}

/* ---- text rendering ------------------------------------------------------ */

static const char *js(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void join_array(ac_buf *b, json_t *a)
{
    size_t i;
    json_t *v;

    if (json_array_size(a) == 0) {
        ac_buf_appendf(b, "(none)");
        return;
    }
    json_array_foreach(a, i, v) ac_buf_appendf(b, "%s%s", i ? ", " : "", json_string_value(v));
}

static void text_key(ac_buf *b, json_t *k)
{
    if (!json_is_object(k))
        return;
    ac_buf_appendf(b, "    key:         %s (%s, %d bits)\n", js(k, "type"), js(k, "algorithm"),
                   (int)json_integer_value(json_object_get(k, "bits")));
}

static void text_cert(ac_buf *b, size_t idx, json_t *it)
{
    int ca = json_is_true(json_object_get(it, "ca"));
    json_t *pl = json_object_get(it, "path_len");

    ac_buf_appendf(b, "  [%zu] certificate, %s", idx + 1,
                   !ca ? "leaf" : json_is_true(json_object_get(it, "self_signed")) ? "root CA" : "intermediate CA");
    if (pl)
        ac_buf_appendf(b, " (pathLen %d)", (int)json_integer_value(pl));
    ac_buf_appendf(b, "\n    subject:     %s\n    SANs:        ", js(it, "subject"));
    join_array(b, json_object_get(it, "sans"));
    ac_buf_appendf(b, "\n    issuer:      %s\n", js(it, "issuer"));
    ac_buf_appendf(b, "    validity:    %s to %s (%s, %lld days left)\n", js(it, "not_before"),
                   js(it, "not_after"), js(it, "status"),
                   (long long)json_integer_value(json_object_get(it, "days_left")));
    text_key(b, json_object_get(it, "key"));
    ac_buf_appendf(b, "    serial:      %s\n    sha256:      %s\n    signature:   %s\n",
                   js(it, "serial"), js(it, "sha256"), js(it, "signature"));
    ac_buf_appendf(b, "    key usage:   ");
    join_array(b, json_object_get(it, "key_usage"));
    ac_buf_appendf(b, "\n    ext usage:   ");
    join_array(b, json_object_get(it, "ext_key_usage"));
    ac_buf_appendf(b, "\n");
}

static void text_csr(ac_buf *b, size_t idx, json_t *it)
{
    ac_buf_appendf(b, "  [%zu] certificate signing request (signature %s)\n    subject:     %s\n"
                      "    SANs:        ",
                   idx + 1, json_is_true(json_object_get(it, "signature_valid")) ? "valid" : "INVALID",
                   js(it, "subject"));
    join_array(b, json_object_get(it, "sans"));
    ac_buf_appendf(b, "\n");
    text_key(b, json_object_get(it, "key"));
}

static void text_item(ac_buf *b, size_t idx, json_t *it)
{
    const char *type = js(it, "type");

    if (strcmp(type, "certificate") == 0) {
        text_cert(b, idx, it);
    } else if (strcmp(type, "csr") == 0) {
        text_csr(b, idx, it);
    } else if (strcmp(type, "other") == 0) {
        ac_buf_appendf(b, "  [%zu] PEM block \"%s\" (not described)\n", idx + 1, js(it, "label"));
    } else {
        ac_buf_appendf(b, "  [%zu] %s\n", idx + 1, type);
        text_key(b, json_object_get(it, "key"));
    }
}

static char *render_text(json_t *doc)
{
    ac_buf b;
    json_t *items = json_object_get(doc, "items"), *it, *v;
    size_t i;

    ac_buf_init(&b, AC_MAX_FILE);
    ac_buf_appendf(&b, "%s:\n", js(doc, "file"));
    json_array_foreach(items, i, it) text_item(&b, i, it);
    if ((v = json_object_get(doc, "chain")) != NULL)
        ac_buf_appendf(&b, "  chain order: %s (%s)\n", js(v, "order"), js(v, "detail"));
    if ((v = json_object_get(doc, "key_matches_certificate")) != NULL)
        ac_buf_appendf(&b, "  private key matches the first certificate: %s\n",
                       json_is_true(v) ? "yes" : "NO");
    return ac_buf_steal(&b);
}

/* ---- entry point --------------------------------------------------------- */

/* Every item of the file into *c; INVALID when there is none. */
static autocert_err collect_file(autocert_ctx *ctx, collect *c, const char *path,
                                 const unsigned char *data, size_t len)
{
    autocert_err rc;

    if ((c->items = json_array()) == NULL || (c->certs = sk_X509_new_null()) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    if (strstr((const char *)data, "-----BEGIN ") != NULL)
        rc = collect_pem(ctx, c, path, data, len);
    else
        rc = collect_der(ctx, c, path, data, len);
    if (rc == AUTOCERT_OK && json_array_size(c->items) == 0)
        rc = ac_err(ctx, AUTOCERT_ERR_INVALID, "%s: no certificate, CSR or key found", path);
    return rc;
}

static void collect_clear(collect *c)
{
    json_decref(c->items);
    sk_X509_pop_free(c->certs, X509_free);
    EVP_PKEY_free(c->key);
    memset(c, 0, sizeof(*c));
}

/* The file's document: its items, the order of a chain and whether the
 * key matches the first certificate; NULL when out of memory. */
static json_t *doc_json(const char *path, const collect *c)
{
    json_t *doc = json_pack("{s:s, s:O}", "file", path, "items", c->items);

    if (doc == NULL)
        return NULL;
    if (sk_X509_num(c->certs) > 1)
        json_object_set_new(doc, "chain", chain_json(c->certs));
    if (c->key && sk_X509_num(c->certs) > 0) {
        json_object_set_new(doc, "key_matches_certificate",
                            json_boolean(X509_check_private_key(sk_X509_value(c->certs, 0), c->key) == 1));
        ERR_clear_error();
    }
    return doc;
}

autocert_err autocert_inspect_file(autocert_ctx *ctx, const char *path, const char *password_file,
                                   unsigned flags, char **out)
{
    unsigned char *data = NULL;
    size_t len = 0;
    char *pw = NULL;
    collect c;
    json_t *doc = NULL;
    autocert_err rc;

    *out = NULL;
    ac_err_clear(ctx);
    memset(&c, 0, sizeof(c));
    if ((rc = ac_file_read(ctx, path, AC_MAX_FILE, &data, &len)) != AUTOCERT_OK)
        goto out;
    if (password_file && (rc = ac_password_read(ctx, password_file, &pw)) != AUTOCERT_OK)
        goto out;
    c.password = pw;
    if ((rc = collect_file(ctx, &c, path, data, len)) != AUTOCERT_OK)
        goto out;
    if ((doc = doc_json(path, &c)) == NULL) {
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        goto out;
    }
    *out = (flags & AUTOCERT_INSPECT_JSON) ? ac_json_dump(doc, JSON_COMPACT) : render_text(doc);
    if (*out == NULL)
        rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
out:
    json_decref(doc);
    collect_clear(&c);
    if (pw)
        ac_free_secret(pw, strlen(pw));
    ac_free_secret(data, len);
    return rc;
}
