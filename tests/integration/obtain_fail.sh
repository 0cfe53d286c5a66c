#!/bin/sh
# obtain_fail.sh: a failed HTTP-01 validation is reported with the identifier; nothing is cached; tls-alpn-01 is refused before any request.
AC_TEST_SLOT=4
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

# Pebble's validator connects to a port where nothing listens.
start_pebble httpport="$AC_DEAD_PORT"

# TLS-ALPN-01 needs a server's own TLS listener: the command has none, and
# says so before its first request, though the CA answers.
ac_obtain -v --challenge tls-alpn-01 alpn.example.org
ac_failed "obtain --challenge tls-alpn-01"
ac_stderr_names "tls-alpn-01 is answered by a server's own TLS listener (autocert_openssl_attach): use http-01 or dns-01 here"
[ "$(ac_requests)" -eq 0 ] || ac_fail "obtain --challenge tls-alpn-01 made requests"
[ "$(ac_count_accounts)" -eq 0 ] || ac_fail "obtain --challenge tls-alpn-01 created an account"
ac_no_cert alpn.example.org
ac_ok "tls-alpn-01 refused before any request to the CA"

name=fail.example.org
ac_obtain_fails "$name"
ac_stderr_names "$name"
ac_stderr_has 'connection|refused|connect'
ac_no_cert "$name"
ac_ok "failed validation reported for $name"

ac_obtain_fails ok.example.org,127.0.0.1
ac_stderr_has 'ok\.example\.org|127\.0\.0\.1'
ac_no_cert ok.example.org

ac_done
