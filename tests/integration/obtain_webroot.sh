#!/bin/sh
# obtain_webroot.sh: --webroot with a separate web server; settings from the environment.
AC_TEST_SLOT=3
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble
webroot=$WORK/www
mkdir -p "$webroot"
# The web server does not run as root: the challenge files must be readable by others.
chmod 711 "$WORK"
chmod 755 "$webroot"
AC_STATIC_USER=nobody
ac_static_server "$webroot" "$AC_HTTP_PORT"

name=web.example.org
set +e
AUTOCERT_DIRECTORY=$AC_DIRECTORY AUTOCERT_CA_BUNDLE=$WORK/tls-ca.pem AUTOCERT_CACHE=$CACHE \
    timeout -k 5 "$AC_TIMEOUT" "$AUTOCERT_BIN" obtain "$name" --agree-tos --webroot "$webroot" \
    >"$WORK/stdout" 2>"$WORK/stderr"
rc=$?
set -e
echo "\$ AUTOCERT_DIRECTORY=... autocert obtain $name --webroot $webroot -> exit $rc"
[ "$rc" -eq 0 ] || ac_fail "obtain with --webroot exited $rc"
ac_check_stdout "$name"
ac_check_cert "$name"
ac_alive "$AC_STATIC_PID" || ac_fail "the web server died"
grep -q "acme-challenge" "$WORK/httpd.log" || ac_fail "the web server served no challenge"
ac_ok "validated through the web server"

ac_done
