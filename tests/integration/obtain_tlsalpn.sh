#!/bin/sh
# obtain_tlsalpn.sh: TLS-ALPN-01 against Pebble's validator: the library's challenge certificate (RFC 8737) on a test TLS listener obtains a certificate; one for another key authorization is refused.
AC_TEST_SLOT=43
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

TOOL=$top_builddir/tests/tools/alpn_answer
[ -x "$TOOL" ] || ac_fail "no $TOOL (make check builds it)"
start_pebble tlsport="$AC_TLS_PORT"

# answer NAME [wrong]: alpn_answer obtains NAME through its listener; its
# output in $WORK/stdout and $WORK/stderr, its exit status in AC_RC.
answer() {
    set +e
    timeout -k 5 "$AC_TIMEOUT" "$TOOL" "$AC_DIRECTORY" "$WORK/tls-ca.pem" "$CACHE" \
        "$AC_TLS_PORT" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
    AC_RC=$?
    set -e
    echo "\$ alpn_answer $* -> exit $AC_RC: $(tr '\n' ' ' <"$WORK/stdout")"
    [ "$AC_RC" -ne 124 ] || ac_fail "alpn_answer $* did not finish in $AC_TIMEOUT s"
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/stderr"; then
        ac_fail "sanitizer report"
    fi
}

# handshakes: how many challenge certificates the listener presented.
handshakes() {
    sed -n 's/^handshakes: //p' "$WORK/stdout"
}

answer alpn.example.test
[ "$AC_RC" -eq 0 ] || ac_fail "TLS-ALPN-01 for alpn.example.test exited $AC_RC"
[ "$(handshakes)" -ge 1 ] || ac_fail "Pebble's validator never got the challenge certificate"
ac_check_cert alpn.example.test
ac_ok "Pebble validated the TLS-ALPN-01 certificate of alpn.example.test"

# The validator does check the acmeIdentifier: another key authorization's fails.
answer wrong.example.test wrong
[ "$AC_RC" -eq 1 ] || ac_fail "a wrong acmeIdentifier exited $AC_RC, expected 1"
[ "$(handshakes)" -ge 1 ] || ac_fail "Pebble's validator never got the wrong certificate"
grep -q '^error: ' "$WORK/stdout" || ac_fail "no error line"
grep -qiE 'wrong\.example\.test' "$WORK/stdout" || ac_fail "the error does not name the identifier"
ac_no_cert wrong.example.test
ac_ok "a certificate for another key authorization is refused: $(grep '^error: ' "$WORK/stdout")"

ac_done
