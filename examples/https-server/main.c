/* main.c: the example HTTPS server: flags, the TLS setup, binding, dropping root, signals, and a clean shutdown. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "server.h"

void srv_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    flockfile(stderr);
    fputs(SRV_NAME ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    va_end(ap);
}

/* Waits for signals until SIGTERM or SIGINT.  Every thread has them
 * blocked (the mask is set before the first thread starts), so they are
 * taken here, one at a time, outside any signal handler. */
static void signal_loop(const srv_opts *o, const sigset_t *set)
{
    int sig;

    for (;;) {
        if (sigwait(set, &sig) != 0)
            continue;
        switch (sig) {
        case SIGHUP: tls_reload(o); break;     /* --tlscert/--tlskey read again */
        case SIGUSR1: acme_renew_all(); break; /* every --autocert host, now */
        default: srv_log("signal %d: shutting down", sig); return;
        }
    }
}

/* Everything up to serving: the TLS context, the listener, the manager,
 * then the user.  The exit status on failure, else 0. */
static int setup(const srv_opts *o, srv_server **server)
{
    SSL_CTX *sctx;

    if ((sctx = tls_ctx_new(o)) == NULL)
        return SRV_EXIT_FAIL;
    /* Bind first (as root, for ports below 1024), ... */
    if ((*server = serve_bind(o)) == NULL) {
        SSL_CTX_free(sctx);
        return SRV_EXIT_FAIL;
    }
    /* ... attach the manager to the context, which the connections then use, ... */
    if (o->hosts_arg && !o->self_signed && acme_setup(o, sctx, serve_port(*server)) != 0) {
        SSL_CTX_free(sctx);
        return SRV_EXIT_FAIL;
    }
    tls_use(sctx);
    /* ... load the cache and open the challenge port (80 for HTTP-01), ... */
    if (acme_start() != 0)
        return SRV_EXIT_FAIL;
    /* ... and only then give up root. */
    if (o->user && user_drop(o->user) != 0)
        return SRV_EXIT_FAIL;
    if (geteuid() == 0)
        srv_log("warning: running as root (--user NAME drops it after binding)");
    return 0;
}

int main(int argc, char **argv)
{
    srv_opts o;
    srv_server *server = NULL;
    pthread_t acceptor;
    sigset_t set;
    int rc;

    /* Before any thread exists, so that all of them inherit the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-write is an error return */

    if ((rc = opts_parse(argc, argv, &o)) != 0) {
        opts_free(&o);
        return rc < 0 ? 0 : rc;
    }
    if ((rc = setup(&o, &server)) == 0) {
        if (pthread_create(&acceptor, NULL, serve_run, server) != 0) {
            srv_log("cannot start the accept thread");
            rc = SRV_EXIT_FAIL;
        } else {
            srv_log("serving %s on %s", o.root, o.listen);
            signal_loop(&o, &set);
            serve_stop(server);
            pthread_join(acceptor, NULL);
        }
    }
    /* Connections are gone: the context, then the manager it points to. */
    tls_shutdown();
    acme_shutdown();
    serve_free(server);
    opts_free(&o);
    return rc;
}
