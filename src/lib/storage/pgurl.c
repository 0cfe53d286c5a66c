/* pgurl.c: PostgreSQL connection strings: which caches are URLs, and how to name one without its password. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "storage/pg.h"

/* Shown for a connection string this file cannot take apart: it might
 * hold a password anywhere. */
#define OPAQUE "(a PostgreSQL connection string)"

static size_t scheme_len(const char *s)
{
    if (s == NULL)
        return 0;
    if (strncasecmp(s, "postgresql://", 13) == 0)
        return 13;
    if (strncasecmp(s, "postgres://", 11) == 0)
        return 11;
    return 0;
}

int ac_pg_is_url(const char *s)
{
    return scheme_len(s) != 0;
}

/* Nonzero when s[0..n), percent-decoded, is "password". */
static int is_password_key(const char *s, size_t n)
{
    char k[16];
    size_t i, j = 0;

    for (i = 0; i < n && j < sizeof(k) - 1; i++) {
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            k[j++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            k[j++] = s[i];
        }
    }
    k[j] = '\0';
    return i == n && strcasecmp(k, "password") == 0;
}

/* Appends the URL's query `q` (after its '?') without password parameters. */
static int append_query(ac_buf *b, const char *q)
{
    char sep = '?';

    while (*q) {
        size_t len = strcspn(q, "&"), klen = strcspn(q, "=&");

        if (len > 0 && !is_password_key(q, klen < len ? klen : len)) {
            if (ac_buf_append(b, &sep, 1) != 0 || ac_buf_append(b, q, len) != 0)
                return -1;
            sep = '&';
        }
        q += len;
        if (*q == '&')
            q++;
    }
    return 0;
}

/* The URL form.  The user information ends at the first '@' before any
 * '/', as libpq reads it; the password is what follows its first ':'. */
static char *redact_url(const char *url)
{
    size_t sl = scheme_len(url), ul = strcspn(url + sl, "@/");
    const char *rest = url + sl, *q;
    ac_buf b;

    ac_buf_init(&b, strlen(url) + 1);
    if (ac_buf_append(&b, url, sl) != 0)
        goto fail;
    if (rest[ul] == '@') {
        if (ac_buf_append(&b, rest, strcspn(rest, ":@")) != 0 || ac_buf_append(&b, "@", 1) != 0)
            goto fail;
        rest += ul + 1;
    }
    q = strchr(rest, '?');
    if (ac_buf_append(&b, rest, q ? (size_t)(q - rest) : strlen(rest)) != 0 ||
        (q && append_query(&b, q + 1) != 0))
        goto fail;
    if (b.data == NULL && ac_buf_append(&b, "", 0) != 0)
        goto fail;
    return ac_buf_steal(&b);
fail:
    ac_buf_free(&b);
    return NULL;
}

/* The end of the value starting at `v` of a "key=value" string, or NULL
 * when a quote is not closed. */
static const char *value_end(const char *v)
{
    if (*v == '\'') {
        for (v++; *v && *v != '\''; v++)
            if (*v == '\\' && v[1])
                v++;
        return *v == '\'' ? v + 1 : NULL;
    }
    for (; *v && !isspace((unsigned char)*v); v++)
        if (*v == '\\' && v[1])
            v++;
    return v;
}

/* The "key=value ..." form, rebuilt without its password entries. */
static char *redact_kv(const char *s)
{
    ac_buf b;
    const char *p = s;

    ac_buf_init(&b, strlen(s) + 2);
    for (;;) {
        const char *k, *v;
        size_t klen;

        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        k = p;
        klen = strcspn(k, "= \t\n\r\f\v");
        p = k + klen;
        while (isspace((unsigned char)*p))
            p++;
        if (klen == 0 || *p != '=')
            goto opaque;
        for (p++; isspace((unsigned char)*p); p++)
            ;
        if ((v = value_end(p)) == NULL)
            goto opaque;
        if (!is_password_key(k, klen) &&
            ac_buf_appendf(&b, "%s%.*s=%.*s", b.len ? " " : "", (int)klen, k, (int)(v - p), p) != 0)
            goto fail;
        p = v;
    }
    if (b.data == NULL && ac_buf_append(&b, "", 0) != 0)
        goto fail;
    return ac_buf_steal(&b);
opaque:
    ac_buf_free(&b);
    return strdup(OPAQUE);
fail:
    ac_buf_free(&b);
    return NULL;
}

char *ac_pg_redact(const char *conninfo)
{
    if (conninfo == NULL)
        return strdup("");
    return ac_pg_is_url(conninfo) ? redact_url(conninfo) : redact_kv(conninfo);
}
