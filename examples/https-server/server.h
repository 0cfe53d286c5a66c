/* server.h: the example HTTPS server's shared declarations: its settings and what each file provides. */
#ifndef HTTPS_SERVER_H
#define HTTPS_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "autocert.h"

#define SRV_NAME "https-server"
#define SRV_MAX_HOSTS 100000

/* Exit status: 0 after a clean shutdown, 1 for a bad value, a bad file or
 * a failure at run time, 2 for a usage error (unknown flag, missing value,
 * flags that do not go together). */
#define SRV_EXIT_FAIL 1
#define SRV_EXIT_USAGE 2

/* Everything the flags say, as given; pointers into argv or the environment. */
typedef struct {
    /* --autocert: certificates from an ACME CA through the manager */
    const char *hosts_arg; /* "a.example,b.example" (--autocert or AUTOCERT_HOSTS) */
    const char *hosts_from; /* "--autocert" or "AUTOCERT_HOSTS", for messages */
    char **hosts; /* the names, malloc'd */
    size_t n_hosts;
    const char *cache, *directory, *ca_bundle, *email, *challenge, *dns_hook;
    int agree_tos;
    const char *http_listen; /* ADDR:PORT of the HTTP-01 daemon */
    /* --tlscert/--tlskey: files, reloaded on SIGHUP */
    const char *tlscert, *tlskey;
    /* --self-signed: a development certificate made in memory */
    int self_signed;
    const char *client_ca; /* mutual TLS: the CAs client certificates must chain to */
    const char *listen;    /* ADDR:PORT of the HTTPS listener */
    const char *user;      /* drop root to this user after binding */
    const char *root;      /* the files served */
    unsigned max_conns;    /* connections served at once */
    int verbose;
} srv_opts;

/* main.c */
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* opts.c: the flags */
/* Parses argv (and AUTOCERT_HOSTS) into *o.  0, or the exit status after
 * printing one line naming the bad input (or the help text: -1 for exit 0). */
int opts_parse(int argc, char **argv, srv_opts *o);
void opts_free(srv_opts *o);
/* Splits "ADDR:PORT" ("[v6]:PORT"; ":PORT": ADDR "") into its parts; 0 or -1. */
int opts_split(const char *text, char *host, size_t size, unsigned *port);
/* Turns "ADDR:PORT" ("[v6]:PORT", ":PORT" for every address) into a
 * socket address.  0, or -1 after a line naming `flag`. */
int opts_addr(const char *flag, const char *text, struct sockaddr_storage *ss, socklen_t *len);

/* tls.c: the SSL_CTX handed to every new connection */
/* The context for the flags: certificate files, a self-signed certificate
 * or none (--autocert: the manager supplies them), and the client CA.
 * NULL after a line saying why. */
SSL_CTX *tls_ctx_new(const srv_opts *o);
/* The context new connections use: tls_use() takes ownership of `sctx`
 * and frees the one it replaces once its last connection is gone. */
void tls_use(SSL_CTX *sctx);
/* After the handshake: with --client-ca, the client presented a certificate
 * that verified (1), else 0; 1 without --client-ca.  A check of what the
 * handshake already enforces, kept so that no later change to the TLS setup
 * can serve an unverified client. */
int tls_client_ok(SSL *ssl);
/* An SSL for a new connection, from the current context (NULL: no memory). */
SSL *tls_new_ssl(void);
/* SIGHUP: a new context from the certificate files; on failure the old
 * one stays and a line says why. */
void tls_reload(const srv_opts *o);
void tls_shutdown(void);

/* acme.c: the autocert manager, for --autocert */
/* Configures a context and a manager from the flags and attaches the
 * manager to `sctx`.  0, or -1 after a line naming the bad input. */
int acme_setup(const srv_opts *o, SSL_CTX *sctx, unsigned tls_port);
/* Loads the cache, opens the challenge responder, starts the background
 * thread.  0, or -1 after a line saying why. */
int acme_start(void);
/* SIGUSR1: a forced renewal of every host, in a thread of its own. */
void acme_renew_all(void);
/* Joins the renewal thread, frees the manager and the context. */
void acme_shutdown(void);

/* serve.c: the accept loop and a thread for each connection */
typedef struct srv_server srv_server;
/* Binds and listens on --listen: NULL after a line saying why. */
srv_server *serve_bind(const srv_opts *o);
unsigned serve_port(const srv_server *s);
/* Runs the accept loop until serve_stop(): start it in its own thread. */
void *serve_run(void *server);
/* Stops accepting, closes the open connections, waits for their threads. */
void serve_stop(srv_server *s);
void serve_free(srv_server *s);

/* http.c: one request, static files from the root */
void http_serve(SSL *ssl, int rootfd);

/* user.c: --user */
/* Becomes the user for good (groups, gid, uid) and checks that root cannot
 * be regained.  0, or -1 after a line saying why. */
int user_drop(const char *name);

#endif /* HTTPS_SERVER_H */
