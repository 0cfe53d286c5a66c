/* test_keys.c: key generation of every type, PEM in and out, key type names. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ui.h>

#include "internal.h"
#include "unit.h"

static const struct {
    autocert_key_type type;
    const char *name;
    const char *openssl; /* EVP_PKEY_is_a */
    int bits;
} all_types[] = {
    {AUTOCERT_KEY_EC256, "ec256", "EC", 256},
    {AUTOCERT_KEY_EC384, "ec384", "EC", 384},
    {AUTOCERT_KEY_RSA2048, "rsa2048", "RSA", 2048},
    {AUTOCERT_KEY_RSA3072, "rsa3072", "RSA", 3072},
    {AUTOCERT_KEY_RSA4096, "rsa4096", "RSA", 4096},
    {AUTOCERT_KEY_ED25519, "ed25519", "ED25519", 256},
};
#define N_TYPES (sizeof(all_types) / sizeof(all_types[0]))

/* One key of each type, generated once for the whole file. */
static EVP_PKEY *keys[N_TYPES];

static int keys_setup(void **state)
{
    autocert_ctx *ctx = autocert_ctx_new();
    size_t i;

    if (ctx == NULL)
        return -1;
    for (i = 0; i < N_TYPES; i++)
        if (ac_key_generate(ctx, all_types[i].type, &keys[i]) != AUTOCERT_OK)
            break;
    autocert_ctx_free(ctx);
    *state = NULL;
    return i == N_TYPES ? 0 : -1;
}

static int keys_teardown(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_TYPES; i++)
        EVP_PKEY_free(keys[i]);
    return 0;
}

/* A key of a type autocert does not make, with OpenSSL alone. */
static EVP_PKEY *other_key(const char *alg, const char *param)
{
    EVP_PKEY *k = param ? EVP_PKEY_Q_keygen(NULL, NULL, alg, param)
                        : EVP_PKEY_Q_keygen(NULL, NULL, alg);

    assert_non_null(k);
    return k;
}

static void test_generate_every_type(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_TYPES; i++) {
        EVP_PKEY *k = keys[i];

        assert_non_null(k);
        assert_true(EVP_PKEY_is_a(k, all_types[i].openssl));
        assert_int_equal(EVP_PKEY_get_bits(k), all_types[i].bits);
        /* A private key. */
        assert_true(EVP_PKEY_get_size(k) > 0);
        assert_string_equal(ac_key_type_of(k), all_types[i].name);
    }
    /* Two keys of one type differ. */
    {
        autocert_ctx *ctx = autocert_ctx_new();
        EVP_PKEY *again = NULL;

        assert_int_equal(ac_key_generate(ctx, AUTOCERT_KEY_EC256, &again), AUTOCERT_OK);
        assert_int_equal(EVP_PKEY_eq(again, keys[0]), 0);
        EVP_PKEY_free(again);
        autocert_ctx_free(ctx);
    }
}

static void test_generate_unknown(void **state)
{
    autocert_ctx *ctx = *state;
    EVP_PKEY *k = (EVP_PKEY *)&k;

    assert_int_equal(ac_key_generate(ctx, (autocert_key_type)99, &k), AUTOCERT_ERR_INVALID);
    assert_null(k);
    assert_non_null(strstr(autocert_last_error(ctx), "99"));
}

static void test_pem_round_trip(void **state)
{
    autocert_ctx *ctx = *state;
    size_t i;

    for (i = 0; i < N_TYPES; i++) {
        char *pem = NULL;
        size_t len = 0;
        EVP_PKEY *back = NULL;

        assert_int_equal(ac_key_to_pem(ctx, keys[i], &pem, &len), AUTOCERT_OK);
        assert_non_null(pem);
        assert_int_equal(strlen(pem), len);
        /* Unencrypted PKCS#8. */
        assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
        assert_non_null(strstr(pem, "-----END PRIVATE KEY-----\n"));
        assert_null(strstr(pem, "ENCRYPTED"));
        assert_int_equal(ac_key_from_pem(ctx, pem, len, "round trip", &back), AUTOCERT_OK);
        assert_non_null(back);
        assert_int_equal(EVP_PKEY_eq(back, keys[i]), 1);
        assert_string_equal(ac_key_type_of(back), all_types[i].name);
        EVP_PKEY_free(back);
        ac_free_secret(pem, len);
    }
}

static void test_pem_legacy_forms(void **state)
{
    autocert_ctx *ctx = *state;
    BIO *b = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;
    EVP_PKEY *back = NULL;

    /* "BEGIN EC PRIVATE KEY" and "BEGIN RSA PRIVATE KEY" files of older
     * tools are keys too. */
    assert_non_null(b);
    assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, keys[2], NULL, NULL, 0, NULL, NULL),
                     1);
    BIO_get_mem_ptr(b, &m);
    assert_non_null(strstr(m->data, "BEGIN RSA PRIVATE KEY"));
    assert_int_equal(ac_key_from_pem(ctx, m->data, m->length, "rsa.pem", &back), AUTOCERT_OK);
    assert_int_equal(EVP_PKEY_eq(back, keys[2]), 1);
    EVP_PKEY_free(back);
    BIO_free(b);
}

/* Stands in for the terminal: counts the passphrase prompts and answers
 * the right passphrase, so that a prompt would open the key. */
static int prompts;

static int answer_prompt(UI *ui, UI_STRING *uis)
{
    enum UI_string_types t = UI_get_string_type(uis);

    if (t == UIT_PROMPT || t == UIT_VERIFY) {
        prompts++;
        return UI_set_result(ui, uis, "secret") == 0;
    }
    return 1;
}

static void check_refused(autocert_ctx *ctx, const char *pem, size_t len, const char *what)
{
    EVP_PKEY *k = (EVP_PKEY *)&k;

    ERR_clear_error();
    assert_int_equal(ac_key_from_pem(ctx, pem, len, what, &k), AUTOCERT_ERR_CORRUPT);
    assert_null(k);
    assert_non_null(strstr(autocert_last_error(ctx), what));
    /* The OpenSSL queue was consumed into the message. */
    assert_int_equal(ERR_peek_error(), 0);
}

static void test_encrypted_refused(void **state)
{
    autocert_ctx *ctx = *state;
    BIO *p8 = BIO_new(BIO_s_mem()), *trad = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;
    UI_METHOD *tty = UI_create_method("test terminal");
    const UI_METHOD *old = UI_get_default_method();

    assert_non_null(tty);
    assert_int_equal(UI_method_set_reader(tty, answer_prompt), 0);
    assert_non_null(p8);
    assert_non_null(trad);
    assert_int_equal(PEM_write_bio_PrivateKey(p8, keys[0], EVP_aes_256_cbc(),
                                              (unsigned char *)"secret", 6, NULL, NULL),
                     1);
    assert_int_equal(PEM_write_bio_PrivateKey_traditional(trad, keys[2], EVP_aes_128_cbc(),
                                                          (unsigned char *)"secret", 6, NULL,
                                                          NULL),
                     1);
    UI_set_default_method(tty);
    prompts = 0;
    BIO_get_mem_ptr(p8, &m);
    assert_non_null(strstr(m->data, "BEGIN ENCRYPTED PRIVATE KEY"));
    check_refused(ctx, m->data, m->length, "/etc/keys/p8.pem");
    BIO_get_mem_ptr(trad, &m);
    assert_non_null(strstr(m->data, "Proc-Type: 4,ENCRYPTED"));
    check_refused(ctx, m->data, m->length, "/etc/keys/trad.pem");
    UI_set_default_method(old);
    UI_destroy_method(tty);
    assert_int_equal(prompts, 0);
    BIO_free(p8);
    BIO_free(trad);

    /* Encrypted with the empty passphrase: still refused (never tried with
     * it, so a key asking for billions of derivation rounds costs nothing),
     * and the message says why. */
    assert_non_null(p8 = BIO_new(BIO_s_mem()));
    assert_int_equal(PEM_write_bio_PKCS8PrivateKey(p8, keys[0], EVP_aes_256_cbc(), "", 0, NULL,
                                                   NULL),
                     1);
    BIO_get_mem_ptr(p8, &m);
    assert_non_null(strstr(m->data, "BEGIN ENCRYPTED PRIVATE KEY"));
    check_refused(ctx, m->data, m->length, "/etc/keys/empty.pem");
    assert_non_null(strstr(autocert_last_error(ctx), "encrypted"));
    BIO_free(p8);
}

static void test_garbage_refused(void **state)
{
    autocert_ctx *ctx = *state;
    BIO *b = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;
    char *pem = NULL;
    size_t len = 0;

    check_refused(ctx, "garbage", 7, "garbage.pem");
    check_refused(ctx, "", 0, "empty.pem");
    {
        static const char bad_body[] =
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        check_refused(ctx, bad_body, strlen(bad_body), "truncated.pem");
    }
    /* A public key is not a private key. */
    assert_non_null(b);
    assert_int_equal(PEM_write_bio_PUBKEY(b, keys[0]), 1);
    BIO_get_mem_ptr(b, &m);
    check_refused(ctx, m->data, m->length, "pub.pem");
    BIO_free(b);
    /* A key cut short by `len`. */
    assert_int_equal(ac_key_to_pem(ctx, keys[0], &pem, &len), AUTOCERT_OK);
    check_refused(ctx, pem, len / 2, "half.pem");
    ac_free_secret(pem, len);
}

static void test_type_of(void **state)
{
    EVP_PKEY *k;

    (void)state;
    assert_string_equal(ac_key_type_of(NULL), "unknown");
    k = other_key("EC", "P-521");
    assert_string_equal(ac_key_type_of(k), "ec521");
    EVP_PKEY_free(k);
    k = other_key("EC", "secp256k1");
    assert_string_equal(ac_key_type_of(k), "unknown");
    EVP_PKEY_free(k);
    k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(k);
    assert_string_equal(ac_key_type_of(k), "rsa");
    EVP_PKEY_free(k);
    k = other_key("ED448", NULL);
    assert_string_equal(ac_key_type_of(k), "unknown");
    EVP_PKEY_free(k);
    k = other_key("X25519", NULL);
    assert_string_equal(ac_key_type_of(k), "unknown");
    EVP_PKEY_free(k);
}

static void test_type_names(void **state)
{
    static const struct {
        const char *in;
        autocert_key_type out;
    } ok[] = {
        {"ec256", AUTOCERT_KEY_EC256},     {"ec384", AUTOCERT_KEY_EC384},
        {"rsa2048", AUTOCERT_KEY_RSA2048}, {"rsa3072", AUTOCERT_KEY_RSA3072},
        {"rsa4096", AUTOCERT_KEY_RSA4096}, {"ed25519", AUTOCERT_KEY_ED25519},
        /* aliases */
        {"p256", AUTOCERT_KEY_EC256},      {"p384", AUTOCERT_KEY_EC384},
        {"ecdsa", AUTOCERT_KEY_EC256},     {"rsa", AUTOCERT_KEY_RSA2048},
        /* any case */
        {"EC384", AUTOCERT_KEY_EC384},     {"Rsa4096", AUTOCERT_KEY_RSA4096},
        {"ED25519", AUTOCERT_KEY_ED25519}, {"P256", AUTOCERT_KEY_EC256},
    };
    static const char *const bad[] = {"", "ec", "ec512", "ec521", "rsa1024", "rsa 2048",
                                      " ec256", "ec256 ", "ed448", "dsa", "x25519"};
    autocert_key_type t;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        t = (autocert_key_type)77;
        assert_int_equal(autocert_key_type_parse(ok[i].in, &t), AUTOCERT_OK);
        assert_int_equal(t, ok[i].out);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = (autocert_key_type)77;
        assert_int_equal(autocert_key_type_parse(bad[i], &t), AUTOCERT_ERR_INVALID);
        assert_int_equal(t, 77); /* untouched */
    }
    assert_int_equal(autocert_key_type_parse(NULL, &t), AUTOCERT_ERR_INVALID);

    /* Every type has its canonical name, which parses back to it. */
    for (i = 0; i < N_TYPES; i++) {
        assert_string_equal(autocert_key_type_name(all_types[i].type), all_types[i].name);
        assert_int_equal(autocert_key_type_parse(all_types[i].name, &t), AUTOCERT_OK);
        assert_int_equal(t, all_types[i].type);
    }
    assert_string_equal(autocert_key_type_name((autocert_key_type)99), "unknown");
    assert_string_equal(autocert_key_type_name((autocert_key_type)-1), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_every_type),
        cmocka_unit_test_setup_teardown(test_generate_unknown, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_pem_round_trip, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_pem_legacy_forms, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_encrypted_refused, ctx_setup, ctx_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_refused, ctx_setup, ctx_teardown),
        cmocka_unit_test(test_type_of),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
