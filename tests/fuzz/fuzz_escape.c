/* fuzz_escape.c: libFuzzer target: outside text made safe to print (ac_escape, ac_escape_dup, AC_SAFE): nothing a terminal acts on, within bounds, safe text unchanged. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void fail(const char *why, const char *in)
{
    fprintf(stderr, "fuzz: %s (input of %zu bytes)\n", why, strlen(in));
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1), *dup = NULL, buf[64];
    size_t max = size ? data[0] % 80 : 0, i, plain = 1;

    if (in == NULL)
        abort();
    memcpy(in, data, size);
    in[size] = '\0';
    for (i = 0; in[i]; i++)
        plain = plain && in[i] >= 0x20 && in[i] < 0x7f;
    fuzz_text_check("ac_escape", ac_escape(in, max, buf, sizeof(buf)), FUZZ_ONE_LINE);
    if (strlen(buf) >= sizeof(buf))
        fail("ac_escape overran its buffer", in);
    if ((dup = ac_escape_dup(in, max)) == NULL)
        abort();
    fuzz_text_check("ac_escape_dup", dup, FUZZ_ONE_LINE);
    if (strlen(dup) > max + 7)
        fail("ac_escape_dup longer than its bound", in);
    if (plain && strlen(in) <= max && strcmp(dup, in) != 0)
        fail("printable text changed", in);
    free(dup);
    fuzz_text_check("AC_SAFE", AC_SAFE(in), FUZZ_ONE_LINE);
    fuzz_text_check("ac_escape(NULL)", ac_escape(NULL, max, buf, sizeof(buf)), FUZZ_ONE_LINE);
    free(in);
    return 0;
}
