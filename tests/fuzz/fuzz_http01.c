/* fuzz_http01.c: libFuzzer target: the challenge request path: only /.well-known/acme-challenge/<token> exactly, a live token, is ever answered; a redirect's Location stays on its host. */
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

/* The input as "HOST\nTARGET": a Location made of them is https, printable,
 * names only a host (and the port) before the target, and ends with the
 * target as sent. */
static void check_redirect(const char *in)
{
    char host[512], out[AC_REDIRECT_TARGET_MAX + 512];
    const char *nl = strchr(in, '\n'), *target, *auth, *end;
    size_t i;

    if (nl == NULL || (size_t)(nl - in) >= sizeof(host))
        return;
    memcpy(host, in, (size_t)(nl - in));
    host[nl - in] = '\0';
    target = nl + 1;
    if (ac_redirect_location(host, target, 8443, out, sizeof(out)) != 0)
        return;
    if (strncmp(out, "https://", 8) != 0 || target[0] != '/')
        fail("a Location that is not https, or a target not from '/'");
    for (i = 0; out[i] != '\0'; i++)
        if ((unsigned char)out[i] <= 0x20 || (unsigned char)out[i] >= 0x7f)
            fail("a Location with a space, a control or a non-ASCII byte");
    auth = out + 8;
    end = strchr(auth, '/');
    if (end == NULL || strlen(end) != strlen(target) || strcmp(end, target) != 0)
        fail("a Location that does not end with the target as sent");
    if ((size_t)(end - auth) < 6 || memcmp(end - 5, ":8443", 5) != 0)
        fail("a Location without the https port");
    for (i = 0; auth + i < end - 5; i++)
        if (strchr(auth[0] == '[' ? "@?#\\%/" : "@?#\\%:/[]", auth[i]) != NULL)
            fail("a Location whose authority is more than a host");
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
    check_redirect(target);
    free(target);
    return 0;
}
