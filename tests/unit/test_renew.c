/* test_renew.c: when a certificate is due (lifetime rule, --days, revocation, ARI), backoff, the weekly limit, and the renewal state in meta.json. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <string.h>

#include <cmocka.h>

#include "renew.h"

#define DAY ((time_t)86400)
#define NB ((time_t)1700000000)

/* Metadata of a certificate valid from NB for `life`, document `doc` (may be NULL). */
static ac_cert_meta meta_of(time_t life, json_t *doc)
{
    ac_cert_meta m;

    memset(&m, 0, sizeof(m));
    m.not_before = NB;
    m.not_after = NB + life;
    m.doc = doc;
    return m;
}

static ac_renew_plan plan_at(const ac_cert_meta *m, const ac_renew_state *s, unsigned days,
                             int force, time_t now)
{
    ac_renew_plan p;

    ac_renew_plan_make(m, s, days, force, now, &p);
    return p;
}

static void test_lifetime_rule(void **state)
{
    ac_renew_state s;
    ac_cert_meta m90 = meta_of(90 * DAY, NULL), m6 = meta_of(6 * DAY, NULL);
    ac_renew_plan p;

    (void)state;
    memset(&s, 0, sizeof(s));
    /* 90 days: due with 30 left, a third. */
    p = plan_at(&m90, &s, 0, 0, NB + DAY);
    assert_int_equal(p.verdict, AC_PLAN_NOT_DUE);
    assert_int_equal(p.renew_at, NB + 60 * DAY);
    assert_non_null(strstr(p.why, "third"));
    assert_int_equal(plan_at(&m90, &s, 0, 0, NB + 60 * DAY - 1).verdict, AC_PLAN_NOT_DUE);
    assert_int_equal(plan_at(&m90, &s, 0, 0, NB + 60 * DAY).verdict, AC_PLAN_DUE);
    /* 6 days (short-lived): due at half. */
    p = plan_at(&m6, &s, 0, 0, NB);
    assert_int_equal(p.renew_at, NB + 3 * DAY);
    assert_non_null(strstr(p.why, "half"));
    /* --days overrides the rule; --force makes it due at once. */
    assert_int_equal(plan_at(&m90, &s, 10, 0, NB).renew_at, NB + 80 * DAY);
    assert_int_equal(plan_at(&m90, &s, 0, 1, NB).verdict, AC_PLAN_DUE);
}

static void test_revoked_and_ari(void **state)
{
    json_t *doc = json_pack("{s:I}", "revoked_at", (json_int_t)(NB + 5 * DAY));
    ac_cert_meta m = meta_of(90 * DAY, doc), plain = meta_of(90 * DAY, NULL);
    ac_renew_state s;
    ac_renew_plan p;

    (void)state;
    memset(&s, 0, sizeof(s));
    p = plan_at(&m, &s, 0, 0, NB + 5 * DAY);
    assert_int_equal(p.verdict, AC_PLAN_DUE);
    assert_string_equal(p.why, "revoked");
    /* The chosen time in the CA's window comes before the lifetime rule. */
    s.ari_chosen = NB + 20 * DAY;
    p = plan_at(&plain, &s, 0, 0, NB + 19 * DAY);
    assert_int_equal(p.verdict, AC_PLAN_NOT_DUE);
    assert_int_equal(p.renew_at, NB + 20 * DAY);
    assert_non_null(strstr(p.why, "ARI"));
    assert_int_equal(plan_at(&plain, &s, 0, 0, NB + 20 * DAY).verdict, AC_PLAN_DUE);
    json_decref(doc);
}

static void test_backoff(void **state)
{
    ac_cert_meta m = meta_of(90 * DAY, NULL);
    time_t now = NB + 70 * DAY;
    static const time_t steps[] = {60, 600, 6000, DAY, DAY};
    ac_renew_state s;
    ac_renew_plan p;
    size_t i;

    (void)state;
    memset(&s, 0, sizeof(s));
    for (i = 0; i < 5; i++) {
        ac_renew_state_failed(&s, now, 0, "boom\x1b]0;x\a");
        assert_int_equal(s.failures, i + 1);
        assert_int_equal(s.next_try, now + steps[i]);
        p = plan_at(&m, &s, 0, 0, now + steps[i] - 1);
        assert_int_equal(p.verdict, AC_PLAN_WAIT);
        assert_int_equal(p.wait_until, now + steps[i]);
        assert_int_equal(plan_at(&m, &s, 0, 0, now + steps[i]).verdict, AC_PLAN_DUE);
        assert_int_equal(plan_at(&m, &s, 0, 1, now).verdict, AC_PLAN_DUE); /* --force */
    }
    /* The CA's text is kept escaped. */
    assert_null(strchr(s.last_error, '\x1b'));
    assert_non_null(strstr(s.last_error, "^["));
}

static void test_weekly_limit(void **state)
{
    ac_cert_meta m = meta_of(90 * DAY, NULL);
    time_t now = NB + 70 * DAY;
    ac_renew_state s;
    ac_renew_plan p;
    int i;

    (void)state;
    memset(&s, 0, sizeof(s));
    /* Two orders more than a week ago do not count. */
    s.orders[s.n_orders++] = now - 9 * DAY;
    s.orders[s.n_orders++] = now - 8 * DAY;
    for (i = 0; i < AC_RENEW_WEEK_LIMIT - 1; i++)
        s.orders[s.n_orders++] = now - DAY + i;
    assert_int_equal(plan_at(&m, &s, 0, 0, now).verdict, AC_PLAN_DUE);
    s.orders[s.n_orders++] = now - 10;
    p = plan_at(&m, &s, 0, 0, now);
    assert_int_equal(p.verdict, AC_PLAN_WAIT);
    assert_int_equal(p.wait_until, now - DAY + 7 * DAY); /* the oldest of the week ages out */
    assert_int_equal(plan_at(&m, &s, 0, 1, now).verdict, AC_PLAN_DUE);
}

/* The state written and read back; what a new generation keeps. */
static void test_state_round_trip(void **state)
{
    ac_renew_state s, back, next;
    json_t *r, *doc;
    int i;

    (void)state;
    memset(&s, 0, sizeof(s));
    for (i = 0; i < AC_RENEW_MAX_ORDERS + 3; i++)
        ac_renew_state_failed(&s, NB + i, 1, "no");
    s.ari_start = NB + 10;
    s.ari_end = NB + 20;
    s.ari_chosen = NB + 15;
    s.ari_next_check = NB + 30;
    assert_int_equal(s.n_orders, AC_RENEW_MAX_ORDERS);
    assert_int_equal(s.orders[AC_RENEW_MAX_ORDERS - 1], NB + AC_RENEW_MAX_ORDERS + 2);
    r = ac_renew_state_json(&s);
    assert_non_null(r);
    doc = json_pack("{s:o}", "renewal", r);
    ac_renew_state_read(doc, &back);
    assert_memory_equal(&s, &back, sizeof(s));
    /* A new generation: the orders and the last failure stay, the failures
     * and the window of the replaced certificate do not. */
    ac_renew_state_next(&back, NB + 100, &next);
    assert_int_equal(next.failures, 0);
    assert_int_equal(next.next_try, 0);
    assert_int_equal(next.ari_chosen, 0);
    assert_int_equal(next.last_success, NB + 100);
    assert_int_equal(next.orders[next.n_orders - 1], NB + 100);
    assert_int_equal(next.last_failure, s.last_failure);
    json_decref(doc);
}

/* What a hand-edited or damaged file holds reads as no state. */
static void test_state_malformed(void **state)
{
    static const char *const docs[] = {
        "{}",
        "{\"renewal\": 5}",
        "{\"renewal\": {\"failures\": -3, \"next_try\": \"soon\", \"orders\": {}}}",
        "{\"renewal\": {\"failures\": 1e300, \"orders\": [\"x\", -1, 99999999999999999]}}",
        "{\"renewal\": {\"ari\": [], \"last_error\": 7}}",
    };
    ac_renew_state s, zero;
    size_t i;

    (void)state;
    memset(&zero, 0, sizeof(zero));
    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_t *doc = json_loads(docs[i], 0, NULL);

        assert_non_null(doc);
        ac_renew_state_read(doc, &s);
        assert_memory_equal(&s, &zero, sizeof(s));
        json_decref(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifetime_rule),    cmocka_unit_test(test_revoked_and_ari),
        cmocka_unit_test(test_backoff),          cmocka_unit_test(test_weekly_limit),
        cmocka_unit_test(test_state_round_trip), cmocka_unit_test(test_state_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
