/* opts.c: the example server's flags: parsing, the help text, and checks that name the bad input. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static const char help_text[] =
    "usage: " SRV_NAME " --autocert HOST[,HOST...] [ACME options] [options]\n"
    "       " SRV_NAME " --tlscert FILE --tlskey FILE [options]\n"
    "       " SRV_NAME " --self-signed [--autocert HOST,...] [options]\n"
    "\n"
    "A static-file HTTPS server (GET and HEAD) showing how a server uses libautocert.\n"
    "\n"
    "Certificates (one of):\n"
    "  --autocert HOSTS      obtain and renew certificates for these names from an ACME\n"
    "                        CA, served by SNI from memory (also AUTOCERT_HOSTS)\n"
    "  --tlscert FILE        certificate chain (PEM), with --tlskey FILE; SIGHUP reloads\n"
    "                        them (a bad file on reload keeps the old ones)\n"
    "  --self-signed         a development certificate made in memory for the\n"
    "                        --autocert names, or \"localhost\"\n"
    "ACME options (with --autocert):\n"
    "  --cache DIR           the certificate cache (default: AUTOCERT_CACHE, ~/.autocert-cache)\n"
    "  --directory URL       the CA's ACME directory (default: Let's Encrypt)\n"
    "  --ca-bundle FILE      CA certificates trusted for the ACME server's HTTPS\n"
    "  --email ADDR          contact address of the account\n"
    "  --agree-tos           agree to the CA's terms of service\n"
    "  --challenge TYPE      tls-alpn-01, http-01 or dns-01 (default: tls-alpn-01\n"
    "                        when listening on port 443, http-01 otherwise)\n"
    "  --dns-hook CMD        dns-01: the command publishing TXT records (see autocert(1))\n"
    "  --http-listen A:PORT  the HTTP-01 daemon's address (default: port 80); it\n"
    "                        also redirects every other request to https\n"
    "Options:\n"
    "  --listen ADDR:PORT    the HTTPS listener (default 0.0.0.0:443; [::]:443 for IPv6)\n"
    "  --root DIR            the files to serve (default: the current directory)\n"
    "  --client-ca FILE      mutual TLS: require a client certificate from these CAs\n"
    "  --user NAME           started as root: become NAME after binding the ports\n"
    "  --max-conns N         connections served at once (default 256)\n"
    "  -v, --verbose         the library's protocol detail in the log\n"
    "  -h, --help            this text\n"
    "\n"
    "Signals: SIGHUP reloads --tlscert/--tlskey; SIGUSR1 renews every --autocert host\n"
    "now, even when not due; SIGTERM and SIGINT shut down cleanly (exit 0).\n"
    "Exit status: 1 for a bad value or file or a failure, 2 for a usage error.\n";

enum { O_AUTOCERT = 256, O_CACHE, O_DIRECTORY, O_CA_BUNDLE, O_EMAIL, O_AGREE_TOS, O_CHALLENGE,
       O_HTTP_LISTEN, O_TLSCERT, O_TLSKEY, O_SELF_SIGNED, O_CLIENT_CA, O_LISTEN, O_USER, O_ROOT,
       O_MAX_CONNS, O_DNS_HOOK };

static const struct option long_opts[] = {
    {"autocert", required_argument, NULL, O_AUTOCERT},
    {"cache", required_argument, NULL, O_CACHE},
    {"directory", required_argument, NULL, O_DIRECTORY},
    {"ca-bundle", required_argument, NULL, O_CA_BUNDLE},
    {"email", required_argument, NULL, O_EMAIL},
    {"agree-tos", no_argument, NULL, O_AGREE_TOS},
    {"challenge", required_argument, NULL, O_CHALLENGE},
    {"dns-hook", required_argument, NULL, O_DNS_HOOK},
    {"http-listen", required_argument, NULL, O_HTTP_LISTEN},
    {"tlscert", required_argument, NULL, O_TLSCERT},
    {"tlskey", required_argument, NULL, O_TLSKEY},
    {"self-signed", no_argument, NULL, O_SELF_SIGNED},
    {"client-ca", required_argument, NULL, O_CLIENT_CA},
    {"listen", required_argument, NULL, O_LISTEN},
    {"user", required_argument, NULL, O_USER},
    {"root", required_argument, NULL, O_ROOT},
    {"max-conns", required_argument, NULL, O_MAX_CONNS},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line naming the problem; the exit status of a usage error. */
static int usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs(SRV_NAME ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    return SRV_EXIT_USAGE;
}

/* Stores one flag's value; 0, or the exit status. */
static int set_opt(srv_opts *o, int c, const char *arg)
{
    char *end;
    unsigned long n;

    switch (c) {
    case O_AUTOCERT: o->hosts_arg = arg; o->hosts_from = "--autocert"; break;
    case O_CACHE: o->cache = arg; break;
    case O_DIRECTORY: o->directory = arg; break;
    case O_CA_BUNDLE: o->ca_bundle = arg; break;
    case O_EMAIL: o->email = arg; break;
    case O_AGREE_TOS: o->agree_tos = 1; break;
    case O_CHALLENGE: o->challenge = arg; break;
    case O_DNS_HOOK: o->dns_hook = arg; break;
    case O_HTTP_LISTEN: o->http_listen = arg; break;
    case O_TLSCERT: o->tlscert = arg; break;
    case O_TLSKEY: o->tlskey = arg; break;
    case O_SELF_SIGNED: o->self_signed = 1; break;
    case O_CLIENT_CA: o->client_ca = arg; break;
    case O_LISTEN: o->listen = arg; break;
    case O_USER: o->user = arg; break;
    case O_ROOT: o->root = arg; break;
    case O_MAX_CONNS:
        errno = 0;
        n = strtoul(arg, &end, 10);
        if (errno || end == arg || *end || n < 1 || n > 65536) {
            fprintf(stderr, SRV_NAME ": invalid --max-conns '%s' (a number from 1 to 65536)\n",
                    arg);
            return SRV_EXIT_FAIL;
        }
        o->max_conns = (unsigned)n;
        break;
    case 'v': o->verbose = 1; break;
    default: return SRV_EXIT_USAGE;
    }
    return 0;
}

/* Splits the host list at commas into o->hosts; 0 or the exit status. */
static int split_hosts(srv_opts *o)
{
    const char *p = o->hosts_arg, *comma;
    size_t len, n = 1;

    for (comma = p; (comma = strchr(comma, ',')) != NULL; comma++)
        n++;
    if (n > SRV_MAX_HOSTS) {
        fprintf(stderr, SRV_NAME ": %s: more than %d names\n", o->hosts_from, SRV_MAX_HOSTS);
        return SRV_EXIT_FAIL;
    }
    if ((o->hosts = calloc(n, sizeof(*o->hosts))) == NULL) {
        fprintf(stderr, SRV_NAME ": out of memory\n");
        return SRV_EXIT_FAIL;
    }
    for (; o->n_hosts < n; p += len + 1) {
        comma = strchr(p, ',');
        len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len > 253) {
            fprintf(stderr, SRV_NAME ": invalid %s '%s' (names separated by commas)\n",
                    o->hosts_from, o->hosts_arg);
            return SRV_EXIT_FAIL;
        }
        if ((o->hosts[o->n_hosts++] = strndup(p, len)) == NULL) {
            fprintf(stderr, SRV_NAME ": out of memory\n");
            return SRV_EXIT_FAIL;
        }
    }
    return 0;
}

/* Flags that must or must not go together. */
static int check_modes(srv_opts *o)
{
    if ((o->tlscert == NULL) != (o->tlskey == NULL))
        return usage_error("--tlscert and --tlskey go together");
    if (o->tlscert && (o->hosts_arg || o->self_signed))
        return usage_error("--tlscert/--tlskey and --autocert/--self-signed exclude each other");
    if (!o->tlscert && !o->hosts_arg && !o->self_signed)
        return usage_error("no certificates: give --autocert, --tlscert/--tlskey or --self-signed");
    if (!o->hosts_arg || o->self_signed) {
        if (o->cache || o->directory || o->ca_bundle || o->email || o->agree_tos ||
            o->challenge || o->dns_hook || o->http_listen)
            return usage_error("ACME options need --autocert (without --self-signed)");
    }
    return 0;
}

int opts_parse(int argc, char **argv, srv_opts *o)
{
    int c, rc;

    memset(o, 0, sizeof(*o));
    o->listen = "0.0.0.0:443";
    o->root = ".";
    o->max_conns = 256;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":vh", long_opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(help_text, stdout);
            return -1;
        }
        if (c == ':')
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        if (c == '?')
            return usage_error("unknown option '%s'", argv[optind - 1]);
        if ((rc = set_opt(o, c, optarg)) != 0)
            return rc;
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (o->hosts_arg == NULL && getenv("AUTOCERT_HOSTS") && *getenv("AUTOCERT_HOSTS")) {
        o->hosts_arg = getenv("AUTOCERT_HOSTS");
        o->hosts_from = "AUTOCERT_HOSTS";
    }
    if ((rc = check_modes(o)) != 0)
        return rc;
    return o->hosts_arg ? split_hosts(o) : 0;
}

void opts_free(srv_opts *o)
{
    size_t i;

    for (i = 0; i < o->n_hosts; i++)
        free(o->hosts[i]);
    free(o->hosts);
    o->hosts = NULL;
    o->n_hosts = 0;
}

int opts_split(const char *text, char *host, size_t size, unsigned *port)
{
    const char *colon = strrchr(text, ':'), *p;
    size_t hlen;

    if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) > 5 ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return -1;
    *port = (unsigned)atoi(colon + 1);
    hlen = (size_t)(colon - text);
    p = text;
    if (hlen >= 2 && text[0] == '[' && text[hlen - 1] == ']') {
        p++;
        hlen -= 2;
    } else if (memchr(text, ':', hlen) != NULL) {
        return -1; /* an IPv6 address goes in brackets */
    }
    if (*port < 1 || *port > 65535 || hlen >= size)
        return -1;
    memcpy(host, p, hlen);
    host[hlen] = '\0';
    return 0;
}

int opts_addr(const char *flag, const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
    struct addrinfo hints, *ai = NULL;
    char host[64], port[8];
    unsigned n;

    if (opts_split(text, host, sizeof(host), &n) != 0)
        goto bad;
    snprintf(port, sizeof(port), "%u", n);
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(*host ? host : NULL, port, &hints, &ai) != 0)
        goto bad;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
bad:
    fprintf(stderr,
            SRV_NAME ": invalid %s '%s' (expected ADDR:PORT, e.g. 127.0.0.1:8443 or [::1]:8443)\n",
            flag, text);
    return -1;
}
