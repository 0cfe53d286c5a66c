#!/bin/sh
# obtain_parallel.sh: two processes on one cache order different names at the same time; the same name is ordered once.
#
# Process A orders a.example.org with --webroot, served by a static web server
# the test holds stopped (SIGSTOP): Pebble's validation of A waits, so A stays
# in the middle of its order, holding the lock of its cache entry.  Meanwhile:
#   - B orders b.example.org (resolved to 127.0.0.2, its own responder there)
#     from start to end: entries are locked one by one, not the whole cache;
#   - C orders a.example.org again: it waits for A's entry lock, and once A
#     has stored the certificate it finds it cached and orders nothing.
AC_TEST_SLOT=10
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble
webroot=$WORK/www
mkdir -p "$webroot"
chmod 711 "$WORK"
chmod 755 "$webroot"
AC_STATIC_USER=nobody
ac_static_server "$webroot" "$AC_HTTP_PORT"
curl -sf -o /dev/null -d '{"host":"b.example.org","addresses":["127.0.0.2"]}' \
    "http://127.0.0.1:$AC_CHALL_PORT/add-a" || ac_fail "could not point b.example.org at 127.0.0.2"

# validations NAME: how many validations Pebble started for NAME (one per order here).
validations() {
    grep -c "Pulled a task.*Value:\"$1\"" "$WORK/pebble.log" || true
}

# run_bg LOG ARGS...: autocert obtain ARGS in the background against the test Pebble.
run_bg() {
    ac_bglog=$1
    shift
    # shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
    ac_spawn "$ac_bglog" timeout -k 5 "$AC_TIMEOUT" "$AUTOCERT_BIN" obtain --directory "$AC_DIRECTORY" \
        --ca-bundle "$WORK/tls-ca.pem" --cache "$CACHE" --agree-tos $AC_HTTP_ARGS "$@"
}

# wait_rc PID: waits for PID (a child of this shell) and sets AC_RC to its exit status.
wait_rc() {
    set +e
    wait "$1"
    AC_RC=$?
    set -e
}

# 1. A: its validation held up by the stopped web server.
kill -STOP "$AC_STATIC_PID"
run_bg a.log a.example.org --webroot "$webroot"
a_pid=$AC_LAST_PID
ac_wait_for 200 grep -q 'Attempting to validate w/ HTTP: http://a.example.org' "$WORK/pebble.log" ||
    ac_fail "Pebble never began to validate a.example.org"
ac_alive "$a_pid" || ac_fail "A ended before its validation: $(cat "$WORK/a.log")"
ac_ok "A is in the middle of its order for a.example.org"

# 2. B: a whole order for another name while A holds its entry.
AC_HTTP_ARGS="$AC_HTTP_ARGS --bind 127.0.0.2"
ac_obtain_ok b.example.org
ac_check_cert b.example.org
ac_alive "$a_pid" || ac_fail "A ended before B: the orders did not overlap"
[ ! -e "$CACHE/certs/a.example.org" ] || ac_fail "A's certificate is stored already"
ac_ok "B obtained b.example.org while A's order was still open"

# 3. C: the same name as A waits for A's entry, orders nothing.
run_bg c.log a.example.org --webroot "$webroot"
c_pid=$AC_LAST_PID
sleep 1
ac_alive "$c_pid" || ac_fail "C did not wait for A's entry: $(cat "$WORK/c.log")"
[ "$(validations a.example.org)" -eq 1 ] || ac_fail "a.example.org is being ordered twice"
ac_ok "C waits for the entry A holds"

# 4. The web server answers: A completes, C finds A's certificate.
kill -CONT "$AC_STATIC_PID"
wait_rc "$a_pid"
[ "$AC_RC" -eq 0 ] || ac_fail "A exited $AC_RC: $(cat "$WORK/a.log")"
wait_rc "$c_pid"
[ "$AC_RC" -eq 2 ] || ac_fail "C exited $AC_RC, expected 2 (cached): $(cat "$WORK/c.log")"
grep -qw cached "$WORK/c.log" || ac_fail "C does not say the certificate was cached"
ac_check_cert a.example.org
[ "$(validations a.example.org)" -eq 1 ] || ac_fail "a.example.org was ordered $(validations a.example.org) times"
[ "$(validations b.example.org)" -eq 1 ] || ac_fail "b.example.org was ordered $(validations b.example.org) times"
[ "$(grep -c 'POST /order-plz' "$WORK/pebble.log")" -eq 2 ] || ac_fail "Pebble received other than two orders"
ac_ok "A stored a.example.org; C made no order and reported it cached"

ac_done
