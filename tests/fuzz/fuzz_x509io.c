/* fuzz_x509io.c: libFuzzer target: the private CA's readers (certificates, keys, CSRs in PEM, DER or PKCS#12) and inspect's text and JSON output, from one file. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ca/ca.h"
#include "fuzz.h"

/* The input, in one file per process (rewritten each time). */
static const char *input_file(const uint8_t *data, size_t size)
{
    static char path[128];
    int fd;

    if (path[0] == '\0')
        snprintf(path, sizeof(path), "%s/input", fuzz_tmpdir());
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
        ac_write_all(fd, data, size) != 0 || close(fd) != 0)
        abort();
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    autocert_ctx *ctx = fuzz_ctx_new();
    const char *path = input_file(data, size);
    STACK_OF(X509) *certs = NULL;
    EVP_PKEY *key = NULL;
    X509_REQ *req = NULL;
    char *out = NULL;
    unsigned flags;

    if (ac_certs_load(ctx, path, NULL, &certs) == AUTOCERT_OK)
        sk_X509_pop_free(certs, X509_free);
    fuzz_ctx_check(ctx);
    if (ac_privkey_load(ctx, path, NULL, &key) == AUTOCERT_OK)
        EVP_PKEY_free(key);
    fuzz_ctx_check(ctx);
    if (ac_csr_load(ctx, path, &req) == AUTOCERT_OK)
        X509_REQ_free(req);
    fuzz_ctx_check(ctx);
    for (flags = 0; flags <= AUTOCERT_INSPECT_JSON; flags += AUTOCERT_INSPECT_JSON) {
        if (autocert_inspect_file(ctx, path, NULL, flags, &out) == AUTOCERT_OK)
            fuzz_text_check(flags ? "inspect --json" : "inspect", out, FUZZ_DOCUMENT);
        fuzz_ctx_check(ctx);
        free(out);
        out = NULL;
    }
    autocert_ctx_free(ctx);
    return 0;
}
