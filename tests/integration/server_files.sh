#!/bin/sh
# server_files.sh: the example server with --tlscert/--tlskey written by `autocert obtain` (reloaded on SIGHUP, a bad file keeps the old one), --client-ca, --self-signed, and bad flags.
AC_TEST_SLOT=64
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/server_lib.sh"

start_pebble
name=files.example

# 1. Files from `autocert obtain`, copied where the server reads them.
ac_obtain_ok "$name"
mkdir -m 700 "$WORK/tls"
install -m 600 "$CACHE/certs/$name/fullchain.pem" "$WORK/tls/fullchain.pem"
install -m 600 "$CACHE/certs/$name/privkey.pem" "$WORK/tls/privkey.pem"
first=$(cache_serial "$name")
srv_start server.log --tlscert "$WORK/tls/fullchain.pem" --tlskey "$WORK/tls/privkey.pem" \
    --listen "127.0.0.1:$SRV_PORT" --root "$WORK/www"
srv_get_ok "$name"
[ "$(srv_serial "$name")" = "$first" ] || ac_fail "the served serial is not the obtained certificate's"
code=$(srv_get "$name" /sub/)
[ "$code" = 200 ] || ac_fail "GET /sub/: status $code, expected 200"
grep -q index "$WORK/body" || ac_fail "GET /sub/: not the directory's index.html"
# Outside the root: a file next to it, reached by "..", escaped or not, or a symbolic link.
echo "outside the root" >"$WORK/secret.txt"
ln -s ../secret.txt "$WORK/www/link.txt"
echo "hidden" >"$WORK/www/.hidden"
for path in /missing /.hidden /../secret.txt /%2e%2e/secret.txt /sub/%2E%2E/../secret.txt /link.txt; do
    code=$(srv_get "$name" "$path" --path-as-is)
    [ "$code" = 404 ] || ac_fail "GET $path: status $code, expected 404"
done
code=$(srv_get "$name" /file.txt -X POST)
[ "$code" = 405 ] || ac_fail "POST: status $code, expected 405"
ac_ok "files of autocert obtain served (200, serial $first); 404 outside the root, 405 for POST"

# 2. A new certificate in the files: served after SIGHUP, by the same process.
ac_obtain_ok "$name" --force
second=$(cache_serial "$name")
[ "$second" != "$first" ] || ac_fail "obtain --force kept the serial"
cp "$CACHE/certs/$name/fullchain.pem" "$WORK/tls/fullchain.pem"
cp "$CACHE/certs/$name/privkey.pem" "$WORK/tls/privkey.pem"
[ "$(srv_serial "$name")" = "$first" ] || ac_fail "the new files were served before SIGHUP"
kill -HUP "$SRV_PID"
srv_wait_serial "$name" "$second" 50 || ac_fail "after SIGHUP the server serves $(srv_serial "$name"), not $second"
ac_alive "$SRV_PID" || ac_fail "the server exited on SIGHUP"
srv_get_ok "$name"
ac_ok "SIGHUP: the new certificate ($second) served without a restart"

# 3. A bad file on reload: the server says which and keeps serving the old one.
echo "not a certificate" >"$WORK/tls/fullchain.pem"
kill -HUP "$SRV_PID"
ac_wait_for 50 grep -q "keeping the certificate" "$WORK/server.log" ||
    ac_fail "no message about the bad file on reload"
grep -qF "$WORK/tls/fullchain.pem" "$WORK/server.log" || ac_fail "the message does not name the bad file"
ac_alive "$SRV_PID" || ac_fail "the server exited on a bad file"
srv_get_ok "$name"
[ "$(srv_serial "$name")" = "$second" ] || ac_fail "the certificate served changed after a bad reload"
ac_ok "a bad file on SIGHUP keeps the certificate served, the message names the file"
srv_stop_clean
ac_ok "SIGTERM: exit 0"

# 4. Mutual TLS: client certificates of the private CA only.
cp "$CACHE/certs/$name/fullchain.pem" "$WORK/tls/fullchain.pem"
ac_autocert ca create --out "$WORK/pki"
ac_autocert ca create --out "$WORK/other"
ac_autocert ca issue --ca-cert "$WORK/pki/ca.crt" --ca-key "$WORK/pki/ca.key" \
    --dns client.example --client --out "$WORK/cli"
[ "$AC_RC" -eq 0 ] || ac_fail "ca issue failed"
ac_autocert ca issue --ca-cert "$WORK/other/ca.crt" --ca-key "$WORK/other/ca.key" \
    --dns client.example --client --out "$WORK/rogue"
[ "$AC_RC" -eq 0 ] || ac_fail "ca issue (other CA) failed"
srv_start server-mtls.log --tlscert "$WORK/tls/fullchain.pem" --tlskey "$WORK/tls/privkey.pem" \
    --client-ca "$WORK/pki/ca.crt" --listen "127.0.0.1:$SRV_PORT" --root "$WORK/www"
code=$(srv_get "$name" /file.txt --cert "$WORK/cli/node.crt" --key "$WORK/cli/node.key")
[ "$code" = 200 ] || ac_fail "a client certificate of the CA: status $code ($(cat "$WORK/curl.err"))"
code=$(srv_get "$name" /file.txt --cert "$WORK/rogue/node.crt" --key "$WORK/rogue/node.key")
[ "$code" = 000 ] || ac_fail "a client certificate of another CA: status $code, expected a refused handshake"
code=$(srv_get "$name" /file.txt)
[ "$code" = 000 ] || ac_fail "no client certificate: status $code, expected a refused handshake"
ac_alive "$SRV_PID" || ac_fail "the server exited"
ac_ok "--client-ca: the CA's client certificate gets 200, another CA's and none are refused"
srv_stop_clean

# 5. --self-signed: a certificate for the names, made in memory.
srv_start server-self.log --self-signed --autocert self.example,www.self.example \
    --listen "127.0.0.1:$SRV_PORT" --root "$WORK/www"
echo | timeout -k 2 10 openssl s_client -connect "127.0.0.1:$SRV_PORT" -servername www.self.example \
    2>/dev/null | openssl x509 >"$WORK/self.pem" 2>/dev/null || ac_fail "no certificate from --self-signed"
ac_sans "$WORK/self.pem" | tr '\n' ' ' | grep -qx 'self.example www.self.example ' ||
    ac_fail "--self-signed names: $(ac_sans "$WORK/self.pem" | tr '\n' ' ')"
code=$(curl -s --max-time 10 --cacert "$WORK/self.pem" --resolve "www.self.example:$SRV_PORT:127.0.0.1" \
    -o "$WORK/body" -w '%{http_code}' "https://www.self.example:$SRV_PORT/file.txt" || true)
[ "$code" = 200 ] || ac_fail "a client trusting the self-signed certificate: status $code"
srv_stop_clean
ac_ok "--self-signed: a certificate for the --autocert names, no CA involved"

# 6. Ports below 1024 without root: the capability on a copy of the binary,
# or --user after binding as root.
if [ "${AC_NETNS:-0}" = 1 ] && command -v setcap >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 &&
    id nobody >/dev/null 2>&1; then
    chmod 711 "$WORK"
    chmod -R a+rX "$WORK/www"
    mkdir -m 755 "$WORK/bin"
    cp "$AC_SERVER_BIN" "$WORK/bin/https-server"
    chmod 755 "$WORK/bin/https-server"
    setcap cap_net_bind_service=+ep "$WORK/bin/https-server" ||
        ac_fail "setcap on a copy of the server failed"
    SRV_LISTEN_PORT=443
    srv_exec server-cap.log setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups \
        "$WORK/bin/https-server" --self-signed --listen 127.0.0.1:443 --root "$WORK/www"
    [ "$(awk '/^Uid:/ { print $2 }' "/proc/$SRV_PID/status")" = "$(id -u nobody)" ] ||
        ac_fail "the server with the capability does not run as nobody"
    code=$(curl -sk --max-time 10 -o /dev/null -w '%{http_code}' https://127.0.0.1:443/file.txt || true)
    [ "$code" = 200 ] || ac_fail "the server with the capability on port 443: status $code"
    srv_stop_clean
    srv_start server-user.log --self-signed --user nobody --listen 127.0.0.1:443 --root "$WORK/www"
    ac_wait_for 50 grep -q "running as user nobody" "$WORK/server-user.log" ||
        ac_fail "--user nobody: $(cat "$WORK/server-user.log")"
    [ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$SRV_PID/status")" = "$(id -u nobody)$(id -u nobody)$(id -u nobody)$(id -u nobody)" ] ||
        ac_fail "--user nobody: uids are $(grep ^Uid: "/proc/$SRV_PID/status")"
    code=$(curl -sk --max-time 10 -o /dev/null -w '%{http_code}' https://127.0.0.1:443/file.txt || true)
    [ "$code" = 200 ] || ac_fail "--user nobody on port 443: status $code"
    srv_stop_clean
    SRV_LISTEN_PORT=$SRV_PORT
    ac_ok "port 443 unprivileged: with cap_net_bind_service as nobody, and with --user nobody after binding"
else
    echo "skipped: port 443 without root (needs root, a network namespace, setcap, setpriv, user nobody)"
fi

# 7. Bad flags and files: a non-zero exit and one line naming the input.
# bad_flag STATUS NAMED ARGS...: the server exits STATUS and its message names NAMED.
bad_flag() {
    want=$1
    named=$2
    shift 2
    rc=0
    timeout -k 2 10 "$AC_SERVER_BIN" "$@" >"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
    [ "$rc" -eq "$want" ] || ac_fail "https-server $*: exit $rc, expected $want"
    [ "$(wc -l <"$WORK/stderr")" -eq 1 ] || ac_fail "https-server $*: not one line: $(cat "$WORK/stderr")"
    grep -qF -- "$named" "$WORK/stderr" || ac_fail "https-server $*: the message does not name '$named'"
}
tls="--tlscert $WORK/tls/fullchain.pem --tlskey $WORK/tls/privkey.pem"
# shellcheck disable=SC2086 # $tls is a list of options
{
    bad_flag 1 "$WORK/nonexistent.pem" --tlscert "$WORK/nonexistent.pem" --tlskey "$WORK/tls/privkey.pem"
    bad_flag 1 "$WORK/www/file.txt" --tlscert "$WORK/www/file.txt" --tlskey "$WORK/tls/privkey.pem"
    bad_flag 1 "$WORK/nonexistent.pem" $tls --client-ca "$WORK/nonexistent.pem"
    bad_flag 1 "127.0.0.1:99999" $tls --listen 127.0.0.1:99999
    bad_flag 1 "nonsense" $tls --listen nonsense
    bad_flag 1 "$WORK/nonexistent" $tls --listen "127.0.0.1:$SRV_PORT" --root "$WORK/nonexistent"
    bad_flag 2 "--bogus" $tls --bogus
    bad_flag 2 "--tlskey" --tlscert "$WORK/tls/fullchain.pem"
    bad_flag 1 "bad_name!" --autocert 'bad_name!' --directory "$AC_DIRECTORY" \
        --listen "127.0.0.1:$SRV_PORT"
}
ac_ok "bad flags and files: exit 1 (2 for usage), one line naming the input"

ac_done
