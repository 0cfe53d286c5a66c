#!/bin/sh
# pg_fleet.sh: a fleet of example servers on one PostgreSQL store: one order per name, the same certificate everywhere, challenges answered by whichever node Pebble reaches, and renewals served by every node within two seconds through NOTIFY.
AC_TEST_SLOT=75 # and the ports of slot 76's block (X_PORT below)
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/server_lib.sh"
. "$top_srcdir/tests/integration/pg_lib.sh"

pg_start
# The tables of schema version 1, as an earlier autocert left them: the
# first node upgrades them.
pg_psql "SET ROLE autocert;
CREATE TABLE autocert_schema (version integer NOT NULL); INSERT INTO autocert_schema VALUES (1);
CREATE TABLE autocert_sets (key text COLLATE \"C\" PRIMARY KEY, generation bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE autocert_items (set_key text COLLATE \"C\" NOT NULL REFERENCES autocert_sets (key)
  ON DELETE CASCADE, name text NOT NULL, data bytea NOT NULL, secret boolean NOT NULL,
  sealed smallint NOT NULL DEFAULT 0, PRIMARY KEY (set_key, name));" ||
    ac_fail "cannot create the tables of version 1"
start_pebble tlsport="$SRV_PORT"
if [ "${AC_NETNS:-}" = 1 ]; then X_PORT=30000; else X_PORT=$((${AC_PORT_BASE:-20000} + 76 * 10)); fi
acme="--cache $AC_PG_URL --directory $AC_DIRECTORY --ca-bundle $WORK/tls-ca.pem --agree-tos"
fleet="a.example,b.example"

# port N: the HTTPS port of node N (1 to 3); hport N: its HTTP-01 daemon's,
# where Pebble never looks.
port() { echo $((X_PORT + $1)); }
hport() { echo $((X_PORT + 4 + $1)); }

# same_everywhere NAME: all three nodes serve NAME one certificate; SERIAL is it.
same_everywhere() {
    SERIAL=$(srv_serial "$1" "$(port 1)")
    [ -n "$SERIAL" ] && [ "$(srv_serial "$1" "$(port 2)")" = "$SERIAL" ] &&
        [ "$(srv_serial "$1" "$(port 3)")" = "$SERIAL" ]
}

# ms: milliseconds since the epoch.
ms() { echo $(($(date +%s%N) / 1000000)); }

# served_after NAME OLD T0: waits (at most 10 s) until every node serves NAME
# a certificate other than OLD, the same on all; prints the milliseconds since T0.
served_after() {
    while ! { same_everywhere "$1" && [ "$SERIAL" != "$2" ]; }; do
        [ $(($(ms) - $3)) -lt 10000 ] || return 1
        sleep 0.05
    done
    echo $(($(ms) - $3))
}

# 1. The helper: the only node on Pebble's httpPort, for a name of its own.
# shellcheck disable=SC2086 # $acme is a list of options
SRV_LISTEN_PORT=$(port 0) srv_start server-h.log --autocert c.example $acme --challenge http-01 \
    --http-listen "127.0.0.1:$AC_HTTP_PORT" --listen "127.0.0.1:$(port 0)" --root "$WORK/www"
helper=$SRV_PID
helper_serves() { [ -n "$(srv_serial c.example "$(port 0)")" ]; }
ac_wait_for 300 helper_serves || ac_fail "the helper serves no certificate for c.example within 30 s"
[ "$(pg_psql "SELECT max(version) FROM autocert_schema")" = 2 ] ||
    ac_fail "the tables were not upgraded to version 2"
ac_ok "helper: the tables upgraded from version 1 to 2; c.example obtained through its own daemon on Pebble's httpPort"

# 2. Three nodes for a.example and b.example, each with its own daemon where
# Pebble does not look: their orders succeed only if the helper answers
# their challenges from the store.
orders0=$(pg_count_orders)
for n in 1 2 3; do
    # shellcheck disable=SC2086 # $acme is a list of options
    SRV_LISTEN_PORT=$(port $n) srv_start "server$n.log" --autocert "$fleet" $acme \
        --challenge http-01 --http-listen "127.0.0.1:$(hport $n)" --listen "127.0.0.1:$(port $n)" \
        --root "$WORK/www"
    eval "node$n=\$SRV_PID"
done
for h in a.example b.example; do
    ac_wait_for 400 same_everywhere "$h" ||
        ac_fail "$h: the three nodes do not serve one certificate within 40 s ($(srv_serial "$h" "$(port 1)") $(srv_serial "$h" "$(port 2)") $(srv_serial "$h" "$(port 3)"))"
done
orders=$(($(pg_count_orders) - orders0))
[ "$orders" -eq 2 ] || ac_fail "Pebble received $orders orders for a.example and b.example, expected exactly 2"
n_pub=$(pg_psql "SELECT count(*) FROM autocert_challenges WHERE expires_at > now()")
[ "$n_pub" -eq 0 ] || ac_fail "$n_pub challenges are still published after the orders"
ac_ok "three nodes: one order per name; a.example and b.example served alike by all, challenges answered by the helper from the store and withdrawn"

# 3. A renewal by the CLI (its responder unreachable too): every node serves
# it within 2 s, no restart.
old=$(srv_serial a.example "$(port 1)")
ac_autocert renew --force --cert a.example --ca-bundle "$WORK/tls-ca.pem" --cache "$AC_PG_URL" \
    --http-port "$(hport 0)"
[ "$AC_RC" -eq 0 ] || ac_fail "autocert renew --force exited $AC_RC: $(cat "$WORK/stderr")"
t0=$(ms)
dt=$(served_after a.example "$old" "$t0") ||
    ac_fail "10 s after the CLI's renewal the nodes serve $(srv_serial a.example "$(port 1)") $(srv_serial a.example "$(port 2)") $(srv_serial a.example "$(port 3)") (was $old)"
[ "$dt" -le 2000 ] || ac_fail "the CLI's renewal reached every node after $dt ms, over 2 s"
ac_ok "autocert renew --force: every node serves the new certificate after $dt ms"

# 4. SIGUSR1 on node 1: nodes 2 and 3 serve its renewal within 2 s.
old=$SERIAL
t0=$(ms)
eval "kill -USR1 \$node1"
ac_wait_for 300 grep -q "SIGUSR1: a.example renewed" "$WORK/server1.log" ||
    ac_fail "node 1 did not renew a.example after SIGUSR1: $(grep SIGUSR1 "$WORK/server1.log")"
t1=$(ms)
dt=$(served_after a.example "$old" "$t1") || ac_fail "node 1's renewal is not served by every node within 10 s"
[ "$dt" -le 2000 ] || ac_fail "node 1's renewal reached every node after $dt ms, over 2 s"
ac_ok "SIGUSR1 on node 1: renewed in $((t1 - t0)) ms, served by all three $dt ms later"

# 5. TLS-ALPN-01: node T on Pebble's tlsPort has e.example but a CA it
# cannot reach (it never orders); node E orders e.example with its own
# listener where Pebble does not look: T answers the validation from the store.
# shellcheck disable=SC2086 # the options are lists
SRV_LISTEN_PORT=$SRV_PORT srv_start server-t.log --autocert e.example \
    ${acme%%--directory*} --directory "https://127.0.0.1:$AC_DEAD_PORT/dir" \
    --ca-bundle "$WORK/tls-ca.pem" --agree-tos --challenge tls-alpn-01 \
    --listen "127.0.0.1:$SRV_PORT" --root "$WORK/www"
node_t=$SRV_PID
# shellcheck disable=SC2086 # $acme is a list of options
SRV_LISTEN_PORT=$(port 8) srv_start server-e.log --autocert e.example $acme \
    --challenge tls-alpn-01 --listen "127.0.0.1:$(port 8)" --root "$WORK/www"
node_e=$SRV_PID
e_served() { [ -n "$(srv_serial e.example "$(port 8)")" ]; }
ac_wait_for 300 e_served || ac_fail "node E serves no certificate for e.example within 30 s: $(tail -n 3 "$WORK/server-e.log")"
grep -q 'e.example: answering a TLS-ALPN-01 validation' "$WORK/server-t.log" ||
    ac_fail "node T did not answer the TLS-ALPN-01 validation of e.example"
se=$(srv_serial e.example "$(port 8)")
srv_wait_serial e.example "$se" 20 || ac_fail "node T does not serve E's certificate $se within 4 s"
ac_ok "TLS-ALPN-01: E's order validated at node T, which answered from the store and then served $se"

for p in "$node1" "$node2" "$node3" "$helper" "$node_t" "$node_e"; do
    SRV_PID=$p
    srv_stop_clean
done
ac_done
