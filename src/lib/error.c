/* error.c: error codes, their texts, and the detail record of the last failure. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "internal.h"

#define ACME_URN "urn:ietf:params:acme:error:"
#define MAX_DETAIL 4000

const char *autocert_strerror(autocert_err err)
{
    switch (err) {
    case AUTOCERT_OK: return "success";
    case AUTOCERT_ERR_NOMEM: return "out of memory";
    case AUTOCERT_ERR_INVALID: return "invalid argument";
    case AUTOCERT_ERR_IO: return "file system error";
    case AUTOCERT_ERR_CRYPTO: return "cryptographic operation failed";
    case AUTOCERT_ERR_NETWORK: return "network error";
    case AUTOCERT_ERR_HTTP: return "unexpected HTTP status";
    case AUTOCERT_ERR_PROTOCOL: return "malformed server response";
    case AUTOCERT_ERR_ACME: return "the ACME server reported a problem";
    case AUTOCERT_ERR_TIMEOUT: return "timed out";
    case AUTOCERT_ERR_CORRUPT: return "corrupt cache file";
    case AUTOCERT_ERR_LOCKED: return "cache is locked by another process";
    case AUTOCERT_ERR_VALIDATION: return "challenge validation failed";
    case AUTOCERT_ERR_NOT_FOUND: return "not found";
    case AUTOCERT_ERR_EXISTS: return "already exists";
    case AUTOCERT_ERR_EAB_REQUIRED: return "external account binding required";
    case AUTOCERT_ERR_TOS: return "terms of service not agreed";
    case AUTOCERT_ERR_UNSUPPORTED: return "not supported";
    case AUTOCERT_ERR_BIND: return "cannot listen on the challenge address";
    case AUTOCERT_ERR_MISMATCH: return "mismatch";
    case AUTOCERT_ERR_VERIFY: return "verification failed";
    case AUTOCERT_ERR_PASSWORD: return "wrong or missing password";
    case AUTOCERT_ERR_NO_NAMES: return "no DNS name or IP address";
    }
    return "unknown error";
}

void ac_errinfo_free(ac_errinfo *e)
{
    free(e->problem_type);
    free(e->msg);
    e->problem_type = NULL;
    e->msg = NULL;
    e->code = AUTOCERT_OK;
    e->http_status = 0;
}

void ac_err_clear(autocert_ctx *ctx)
{
    if (ctx)
        ac_errinfo_free(&ctx->err);
}

static void set_msg(autocert_ctx *ctx, autocert_err code, char *msg)
{
    ac_errinfo_free(&ctx->err);
    ctx->err.code = code;
    ctx->err.msg = msg;
}

autocert_err ac_err(autocert_ctx *ctx, autocert_err code, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (ctx == NULL)
        return code;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= 0) {
        char *s = malloc((size_t)n + 1);
        if (s) {
            va_start(ap, fmt);
            vsnprintf(s, (size_t)n + 1, fmt, ap);
            va_end(ap);
        }
        set_msg(ctx, code, s);
    }
    ac_log(ctx, AUTOCERT_LOG_DEBUG, "error: %s", ctx->err.msg ? ctx->err.msg : "");
    return code;
}

autocert_err ac_err_ssl(autocert_ctx *ctx, autocert_err code, const char *fmt, ...)
{
    ac_buf b;
    va_list ap;
    unsigned long e;
    char one[256];
    int n;

    if (ctx == NULL) {
        ERR_clear_error();
        return code;
    }
    ac_buf_init(&b, 64 * 1024);
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= 0) {
        char *msg = malloc((size_t)n + 1);
        if (msg) {
            va_start(ap, fmt);
            vsnprintf(msg, (size_t)n + 1, fmt, ap);
            va_end(ap);
            ac_buf_append(&b, msg, (size_t)n);
            free(msg);
        }
    }
    /* The most specific reason is the last one queued. */
    e = ERR_peek_last_error();
    if (e != 0) {
        ERR_error_string_n(e, one, sizeof(one));
        const char *reason = ERR_reason_error_string(e);
        ac_buf_appendf(&b, ": %s", reason ? reason : one);
    }
    ERR_clear_error();
    set_msg(ctx, code, ac_buf_steal(&b));
    return code;
}

autocert_err ac_problem_code(const char *type)
{
    const char *t;

    if (type == NULL || strncmp(type, ACME_URN, strlen(ACME_URN)) != 0)
        return AUTOCERT_ERR_ACME;
    t = type + strlen(ACME_URN);
    if (strcmp(t, "externalAccountRequired") == 0)
        return AUTOCERT_ERR_EAB_REQUIRED;
    if (strcmp(t, "userActionRequired") == 0)
        return AUTOCERT_ERR_TOS;
    if (strcmp(t, "accountDoesNotExist") == 0)
        return AUTOCERT_ERR_NOT_FOUND;
    return AUTOCERT_ERR_ACME;
}

static const char *short_type(const char *type)
{
    if (type == NULL)
        return "problem";
    if (strncmp(type, ACME_URN, strlen(ACME_URN)) == 0)
        return type + strlen(ACME_URN);
    return type;
}

static void format_one(ac_buf *b, json_t *p)
{
    const char *type = json_string_value(json_object_get(p, "type"));
    const char *detail = json_string_value(json_object_get(p, "detail"));
    json_t *id = json_object_get(p, "identifier");

    /* A server's detail is cut at MAX_DETAIL characters: one readable line. */
    ac_buf_appendf(b, "%s: %.*s%s", short_type(type), MAX_DETAIL, detail ? detail : "(no detail)",
                   detail && strlen(detail) > MAX_DETAIL ? "..." : "");
    if (json_is_object(id)) {
        const char *it = json_string_value(json_object_get(id, "type"));
        const char *iv = json_string_value(json_object_get(id, "value"));
        if (iv)
            ac_buf_appendf(b, " (%s:%s)", it ? it : "?", iv);
    }
}

char *ac_problem_format(json_t *problem)
{
    ac_buf b;
    json_t *subs, *sp;
    size_t i;

    ac_buf_init(&b, 64 * 1024);
    if (!json_is_object(problem)) {
        ac_buf_appendf(&b, "problem: (no problem document)");
        return ac_buf_steal(&b);
    }
    format_one(&b, problem);
    subs = json_object_get(problem, "subproblems");
    if (json_is_array(subs)) {
        json_array_foreach(subs, i, sp) {
            if (!json_is_object(sp))
                continue;
            ac_buf_append(&b, "\n  ", 3);
            format_one(&b, sp);
        }
    }
    return ac_buf_steal(&b);
}

autocert_err ac_err_problem(autocert_ctx *ctx, long status, json_t *problem, const char *context)
{
    const char *type = json_string_value(json_object_get(problem, "type"));
    autocert_err code = ac_problem_code(type);
    char *text = ac_problem_format(problem);
    ac_buf b;

    if (ctx == NULL) {
        free(text);
        return code;
    }
    ac_buf_init(&b, 128 * 1024);
    if (context)
        ac_buf_appendf(&b, "%s: ", context);
    ac_buf_appendf(&b, "%s", text ? text : "");
    if (status)
        ac_buf_appendf(&b, " [HTTP %ld]", status);
    free(text);
    set_msg(ctx, code, ac_buf_steal(&b));
    ctx->err.http_status = status;
    if (type)
        ctx->err.problem_type = strdup(type);
    return code;
}

const char *autocert_last_error(const autocert_ctx *ctx)
{
    if (ctx == NULL)
        return "";
    if (ctx->err.msg)
        return ctx->err.msg;
    return ctx->err.code ? autocert_strerror(ctx->err.code) : "";
}

long autocert_last_http_status(const autocert_ctx *ctx)
{
    return ctx ? ctx->err.http_status : 0;
}

const char *autocert_last_problem_type(const autocert_ctx *ctx)
{
    return (ctx && ctx->err.problem_type) ? ctx->err.problem_type : "";
}
