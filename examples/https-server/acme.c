/* acme.c: --autocert: a libautocert manager configured from the flags, attached to the server's SSL_CTX, and the forced renewal of SIGUSR1. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autocert_openssl.h"
#include "server.h"

static autocert_ctx *actx;
static autocert_manager *manager;
static const srv_opts *opts;

/* SIGUSR1's renewal thread; one at a time. */
static pthread_mutex_t renew_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t renew_thread;
static int renew_started, renew_running;

/* The library's log lines (any thread: fprintf locks the stream). */
static void on_log(void *arg, autocert_log_level level, const char *msg)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};

    (void)arg;
    srv_log("autocert %s: %s", names[level <= AUTOCERT_LOG_DEBUG ? level : 0], msg);
}

/* The manager's events: what it serves and why it could not, e.g.
 * "a.example: certificate renewed", "a.example: certificate failed: ...". */
static void on_event(void *arg, autocert_event event, const char *name, const char *reason)
{
    static const char *const names[] = {"loaded", "obtained", "renewed", "failed"};
    const char *what = event <= AUTOCERT_EVENT_FAILED ? names[event] : "event";

    (void)arg;
    if (*reason == '\0' || strcmp(reason, what) == 0)
        srv_log("%s: certificate %s", name, what);
    else if (event == AUTOCERT_EVENT_FAILED)
        srv_log("%s: certificate %s: %s", name, what, reason);
    else
        srv_log("%s: certificate %s (%s)", name, what, reason);
}

/* A failed call of the library: one line with the flag, the library's
 * message and its detail. */
static int fail(const char *what, autocert_err rc)
{
    const char *detail = actx ? autocert_last_error(actx) : "";

    srv_log("%s: %s%s%s", what, autocert_strerror(rc), *detail ? ": " : "", detail);
    return -1;
}

/* A setter's result: 0, or 1 after a line naming the flag and its value. */
static int bad(autocert_err rc, const char *flag, const char *value)
{
    char what[300];

    if (rc == AUTOCERT_OK)
        return 0;
    snprintf(what, sizeof(what), "invalid %s '%s'", flag, value);
    fail(what, rc);
    return 1;
}

/* The context: the CA, its trust, the account, the challenge, the cache. */
static int configure(const srv_opts *o)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char host[64];
    unsigned port;

    if ((actx = autocert_ctx_new()) == NULL)
        return fail("autocert_ctx_new", AUTOCERT_ERR_NOMEM);
    autocert_set_logger(actx, on_log, NULL);
    autocert_set_log_level(actx, o->verbose ? AUTOCERT_LOG_DEBUG : AUTOCERT_LOG_INFO);
    autocert_set_agree_tos(actx, o->agree_tos);
    if ((o->directory &&
         bad(autocert_set_directory(actx, o->directory), "--directory", o->directory)) ||
        (o->ca_bundle &&
         bad(autocert_set_ca_bundle(actx, o->ca_bundle), "--ca-bundle", o->ca_bundle)) ||
        (o->email && bad(autocert_set_email(actx, o->email), "--email", o->email)) ||
        (o->challenge &&
         bad(autocert_set_challenge(actx, o->challenge), "--challenge", o->challenge)) ||
        (o->dns_hook && bad(autocert_set_dns_hook(actx, o->dns_hook), "--dns-hook", o->dns_hook)) ||
        (o->cache && bad(autocert_set_cache_dir(actx, o->cache), "--cache", o->cache)))
        return -1;
    if (o->http_listen == NULL)
        return 0;
    /* Checked as --listen is; the daemon takes the address as text. */
    if (opts_addr("--http-listen", o->http_listen, &ss, &len) != 0 ||
        opts_split(o->http_listen, host, sizeof(host), &port) != 0 ||
        bad(autocert_set_http01(actx, *host ? host : NULL, port), "--http-listen", o->http_listen))
        return -1;
    return 0;
}

int acme_setup(const srv_opts *o, SSL_CTX *sctx, unsigned tls_port)
{
    static const unsigned char alpn[] = "\x08http/1.1";
    autocert_err rc;

    opts = o;
    if (configure(o) != 0)
        return -1;
    if ((rc = autocert_manager_new(actx, &manager)) != AUTOCERT_OK)
        return fail("autocert_manager_new", rc);
    /* The policy: only these names are ever ordered, whatever SNI says. */
    if ((rc = autocert_manager_set_hosts(manager, (const char *const *)o->hosts, o->n_hosts)) !=
        AUTOCERT_OK)
        return fail(o->hosts_from, rc);
    /* The listener's port decides the default challenge (443: TLS-ALPN-01). */
    autocert_manager_set_tls_port(manager, tls_port);
    autocert_manager_set_event_cb(manager, on_event, NULL);
    /* Certificates by SNI from memory, TLS-ALPN-01 answered on this listener. */
    if ((rc = autocert_openssl_attach(manager, sctx, alpn, sizeof(alpn) - 1)) != AUTOCERT_OK)
        return fail("autocert_openssl_attach", rc);
    return 0;
}

int acme_start(void)
{
    autocert_err rc;

    if (manager == NULL)
        return 0;
    if ((rc = autocert_manager_start(manager)) != AUTOCERT_OK)
        return fail("cannot start the certificate manager", rc);
    srv_log("certificates for %s: %zu of %zu served from the cache, challenge %s",
            opts->hosts_arg, autocert_manager_count(manager), opts->n_hosts,
            autocert_manager_challenge(manager));
    return 0;
}

/* The renewal thread: every host in turn, forced, while serving. */
static void *renew_hosts(void *arg)
{
    autocert_renew_info info;
    autocert_err rc;
    size_t i;

    (void)arg;
    for (i = 0; i < opts->n_hosts; i++) {
        autocert_renew_info_init(&info);
        rc = autocert_manager_renew(manager, opts->hosts[i], AUTOCERT_RENEW_FORCE, &info);
        if (rc != AUTOCERT_OK)
            srv_log("SIGUSR1: renewing %s failed: %s: %s", opts->hosts[i], autocert_strerror(rc),
                    autocert_last_error(actx));
        else
            srv_log("SIGUSR1: %s renewed, valid until %ld", opts->hosts[i], (long)info.not_after);
    }
    pthread_mutex_lock(&renew_mu);
    renew_running = 0;
    pthread_mutex_unlock(&renew_mu);
    return NULL;
}

void acme_renew_all(void)
{
    if (manager == NULL) {
        srv_log("SIGUSR1: no --autocert hosts to renew");
        return;
    }
    pthread_mutex_lock(&renew_mu);
    if (renew_running) {
        pthread_mutex_unlock(&renew_mu);
        srv_log("SIGUSR1: a renewal is already running");
        return;
    }
    if (renew_started)
        pthread_join(renew_thread, NULL);
    renew_started = renew_running = pthread_create(&renew_thread, NULL, renew_hosts, NULL) == 0;
    pthread_mutex_unlock(&renew_mu);
    if (!renew_started)
        srv_log("SIGUSR1: cannot start the renewal thread");
}

void acme_shutdown(void)
{
    int started;

    /* The thread takes renew_mu as it ends: join it without holding it. */
    pthread_mutex_lock(&renew_mu);
    started = renew_started;
    renew_started = 0;
    pthread_mutex_unlock(&renew_mu);
    if (started)
        pthread_join(renew_thread, NULL);
    autocert_manager_free(manager);
    manager = NULL;
    autocert_ctx_free(actx);
    actx = NULL;
}
