#!/bin/bash
# ca_mtls.sh: a real mutual-TLS handshake between openssl s_server (-Verify) and
# s_client with certificates issued by `autocert ca`; the handshake must fail with a
# certificate of another CA, with a client certificate used as a server's, and with a
# name that is not among the SANs.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/ca_lib.sh"

ac_run_ok ca create --out pki
ac_run_ok ca create --out other
ca="--ca-cert pki/ca.crt --ca-key pki/ca.key"
# shellcheck disable=SC2086 # $ca is a list of options
{
    ac_run_ok ca issue $ca --dns localhost --ip 127.0.0.1 --server --out srv
    ac_run_ok ca issue $ca --dns client.example --client --out cli
    ac_run_ok ca issue --ca-cert other/ca.crt --ca-key other/ca.key --dns client.example --client --out rogue
    ac_run_ok ca issue --ca-cert other/ca.crt --ca-key other/ca.key --dns localhost --server --out rogue-srv
}

# start_server CERT KEY: s_server on an ephemeral loopback port requiring a client
# certificate from pki/ca.crt; sets PORT and SPID.
start_server() {
    : >"$WORK/server.log"
    openssl s_server -accept 127.0.0.1:0 -cert "$1" -key "$2" -CAfile pki/ca.crt -Verify 1 \
        -verify_return_error -www >"$WORK/server.log" 2>&1 &
    SPID=$!
    AC_PIDS="$AC_PIDS $SPID"
    PORT=""
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/server.log")
        [ -n "$PORT" ] && break
        kill -0 "$SPID" 2>/dev/null || ac_fail "s_server exited: $(cat "$WORK/server.log")"
        sleep 0.1
    done
    [ -n "$PORT" ] || ac_fail "s_server did not start"
}

stop_server() {
    ac_stop "$SPID"
}

# client NAME CERT KEY: one HTTPS request through s_client; 0 when the page arrived.
client() {
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout -k 2 10 openssl s_client -connect "127.0.0.1:$PORT" \
        -CAfile pki/ca.crt -verify_return_error -verify_hostname "$1" -cert "$2" -key "$3" \
        -ign_eof -quiet >"$WORK/client.out" 2>"$WORK/client.log" || true
    cat "$WORK/client.out" >>"$WORK/client.log"
    grep -q '^HTTP/1.0 200 ok' "$WORK/client.out"
}

start_server srv/node.crt srv/node.key
client localhost cli/node.crt cli/node.key ||
    ac_fail "mutual TLS failed: $(tail -n 20 "$WORK/client.log")"
ac_ok "mutual TLS with autocert server and client certificates"

if client localhost rogue/node.crt rogue/node.key; then
    ac_fail "the server accepted a client certificate from another CA"
fi
grep -qi 'alert unknown ca\|certificate verify failed' "$WORK/client.log" "$WORK/server.log" ||
    ac_fail "no unknown-CA error: $(tail -n 5 "$WORK/client.log")"
ac_ok "client certificate from another CA rejected"

if client other.example cli/node.crt cli/node.key; then
    ac_fail "the client accepted a server name not in the SANs"
fi
grep -qi 'hostname mismatch\|verify error' "$WORK/client.log" || ac_fail "no hostname error: $(tail -n 5 "$WORK/client.log")"
ac_ok "name not in the SANs rejected"
stop_server

start_server cli/node.crt cli/node.key
if client client.example cli/node.crt cli/node.key; then
    ac_fail "the client accepted a client-only certificate as a server certificate"
fi
grep -qi 'unsupported certificate purpose\|verify error' "$WORK/client.log" ||
    ac_fail "no purpose error: $(tail -n 5 "$WORK/client.log")"
stop_server
ac_ok "client certificate used as a server certificate rejected"

start_server rogue-srv/node.crt rogue-srv/node.key
if client localhost cli/node.crt cli/node.key; then
    ac_fail "the client accepted a server certificate from another CA"
fi
grep -qi 'unable to get local issuer\|verify error' "$WORK/client.log" ||
    ac_fail "no issuer error: $(tail -n 5 "$WORK/client.log")"
stop_server
ac_ok "server certificate from another CA rejected"

ac_done
