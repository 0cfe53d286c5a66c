#!/bin/sh
# server_renew.sh: renewal while the example server serves: SIGUSR1 forces a renewal through the manager, then `autocert renew --force` on the same cache; each time the next handshake shows the new serial, same process, and a connection opened before still gets its answer.
AC_TEST_SLOT=63
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/server_lib.sh"

# The server answers TLS-ALPN-01 on its port; the CLI answers HTTP-01 with its own responder.
start_pebble tlsport="$SRV_PORT"
acme="--cache $CACHE --directory $AC_DIRECTORY --ca-bundle $WORK/tls-ca.pem --agree-tos"
name=a.example

# served NAME: the server serves NAME the certificate cached for it.
served() {
    [ -s "$CACHE/certs/$1/cert.pem" ] && [ "$(srv_serial "$1")" = "$(cache_serial "$1")" ]
}

# replaced NAME OLD: the server serves NAME the cached certificate, and it is not OLD.
replaced() {
    srv_r=$(srv_serial "$1")
    [ -n "$srv_r" ] && [ "$srv_r" != "$2" ] && [ "$srv_r" = "$(cache_serial "$1")" ]
}

# loaded: how many times the server logged a certificate picked up from the cache.
loaded() {
    grep -c ": certificate loaded" "$WORK/server.log" || true
}

# shellcheck disable=SC2086 # $acme is a list of options
srv_start server.log --autocert "$name" $acme --challenge tls-alpn-01 \
    --listen "127.0.0.1:$SRV_PORT" --root "$WORK/www"
ac_wait_for 300 served "$name" || ac_fail "$name: no certificate served within 30 s"
s1=$(srv_serial "$name")
pid=$SRV_PID

# A connection opened now, its request sent after the renewal.
mkfifo "$WORK/in"
# shellcheck disable=SC2016 # the inner shell expands its own parameters
ac_spawn client.log sh -c 'timeout -k 2 40 openssl s_client -connect "127.0.0.1:$1" -servername "$2" \
    -CAfile "$5" -verify_return_error -quiet -ign_eof <"$3" >"$4"' \
    sh "$SRV_PORT" "$name" "$WORK/in" "$WORK/client.out" "$WORK/pebble-root.pem"
client=$AC_LAST_PID
exec 3>"$WORK/in"
ac_wait_for 50 grep -q "^verify return:1" "$WORK/client.log" ||
    ac_fail "the early connection did not complete its handshake: $(cat "$WORK/client.log")"

# 1. SIGUSR1: renewed through the manager, served from the next handshake.
kill -USR1 "$pid"
ac_wait_for 300 replaced "$name" "$s1" ||
    ac_fail "30 s after SIGUSR1 the server serves $(srv_serial "$name") (before $s1, cached $(cache_serial "$name"))"
s2=$(srv_serial "$name")
grep -q "renewed" "$WORK/server.log" || ac_fail "the server did not log the renewal"
ac_alive "$pid" || ac_fail "the server exited"
printf 'GET /file.txt HTTP/1.0\r\n\r\n' >&3
exec 3>&-
ac_wait_for 100 grep -q "hello from the example server" "$WORK/client.out" ||
    ac_fail "the connection opened before the renewal got no answer: $(cat "$WORK/client.out")"
grep -q "^HTTP/1.1 200" "$WORK/client.out" || ac_fail "the early connection: $(head -n 1 "$WORK/client.out")"
ac_stop "$client"
srv_get_ok "$name"
ac_ok "SIGUSR1: $s1 -> $s2 served by the same process; a connection opened before got its 200"

# 2. `autocert renew --force` from the CLI on the same cache (HTTP-01 on Pebble's httpPort).
loaded_before=$(loaded)
# shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
ac_autocert renew --force --cert "$name" --ca-bundle "$WORK/tls-ca.pem" --cache "$CACHE" $AC_HTTP_ARGS
[ "$AC_RC" -eq 0 ] || ac_fail "autocert renew --force exited $AC_RC: $(cat "$WORK/stderr")"
s3=$(cache_serial "$name")
[ "$s3" != "$s2" ] || ac_fail "autocert renew --force did not change the cached certificate"
srv_wait_serial "$name" "$s3" 50 || ac_fail "5 s after the CLI's renewal the server serves $(srv_serial "$name"), not $s3"
ac_alive "$pid" || ac_fail "the server exited"
srv_get_ok "$name"
[ "$(loaded)" -gt "$loaded_before" ] || ac_fail "the server did not log the certificate it picked up"
srv_stop_clean
ac_ok "autocert renew --force: the server serves $s3 within 5 s, same process; SIGTERM: exit 0"

ac_done
