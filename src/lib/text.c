/* text.c: text from outside (a CA, a client, a cache file) made safe to print: control bytes shown, never sent. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The length of the valid UTF-8 sequence at `s` whose code point is safe
 * to show (not a C1 control, a line or paragraph separator, or a bidi
 * override that reorders what follows), or 0. */
static size_t safe_utf8(const unsigned char *s)
{
    unsigned long cp;
    size_t n, i;

    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < 0xa0 || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp == 0x61c || (cp >= 0x200e && cp <= 0x200f) ||
        (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
        return 0;
    return n;
}

/* Appends the shown form of one unit of `s` to `b`; returns its length in s. */
static size_t escape_one(ac_buf *b, const unsigned char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n;

    if (s[0] >= 0x20 && s[0] < 0x7f) {
        ac_buf_append(b, s, 1);
        return 1;
    }
    if (s[0] < 0x20 || s[0] == 0x7f) {
        char c[2] = {'^', (char)(s[0] ^ 0x40)}; /* ESC as ^[, DEL as ^? */
        ac_buf_append(b, c, 2);
        return 1;
    }
    if ((n = safe_utf8(s)) > 0) {
        ac_buf_append(b, s, n);
        return n;
    }
    {
        char c[4] = {'\\', 'x', hex[s[0] >> 4], hex[s[0] & 15]};
        ac_buf_append(b, c, 4);
    }
    return 1;
}

/* A buffer too small cut `buf` short: drops a UTF-8 sequence cut in two,
 * which would otherwise end the text with a broken character. */
static void cut_partial(char *buf)
{
    size_t len = strlen(buf), i = len;
    unsigned char lead;

    while (i > 0 && ((unsigned char)buf[i - 1] & 0xc0) == 0x80)
        i--;
    if (i == 0 || (lead = (unsigned char)buf[i - 1]) < 0xc0)
        return;
    if (len - (i - 1) < (lead >= 0xf0 ? 4u : lead >= 0xe0 ? 3u : 2u))
        buf[i - 1] = '\0';
}

char *ac_escape(const char *in, size_t max, char *buf, size_t n)
{
    const unsigned char *s = (const unsigned char *)(in ? in : "(none)");
    ac_buf b;
    size_t cut;

    if (n == 0)
        return buf;
    ac_buf_init(&b, max + 8);
    while (*s != '\0' && b.len < max)
        s += escape_one(&b, s);
    cut = strlen((const char *)s);
    if (cut > 0)
        ac_buf_appendf(&b, "...");
    if (snprintf(buf, n, "%s", b.data ? (char *)b.data : "") >= (int)n)
        cut_partial(buf);
    ac_buf_free(&b);
    return buf;
}

char *ac_escape_dup(const char *in, size_t max)
{
    char *buf = malloc(max + 8);

    return buf ? ac_escape(in, max, buf, max + 8) : NULL;
}
