#!/bin/sh
# server_alpn.sh: the example server with --autocert: Pebble validates TLS-ALPN-01 against the server's own listener; each name is served its cached certificate by SNI; a name outside the policy makes no order and the server stays up; with --client-ca too, validations pass and clients still need a certificate.
AC_TEST_SLOT=61
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/server_lib.sh"

# Pebble validates TLS-ALPN-01 on the server's port.
start_pebble tlsport="$SRV_PORT"
acme="--cache $CACHE --directory $AC_DIRECTORY --ca-bundle $WORK/tls-ca.pem --agree-tos"

# served NAME: the server serves NAME the certificate cached for it.
served() {
    [ -s "$CACHE/certs/$1/cert.pem" ] && [ "$(srv_serial "$1")" = "$(cache_serial "$1")" ]
}

# 1. Both names obtained by the manager at start and served (at most 30 s).
# shellcheck disable=SC2086 # $acme is a list of options
srv_start server.log --autocert a.example,b.example $acme --challenge tls-alpn-01 \
    --listen "127.0.0.1:$SRV_PORT" --root "$WORK/www"
for h in a.example b.example; do
    ac_wait_for 300 served "$h" || ac_fail "$h: no certificate served within 30 s"
done
# Pebble logs its HTTP-01 attempts only; the test DNS server answers no
# DNS-01 challenge: the names were validated through TLS-ALPN-01.
if grep -q 'validate w/ HTTP' "$WORK/pebble.log"; then
    ac_fail "Pebble validated HTTP-01, not TLS-ALPN-01"
fi
srv_get_ok a.example
srv_get_ok b.example
sa=$(srv_serial a.example)
sb=$(srv_serial b.example)
[ "$sa" != "$sb" ] || ac_fail "a.example and b.example are served the same certificate"
ac_sans "$CACHE/certs/a.example/cert.pem" | grep -qx a.example || ac_fail "a.example's certificate lacks its name"
ac_ok "TLS-ALPN-01 on the server's own port; 200 for a.example ($sa) and b.example ($sb), each its cached certificate"

# 2. A name outside the policy: the handshake fails, nothing is ordered, the server stays up.
orders=$(new_orders)
[ -z "$(srv_serial c.example)" ] || ac_fail "a certificate was served for c.example"
code=$(srv_get c.example /file.txt)
[ "$code" = 000 ] || ac_fail "c.example: status $code, expected a failed handshake"
sleep 1
[ "$(new_orders)" = "$orders" ] || ac_fail "an order was placed after a handshake for c.example"
if grep -q 'c\.example' "$WORK/pebble.log"; then
    ac_fail "Pebble saw c.example"
fi
ac_alive "$SRV_PID" || ac_fail "the server exited after a handshake for c.example"
srv_get_ok a.example
ac_ok "SNI c.example: handshake refused, no order ($orders orders in all), still serving"

# 3. Restarted: both served from the cache at once, no order.
srv_stop_clean
# shellcheck disable=SC2086 # $acme is a list of options
srv_start server2.log --autocert a.example,b.example $acme --challenge tls-alpn-01 \
    --listen "127.0.0.1:$SRV_PORT" --root "$WORK/www"
[ "$(srv_serial a.example)" = "$sa" ] || ac_fail "after a restart a.example is not served its cached certificate"
[ "$(srv_serial b.example)" = "$sb" ] || ac_fail "after a restart b.example is not served its cached certificate"
srv_get_ok b.example
[ "$(new_orders)" = "$orders" ] || ac_fail "the restarted server ordered again"
srv_stop_clean
ac_ok "restart: served from the cache at once, no order"

# 4. Mutual TLS next to TLS-ALPN-01: the CA's validator has no client
# certificate, every other client needs one.
ac_autocert ca create --out "$WORK/pki"
ac_autocert ca issue --ca-cert "$WORK/pki/ca.crt" --ca-key "$WORK/pki/ca.key" \
    --dns client.example --client --out "$WORK/cli"
[ "$AC_RC" -eq 0 ] || ac_fail "ca issue failed"
# with_cert: GET of the file from m.example with the client certificate gives 200.
with_cert() {
    [ "$(srv_get m.example /file.txt --cert "$WORK/cli/node.crt" --key "$WORK/cli/node.key")" = 200 ]
}
# shellcheck disable=SC2086 # $acme is a list of options
srv_start server-mtls.log --autocert m.example $acme --challenge tls-alpn-01 \
    --client-ca "$WORK/pki/ca.crt" --listen "127.0.0.1:$SRV_PORT" --root "$WORK/www"
ac_wait_for 300 with_cert || ac_fail "m.example with --client-ca: no certificate served within 30 s"
for tls in --tlsv1.2 "--tls-max 1.2"; do
    # shellcheck disable=SC2086 # $tls is one or two words
    code=$(srv_get m.example /file.txt $tls)
    [ "$code" = 000 ] || ac_fail "no client certificate ($tls): status $code, expected a refused handshake"
done
printf 'GET /file.txt HTTP/1.0\r\n\r\n' | timeout -k 2 10 openssl s_client -connect "127.0.0.1:$SRV_PORT" \
    -servername m.example -alpn acme-tls/1 -tls1_2 -quiet >"$WORK/acme-tls.out" 2>&1 || true
if grep -q "hello from the example server" "$WORK/acme-tls.out"; then
    ac_fail "a client offering acme-tls/1 without a challenge got the file"
fi
srv_stop_clean
ac_ok "--client-ca with TLS-ALPN-01: validated, 200 with a client certificate, refused without (TLS 1.3 and 1.2, acme-tls/1 too)"

ac_done
