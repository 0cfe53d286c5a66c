/* fuzz.h: what the libFuzzer targets share: contexts whose every line is checked for terminal controls, storage in memory, a CA in memory answered by the input. */
#ifndef AC_FUZZ_H
#define AC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "acme/acme.h"

/* libFuzzer's entry point, defined by each target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- text a terminal would act on ------------------------------------------ */
/* Aborts, naming `what`, when `s` holds a byte a terminal acts on: a C0
 * control (a line feed only where `lines` allows it), DEL, a C1 control, a
 * bidi control, U+2028/2029, or bytes that are not UTF-8. */
#define FUZZ_ONE_LINE 0   /* no line feed at all */
#define FUZZ_REPORT 1     /* a line feed only before the two spaces of a report's next line */
#define FUZZ_DOCUMENT 2   /* line feeds anywhere (inspect's text) */
void fuzz_text_check(const char *what, const char *s, int lines);
/* The last error text and problem type of ctx. */
void fuzz_ctx_check(const autocert_ctx *ctx);

/* A context that logs everything (debug) to a logger checking each line. */
autocert_ctx *fuzz_ctx_new(void);

/* ---- a storage backend in memory -------------------------------------------- */
/* Empty; the context takes it with autocert_set_storage_take. */
autocert_storage *fuzz_mem_storage(void);
/* Puts one item into a set (creating the set) of a storage from fuzz_mem_storage. */
void fuzz_mem_put(autocert_storage *st, const char *set, const char *item, const void *data,
                  size_t len);

/* ---- the input as HTTP responses ------------------------------------------- */
/* The input is a list of responses separated by a line "%%": a status line
 * (the number), header lines "Name: value", an empty line, the body. */
typedef struct {
    long status;
    char *location, *nonce, *retry_after; /* NULL when absent */
    const char *body;
    size_t body_len;
} fuzz_resp;

typedef struct {
    char *text;        /* the input, NUL-terminated, cut into responses */
    fuzz_resp *r;
    size_t n, next;
} fuzz_script;

void fuzz_script_parse(fuzz_script *sc, const uint8_t *data, size_t size);
void fuzz_script_free(fuzz_script *sc);

/* ---- a CA in memory whose answers the input replaces -------------------------- */
typedef struct fuzz_ca fuzz_ca;
/* Routes ctx's requests to a new CA in memory (tests/unit/fakeca.c, its
 * directory https://ca.test/dir).  Every request whose method and path
 * match one of `match` ("POST /new-order", "GET /dir": a prefix of the
 * path; NULL-terminated) reaches the CA, and while the script has
 * responses left the next one replaces the CA's answer. */
fuzz_ca *fuzz_ca_attach(autocert_ctx *ctx, fuzz_script *sc, const char *const *match);
void fuzz_ca_free(fuzz_ca *fc);
/* The CA's knobs (fakeca_knobs *), to set before the requests they govern. */
void *fuzz_ca_knobs(fuzz_ca *fc);

/* ---- canned keys and certificates ------------------------------------------- */
/* The key every ac_key_generate(ec256) of the fuzz build gives (new reference). */
EVP_PKEY *fuzz_key(void);
/* Its PEM (static). */
const char *fuzz_key_pem(void);
/* A chain made once per process: a leaf for a.example and www.a.example with
 * fuzz_key's public key, then its root (static). */
const char *fuzz_chain(void);

/* A fresh empty directory under /tmp made once per process (a webroot). */
const char *fuzz_tmpdir(void);
/* Nonzero when the webroot `dir` holds a challenge file. */
int fuzz_webroot_has_files(const char *dir);

#endif
