/* http.c: the default transport: HTTPS over libcurl, kept-alive handles the sessions of a context hand on to each other, bounded bodies, the system's hashed CA directory or a CA bundle. */
#include "config.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "acme/acme.h"
#include "acme/curlload.h"

#define USER_AGENT "autocert/" PACKAGE_VERSION
#define SYSTEM_CERT_DIR "/etc/ssl/certs"
#define CONNECT_TIMEOUT_S 15L

#define IDLE_MAX 8 /* idle handles a context keeps for its next sessions */

typedef struct {
    CURL *curl;
    struct curl_slist *jose; /* Content-Type of every POST */
    struct ac_net *net;      /* whose idle handles it goes back to, or NULL */
} handle;

/* What the sessions of one context share on the wire.  libcurl's shared
 * connection cache (CURL_LOCK_DATA_CONNECT) is not safe with transfers in
 * concurrent threads (its "known bug" 11.11, curl issue 4915): connections
 * are handed on with the easy handles holding them instead, one session
 * at a time each.  DNS and TLS sessions go through a share handle. */
struct ac_net {
    pthread_mutex_t mu;     /* idle[] */
    handle *idle[IDLE_MAX]; /* handles of ended sessions, connections open */
    size_t n_idle;
    CURLSH *share;          /* DNS and TLS sessions; NULL: none */
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST]; /* one a kind of shared data */
};

static pthread_once_t dir_once = PTHREAD_ONCE_INIT;
static int system_dir_hashed; /* SYSTEM_CERT_DIR holds OpenSSL's hash links */

/* Nonzero when `dir` has the "<8 hex digits>.0" links OpenSSL looks a CA
 * up by: verification then reads the one certificate it needs, not a
 * bundle of all of them (about 20 ms a process). */
static int hashed(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int found = 0;

    if (d == NULL)
        return 0;
    while (!found && (de = readdir(d)) != NULL)
        found = strlen(de->d_name) == 10 && strspn(de->d_name, "0123456789abcdef") == 8 &&
                strcmp(de->d_name + 8, ".0") == 0;
    closedir(d);
    return found;
}

static void look_at_system_dir(void)
{
    system_dir_hashed = hashed(SYSTEM_CERT_DIR);
}

void ac_http_resp_init(ac_http_resp *r)
{
    memset(r, 0, sizeof(*r));
    ac_buf_init(&r->body, AC_MAX_BODY);
    r->retry_after = -1;
}

void ac_http_resp_free(ac_http_resp *r)
{
    ac_buf_free(&r->body);
    free(r->location);
    free(r->nonce);
    autocert_strv_free(r->alternates, r->n_alternates);
    ac_http_resp_init(r);
}

/* ---- Link (RFC 8288) ---------------------------------------------------- */

#define LINK_WS " \t"

/* Appends `url` (len bytes), resolved against `base`, to r->alternates. */
static int add_alternate(ac_http_resp *r, const char *url, size_t len, const char *base)
{
    const char *scheme_end = strstr(base, "://"), *path;
    size_t origin = 0, n;
    char *abs, **v;

    if (r->n_alternates >= AC_MAX_ALTERNATES || len == 0 || len > 2048)
        return 0;
    if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0) {
        if (url[0] != '/' || (len > 1 && url[1] == '/') || scheme_end == NULL)
            return 0; /* only absolute URLs and absolute paths */
        path = strchr(scheme_end + 3, '/');
        origin = path ? (size_t)(path - base) : strlen(base);
    }
    n = origin + len + 1;
    if ((abs = malloc(n)) == NULL)
        return -1;
    snprintf(abs, n, "%.*s%.*s", (int)origin, base, (int)len, url);
    if ((v = realloc(r->alternates, (r->n_alternates + 1) * sizeof(char *))) == NULL) {
        free(abs);
        return -1;
    }
    r->alternates = v;
    r->alternates[r->n_alternates++] = abs;
    return 0;
}

/* Whether a rel value (a token or a quoted string, `len` bytes) names the
 * relation "alternate" among its space-separated relations. */
static int rel_is_alternate(const char *v, size_t len)
{
    size_t i = 0, w;

    if (len >= 2 && v[0] == '"') {
        v++;
        len -= 2;
    }
    while (i < len) {
        while (i < len && v[i] == ' ')
            i++;
        for (w = 0; i + w < len && v[i + w] != ' '; w++)
            ;
        if (w == 9 && strncasecmp(v + i, "alternate", 9) == 0)
            return 1;
        i += w;
    }
    return 0;
}

/* The parameters after one link's target, up to the ',' that ends it:
 * *alt when one is rel=alternate; the position after it, NULL when bad. */
static const char *link_params(const char *p, int *alt)
{
    while (*p && *p != ',') {
        const char *name, *val;
        size_t nlen, vlen;

        p += strspn(p, LINK_WS);
        if (*p != ';')
            return *p == ',' || *p == '\0' ? p : NULL;
        p += 1 + strspn(p + 1, LINK_WS);
        name = p;
        nlen = strcspn(p, "=;," LINK_WS);
        p += nlen + strspn(p + nlen, LINK_WS);
        if (*p != '=')
            continue; /* a parameter without a value */
        p += 1 + strspn(p + 1, LINK_WS);
        val = p;
        if (*p == '"') {
            const char *q = strchr(p + 1, '"');
            if (q == NULL)
                return NULL;
            p = q + 1;
        } else {
            p += strcspn(p, ";," LINK_WS);
        }
        vlen = (size_t)(p - val);
        if (nlen == 3 && strncasecmp(name, "rel", 3) == 0 && rel_is_alternate(val, vlen))
            *alt = 1;
    }
    return p;
}

int ac_http_parse_links(ac_http_resp *r, const char *value, const char *base)
{
    const char *p = value;

    while (p && *p) {
        const char *url, *end;
        int alt = 0;

        p += strspn(p, LINK_WS ",");
        if (*p == '\0')
            break;
        if (*p != '<' || (end = strchr(p + 1, '>')) == NULL)
            break;
        url = p + 1;
        if ((p = link_params(end + 1, &alt)) == NULL)
            break;
        if (alt && add_alternate(r, url, (size_t)(end - url), base) != 0)
            return -1;
    }
    return 0;
}

long ac_http_parse_retry_after(const char *value, time_t now)
{
    const ac_curl_api *cu;
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
    if ((cu = ac_curl(NULL, 0)) == NULL || (t = cu->getdate(value, NULL)) == (time_t)-1)
        return -1;
    return t > now ? (long)(t - now) : 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    ac_buf *b = arg;

    /* Returning a short count makes curl fail with CURLE_WRITE_ERROR. */
    if (ac_buf_append(b, p, size * n) != 0)
        return 0;
    return size * n;
}

/* A copy of the first value of a response header, or NULL. */
static char *header_dup(const ac_curl_api *cu, CURL *c, const char *name)
{
    struct curl_header *h = NULL;

    if (cu->easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL)
        return NULL;
    return strdup(h->value);
}

static void handle_free(handle *h)
{
    const ac_curl_api *cu = ac_curl(NULL, 0);

    if (h == NULL)
        return;
    if (cu && h->curl)
        cu->easy_cleanup(h->curl);
    if (cu)
        cu->slist_free_all(h->jose);
    free(h);
}

/* ---- what the sessions of a context share ------------------------------- */

static void share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *arg)
{
    struct ac_net *net = arg;

    (void)c;
    (void)access;
    if ((unsigned)data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&net->locks[data]);
}

static void share_unlock(CURL *c, curl_lock_data data, void *arg)
{
    struct ac_net *net = arg;

    (void)c;
    if ((unsigned)data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&net->locks[data]);
}

/* The share handle of `net`, or NULL (sessions then work without it). */
static CURLSH *share_new(const ac_curl_api *cu, struct ac_net *net)
{
    CURLSH *sh = cu->share_init();

    if (sh == NULL)
        return NULL;
    if (cu->share_setopt(sh, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
        cu->share_setopt(sh, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
        cu->share_setopt(sh, CURLSHOPT_USERDATA, net) != CURLSHE_OK ||
        cu->share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
        cu->share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        cu->share_cleanup(sh);
        return NULL;
    }
    return sh;
}

static struct ac_net *net_new(const ac_curl_api *cu)
{
    struct ac_net *net = calloc(1, sizeof(*net));
    size_t i;

    if (net == NULL)
        return NULL;
    if (pthread_mutex_init(&net->mu, NULL) != 0) {
        free(net);
        return NULL;
    }
    for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
        if (pthread_mutex_init(&net->locks[i], NULL) != 0)
            break;
    if (i == CURL_LOCK_DATA_LAST)
        net->share = share_new(cu, net);
    else
        while (i-- > 0)
            pthread_mutex_destroy(&net->locks[i]);
    return net;
}

/* The context's shared state, created on first use; NULL when it cannot
 * be (out of memory): each session then has a handle of its own. */
static struct ac_net *net_of(const ac_curl_api *cu, autocert_ctx *ctx)
{
    struct ac_net *net;

    pthread_mutex_lock(&ctx->lock);
    if (ctx->net == NULL)
        ctx->net = net_new(cu);
    net = ctx->net;
    pthread_mutex_unlock(&ctx->lock);
    return net;
}

void ac_net_free(struct ac_net *net)
{
    const ac_curl_api *cu = ac_curl(NULL, 0);
    size_t i;

    if (net == NULL)
        return;
    /* Every easy handle first: a share in use cannot be cleaned up. */
    for (i = 0; i < net->n_idle; i++)
        handle_free(net->idle[i]);
    if (net->share) {
        cu->share_cleanup(net->share);
        for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&net->locks[i]);
    }
    pthread_mutex_destroy(&net->mu);
    free(net);
}

/* An idle handle of the context's, NULL when there is none. */
static handle *idle_take(struct ac_net *net)
{
    handle *h = NULL;

    pthread_mutex_lock(&net->mu);
    if (net->n_idle > 0)
        h = net->idle[--net->n_idle];
    pthread_mutex_unlock(&net->mu);
    return h;
}

/* The handle of an ended session goes back to its context with its
 * connections, unless the context keeps enough already. */
static void idle_give(handle *h)
{
    const ac_curl_api *cu = ac_curl(NULL, 0);
    struct ac_net *net = h->net;

    /* Nothing of the ended session's may be used by the next one. */
    cu->easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
    cu->easy_setopt(h->curl, CURLOPT_WRITEDATA, NULL);
    cu->easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
    cu->easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    if (net != NULL) {
        pthread_mutex_lock(&net->mu);
        if (net->n_idle < IDLE_MAX) {
            net->idle[net->n_idle++] = h;
            h = NULL;
        }
        pthread_mutex_unlock(&net->mu);
    }
    handle_free(h);
}

/* RFC 8555 section 6.1: the client's name and version, and its HTTP
 * library's ("autocert/0.1.0 libcurl/7.88.1"); libcurl copies the text. */
static void set_user_agent(const ac_curl_api *cu, CURL *c)
{
    const curl_version_info_data *v = cu->version_info(CURLVERSION_NOW);
    char ua[128];

    snprintf(ua, sizeof(ua), "%s libcurl/%s", USER_AGENT, v && v->version ? v->version : "?");
    cu->easy_setopt(c, CURLOPT_USERAGENT, ua);
}

/* Every socket libcurl opens is close-on-exec from the start: a hook, or
 * any program the embedding process starts, inherits no connection. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    (void)arg;
    (void)purpose;
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* A new handle with the fixed options of the context's sessions. */
static autocert_err handle_new(const ac_curl_api *cu, autocert_ctx *ctx, struct ac_net *net,
                               handle **out)
{
    handle *h;

    pthread_once(&dir_once, look_at_system_dir);
    if ((h = calloc(1, sizeof(*h))) == NULL || (h->curl = cu->easy_init()) == NULL ||
        (h->jose = cu->slist_append(NULL, "Content-Type: application/jose+json")) == NULL) {
        handle_free(h);
        return ac_err(ctx, AUTOCERT_ERR_NOMEM, "cannot create an HTTP handle");
    }
    h->net = net;
    set_user_agent(cu, h->curl);
    cu->easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "https,http");
    cu->easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
    cu->easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    cu->easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    cu->easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    cu->easy_setopt(h->curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    cu->easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
    cu->easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)AC_MAX_BODY);
    if (ctx->ca_bundle) {
        cu->easy_setopt(h->curl, CURLOPT_CAINFO, ctx->ca_bundle);
    } else if (system_dir_hashed) {
        cu->easy_setopt(h->curl, CURLOPT_CAINFO, NULL);
        cu->easy_setopt(h->curl, CURLOPT_CAPATH, SYSTEM_CERT_DIR);
    }
    if (net && net->share)
        cu->easy_setopt(h->curl, CURLOPT_SHARE, net->share);
    *out = h;
    return AUTOCERT_OK;
}

/* The session's handle: on first use an idle one of the context's (its
 * connections open), else a new one. */
static autocert_err handle_get(autocert_ctx *ctx, void **state, handle **out)
{
    const ac_curl_api *cu;
    struct ac_net *net;
    char why[256];
    autocert_err rc;

    if (*state != NULL) {
        *out = *state;
        return AUTOCERT_OK;
    }
    if ((cu = ac_curl(why, sizeof(why))) == NULL)
        return ac_err(ctx, AUTOCERT_ERR_NETWORK, "%s", why);
    net = net_of(cu, ctx);
    if (net == NULL || (*out = idle_take(net)) == NULL)
        if ((rc = handle_new(cu, ctx, net, out)) != AUTOCERT_OK)
            return rc;
    *state = *out;
    return AUTOCERT_OK;
}

/* The options that change with every request. */
static void prepare(const ac_curl_api *cu, handle *h, const ac_http_req *req, ac_http_resp *resp,
                    char *errbuf)
{
    CURL *c = h->curl;

    cu->easy_setopt(c, CURLOPT_URL, req->url);
    cu->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(req->timeout * 1000.0) + 1);
    cu->easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
    if (strcmp(req->method, "POST") == 0) {
        cu->easy_setopt(c, CURLOPT_NOBODY, 0L);
        cu->easy_setopt(c, CURLOPT_HTTPHEADER, h->jose);
        cu->easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        cu->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(req->body));
    } else {
        cu->easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        cu->easy_setopt(c, CURLOPT_HTTPGET, 1L);
        cu->easy_setopt(c, CURLOPT_NOBODY, strcmp(req->method, "HEAD") == 0 ? 1L : 0L);
    }
}

/* The alternates of every Link header (a failure loses only alternates). */
static void collect_links(const ac_curl_api *cu, CURL *c, const char *url, ac_http_resp *resp)
{
    struct curl_header *h = NULL;
    size_t i, n = 1;

    for (i = 0; i < n && i < 32; i++) {
        if (cu->easy_header(c, "Link", i, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL)
            return;
        n = h->amount;
        if (ac_http_parse_links(resp, h->value, url) != 0)
            return;
    }
}

/* Status, connection count and the headers ACME uses. */
static void collect(const ac_curl_api *cu, CURL *c, const char *url, ac_http_resp *resp)
{
    long nc = 0;
    char *ra;

    cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (cu->easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nc) == CURLE_OK && nc > 0) {
        curl_off_t us = 0;

        resp->connects = (unsigned long)nc;
        /* Until the TLS handshake ended (plain http: until connected). */
        if (cu->easy_getinfo(c, CURLINFO_APPCONNECT_TIME_T, &us) != CURLE_OK || us == 0)
            cu->easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &us);
        resp->connect_s = (double)us / 1e6;
    }
    collect_links(cu, c, url, resp);
    resp->location = header_dup(cu, c, "Location");
    resp->nonce = header_dup(cu, c, "Replay-Nonce");
    ra = header_dup(cu, c, "Retry-After");
    resp->retry_after = ac_http_parse_retry_after(ra, time(NULL));
    free(ra);
}

static autocert_err request(void *arg, void **state, autocert_ctx *ctx, const ac_http_req *req,
                            ac_http_resp *resp)
{
    handle *h = NULL;
    const ac_curl_api *cu;
    char errbuf[CURL_ERROR_SIZE];
    CURLcode cc;
    autocert_err rc;

    (void)arg;
    if ((rc = handle_get(ctx, state, &h)) != AUTOCERT_OK)
        return rc;
    cu = ac_curl(NULL, 0); /* loaded: the handle exists */
    errbuf[0] = '\0';
    prepare(cu, h, req, resp, errbuf);
    cc = cu->easy_perform(h->curl);
    if (cc == CURLE_WRITE_ERROR || cc == CURLE_FILESIZE_EXCEEDED)
        return ac_err(ctx, AUTOCERT_ERR_PROTOCOL, "%s %s: response larger than %u bytes",
                      req->method, AC_SAFE(req->url), AC_MAX_BODY);
    if (cc != CURLE_OK)
        return ac_err(ctx, cc == CURLE_OPERATION_TIMEDOUT ? AUTOCERT_ERR_TIMEOUT : AUTOCERT_ERR_NETWORK,
                      "%s %s: %s", req->method, AC_SAFE(req->url),
                      AC_SAFE(errbuf[0] ? errbuf : cu->easy_strerror(cc)));
    collect(cu, h->curl, req->url, resp);
    return AUTOCERT_OK;
}

static void cleanup(void *arg, void *state)
{
    (void)arg;
    if (state != NULL)
        idle_give(state);
}

const ac_transport ac_http_transport = {request, cleanup};
