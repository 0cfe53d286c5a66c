/* b64url.c: base64url without padding (RFC 4648 section 5), over OpenSSL's base64 codec. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"

autocert_err ac_b64url_encode(const void *in, size_t len, char **out)
{
    size_t n, i;
    char *s;

    *out = NULL;
    if (len > (size_t)1 << 28)
        return AUTOCERT_ERR_INVALID;
    n = 4 * ((len + 2) / 3);
    s = malloc(n + 1);
    if (s == NULL)
        return AUTOCERT_ERR_NOMEM;
    EVP_EncodeBlock((unsigned char *)s, in, (int)len);
    for (i = 0; i < n && s[i] != '='; i++) {
        if (s[i] == '+')
            s[i] = '-';
        else if (s[i] == '/')
            s[i] = '_';
    }
    s[i] = '\0';
    *out = s;
    return AUTOCERT_OK;
}

autocert_err ac_b64url_decode(const char *in, unsigned char **out, size_t *outlen)
{
    size_t len, i, padded, pad;
    char *tmp = NULL;
    unsigned char *res = NULL;
    int n;

    *out = NULL;
    *outlen = 0;
    len = strlen(in);
    while (len > 0 && in[len - 1] == '=')
        len--;
    if (len % 4 == 1 || len > (size_t)1 << 28)
        return AUTOCERT_ERR_INVALID;
    padded = (len + 3) / 4 * 4;
    pad = padded - len;
    tmp = malloc(padded + 1);
    res = malloc(padded / 4 * 3 + 1);
    if (tmp == NULL || res == NULL) {
        free(tmp);
        free(res);
        return AUTOCERT_ERR_NOMEM;
    }
    for (i = 0; i < len; i++) {
        char c = in[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            goto bad;
        tmp[i] = c;
    }
    for (; i < padded; i++)
        tmp[i] = '=';
    tmp[padded] = '\0';
    n = EVP_DecodeBlock(res, (unsigned char *)tmp, (int)padded);
    if (n < 0 || (size_t)n < pad)
        goto bad;
    OPENSSL_cleanse(tmp, padded);
    free(tmp);
    *out = res;
    *outlen = (size_t)n - pad;
    return AUTOCERT_OK;
bad:
    OPENSSL_cleanse(tmp, padded);
    free(tmp);
    free(res);
    return AUTOCERT_ERR_INVALID;
}
