/* fuzz.c: what the libFuzzer targets share: the terminal-control check, a checked logger, storage in memory, the input as HTTP responses, a CA in memory that plays them. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fakeca.h"
#include "fuzz.h"

/* ---- text a terminal would act on ------------------------------------------ */

static void found(const char *what, const char *s, size_t at)
{
    fprintf(stderr, "fuzz: %s holds a terminal control at byte %zu: ", what, at);
    for (; *s; s++)
        fprintf(stderr, (*s >= 0x20 && *s < 0x7f) ? "%c" : "\\x%02x", (unsigned char)*s);
    fprintf(stderr, "\n");
    abort();
}

/* The code point of the UTF-8 sequence at s into *cp; its length, 0 if invalid. */
static size_t utf8(const unsigned char *s, unsigned long *cp)
{
    size_t n, i;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, *cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, *cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, *cp = s[0] & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && *cp < 0x800) || (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
        (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return n;
}

static int acted_on(unsigned long cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void fuzz_text_check(const char *what, const char *s, int lines)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned long cp;
    size_t n;

    if (s == NULL)
        return;
    while (*p) {
        if (*p == '\n' && (lines == FUZZ_DOCUMENT ||
                           (lines == FUZZ_REPORT && p[1] == ' ' && p[2] == ' '))) {
            p++;
            continue;
        }
        if ((n = utf8(p, &cp)) == 0 || acted_on(cp))
            found(what, s, (size_t)(p - (const unsigned char *)s));
        p += n;
    }
}

void fuzz_ctx_check(const autocert_ctx *ctx)
{
    if (getenv("FUZZ_VERBOSE") && autocert_last_error(ctx)[0])
        fprintf(stderr, "error: %s\n", autocert_last_error(ctx));
    fuzz_text_check("autocert_last_error", autocert_last_error(ctx), FUZZ_REPORT);
    fuzz_text_check("autocert_last_problem_type", autocert_last_problem_type(ctx), FUZZ_ONE_LINE);
}

static void logger(void *arg, autocert_log_level level, const char *msg)
{
    static int verbose = -1;

    (void)arg;
    fuzz_text_check("a log line", msg, FUZZ_REPORT);
    if (verbose < 0) /* FUZZ_VERBOSE=1: how far an input gets, to write seeds */
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "log[%d]: %s\n", (int)level, msg);
}

autocert_ctx *fuzz_ctx_new(void)
{
    autocert_ctx *ctx = autocert_ctx_new();

    if (ctx == NULL)
        abort();
    autocert_set_logger(ctx, logger, NULL);
    autocert_set_log_level(ctx, AUTOCERT_LOG_DEBUG);
    autocert_set_timeout(ctx, 30);
    return ctx;
}

/* ---- a storage backend in memory -------------------------------------------- */

typedef struct mem_item {
    char *name;
    unsigned char *data;
    size_t len;
    struct mem_item *next;
} mem_item;

typedef struct mem_set {
    char *key;
    mem_item *items;
    struct mem_set *next;
} mem_set;

typedef struct {
    mem_set *sets;
} mem_store;

static void items_free(mem_item *it)
{
    while (it) {
        mem_item *next = it->next;
        free(it->name);
        free(it->data);
        free(it);
        it = next;
    }
}

static mem_set **set_find(mem_store *m, const char *key)
{
    mem_set **s;

    for (s = &m->sets; *s; s = &(*s)->next)
        if (strcmp((*s)->key, key) == 0)
            break;
    return s;
}

static mem_set *set_get(mem_store *m, const char *key)
{
    mem_set **s = set_find(m, key);

    if (*s == NULL && (*s = calloc(1, sizeof(**s))) != NULL && ((*s)->key = strdup(key)) == NULL)
        abort();
    if (*s == NULL)
        abort();
    return *s;
}

/* Replaces (or adds) one item of a set. */
static void item_put(mem_set *s, const char *name, const void *data, size_t len)
{
    mem_item **it, *n = calloc(1, sizeof(*n));

    if (n == NULL || (n->name = strdup(name)) == NULL || (n->data = malloc(len + 1)) == NULL)
        abort();
    memcpy(n->data, data, len);
    n->data[len] = '\0';
    n->len = len;
    for (it = &s->items; *it; it = &(*it)->next)
        if (strcmp((*it)->name, name) == 0) {
            n->next = (*it)->next;
            (*it)->next = NULL;
            items_free(*it);
            *it = n;
            return;
        }
    *it = n;
}

static autocert_err mem_lock(void *be, const char *set, int wait_s, char *detail)
{
    (void)be, (void)set, (void)wait_s, (void)detail;
    return AUTOCERT_OK;
}

static void mem_unlock(void *be, const char *set)
{
    (void)be, (void)set;
}

static autocert_err mem_load(void *be, const char *set, const char *item, unsigned char **data,
                             size_t *len, char *detail)
{
    mem_set *s = *set_find(be, set);
    mem_item *it;

    (void)detail;
    for (it = s ? s->items : NULL; it; it = it->next)
        if (strcmp(it->name, item) == 0) {
            if ((*data = malloc(it->len + 1)) == NULL)
                return AUTOCERT_ERR_NOMEM;
            memcpy(*data, it->data, it->len + 1);
            *len = it->len;
            return AUTOCERT_OK;
        }
    return AUTOCERT_ERR_NOT_FOUND;
}

static autocert_err mem_store_set(void *be, const char *set, const autocert_item *items, size_t n,
                                  char *detail)
{
    mem_set *s = set_get(be, set);
    size_t i;

    (void)detail;
    items_free(s->items);
    s->items = NULL;
    for (i = 0; i < n; i++)
        item_put(s, items[i].name, items[i].data, items[i].len);
    return AUTOCERT_OK;
}

static autocert_err mem_store_item(void *be, const char *set, const autocert_item *item,
                                   char *detail)
{
    mem_set *s = *set_find(be, set);

    (void)detail;
    if (s == NULL)
        return AUTOCERT_ERR_NOT_FOUND;
    item_put(s, item->name, item->data, item->len);
    return AUTOCERT_OK;
}

static autocert_err mem_list(void *be, const char *prefix, char ***keys, size_t *n, char *detail)
{
    mem_store *m = be;
    mem_set *s;
    size_t k = 0;

    (void)detail;
    *n = 0;
    for (s = m->sets; s; s = s->next)
        k++;
    if ((*keys = calloc(k + 1, sizeof(char *))) == NULL)
        return AUTOCERT_ERR_NOMEM;
    for (s = m->sets; s; s = s->next)
        if (strncmp(s->key, prefix, strlen(prefix)) == 0 &&
            ((*keys)[(*n)++] = strdup(s->key)) == NULL)
            abort();
    return AUTOCERT_OK;
}

static autocert_err mem_remove(void *be, const char *set, char *detail)
{
    mem_set **s = set_find(be, set), *gone = *s;

    (void)detail;
    if (gone == NULL)
        return AUTOCERT_ERR_NOT_FOUND;
    *s = gone->next;
    items_free(gone->items);
    free(gone->key);
    free(gone);
    return AUTOCERT_OK;
}

static const char *mem_describe(void *be)
{
    (void)be;
    return "memory";
}

static void mem_destroy(void *be)
{
    mem_store *m = be;

    while (m->sets)
        mem_remove(m, m->sets->key, NULL);
    free(m);
}

static const autocert_storage_ops mem_ops = {
    .size = sizeof(autocert_storage_ops),
    .lock = mem_lock,
    .unlock = mem_unlock,
    .load = mem_load,
    .store = mem_store_set,
    .store_item = mem_store_item,
    .list = mem_list,
    .remove = mem_remove,
    .describe = mem_describe,
    .destroy = mem_destroy,
};

autocert_storage *fuzz_mem_storage(void)
{
    mem_store *m = calloc(1, sizeof(*m));
    autocert_storage *st = m ? autocert_storage_new(&mem_ops, m) : NULL;

    if (st == NULL)
        abort();
    return st;
}

void fuzz_mem_put(autocert_storage *st, const char *set, const char *item, const void *data,
                  size_t len)
{
    item_put(set_get(st->be, set), item, data, len);
}

/* ---- the input as HTTP responses ------------------------------------------- */

/* A copy of the header's value (leading blanks and a trailing CR cut, as
 * curl gives it), NULL when the line is not that header. */
static char *header_value(const char *line, const char *name)
{
    size_t n = strlen(name), len;
    char *v;

    if (strncasecmp(line, name, n) != 0 || line[n] != ':')
        return NULL;
    line += n + 1;
    while (*line == ' ' || *line == '\t')
        line++;
    if ((v = strdup(line)) == NULL)
        abort();
    len = strlen(v);
    while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == ' '))
        v[--len] = '\0';
    return v;
}

/* One response in `text` (ending at `end`, cut there by the caller). */
static void parse_one(fuzz_resp *r, char *text, char *end)
{
    char *line = text, *eol, *v;

    memset(r, 0, sizeof(*r));
    r->status = strtol(text, NULL, 10);
    if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL) {
        r->body = end;
        return;
    }
    for (line = eol + 1; line < end; line = eol + 1) {
        if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
            eol = end;
        *eol = '\0';
        if (line[0] == '\0' || (line[0] == '\r' && line[1] == '\0')) {
            line = eol + 1;
            break;
        }
        if ((v = header_value(line, "Location")) != NULL && r->location == NULL)
            r->location = v;
        else if (v == NULL && (v = header_value(line, "Replay-Nonce")) != NULL && r->nonce == NULL)
            r->nonce = v;
        else if (v == NULL && (v = header_value(line, "Retry-After")) != NULL && r->retry_after == NULL)
            r->retry_after = v;
        else
            free(v);
        if (eol == end) {
            line = end;
            break;
        }
    }
    r->body = line < end ? line : end;
    r->body_len = line < end ? (size_t)(end - line) : 0;
}

void fuzz_script_parse(fuzz_script *sc, const uint8_t *data, size_t size)
{
    char *p, *sep;

    memset(sc, 0, sizeof(*sc));
    if ((sc->text = malloc(size + 1)) == NULL)
        abort();
    memcpy(sc->text, data, size);
    sc->text[size] = '\0';
    for (p = sc->text; p; p = sep) {
        char *end;

        if ((sep = memmem(p, (size_t)(sc->text + size - p), "\n%%\n", 4)) != NULL) {
            end = sep;
            sep += 4;
        } else {
            end = sc->text + size;
        }
        *end = '\0';
        if ((sc->r = realloc(sc->r, (sc->n + 1) * sizeof(*sc->r))) == NULL)
            abort();
        parse_one(&sc->r[sc->n++], p, end);
    }
}

void fuzz_script_free(fuzz_script *sc)
{
    size_t i;

    for (i = 0; i < sc->n; i++) {
        free(sc->r[i].location);
        free(sc->r[i].nonce);
        free(sc->r[i].retry_after);
    }
    free(sc->r);
    free(sc->text);
    memset(sc, 0, sizeof(*sc));
}

/* ---- a CA in memory whose answers the input replaces -------------------------- */

struct fuzz_ca {
    fakeca *ca;
    const ac_transport *inner;
    void *inner_arg;
    fuzz_script *sc;
    const char *const *match;
};

static int matches(const fuzz_ca *fc, const ac_http_req *req)
{
    const char *path = req->url;
    size_t i, ml;

    if (strncmp(path, FAKECA_URL, strlen(FAKECA_URL)) == 0)
        path += strlen(FAKECA_URL);
    ml = strlen(req->method);
    for (i = 0; fc->match[i]; i++)
        if (strncmp(fc->match[i], req->method, ml) == 0 && fc->match[i][ml] == ' ' &&
            strncmp(path, fc->match[i] + ml + 1, strlen(fc->match[i] + ml + 1)) == 0)
            return 1;
    return 0;
}

static autocert_err ca_request(void *arg, void **state, autocert_ctx *ctx, const ac_http_req *req,
                               ac_http_resp *resp)
{
    fuzz_ca *fc = arg;
    const fuzz_resp *r;
    autocert_err rc = fc->inner->request(fc->inner_arg, state, ctx, req, resp);

    if (rc != AUTOCERT_OK || !matches(fc, req) || fc->sc->next >= fc->sc->n)
        return rc;
    r = &fc->sc->r[fc->sc->next++];
    /* The CA saw the request (its state moves on); the input answers it. */
    resp->status = r->status;
    ac_buf_free(&resp->body);
    ac_buf_init(&resp->body, AC_MAX_BODY);
    if (ac_buf_append(&resp->body, r->body, r->body_len) != 0)
        return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "response larger than %u bytes", AC_MAX_BODY);
    free(resp->location);
    resp->location = r->location ? strdup(r->location) : NULL;
    if (r->nonce) { /* else the CA's, so that the conversation can go on */
        free(resp->nonce);
        resp->nonce = strdup(r->nonce);
    }
    resp->retry_after = ac_http_parse_retry_after(r->retry_after, time(NULL));
    return AUTOCERT_OK;
}

static void ca_cleanup(void *arg, void *state)
{
    fuzz_ca *fc = arg;

    fc->inner->cleanup(fc->inner_arg, state);
}

static const ac_transport fuzz_transport = {ca_request, ca_cleanup};

fuzz_ca *fuzz_ca_attach(autocert_ctx *ctx, fuzz_script *sc, const char *const *match)
{
    fuzz_ca *fc = calloc(1, sizeof(*fc));

    if (fc == NULL || (fc->ca = fakeca_new()) == NULL)
        abort();
    fakeca_attach(fc->ca, ctx);
    fc->inner = ctx->transport;
    fc->inner_arg = ctx->transport_arg;
    fc->sc = sc;
    fc->match = match;
    ac_ctx_set_transport(ctx, &fuzz_transport, fc);
    return fc;
}

void fuzz_ca_free(fuzz_ca *fc)
{
    if (fc == NULL)
        return;
    fakeca_free(fc->ca);
    free(fc);
}

void *fuzz_ca_knobs(fuzz_ca *fc)
{
    return fakeca_knobs_of(fc->ca);
}

/* ---- canned keys and certificates ------------------------------------------- */

EVP_PKEY *fuzz_key(void)
{
    EVP_PKEY *key = NULL;

    if (ac_key_generate(NULL, AUTOCERT_KEY_EC256, &key) != AUTOCERT_OK)
        abort();
    return key;
}

const char *fuzz_key_pem(void)
{
    static char *pem;
    size_t len = 0;

    if (pem == NULL) {
        EVP_PKEY *key = fuzz_key();

        if (ac_key_to_pem(NULL, key, &pem, &len) != AUTOCERT_OK)
            abort();
        EVP_PKEY_free(key);
    }
    return pem;
}

const char *fuzz_chain(void)
{
    static const char *const names[] = {"a.example", "www.a.example"};
    static char *chain;

    if (chain == NULL) {
        fakeca *ca = fakeca_new();

        if (ca == NULL || (chain = fakeca_issue(ca, fuzz_key_pem(), names, 2)) == NULL)
            abort();
        fakeca_free(ca);
    }
    return chain;
}

/* ---- files ------------------------------------------------------------------- */

static char tmpdir[64];

static void tmpdir_remove(void)
{
    char cmd[128];

    /* Only ever the directory made below, whose name holds no quote. */
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (tmpdir[0] && system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", tmpdir);
}

const char *fuzz_tmpdir(void)
{
    if (tmpdir[0] == '\0') {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/autocert-fuzz-XXXXXX");
        if (mkdtemp(tmpdir) == NULL)
            abort();
        atexit(tmpdir_remove);
    }
    return tmpdir;
}

int fuzz_webroot_has_files(const char *dir)
{
    char path[256];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "%s/.well-known/acme-challenge", dir);
    if ((d = opendir(path)) == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n > 0;
}
