/* flood.c: holds many connections to an HTTP server on loopback, idle or trickling, reconnecting each one it loses (a test tool). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * flood -p PORT [-n CONNECTIONS] [-s FIRST_SOURCE] [-k SOURCES] [-t MS] [-d SECONDS]
 *
 * Keeps CONNECTIONS (default 300) connections open to 127.0.0.1:PORT, the
 * i-th from the source address FIRST_SOURCE (default 127.0.0.2) plus
 * i % SOURCES (default 1) in its last byte.  With -t, each sends the start
 * of a request and then one byte of a header every MS milliseconds, never
 * ending it; without, it sends nothing.  A connection refused or closed
 * is made again 100 ms later.  Runs for SECONDS (default 120) or until
 * SIGTERM/SIGINT, then prints "held max N connects N closed N" and exits 0:
 * the most connections established at once (accepted or waiting in the
 * server's listen queue), connections attempted, and connections the
 * server closed.  Every second it prints how many are established.
 */

#define MAX_CONNS 1000
#define RETRY_MS 100

enum state { DOWN, CONNECTING, UP };

struct slot {
    int fd;
    enum state st;
    double next; /* DOWN: when to connect; UP: when to send a byte */
    struct sockaddr_in src;
};

struct flood {
    struct slot s[MAX_CONNS];
    int n;
    unsigned port;
    int trickle_ms;
    long connects, closed;
    int up, max_up;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void slot_down(struct flood *f, struct slot *s, double now)
{
    if (s->st == UP) {
        f->up--;
        f->closed++;
    }
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->st = DOWN;
    s->next = now + RETRY_MS / 1000.0;
}

static void slot_connect(struct flood *f, struct slot *s, double now)
{
    struct sockaddr_in dst;

    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&s->src, sizeof(s->src)) != 0) {
        slot_down(f, s, now);
        return;
    }
    memset(&dst, 0, sizeof(dst));
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t)f->port);
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->connects++;
    if (connect(s->fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS) {
        slot_down(f, s, now);
        return;
    }
    s->st = CONNECTING;
}

/* A connection just made: the start of a request when trickling. */
static void slot_up(struct flood *f, struct slot *s, double now)
{
    static const char head[] = "GET /flood HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    int e = 0;
    socklen_t elen = sizeof(e);

    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0 || e != 0) {
        slot_down(f, s, now);
        return;
    }
    s->st = UP;
    if (++f->up > f->max_up)
        f->max_up = f->up;
    s->next = now + f->trickle_ms / 1000.0;
    if (f->trickle_ms > 0 && send(s->fd, head, sizeof(head) - 1, MSG_NOSIGNAL) < 0)
        slot_down(f, s, now);
}

/* What poll said about slot s. */
static void slot_event(struct flood *f, struct slot *s, short revents, double now)
{
    char buf[512];

    if (s->st == CONNECTING && (revents & (POLLOUT | POLLERR | POLLHUP)))
        slot_up(f, s, now);
    else if (s->st == UP && (revents & (POLLIN | POLLERR | POLLHUP))) {
        ssize_t r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR)))
            slot_down(f, s, now); /* closed by the server */
    }
}

/* Connections due, bytes due; the earliest next time. */
static double due(struct flood *f, double now)
{
    double next = now + 0.1;
    int i;

    for (i = 0; i < f->n; i++) {
        struct slot *s = &f->s[i];
        if (s->st == DOWN && s->next <= now)
            slot_connect(f, s, now);
        else if (s->st == UP && f->trickle_ms > 0 && s->next <= now) {
            if (send(s->fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
                slot_down(f, s, now);
            else
                s->next = now + f->trickle_ms / 1000.0;
        }
        if (s->st != CONNECTING && (s->st == DOWN || f->trickle_ms > 0) && s->next < next)
            next = s->next;
    }
    return next;
}

static void run(struct flood *f, double seconds)
{
    static struct pollfd p[MAX_CONNS];
    static int idx[MAX_CONNS];
    double start = now_s(), report = start + 1, now, next;
    int i, np, ms;

    while (!stop && (now = now_s()) - start < seconds) {
        next = due(f, now);
        for (np = 0, i = 0; i < f->n; i++) {
            if (f->s[i].st == DOWN)
                continue;
            p[np].fd = f->s[i].fd;
            p[np].events = f->s[i].st == CONNECTING ? POLLOUT : POLLIN;
            p[np].revents = 0;
            idx[np++] = i;
        }
        ms = (int)((next - now) * 1000) + 1;
        if (poll(p, (nfds_t)np, ms < 1 ? 1 : ms) > 0)
            for (i = 0; i < np; i++)
                if (p[i].revents != 0)
                    slot_event(f, &f->s[idx[i]], p[i].revents, now_s());
        if (now_s() >= report) {
            printf("%.0f s: %d up\n", report - start, f->up);
            fflush(stdout);
            report += 1;
        }
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: flood -p PORT [-n CONNECTIONS] [-s FIRST_SOURCE] [-k SOURCES] "
                    "[-t MS] [-d SECONDS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static struct flood f;
    const char *first = "127.0.0.2";
    struct in_addr a;
    struct rlimit rl;
    double seconds = 120;
    int opt, k = 1, i;

    f.n = 300;
    while ((opt = getopt(argc, argv, "p:n:s:k:t:d:")) != -1) {
        switch (opt) {
        case 'p': f.port = (unsigned)atoi(optarg); break;
        case 'n': f.n = atoi(optarg); break;
        case 's': first = optarg; break;
        case 'k': k = atoi(optarg); break;
        case 't': f.trickle_ms = atoi(optarg); break;
        case 'd': seconds = atof(optarg); break;
        default: usage();
        }
    }
    if (f.port == 0 || f.port > 65535 || f.n < 1 || f.n > MAX_CONNS || k < 1 || k > 200 ||
        f.trickle_ms < 0 || inet_pton(AF_INET, first, &a) != 1)
        usage();
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)f.n + 64) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    for (i = 0; i < f.n; i++) {
        f.s[i].fd = -1;
        f.s[i].src.sin_family = AF_INET;
        f.s[i].src.sin_addr.s_addr = htonl(ntohl(a.s_addr) + (uint32_t)(i % k));
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    run(&f, seconds);
    printf("held max %d connects %ld closed %ld\n", f.max_up, f.connects, f.closed);
    return 0;
}
