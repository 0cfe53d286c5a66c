/* buf.c: bounded growable buffer for network data and formatted text. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

void ac_buf_init(ac_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

static int grow(ac_buf *b, size_t need)
{
    size_t cap;
    unsigned char *p;

    if (need > b->max || need + 1 < need)
        return -1;
    if (need + 1 <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need + 1)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = realloc(b->data, cap);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ac_buf_append(ac_buf *b, const void *p, size_t n)
{
    if (n > b->max || grow(b, b->len + n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ac_buf_appendf(ac_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(b, b->len + (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *ac_buf_steal(ac_buf *b)
{
    char *s = (char *)b->data;

    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void ac_buf_free(ac_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void ac_buf_free_secret(ac_buf *b)
{
    if (b->data)
        OPENSSL_cleanse(b->data, b->cap);
    ac_buf_free(b);
}

void ac_free_secret(void *p, size_t len)
{
    if (p == NULL)
        return;
    OPENSSL_cleanse(p, len);
    free(p);
}

void autocert_strv_free(char **v, size_t n)
{
    size_t i;

    if (v == NULL)
        return;
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}
