#!/bin/sh
# pg_outage.sh: the database stopped in the middle of an order: a clear error within the deadline, naming the server without its password, the old set intact; after a restart the next attempt succeeds.
AC_TEST_SLOT=73
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg_lib.sh"

pg_start
start_pebble
pg_make_hook
name=outage.example.org
set=certs/$name

# obtain_pg ARGS...: autocert obtain with the DNS hook on the database, in the background.
obtain_bg() {
    ac_spawn "$1" "$AUTOCERT_BIN" obtain --directory "$AC_DIRECTORY" --ca-bundle "$WORK/tls-ca.pem" \
        --cache "$AC_PG_URL" --agree-tos --challenge dns-01 --dns-hook "$PG_HOOK" --timeout 60 \
        --force "$name"
}

ac_pg_obtain "$name"
[ "$AC_RC" -eq 0 ] || ac_fail "the first obtain exited $AC_RC"
pg_set_whole "$set"
before=$(pg_psql "SELECT encode(data, 'hex') FROM autocert_items WHERE set_key = '$set' AND name = 'cert.pem'")

# 1. The server goes down while an order waits in its DNS hook.
touch "$WORK/hold"
obtain_bg outage.log
pid=$AC_LAST_PID
ac_wait_for 200 test -f "$WORK/in-hook" || ac_fail "the order did not reach its DNS hook"
pg_stop
touch "$WORK/go"
t0=$(date +%s)
set +e
wait "$pid"
st=$?
set -e
t1=$(date +%s)
cp "$WORK/outage.log" "$WORK/stderr"
: >"$WORK/stdout"
AC_RC=$st
ac_failed "obtain with the database gone"
[ $((t1 - t0)) -le 20 ] || ac_fail "the failure took $((t1 - t0)) s"
[ "$(grep -c '^autocert: ' "$WORK/stderr")" -eq 1 ] || ac_fail "not one error line"
ac_stderr_names "postgresql://autocert@127.0.0.1:$AC_PG_PORT/autocert"
ac_stderr_has "lost the connection|cannot connect"
ac_stderr_lacks "$AC_PG_PASSWORD"
ac_ok "the database stopped mid-order: one clear line within $((t1 - t0)) s, no password"

# 2. Restarted: the old set is there, whole; the next attempt succeeds.
rm -f "$WORK/hold" "$WORK/go" "$WORK/in-hook"
pg_start_server
[ "$(pg_generation "$set")" = 1 ] || ac_fail "$set is not at generation 1 after the failed store"
pg_set_whole "$set"
[ "$(pg_psql "SELECT encode(data, 'hex') FROM autocert_items WHERE set_key = '$set' AND name = 'cert.pem'")" = "$before" ] ||
    ac_fail "the old certificate changed"
ac_exec "obtain --force $name (after the restart)" obtain --directory "$AC_DIRECTORY" \
    --ca-bundle "$WORK/tls-ca.pem" --cache "$AC_PG_URL" --agree-tos --challenge dns-01 \
    --dns-hook "$PG_HOOK" --force "$name"
[ "$AC_RC" -eq 0 ] || ac_fail "the attempt after the restart exited $AC_RC"
[ "$(pg_generation "$set")" = 2 ] || ac_fail "$set is not at generation 2"
pg_set_whole "$set"
ac_ok "after the restart: the old set was whole, the next attempt stored a new one"

ac_done
