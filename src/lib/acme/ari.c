/* ari.c: ACME Renewal Information (RFC 9773): certificate IDs, the suggested window, the renewal time; the directory's certificate profiles. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "acme/ari.h"

#define MAX_EXPLANATION_URL 2048
#define MAX_PROFILES_SHOWN 1000 /* bytes of offered profile names in a message */
#define B64URL_DOT "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."

/* ---- the certificate ID -------------------------------------------------------- */

/* The content octets of the DER encoding of the serial number (no tag, no
 * length), as RFC 9773 section 4.1 takes them; *out malloc'd. */
static autocert_err serial_octets(autocert_ctx *ctx, const ASN1_INTEGER *serial,
                                  unsigned char **out, size_t *outlen)
{
    unsigned char *der = NULL, *p;
    const unsigned char *q;
    long len = 0;
    int n, tag = 0, cls = 0, ret;

    *out = NULL;
    if ((n = i2d_ASN1_INTEGER(serial, &der)) <= 0)
        return ac_err_ssl(ctx, AUTOCERT_ERR_CRYPTO, "cannot encode the serial number");
    q = der;
    ret = ASN1_get_object(&q, &len, &tag, &cls, n);
    if ((ret & 0x80) || tag != V_ASN1_INTEGER || len <= 0 || q + len != der + n) {
        OPENSSL_free(der);
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "the certificate's serial number is malformed");
    }
    if ((p = malloc((size_t)len)) == NULL) {
        OPENSSL_free(der);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    memcpy(p, q, (size_t)len);
    OPENSSL_free(der);
    *out = p;
    *outlen = (size_t)len;
    return AUTOCERT_OK;
}

/* "<b64url(aki)>.<b64url(serial)>" of a parsed certificate. */
static autocert_err cert_id_of(autocert_ctx *ctx, X509 *x, char **id)
{
    const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
    unsigned char *serial = NULL;
    size_t slen = 0, n;
    char *a = NULL, *b = NULL;
    autocert_err rc;

    if (aki == NULL || ASN1_STRING_length(aki) <= 0)
        return ac_err(ctx, AUTOCERT_ERR_INVALID,
                      "the certificate has no authority key identifier (needed for ARI)");
    if ((rc = serial_octets(ctx, X509_get0_serialNumber(x), &serial, &slen)) != AUTOCERT_OK)
        return rc;
    if ((rc = ac_b64url_encode(ASN1_STRING_get0_data(aki), (size_t)ASN1_STRING_length(aki),
                               &a)) == AUTOCERT_OK &&
        (rc = ac_b64url_encode(serial, slen, &b)) == AUTOCERT_OK) {
        n = strlen(a) + 1 + strlen(b) + 1;
        if ((*id = malloc(n)) == NULL)
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        else
            snprintf(*id, n, "%s.%s", a, b);
    }
    free(serial);
    free(a);
    free(b);
    return rc;
}

autocert_err ac_ari_cert_id(autocert_ctx *ctx, const char *cert_pem, char **id)
{
    BIO *bio;
    X509 *x = NULL;
    autocert_err rc;

    *id = NULL;
    if (cert_pem == NULL)
        return ac_err(ctx, AUTOCERT_ERR_INVALID, "no certificate given");
    if ((bio = BIO_new_mem_buf(cert_pem, -1)) == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (x == NULL)
        return ac_err_ssl(ctx, AUTOCERT_ERR_INVALID, "not a PEM certificate");
    rc = cert_id_of(ctx, x, id);
    X509_free(x);
    return rc;
}

/* ---- RFC 3339 ----------------------------------------------------------------- */

/* `n` decimal digits at *p into *v, advancing *p; -1 if they are not. */
static int digits(const char **p, int n, int *v)
{
    int i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        *v = *v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return 0;
}

/* The offset east of UTC in seconds at "Z" or "+hh:mm" / "-hh:mm", which
 * must end the text. */
static int offset(const char *p, long *off)
{
    int hh, mm, sign;

    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        *off = 0;
        return 0;
    }
    if (*p != '+' && *p != '-')
        return -1;
    sign = *p++ == '-' ? -1 : 1;
    if (digits(&p, 2, &hh) || *p++ != ':' || digits(&p, 2, &mm) || *p != '\0' || hh > 23 ||
        mm > 59)
        return -1;
    *off = sign * (hh * 3600L + mm * 60L);
    return 0;
}

int ac_rfc3339_parse(const char *s, time_t *t)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    struct tm tm;
    int y, mo, d, h, mi, sec;
    long off = 0;
    time_t v;

    if (s == NULL || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || (*p != 'T' && *p != 't') || (p++, digits(&p, 2, &h)) ||
        *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return -1;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    if (*p == '.') {
        if (p[1] < '0' || p[1] > '9')
            return -1;
        for (p++; *p >= '0' && *p <= '9'; p++)
            ; /* fractions of a second are dropped */
    }
    if (offset(p, &off) != 0)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec == 60 ? 59 : sec; /* a leap second counts as the one before */
    if ((v = timegm(&tm)) == (time_t)-1)
        return -1;
    *t = v - off;
    return 0;
}

/* ---- the renewalInfo resource -------------------------------------------------- */

void ac_ari_window_clear(ac_ari_window *w)
{
    free(w->explanation_url);
    memset(w, 0, sizeof(*w));
}

/* One time of the suggested window, `name` "start" or "end". */
static autocert_err window_time(autocert_ctx *ctx, json_t *win, const char *name, time_t *t)
{
    json_t *v = json_object_get(win, name);

    if (!json_is_string(v))
        return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "renewal info: suggestedWindow has no %s",
                      name);
    if (ac_rfc3339_parse(json_string_value(v), t) != 0)
        return ac_err(ctx, AUTOCERT_ERR_PROTOCOL,
                      "renewal info: suggestedWindow %s '%s' is not an RFC 3339 time", name,
                      AC_SAFE(json_string_value(v)));
    return AUTOCERT_OK;
}

autocert_err ac_ari_parse(autocert_ctx *ctx, const char *body, size_t len, ac_ari_window *w)
{
    json_t *j = json_loadb(body, len, 0, NULL), *win = json_object_get(j, "suggestedWindow");
    const char *url = json_string_value(json_object_get(j, "explanationURL"));
    time_t start = 0, end = 0;
    autocert_err rc;

    if (!json_is_object(j))
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "renewal info: response is not a JSON object");
    else if (!json_is_object(win))
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "renewal info: no suggestedWindow");
    else if ((rc = window_time(ctx, win, "start", &start)) == AUTOCERT_OK &&
             (rc = window_time(ctx, win, "end", &end)) == AUTOCERT_OK && end <= start)
        rc = ac_err(ctx, AUTOCERT_ERR_PROTOCOL,
                    "renewal info: suggestedWindow ends (%s) at or before its start (%s)",
                    AC_SAFE(json_string_value(json_object_get(win, "end"))),
                    AC_SAFE(json_string_value(json_object_get(win, "start"))));
    if (rc == AUTOCERT_OK) {
        w->start = start;
        w->end = end;
        /* Optional: a link too long to be one is left out, not an error. */
        if (url && strlen(url) <= MAX_EXPLANATION_URL && (w->explanation_url = strdup(url)) == NULL)
            rc = ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    }
    json_decref(j);
    return rc;
}

/* When to ask again: the server's Retry-After (seconds, -1 when absent or
 * unreadable) within the limits of RFC 9773 section 4.3.2. */
static time_t next_fetch(long retry_after, time_t now)
{
    long s = retry_after < 0 ? AC_ARI_RETRY_DEFAULT : retry_after;

    if (s < AC_ARI_RETRY_MIN)
        s = AC_ARI_RETRY_MIN;
    if (s > AC_ARI_RETRY_MAX)
        s = AC_ARI_RETRY_MAX;
    return now + s;
}

/* {renewalInfo}/{cert_id}, malloc'd. */
static char *ari_url(const char *base, const char *cert_id)
{
    size_t bl = strlen(base), n;
    int slash = bl > 0 && base[bl - 1] == '/';
    char *url;

    n = bl + 1 + strlen(cert_id) + 1;
    if ((url = malloc(n)) != NULL)
        snprintf(url, n, "%s%s%s", base, slash ? "" : "/", cert_id);
    return url;
}

autocert_err ac_ari_fetch(ac_session *s, const char *cert_id, ac_ari_window *w)
{
    ac_http_resp resp;
    char *url = NULL;
    autocert_err rc;

    memset(w, 0, sizeof(*w));
    /* base64url and the dot: nothing that could change the URL's path. */
    if (cert_id == NULL || *cert_id == '\0' || strspn(cert_id, B64URL_DOT) != strlen(cert_id))
        return ac_err(s->ctx, AUTOCERT_ERR_INVALID, "'%s' is not an ARI certificate ID",
                      AC_SAFE(cert_id ? cert_id : "(null)"));
    if ((rc = ac_acme_directory(s)) != AUTOCERT_OK)
        return rc;
    if (s->dir.renewal_info == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_UNSUPPORTED,
                      "the CA at %s offers no renewal information (ARI)",
                      AC_SAFE(s->directory_url));
    if ((url = ari_url(s->dir.renewal_info, cert_id)) == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_NOMEM, "out of memory");
    ac_http_resp_init(&resp);
    ac_log(s->ctx, AUTOCERT_LOG_DEBUG, "fetching renewal information %s", AC_SAFE(url));
    if ((rc = ac_session_request(s, "GET", url, NULL, &resp)) == AUTOCERT_OK) {
        w->retry_after = next_fetch(resp.retry_after, time(NULL));
        if (resp.status != 200)
            rc = ac_acme_response_error(s->ctx, &resp, "renewal info");
        else
            rc = ac_ari_parse(s->ctx, resp.body.data ? (const char *)resp.body.data : "",
                              resp.body.len, w);
    }
    if (rc != AUTOCERT_OK) {
        time_t again = w->retry_after;

        ac_ari_window_clear(w);
        w->retry_after = again;
    }
    ac_http_resp_free(&resp);
    free(url);
    return rc;
}

time_t ac_ari_pick(const ac_ari_window *w, time_t now, uint32_t random)
{
    uint64_t span;

    if (w->end <= w->start)
        return (time_t)-1;
    if (w->end <= now)
        return now;
    span = (uint64_t)(w->end - w->start);
    /* random / 2^32 scaled to the span: uniform, and always below end. */
    return w->start + (time_t)((span * (uint64_t)random) >> 32);
}

/* ---- profiles -------------------------------------------------------------------- */

autocert_err ac_directory_profiles(ac_session *s, json_t **profiles)
{
    autocert_err rc = ac_acme_directory(s);

    *profiles = rc == AUTOCERT_OK ? s->dir.profiles : NULL;
    return rc;
}

autocert_err ac_profile_check(ac_session *s, const char *name)
{
    json_t *profiles = NULL, *v;
    const char *key;
    ac_buf offered;
    autocert_err rc;

    if ((rc = ac_directory_profiles(s, &profiles)) != AUTOCERT_OK)
        return rc;
    if (profiles == NULL)
        return ac_err(s->ctx, AUTOCERT_ERR_UNSUPPORTED,
                      "the CA at %s offers no certificate profiles (asked for '%s')",
                      AC_SAFE(s->directory_url), AC_SAFE(name));
    if (json_object_get(profiles, name) != NULL)
        return AUTOCERT_OK;
    ac_buf_init(&offered, MAX_PROFILES_SHOWN);
    json_object_foreach(profiles, key, v) {
        (void)v;
        if (ac_buf_appendf(&offered, "%s%s", offered.len ? ", " : "", key) != 0)
            break;
    }
    rc = ac_err(s->ctx, AUTOCERT_ERR_INVALID,
                "the CA does not offer the profile '%s' (it offers: %s)", AC_SAFE(name),
                AC_SAFE(offered.data ? (const char *)offered.data : ""));
    ac_buf_free(&offered);
    return rc;
}
