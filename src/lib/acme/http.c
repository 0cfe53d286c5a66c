/* http.c: HTTP over libcurl: one reused handle per context, bounded bodies, CA bundle override. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "acme/acme.h"

#define USER_AGENT "autocert/" PACKAGE_VERSION

void ac_http_resp_init(ac_http_resp *r)
{
    memset(r, 0, sizeof(*r));
    ac_buf_init(&r->body, AC_MAX_BODY);
    r->retry_after = -1;
}

void ac_http_resp_free(ac_http_resp *r)
{
    ac_buf_free(&r->body);
    free(r->content_type);
    free(r->location);
    free(r->nonce);
    ac_http_resp_init(r);
}

void ac_http_cleanup(autocert_ctx *ctx)
{
    if (ctx->curl)
        curl_easy_cleanup(ctx->curl);
    ctx->curl = NULL;
    curl_slist_free_all(ctx->curl_headers);
    ctx->curl_headers = NULL;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    ac_buf *b = arg;

    /* Returning a short count makes curl fail with CURLE_WRITE_ERROR. */
    if (ac_buf_append(b, p, size * n) != 0)
        return 0;
    return size * n;
}

long ac_http_parse_retry_after(const char *value, time_t now)
{
    char *end;
    long v;
    time_t t;

    if (value == NULL)
        return -1;
    while (*value == ' ')
        value++;
    if (*value >= '0' && *value <= '9') {
        v = strtol(value, &end, 10);
        if (*end != '\0' && *end != ' ')
            return -1;
        return v < 0 ? -1 : v;
    }
    t = curl_getdate(value, NULL);
    if (t == (time_t)-1)
        return -1;
    return t > now ? (long)(t - now) : 0;
}

/* A copy of the first value of a response header, or NULL. */
static char *header_dup(CURL *c, const char *name)
{
    struct curl_header *h = NULL;

    if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL)
        return NULL;
    return strdup(h->value);
}

static autocert_err handle(autocert_ctx *ctx, CURL **out)
{
    CURL *c = ctx->curl;

    if (c == NULL) {
        static int global_done;

        if (!global_done) {
            if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return ac_err(ctx, AUTOCERT_ERR_NETWORK, "cannot initialise libcurl");
            global_done = 1;
        }
        c = curl_easy_init();
        if (c == NULL)
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "cannot create an HTTP handle");
        ctx->curl_headers = curl_slist_append(NULL, "Content-Type: application/jose+json");
        if (ctx->curl_headers == NULL) {
            curl_easy_cleanup(c);
            return ac_err(ctx, AUTOCERT_ERR_NOMEM, "out of memory");
        }
        curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
        curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)AC_MAX_BODY);
        if (ctx->ca_bundle)
            curl_easy_setopt(c, CURLOPT_CAINFO, ctx->ca_bundle);
        ctx->curl = c;
    }
    *out = c;
    return AUTOCERT_OK;
}

autocert_err ac_http_request(autocert_ctx *ctx, const char *method, const char *url,
                             const char *body, ac_http_resp *resp)
{
    CURL *c = NULL;
    CURLcode cc;
    char errbuf[CURL_ERROR_SIZE];
    double left = ac_deadline_left(ctx);
    long timeout_ms;
    autocert_err rc;

    ac_http_resp_free(resp);
    if ((rc = handle(ctx, &c)) != AUTOCERT_OK)
        return rc;
    if (left <= 0)
        return ac_err(ctx, AUTOCERT_ERR_TIMEOUT, "out of time before %s %s", method, url);
    timeout_ms = left > 60.0 ? 60000L : (long)(left * 1000.0) + 1;
    errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, (struct curl_slist *)ctx->curl_headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
    }
    ctx->n_requests++;
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        if (cc == CURLE_WRITE_ERROR || cc == CURLE_FILESIZE_EXCEEDED)
            return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "%s %s: response larger than %u bytes",
                          method, url, AC_MAX_BODY);
        return ac_err(ctx, cc == CURLE_OPERATION_TIMEDOUT ? AUTOCERT_ERR_TIMEOUT : AUTOCERT_ERR_NETWORK,
                      "%s %s: %s", method, url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    {
        long nc = 0;
        if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nc) == CURLE_OK && nc > 0)
            ctx->n_connects += (unsigned long)nc;
    }
    resp->content_type = header_dup(c, "Content-Type");
    resp->location = header_dup(c, "Location");
    resp->nonce = header_dup(c, "Replay-Nonce");
    {
        char *ra = header_dup(c, "Retry-After");
        resp->retry_after = ac_http_parse_retry_after(ra, time(NULL));
        free(ra);
    }
    ac_log(ctx, AUTOCERT_LOG_DEBUG, "%s %s -> %ld (%zu bytes)", method, url, resp->status,
           resp->body.len);
    return AUTOCERT_OK;
}
