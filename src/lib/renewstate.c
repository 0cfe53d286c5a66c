/* renewstate.c: the renewal state of an entry (failures, backoff, orders, ARI window) and the rule of when it is due. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "renew.h"

#define DAY 86400

/* A time member: a non-negative integer, else 0. */
static time_t time_of(const json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    json_int_t t = json_is_integer(v) ? json_integer_value(v) : 0;

    return t > 0 && t < ((json_int_t)1 << 40) ? (time_t)t : 0;
}

/* A certificate ID as RFC 9773 makes them (base64url and one dot), else "". */
static void cert_id(const char *v, char *out, size_t n)
{
    size_t len = v ? strlen(v) : 0;

    out[0] = '\0';
    if (len == 0 || len >= n ||
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != len)
        return;
    memcpy(out, v, len + 1);
}

void ac_renew_state_read(const json_t *doc, ac_renew_state *s)
{
    const json_t *r = json_object_get(doc, "renewal"), *ari, *orders;
    json_int_t f;
    size_t i, n;

    memset(s, 0, sizeof(*s));
    if (!json_is_object(r))
        return;
    s->last_success = time_of(r, "last_success");
    s->last_failure = time_of(r, "last_failure");
    s->next_try = time_of(r, "next_try");
    f = json_integer_value(json_object_get(r, "failures"));
    s->failures = f > 0 && f < 1000000 ? (unsigned)f : 0;
    if (json_is_string(json_object_get(r, "last_error")))
        ac_escape(json_string_value(json_object_get(r, "last_error")), 300, s->last_error,
                  sizeof(s->last_error));
    orders = json_object_get(r, "orders");
    n = json_array_size(orders);
    /* The newest ones, if a file holds more than we keep. */
    for (i = n > AC_RENEW_MAX_ORDERS ? n - AC_RENEW_MAX_ORDERS : 0; i < n; i++) {
        json_int_t t = json_integer_value(json_array_get(orders, i));
        if (t > 0 && t < ((json_int_t)1 << 40))
            s->orders[s->n_orders++] = (time_t)t;
    }
    ari = json_object_get(r, "ari");
    s->ari_start = time_of(ari, "start");
    s->ari_end = time_of(ari, "end");
    s->ari_chosen = time_of(ari, "chosen");
    s->ari_next_check = time_of(ari, "next_check");
    cert_id(json_string_value(json_object_get(ari, "cert_id")), s->ari_cert_id,
            sizeof(s->ari_cert_id));
}

/* Sets `name` to the integer `t` unless it is 0. */
static int put_time(json_t *o, const char *name, time_t t)
{
    return t == 0 ? 0 : json_object_set_new(o, name, json_integer((json_int_t)t));
}

static json_t *ari_json(const ac_renew_state *s)
{
    json_t *a = json_object();

    if (a == NULL || put_time(a, "start", s->ari_start) || put_time(a, "end", s->ari_end) ||
        put_time(a, "chosen", s->ari_chosen) || put_time(a, "next_check", s->ari_next_check) ||
        (s->ari_cert_id[0] && json_object_set_new(a, "cert_id", json_string(s->ari_cert_id)))) {
        json_decref(a);
        return NULL;
    }
    return a;
}

json_t *ac_renew_state_json(const ac_renew_state *s)
{
    json_t *r = json_object(), *orders = json_array();
    size_t i;
    int bad = r == NULL || orders == NULL;

    for (i = 0; !bad && i < s->n_orders; i++)
        bad = json_array_append_new(orders, json_integer((json_int_t)s->orders[i])) != 0;
    if (!bad && (put_time(r, "last_success", s->last_success) ||
                 put_time(r, "last_failure", s->last_failure) ||
                 put_time(r, "next_try", s->next_try) ||
                 json_object_set_new(r, "failures", json_integer(s->failures)) ||
                 (s->last_error[0] && json_object_set_new(r, "last_error",
                                                          json_string(s->last_error))) ||
                 json_object_set_new(r, "orders", orders)))
        bad = 1;
    else
        orders = NULL; /* owned by r now */
    if (!bad && (s->ari_chosen != 0 || s->ari_next_check != 0) &&
        json_object_set_new(r, "ari", ari_json(s)) != 0)
        bad = 1;
    json_decref(orders);
    if (bad) {
        json_decref(r);
        return NULL;
    }
    return r;
}

/* Appends an order at `now`, dropping the oldest when full. */
static void add_order(ac_renew_state *s, time_t now)
{
    if (s->n_orders == AC_RENEW_MAX_ORDERS) {
        memmove(s->orders, s->orders + 1, (AC_RENEW_MAX_ORDERS - 1) * sizeof(time_t));
        s->n_orders--;
    }
    s->orders[s->n_orders++] = now;
}

void ac_renew_state_next(const ac_renew_state *old, time_t now, ac_renew_state *next)
{
    memset(next, 0, sizeof(*next));
    memcpy(next->orders, old->orders, sizeof(next->orders));
    next->n_orders = old->n_orders;
    next->last_failure = old->last_failure;
    next->last_success = now;
    add_order(next, now);
}

void ac_renew_state_take_ari(ac_renew_state *to, const ac_renew_state *from)
{
    to->ari_start = from->ari_start;
    to->ari_end = from->ari_end;
    to->ari_chosen = from->ari_chosen;
    to->ari_next_check = from->ari_next_check;
    memcpy(to->ari_cert_id, from->ari_cert_id, sizeof(to->ari_cert_id));
}

void ac_renew_state_failed(ac_renew_state *s, time_t now, int ordered, const char *error)
{
    static const time_t backoff[] = {60, 600, 6000};

    s->failures++;
    s->last_failure = now;
    s->next_try = now + (s->failures <= 3 ? backoff[s->failures - 1] : DAY);
    ac_escape(error, 300, s->last_error, sizeof(s->last_error));
    if (ordered)
        add_order(s, now);
}

/* When the lifetime rule (or `days`) makes the certificate due. */
static time_t lifetime_due(const ac_cert_meta *m, unsigned days, char *why, size_t n)
{
    time_t life = m->not_after - m->not_before;

    if (days > 0) {
        snprintf(why, n, "%u days before expiry, as asked", days);
        return m->not_after - (time_t)days * DAY;
    }
    if (life <= 0)
        life = 0;
    if (life < 10 * DAY) {
        snprintf(why, n, "half of its lifetime left");
        return m->not_after - life / 2;
    }
    snprintf(why, n, "a third of its lifetime left");
    return m->not_after - life / 3;
}

/* When the certificate is due, and by which rule. */
static time_t due_at(const ac_cert_meta *m, const ac_renew_state *s, unsigned days, char *why,
                     size_t n)
{
    time_t revoked = time_of(m->doc, "revoked_at");

    if (revoked != 0) {
        snprintf(why, n, "revoked");
        return revoked;
    }
    if (s->ari_chosen != 0 && days == 0) {
        snprintf(why, n, "the CA's renewal window (ARI)");
        return s->ari_chosen;
    }
    return lifetime_due(m, days, why, n);
}

/* The end of the weekly limit of orders, or 0 when it allows one now. */
static time_t week_limit(const ac_renew_state *s, time_t now)
{
    size_t i, recent = 0, first = 0;

    for (i = 0; i < s->n_orders; i++)
        if (s->orders[i] > now - 7 * DAY && recent++ == 0)
            first = i;
    return recent >= AC_RENEW_WEEK_LIMIT ? s->orders[first] + 7 * DAY : 0;
}

void ac_renew_plan_make(const ac_cert_meta *m, const ac_renew_state *s, unsigned days, int force,
                        time_t now, ac_renew_plan *p)
{
    time_t limit;

    memset(p, 0, sizeof(*p));
    p->renew_at = due_at(m, s, days, p->why, sizeof(p->why));
    if (force) {
        p->verdict = AC_PLAN_DUE;
        snprintf(p->why, sizeof(p->why), "forced");
        return;
    }
    if (now < p->renew_at) {
        p->verdict = AC_PLAN_NOT_DUE;
        return;
    }
    p->verdict = AC_PLAN_DUE;
    if (s->failures > 0 && now < s->next_try) {
        p->verdict = AC_PLAN_WAIT;
        p->wait_until = s->next_try;
        snprintf(p->why, sizeof(p->why), "backing off after %u failed renewal%s", s->failures,
                 s->failures == 1 ? "" : "s");
    } else if ((limit = week_limit(s, now)) != 0) {
        p->verdict = AC_PLAN_WAIT;
        p->wait_until = limit;
        snprintf(p->why, sizeof(p->why),
                 "%d orders for these names in the last 7 days",
                 AC_RENEW_WEEK_LIMIT);
    }
}
