#!/bin/sh
# obtain_fail.sh: a failed HTTP-01 validation is reported with the identifier; nothing is cached.
AC_TEST_SLOT=4
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

# Pebble's validator connects to a port where nothing listens.
start_pebble httpport="$AC_DEAD_PORT"

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
