/* redirect.c: the HTTP-01 daemon's redirect to https: the Location built from a request's Host header and target, both checked first. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "challenge/challenge.h"

#define HOST_MAX 253     /* a DNS name's length; an IPv6 literal is shorter */
#define PORT_DIGITS 5

/* Nonzero when s holds only bytes a URI may carry as they are: printable
 * ASCII, no space, no control byte. */
static int uri_bytes(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

int ac_redirect_target_ok(const char *target)
{
    size_t n;

    if (target == NULL || target[0] != '/')
        return 0;
    n = strnlen(target, AC_REDIRECT_TARGET_MAX + 1);
    return n <= AC_REDIRECT_TARGET_MAX && uri_bytes(target, n);
}

/* A port after a host: empty, or ':' and up to five digits (':' alone too,
 * as RFC 3986 allows). */
static int port_ok(const char *p)
{
    size_t i;

    if (*p == '\0')
        return 1;
    if (*p++ != ':')
        return 0;
    for (i = 0; p[i] != '\0'; i++)
        if (i >= PORT_DIGITS || p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* "[v6]" at the start of v: the literal into out, the rest into *rest. */
static int ipv6_host(const char *v, char *out, size_t n, const char **rest)
{
    const char *end = strchr(v, ']');
    char lit[INET6_ADDRSTRLEN + 1];
    unsigned char addr[16];
    size_t len;

    if (end == NULL || (len = (size_t)(end - v - 1)) == 0 || len >= sizeof(lit))
        return -1;
    memcpy(lit, v + 1, len);
    lit[len] = '\0';
    if (inet_pton(AF_INET6, lit, addr) != 1)
        return -1;
    *rest = end + 1;
    return snprintf(out, n, "[%s]", lit) < (int)n ? 0 : -1;
}

/* A DNS name or IPv4 literal up to the first ':' of v: normalised into
 * out, the rest into *rest. */
static int name_host(const char *v, char *out, size_t n, const char **rest)
{
    const char *colon = strchr(v, ':');
    size_t len = colon ? (size_t)(colon - v) : strlen(v);
    char name[HOST_MAX + 2];
    ac_ident id = {AC_ID_DNS, NULL};
    int ok;

    if (len == 0 || len >= sizeof(name))
        return -1;
    memcpy(name, v, len);
    name[len] = '\0';
    if (ac_ident_parse(NULL, name, 0, &id) != AUTOCERT_OK)
        return -1;
    ok = snprintf(out, n, "%s", id.value) < (int)n;
    ac_ident_clear(&id);
    *rest = v + len;
    return ok ? 0 : -1;
}

int ac_redirect_location(const char *host, const char *target, unsigned port, char *out,
                         size_t n)
{
    char h[HOST_MAX + 2];
    const char *rest = NULL;
    size_t len;
    int w;

    if (host == NULL || !ac_redirect_target_ok(target) || port == 0 || port > 65535)
        return -1;
    len = strnlen(host, HOST_MAX + PORT_DIGITS + 4);
    if (len == 0 || len > HOST_MAX + PORT_DIGITS + 3 || !uri_bytes(host, len))
        return -1;
    if ((host[0] == '[' ? ipv6_host(host, h, sizeof(h), &rest)
                        : name_host(host, h, sizeof(h), &rest)) != 0 ||
        !port_ok(rest))
        return -1;
    if (port == 443)
        w = snprintf(out, n, "https://%s%s", h, target);
    else
        w = snprintf(out, n, "https://%s:%u%s", h, port, target);
    return w >= 0 && (size_t)w < n ? 0 : -1;
}
