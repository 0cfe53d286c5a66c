/* fuzz_http01.c: libFuzzer target: the challenge request path: only /.well-known/acme-challenge/<token> exactly, a live token, is ever answered. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenge/challenge.h"
#include "fuzz.h"

#define PREFIX "/.well-known/acme-challenge/"
#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEY_AUTH TOKEN ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"

static void fail(const char *why)
{
    fprintf(stderr, "fuzz: %s\n", why);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ac_live *live;
    static autocert_ctx *ctx;
    char *target = malloc(size + 1), buf[512];
    const char *token;

    if (target == NULL)
        abort();
    if (live == NULL) {
        if ((ctx = autocert_ctx_new()) == NULL || (live = ac_live_new()) == NULL ||
            ac_live_add(live, ctx, "http-01", "example.com", TOKEN, KEY_AUTH) != AUTOCERT_OK)
            abort();
    }
    memcpy(target, data, size);
    target[size] = '\0';
    token = ac_http01_token_of(target);
    if (token != NULL) {
        /* A token is the exact rest of the path: base64url, nothing else. */
        if (strncmp(target, PREFIX, strlen(PREFIX)) != 0 || token != target + strlen(PREFIX))
            fail("a token from a target that does not start with the challenge path");
        if (!ac_token_valid(token))
            fail("a token that is not 1 to 256 base64url characters");
        if (ac_live_by_token(live, "http-01", token, buf, sizeof(buf)) == 0 &&
            (strcmp(token, TOKEN) != 0 || strcmp(buf, KEY_AUTH) != 0))
            fail("another target answered with the key authorization");
    } else if (size == strlen(PREFIX TOKEN) && memcmp(data, PREFIX TOKEN, size) == 0) {
        fail("the exact challenge path refused");
    }
    /* Tokens that come from outside: refused ones must not break the table. */
    if (ac_token_valid(target) && ac_live_by_token(live, "http-01", target, buf, sizeof(buf)) == 0 &&
        strcmp(target, TOKEN) != 0)
        fail("an unknown token found");
    free(target);
    return 0;
}
