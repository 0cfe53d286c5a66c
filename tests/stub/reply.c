/* reply.c: the stub's answers: JSON, problem documents, and bodies that never end, trickle or stall. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "stub.h"

void reply_clear(stub_reply *r)
{
    free(r->body);
    free(r->location);
    free(r->retry_after);
    free(r->link);
    memset(r, 0, sizeof(*r));
}

void reply_text(stub_reply *r, int status, const char *ctype, const char *text, size_t len)
{
    free(r->body);
    r->status = status;
    r->ctype = ctype;
    r->body = malloc(len + 1);
    if (r->body) {
        memcpy(r->body, text, len);
        r->body[len] = '\0';
    }
    r->len = r->body ? len : 0;
}

void reply_json(stub_reply *r, int status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

    reply_text(r, status, "application/json", text ? text : "null", text ? strlen(text) : 4);
    free(text);
    json_decref(j);
}

void reply_problem(stub_reply *r, int status, const char *type, const char *detail)
{
    char t[128];

    snprintf(t, sizeof(t), "urn:ietf:params:acme:error:%s", type);
    reply_json(r, status, json_pack("{s:s, s:s, s:i}", "type", t, "detail", detail, "status",
                                    status));
    r->ctype = "application/problem+json";
}

void reply_set(char **slot, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= 0 && (s = malloc((size_t)n + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    free(*slot);
    *slot = s;
}

/* A body sent by a callback: what to send and how. */
typedef struct {
    stub_body kind;
    char *data;
    size_t len;
} stream;

static ssize_t on_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream *s = cls;

    if (max == 0)
        return 0;
    switch (s->kind) {
    case BODY_ENDLESS:
        memset(buf, '[', max);
        return stub_stopping ? MHD_CONTENT_READER_END_WITH_ERROR : (ssize_t)max;
    case BODY_SLOW:
        if (!stub_nap(0.1))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        memset(buf, ' ', max < 16 ? max : 16);
        return (ssize_t)(max < 16 ? max : 16);
    case BODY_TRICKLE:
        if (pos >= s->len)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (!stub_nap(0.2))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        buf[0] = s->data[pos];
        return 1;
    default: /* BODY_STALL */
        if (pos < s->len / 2) {
            size_t n = s->len / 2 - (size_t)pos;
            n = n < max ? n : max;
            memcpy(buf, s->data + pos, n);
            return (ssize_t)n;
        }
        while (stub_nap(1))
            ;
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

static void on_free(void *cls)
{
    stream *s = cls;

    free(s->data);
    free(s);
}

static struct MHD_Response *streamed(stub_reply *r)
{
    stream *s = calloc(1, sizeof(*s));
    struct MHD_Response *resp;

    if (s == NULL)
        return NULL;
    s->kind = r->kind;
    s->data = r->body;
    s->len = r->len;
    r->body = NULL;
    r->len = 0;
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, on_read, s, on_free);
    if (resp == NULL)
        on_free(s);
    return resp;
}

int reply_send(struct MHD_Connection *c, stub_reply *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ok;

    if (r->kind == BODY_HANGUP)
        return -1;
    if (r->kind != BODY_PLAIN)
        resp = streamed(r);
    else
        resp = MHD_create_response_from_buffer(r->len, r->body ? r->body : (char *)"",
                                               MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return -1;
    if (r->ctype)
        MHD_add_response_header(resp, "Content-Type", r->ctype);
    if (!r->no_nonce) {
        char *n = nonce_new();
        if (n)
            MHD_add_response_header(resp, "Replay-Nonce", n);
        free(n);
    }
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (r->location && MHD_add_response_header(resp, "Location", r->location) != MHD_YES)
        stub_log("libmicrohttpd refused the Location header");
    if (r->retry_after)
        MHD_add_response_header(resp, "Retry-After", r->retry_after);
    if (r->link)
        MHD_add_response_header(resp, "Link", r->link);
    ok = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ok == MHD_YES ? 0 : -1;
}
