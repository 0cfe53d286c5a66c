#!/bin/sh
# pg_parallel.sh: processes sharing one postgresql:// cache: three at once per name get one order per name and the same certificate; a holder killed with -9 leaves no stale lock and nothing half-written.
AC_TEST_SLOT=72
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg_lib.sh"

pg_start
start_pebble

pg_make_hook

# obtain_bg LOG NAME: autocert obtain NAME on the database in the background.
obtain_bg() {
    ac_spawn "$1" "$AUTOCERT_BIN" obtain --directory "$AC_DIRECTORY" --ca-bundle "$WORK/tls-ca.pem" \
        --cache "$AC_PG_URL" --agree-tos --challenge dns-01 --dns-hook "$PG_HOOK" --timeout 60 "$2"
}

# wait_exit PID: its exit status in st (the process was started by ac_spawn).
wait_exit() {
    set +e
    wait "$1"
    st=$?
    set -e
}

# 1. Three processes per name, two names, all six at once on a new database.
orders=$(pg_count_orders)
pids=""
for i in 1 2 3; do
    for n in p1 p2; do
        obtain_bg "$n-$i.log" "$n.example.org"
        pids="$pids $n:$i:$AC_LAST_PID"
    done
done
new=0
for e in $pids; do
    wait_exit "${e##*:}"
    log=$WORK/$(echo "$e" | cut -d: -f1)-$(echo "$e" | cut -d: -f2).log
    case $st in
    0) new=$((new + 1)) ;;
    2) ;;
    *) ac_fail "obtain ${e%:*} exited $st: $(tail -n 3 "$log")" ;;
    esac
    grep -q 'BEGIN CERTIFICATE' "$log" || ac_fail "obtain ${e%:*} printed no certificate"
done
[ "$new" -eq 2 ] || ac_fail "$new processes stored a new certificate, expected 2 (one per name)"
[ "$(pg_count_orders)" -eq $((orders + 2)) ] ||
    ac_fail "Pebble received $(($(pg_count_orders) - orders)) orders for two names"
[ "$(grep -c 'POST /sign-me-up' "$WORK/pebble.log" || true)" -eq 1 ] ||
    ac_fail "more than one account registered"
for n in p1 p2; do
    [ "$(pg_generation "certs/$n.example.org")" = 1 ] ||
        ac_fail "certs/$n.example.org was stored more than once"
    for i in 2 3; do
        [ "$(sed -n '/BEGIN CERTIFICATE/,$p' "$WORK/$n-1.log")" = "$(sed -n '/BEGIN CERTIFICATE/,$p' "$WORK/$n-$i.log")" ] ||
            ac_fail "processes 1 and $i of $n see different certificates"
    done
done
ac_ok "six processes, two names: one order per name, one account, the same certificate for all"

# 2. kill -9 of the process holding p1's lock in the middle of its order.
pg_set_whole certs/p1.example.org
before=$(pg_psql "SELECT encode(data, 'hex') FROM autocert_items WHERE set_key = 'certs/p1.example.org' AND name = 'cert.pem'")
touch "$WORK/hold"
ac_spawn killed.log "$AUTOCERT_BIN" obtain --directory "$AC_DIRECTORY" --ca-bundle "$WORK/tls-ca.pem" \
    --cache "$AC_PG_URL" --agree-tos --challenge dns-01 --dns-hook "$PG_HOOK" --force p1.example.org
killed=$AC_LAST_PID
ac_wait_for 200 test -f "$WORK/in-hook" || ac_fail "the order did not reach its DNS hook"
[ "$(pg_psql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ] ||
    ac_fail "no advisory lock held in the middle of the order"
kill -KILL "$killed"
wait "$killed" 2>/dev/null || true
kill "$(cat "$WORK/hook.pid")" 2>/dev/null || true
rm -f "$WORK/hold"
t0=$(date +%s)
ac_exec "obtain --force p1.example.org (after kill -9)" obtain --directory "$AC_DIRECTORY" \
    --ca-bundle "$WORK/tls-ca.pem" --cache "$AC_PG_URL" --agree-tos --challenge dns-01 \
    --dns-hook "$PG_HOOK" --force p1.example.org
t1=$(date +%s)
[ "$AC_RC" -eq 0 ] || ac_fail "the run after kill -9 exited $AC_RC"
[ $((t1 - t0)) -le 10 ] || ac_fail "the run after kill -9 took $((t1 - t0)) s: a stale lock?"
ac_stderr_lacks "lock"
[ "$(pg_generation certs/p1.example.org)" = 2 ] ||
    ac_fail "certs/p1.example.org is not at its second generation"
pg_set_whole certs/p1.example.org
[ "$(pg_psql "SELECT encode(data, 'hex') FROM autocert_items WHERE set_key = 'certs/p1.example.org' AND name = 'cert.pem'")" != "$before" ] ||
    ac_fail "the certificate was not replaced"
pg_set_whole certs/p2.example.org
ac_ok "kill -9 of a lock holder: the next run takes the lock at once, every set whole"

# 3. Threads of one process, and a lock lost with its session (a tool over
# the backend, built with PostgreSQL support).
tool=$top_builddir/tests/tools/pg_threads
if [ -x "$tool" ]; then
    timeout -k 5 120 "$tool" "$AC_PG_URL" >"$WORK/threads.out" 2>&1 || {
        cat "$WORK/threads.out"
        ac_fail "pg_threads failed"
    }
    sed 's/^/  /' "$WORK/threads.out"
    ac_ok "threads exclude each other; a lock lost with the session refuses writes"
else
    echo "  (no $tool: not built)"
fi

ac_done
