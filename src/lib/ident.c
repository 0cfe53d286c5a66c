/* ident.c: validation and normalisation of certificate identifiers (DNS names, RFC 8738 IP addresses). */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_NAME 253
#define MAX_LABEL 63

void ac_ident_clear(ac_ident *id)
{
    free(id->value);
    id->value = NULL;
}

/* Canonical text of an IP literal ("[v6]" accepted), or NULL. */
static char *ip_canonical(const char *in)
{
    unsigned char addr[16];
    char text[INET6_ADDRSTRLEN];
    char tmp[INET6_ADDRSTRLEN + 2];
    size_t len = strlen(in);

    if (len > 0 && len < sizeof(tmp) && in[0] == '[' && in[len - 1] == ']') {
        memcpy(tmp, in + 1, len - 2);
        tmp[len - 2] = '\0';
        in = tmp;
        if (inet_pton(AF_INET6, in, addr) == 1 && inet_ntop(AF_INET6, addr, text, sizeof(text)))
            return strdup(text);
        return NULL;
    }
    if (inet_pton(AF_INET, in, addr) == 1 && inet_ntop(AF_INET, addr, text, sizeof(text)))
        return strdup(text);
    if (inet_pton(AF_INET6, in, addr) == 1 && inet_ntop(AF_INET6, addr, text, sizeof(text)))
        return strdup(text);
    return NULL;
}

static int all_digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Checks a lower-cased DNS name; returns NULL when valid, else the reason. */
static const char *dns_problem(const char *name, int allow_wildcard)
{
    const char *label = name, *p;
    size_t len = strlen(name);
    int first = 1;

    if (len == 0)
        return "empty name";
    if (len > MAX_NAME)
        return "name longer than 253 characters";
    for (;;) {
        size_t n;

        p = strchr(label, '.');
        n = p ? (size_t)(p - label) : strlen(label);
        if (n == 0)
            return "empty label";
        if (n > MAX_LABEL)
            return "label longer than 63 characters";
        if (first && n == 1 && label[0] == '*') {
            if (!allow_wildcard)
                return "a wildcard name can be validated only with the dns-01 challenge";
            if (p == NULL)
                return "a wildcard needs a domain after '*.'";
        } else {
            size_t i;

            for (i = 0; i < n; i++) {
                char c = label[i];
                if (c == '*')
                    return "'*' is allowed only as the whole first label";
                if ((unsigned char)c >= 0x80)
                    return "non-ASCII characters: use the IDNA (xn--) form";
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                    return "only letters, digits, '-' and '.' are allowed";
            }
            if (label[0] == '-' || label[n - 1] == '-')
                return "a label may not start or end with '-'";
        }
        if (p == NULL) {
            if (all_digits(label, n))
                return "the last label is numeric (not a valid IP address either)";
            return NULL;
        }
        label = p + 1;
        first = 0;
    }
}

autocert_err ac_ident_parse(autocert_ctx *ctx, const char *in, int allow_wildcard, ac_ident *out)
{
    char *v = NULL;
    const char *why;
    size_t len, i;

    out->type = AC_ID_DNS;
    out->value = NULL;
    if (in == NULL || *in == '\0')
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "empty identifier");
    len = strlen(in);
    if (len > MAX_NAME + 1)
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "invalid name '%.40s...': longer than 253 characters", AC_SAFE(in));
    if ((v = ip_canonical(in)) != NULL) {
        out->type = AC_ID_IP;
        out->value = v;
        return AUTOCERT_OK;
    }
    if ((v = strdup(in)) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    for (i = 0; i < len; i++)
        if (v[i] >= 'A' && v[i] <= 'Z')
            v[i] = (char)(v[i] - 'A' + 'a');
    if (len > 1 && v[len - 1] == '.')
        v[len - 1] = '\0';
    if ((why = dns_problem(v, allow_wildcard)) != NULL) {
        free(v);
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "invalid name '%s': %s", AC_SAFE(in), why);
    }
    out->value = v;
    return AUTOCERT_OK;
}

char *ac_ident_entry_name(const ac_ident *id)
{
    char *s = strdup(id->value);

    /* "*.example.com" -> "+.example.com": '*' has no place in a path. */
    if (s && s[0] == '*')
        s[0] = '+';
    return s;
}

autocert_err autocert_identifier_normalize(autocert_ctx *ctx, const char *in, char **out)
{
    ac_ident id;
    autocert_err rc = ac_ident_parse(ctx, in, 1, &id);

    *out = NULL;
    if (rc == AUTOCERT_OK)
        *out = id.value;
    return rc;
}
