#!/bin/sh
# server_http01.sh: the example server with --autocert through the manager's HTTP-01 daemon on Pebble's httpPort: each name served its cached certificate by SNI, plain http redirected to https, a name outside the policy makes no order; then DNS-01 through --dns-hook.
AC_TEST_SLOT=62
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/server_lib.sh"

start_pebble
acme="--cache $CACHE --directory $AC_DIRECTORY --ca-bundle $WORK/tls-ca.pem --agree-tos"

# served NAME: the server serves NAME the certificate cached for it.
served() {
    [ -s "$CACHE/certs/$1/cert.pem" ] && [ "$(srv_serial "$1")" = "$(cache_serial "$1")" ]
}

# 1. Both names obtained through the HTTP-01 daemon and served (at most 30 s).
# shellcheck disable=SC2086 # $acme is a list of options
srv_start server.log --autocert a.example,b.example $acme --challenge http-01 \
    --http-listen "127.0.0.1:$AC_HTTP_PORT" --listen "127.0.0.1:$SRV_PORT" --root "$WORK/www"
for h in a.example b.example; do
    ac_wait_for 300 served "$h" || ac_fail "$h: no certificate served within 30 s"
done
grep -q 'validate w/ HTTP: http://a.example' "$WORK/pebble.log" || ac_fail "Pebble did not validate a.example over HTTP-01"
srv_get_ok a.example
srv_get_ok b.example
sa=$(srv_serial a.example)
sb=$(srv_serial b.example)
[ "$sa" != "$sb" ] || ac_fail "a.example and b.example are served the same certificate"
ac_ok "HTTP-01 through the server's daemon; 200 for a.example ($sa) and b.example ($sb), each its cached certificate"

# 2. Plain http: 308 to the same path on the https listener (no port in the URL for 443).
authority=a.example:$SRV_PORT
[ "$SRV_PORT" != 443 ] || authority=a.example
out=$(curl -s --max-time 10 --resolve "a.example:$AC_HTTP_PORT:127.0.0.1" -o /dev/null \
    -w '%{http_code} %{redirect_url}' "http://a.example:$AC_HTTP_PORT/dir/page.html?x=1" || true)
[ "$out" = "308 https://$authority/dir/page.html?x=1" ] ||
    ac_fail "plain http: '$out', expected '308 https://$authority/dir/page.html?x=1'"
code=$(curl -s --max-time 10 -L --cacert "$WORK/pebble-root.pem" --resolve "a.example:$AC_HTTP_PORT:127.0.0.1" \
    --resolve "a.example:$SRV_PORT:127.0.0.1" -o "$WORK/body" -w '%{http_code}' \
    "http://a.example:$AC_HTTP_PORT/file.txt" || true)
[ "$code" = 200 ] || ac_fail "following the redirect: status $code"
cmp -s "$WORK/body" "$WORK/www/file.txt" || ac_fail "following the redirect: not the file"
ac_ok "plain http redirected (308) to https://$authority/path, which serves the file"

# 3. A name outside the policy: the handshake fails, nothing is ordered, the server stays up.
orders=$(new_orders)
[ -z "$(srv_serial c.example)" ] || ac_fail "a certificate was served for c.example"
sleep 1
[ "$(new_orders)" = "$orders" ] || ac_fail "an order was placed after a handshake for c.example"
ac_alive "$SRV_PID" || ac_fail "the server exited after a handshake for c.example"
srv_get_ok b.example
srv_stop_clean
ac_ok "SNI c.example: handshake refused, no order, still serving; SIGTERM: exit 0"

# 4. DNS-01: TXT records through the hook (pebble-challtestsrv's API), no port opened.
CHALLTESTSRV_URL=http://127.0.0.1:$AC_CHALL_PORT
export CHALLTESTSRV_URL
# shellcheck disable=SC2086 # $acme is a list of options
srv_start server-dns.log --autocert d.example $acme \
    --challenge dns-01 --dns-hook "sh $top_srcdir/scripts/dns-hook-challtestsrv.sh \"\$@\"" \
    --listen "127.0.0.1:$SRV_PORT" --root "$WORK/www"
ac_wait_for 300 served d.example || ac_fail "d.example: no certificate served within 30 s (DNS-01)"
srv_get_ok d.example
srv_stop_clean
ac_ok "DNS-01 through --dns-hook: d.example served its certificate"

ac_done
