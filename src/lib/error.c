/* error.c: error codes, their texts, and the detail record of the last failure. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "internal.h"

#define ACME_URN "urn:ietf:params:acme:error:"
#define MAX_TYPE 256       /* bytes of a problem type kept for autocert_last_problem_type */
#define MAX_DETAIL 1000     /* bytes of one problem's detail shown */
#define MAX_SUBPROBLEMS 10  /* subproblems shown, the rest counted */

const char *ac_strerror(int e, char *buf, size_t n)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(e, buf, n); /* the GNU variant returns the text */
#else
    if (strerror_r(e, buf, n) != 0)
        snprintf(buf, n, "error %d", e);
    return buf;
#endif
}

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
    case AUTOCERT_ERR_HOOK: return "a hook command failed";
    }
    return "unknown error";
}

/*
 * The detail of the last failure is kept per thread and per context: a
 * server's renewal thread and its request threads may use one context at
 * once, and each reads the failure of its own last call.  Every thread
 * holds a short list of records, one per context it has seen fail, found
 * by the context's unique id (never reused, unlike an address).  A record
 * goes when its context is freed in that thread, or with the thread.
 */
typedef struct slot {
    unsigned long long ctx_id;
    ac_errinfo err;
    struct slot *next;
} slot;

static pthread_key_t slots_key;
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;
static int slots_ready;

static void errinfo_clear(ac_errinfo *e)
{
    free(e->problem_type);
    free(e->msg);
    memset(e, 0, sizeof(*e));
}

static void slots_free(void *head)
{
    slot *s = head, *next;

    for (; s != NULL; s = next) {
        next = s->next;
        errinfo_clear(&s->err);
        free(s);
    }
}

static void slots_init(void)
{
    slots_ready = pthread_key_create(&slots_key, slots_free) == 0;
}

/* This thread's record for `ctx`, created when `create`; NULL otherwise
 * (or when out of memory: the detail is then lost, the code is not). */
static ac_errinfo *errinfo_of(const autocert_ctx *ctx, int create)
{
    slot *head, *s;

    pthread_once(&slots_once, slots_init);
    if (!slots_ready)
        return NULL;
    head = pthread_getspecific(slots_key);
    for (s = head; s != NULL; s = s->next)
        if (s->ctx_id == ctx->id)
            return &s->err;
    if (!create || (s = calloc(1, sizeof(*s))) == NULL)
        return NULL;
    s->ctx_id = ctx->id;
    s->next = head;
    if (pthread_setspecific(slots_key, s) != 0) {
        free(s);
        return NULL;
    }
    return &s->err;
}

void ac_err_clear(autocert_ctx *ctx)
{
    ac_errinfo *e = ctx ? errinfo_of(ctx, 0) : NULL;

    if (e)
        errinfo_clear(e);
}

void ac_err_forget(const autocert_ctx *ctx)
{
    slot *head, **pp, *s;

    pthread_once(&slots_once, slots_init);
    if (!slots_ready)
        return;
    head = pthread_getspecific(slots_key);
    for (pp = &head; (s = *pp) != NULL; pp = &s->next) {
        if (s->ctx_id == ctx->id) {
            *pp = s->next;
            errinfo_clear(&s->err);
            free(s);
            break;
        }
    }
    pthread_setspecific(slots_key, head);
}

static ac_errinfo *set_msg(autocert_ctx *ctx, autocert_err code, char *msg)
{
    ac_errinfo *e = errinfo_of(ctx, 1);

    if (e == NULL) {
        free(msg);
        return NULL;
    }
    errinfo_clear(e);
    e->code = code;
    e->msg = msg;
    return e;
}

void ac_err_http_status(autocert_ctx *ctx, long status)
{
    ac_errinfo *e = ctx ? errinfo_of(ctx, 0) : NULL;

    if (e)
        e->http_status = status;
}

void ac_err_recode(autocert_ctx *ctx, autocert_err code)
{
    ac_errinfo *e = ctx ? errinfo_of(ctx, 0) : NULL;

    if (e)
        e->code = code;
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
        if (s)
            ac_log(ctx, AUTOCERT_LOG_DEBUG, "error: %s", s);
        set_msg(ctx, code, s);
    }
    return code;
}

static int is_nomem(unsigned long e)
{
    return e != 0 && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE;
}

int ac_ssl_nomem(void)
{
    return is_nomem(ERR_peek_error()) || is_nomem(ERR_peek_last_error());
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

/* One problem on one line: every text in it comes from the CA, so its
 * control bytes are shown, never sent to a terminal or a log. */
static void format_one(ac_buf *b, json_t *p)
{
    const char *type = json_string_value(json_object_get(p, "type"));
    const char *detail = json_string_value(json_object_get(p, "detail"));
    json_t *id = json_object_get(p, "identifier");
    char *d = ac_escape_dup(detail ? detail : "(no detail)", MAX_DETAIL);

    ac_buf_appendf(b, "%s: %s", AC_SAFE(short_type(type)), d ? d : "(no detail)");
    free(d);
    if (json_is_object(id)) {
        const char *it = json_string_value(json_object_get(id, "type"));
        const char *iv = json_string_value(json_object_get(id, "value"));
        if (iv)
            ac_buf_appendf(b, " (%s:%s)", AC_SAFE(it ? it : "?"), AC_SAFE(iv));
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
    json_array_foreach(subs, i, sp) {
        /* A bounded report: a CA may send thousands. */
        if (i == MAX_SUBPROBLEMS) {
            ac_buf_appendf(&b, "\n  ... and %zu more subproblems", json_array_size(subs) - i);
            break;
        }
        if (!json_is_object(sp))
            continue;
        ac_buf_append(&b, "\n  ", 3);
        format_one(&b, sp);
    }
    return ac_buf_steal(&b);
}

autocert_err ac_err_problem(autocert_ctx *ctx, long status, json_t *problem, const char *context)
{
    const char *type = json_string_value(json_object_get(problem, "type"));
    autocert_err code = ac_problem_code(type);
    char *text = ac_problem_format(problem);
    ac_errinfo *e;
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
    if ((e = set_msg(ctx, code, ac_buf_steal(&b))) != NULL) {
        e->http_status = status;
        /* The CA's text: shown escaped and bounded like the rest of it. */
        e->problem_type = type ? ac_escape_dup(type, MAX_TYPE) : NULL;
    }
    return code;
}

const char *autocert_last_error(const autocert_ctx *ctx)
{
    const ac_errinfo *e = ctx ? errinfo_of(ctx, 0) : NULL;

    if (e == NULL)
        return "";
    if (e->msg)
        return e->msg;
    return e->code ? autocert_strerror(e->code) : "";
}

long autocert_last_http_status(const autocert_ctx *ctx)
{
    const ac_errinfo *e = ctx ? errinfo_of(ctx, 0) : NULL;

    return e ? e->http_status : 0;
}

const char *autocert_last_problem_type(const autocert_ctx *ctx)
{
    const ac_errinfo *e = ctx ? errinfo_of(ctx, 0) : NULL;

    return (e && e->problem_type) ? e->problem_type : "";
}
