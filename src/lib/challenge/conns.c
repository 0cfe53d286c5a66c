/* conns.c: the HTTP-01 responder's connections counted per client, and who gives way when it is crowded. */
#include "config.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "challenge/challenge.h"

/*
 * libmicrohttpd, at its connection limit, stops accepting: the kernel's
 * listen queue fills and every client is refused, the CA too, until the
 * flood ends.  So the limit is never reached: from AC_CONNS_CROWDED open
 * connections on, a newcomer takes the place of the oldest connection of
 * the client holding the most, if that client holds more than the
 * newcomer's; otherwise the newcomer is refused.  There is no fixed cap a
 * client: a CA validates many names at once from one address.  A
 * connection AC_CONNS_OLD seconds old is closed when another client
 * arrives (a slow client's idle timer restarts with every byte).
 */

int ac_conns_client(const struct sockaddr *sa, socklen_t len, ac_client *out)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    memset(out, 0, sizeof(*out));
    if (sa == NULL)
        return -1;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        memcpy(out->b, mapped, sizeof(mapped));
        memcpy(out->b + 12, &s4->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        /* An IPv4 client on a dual-stack socket is that IPv4 address. */
        if (memcmp(s6->sin6_addr.s6_addr, mapped, sizeof(mapped)) == 0)
            memcpy(out->b, s6->sin6_addr.s6_addr, 16);
        else
            memcpy(out->b, s6->sin6_addr.s6_addr, 8); /* its /64 */
        return 0;
    }
    return -1;
}

/* The index of `who` among the clients holding open connections, or -1. */
static long client_find(const ac_conns *t, const ac_client *who)
{
    size_t i;

    for (i = 0; i < AC_CONNS_MAX; i++)
        if (t->clients[i].n > 0 && memcmp(&t->clients[i].who, who, sizeof(*who)) == 0)
            return (long)i;
    return -1;
}

/* Marks slot i closing, its fd into victims. */
static void give_way(ac_conns *t, size_t i, int *victims, size_t *nv)
{
    ac_conn *c = &t->c[i];

    c->closing = 1;
    t->clients[c->client].n--;
    t->open--;
    victims[(*nv)++] = c->fd;
}

/* The oldest open connection of client k. */
static size_t oldest_of(const ac_conns *t, long k)
{
    size_t i, best = AC_CONNS_MAX;

    for (i = 0; i < AC_CONNS_MAX; i++) {
        const ac_conn *c = &t->c[i];
        if (c->used && !c->closing && c->client == k &&
            (best == AC_CONNS_MAX || c->since < t->c[best].since))
            best = i;
    }
    return best;
}

int ac_conns_admit(ac_conns *t, const ac_client *who, double now, int *victims, size_t *nv)
{
    long mine = client_find(t, who), big = -1;
    unsigned have = mine >= 0 ? t->clients[mine].n : 0;
    size_t i;

    *nv = 0;
    for (i = 0; i < AC_CONNS_MAX; i++) {
        const ac_conn *c = &t->c[i];
        if (c->used && !c->closing && c->client != mine && now - c->since >= AC_CONNS_OLD)
            give_way(t, i, victims, nv);
    }
    if (t->used >= AC_CONNS_MAX)
        return 0;
    if (t->open < AC_CONNS_CROWDED)
        return 1;
    for (i = 0; i < AC_CONNS_MAX; i++)
        if (t->clients[i].n > 0 && (big < 0 || t->clients[i].n > t->clients[big].n))
            big = (long)i;
    if (big < 0 || t->clients[big].n <= have)
        return 0;
    give_way(t, oldest_of(t, big), victims, nv);
    return 1;
}

long ac_conns_add(ac_conns *t, const ac_client *who, int fd, double now)
{
    long k = client_find(t, who);
    size_t i, slot = AC_CONNS_MAX;

    for (i = 0; i < AC_CONNS_MAX && slot == AC_CONNS_MAX; i++)
        if (!t->c[i].used)
            slot = i;
    if (slot == AC_CONNS_MAX)
        return -1;
    /* A client that held nothing takes a free entry: there are as many as
     * connections. */
    for (i = 0; k < 0 && i < AC_CONNS_MAX; i++)
        if (t->clients[i].n == 0) {
            k = (long)i;
            t->clients[i].who = *who;
        }
    t->c[slot].used = 1;
    t->c[slot].closing = 0;
    t->c[slot].fd = fd;
    t->c[slot].client = k;
    t->c[slot].since = now;
    t->clients[k].n++;
    t->used++;
    t->open++;
    return (long)slot;
}

void ac_conns_remove(ac_conns *t, long slot)
{
    ac_conn *c;

    if (slot < 0 || slot >= AC_CONNS_MAX || !t->c[slot].used)
        return;
    c = &t->c[slot];
    if (!c->closing) {
        t->clients[c->client].n--;
        t->open--;
    }
    memset(c, 0, sizeof(*c));
    t->used--;
}
