# server_lib.sh: shared helpers of the tests of the example HTTPS server (examples/https-server), sourced after lib.sh.
#
# Environment read: AC_SERVER_BIN (the server to test, default
# $top_builddir/examples/https-server/https-server, which `make` builds).

AC_SERVER_BIN=${AC_SERVER_BIN:-$top_builddir/examples/https-server/https-server}
[ -x "$AC_SERVER_BIN" ] || ac_fail "no example server at $AC_SERVER_BIN (make builds it)"
# The server's HTTPS port, where Pebble's validator looks for TLS-ALPN-01
# (start_pebble tlsport=$SRV_PORT): 443 in a namespace, else in the test's block.
SRV_PORT=$AC_TLS_PORT

# The files it serves.
mkdir -p "$WORK/www/sub"
echo "hello from the example server" >"$WORK/www/file.txt"
echo "<p>index</p>" >"$WORK/www/sub/index.html"

# srv_start LOG ARGS...: starts the server with ARGS (ac_spawn; its output in
# $WORK/LOG), sets SRV_PID; returns once it accepts TCP connections on
# SRV_LISTEN_PORT (default SRV_PORT), at most 10 s.
srv_start() {
    srv_log=$1
    shift
    srv_exec "$srv_log" "$AC_SERVER_BIN" "$@"
}

# srv_exec LOG CMD...: srv_start for a command that execs a server.
srv_exec() {
    srv_log=$1
    shift
    ac_spawn "$srv_log" "$@"
    SRV_PID=$AC_LAST_PID
    srv_i=0
    while ! srv_listening "${SRV_LISTEN_PORT:-$SRV_PORT}"; do
        ac_alive "$SRV_PID" || ac_fail "the server exited: $(tail -n 5 "$WORK/$srv_log")"
        srv_i=$((srv_i + 1))
        [ "$srv_i" -lt 100 ] || ac_fail "the server does not listen on port ${SRV_LISTEN_PORT:-$SRV_PORT}"
        sleep 0.1
    done
}

# srv_listening PORT: something accepts TCP connections on 127.0.0.1:PORT
# (curl's exit status 7 is "could not connect").
srv_listening() {
    srv_rc=0
    curl -sk --max-time 3 -o /dev/null "https://127.0.0.1:$1/" 2>/dev/null || srv_rc=$?
    [ "$srv_rc" -ne 7 ] && [ "$srv_rc" -ne 28 ]
}

# srv_serial HOST [PORT]: the serial of the certificate served for SNI HOST;
# empty when the handshake fails.
srv_serial() {
    echo | timeout -k 2 10 openssl s_client -connect "127.0.0.1:${2:-$SRV_PORT}" -servername "$1" \
        2>/dev/null | openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//'
}

# file_serial FILE: the serial of the (first) certificate in FILE.
file_serial() {
    openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'
}

# cache_serial NAME: the serial of the cached certificate of entry NAME.
cache_serial() {
    file_serial "$CACHE/certs/$1/cert.pem"
}

# srv_wait_serial HOST SERIAL TRIES [PORT]: polls (every 0.2 s, at most TRIES
# times) until the certificate served for HOST has SERIAL.
srv_wait_serial() {
    srv_i=0
    while [ "$(srv_serial "$1" "${4:-}")" != "$2" ]; do
        srv_i=$((srv_i + 1))
        [ "$srv_i" -lt "$3" ] || return 1
        sleep 0.2
    done
}

# srv_get HOST PATH [CURL ARGS...]: GET https://HOST:SRV_PORT/PATH through
# loopback, trusting Pebble's root only; prints the HTTP status ("000" when
# there was no answer), the body goes to $WORK/body.
srv_get() {
    srv_host=$1
    srv_path=$2
    shift 2
    rm -f "$WORK/body"
    curl -s --max-time 10 --cacert "$WORK/pebble-root.pem" \
        --resolve "$srv_host:$SRV_PORT:127.0.0.1" -o "$WORK/body" -w '%{http_code}' "$@" \
        "https://$srv_host:$SRV_PORT$srv_path" 2>"$WORK/curl.err" || true
}

# srv_get_ok HOST: the test file arrives from HOST with status 200.
srv_get_ok() {
    srv_code=$(srv_get "$1" /file.txt)
    [ "$srv_code" = 200 ] || ac_fail "GET https://$1:$SRV_PORT/file.txt: status $srv_code ($(cat "$WORK/curl.err"))"
    cmp -s "$WORK/body" "$WORK/www/file.txt" || ac_fail "GET https://$1:$SRV_PORT/file.txt: wrong body"
}

# new_orders: the number of orders Pebble has received so far.
new_orders() {
    grep -c 'POST /order-plz' "$WORK/pebble.log" || true
}

# srv_stop_clean: SIGTERM makes the server exit 0 within 10 s.
srv_stop_clean() {
    kill -TERM "$SRV_PID"
    srv_i=0
    while ac_alive "$SRV_PID"; do
        srv_state=$(sed 's/.*) //' "/proc/$SRV_PID/stat" 2>/dev/null | cut -d' ' -f1)
        [ "$srv_state" != Z ] || break
        srv_i=$((srv_i + 1))
        [ "$srv_i" -lt 100 ] || ac_fail "the server did not exit within 10 s of SIGTERM"
        sleep 0.1
    done
    srv_rc=0
    wait "$SRV_PID" || srv_rc=$?
    ac_stop "$SRV_PID"
    [ "$srv_rc" -eq 0 ] || ac_fail "the server exited $srv_rc after SIGTERM, expected 0"
    ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK"/server*.log ||
        ac_fail "sanitizer report in the server's log"
}
