#!/bin/sh
# obtain_nonce.sh: the CA rejects half of the nonces (badNonce); issuance still succeeds.
AC_TEST_SLOT=6
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble nonce=50

ac_obtain_ok a.example.org,b.example.org -v
ac_check_stdout a.example.org
ac_check_cert a.example.org,b.example.org
ac_obtain_ok a.example.org,b.example.org --force -v
ac_check_cert a.example.org,b.example.org
rejected=$(grep -c badNonce "$WORK/pebble.log" || true)
echo "Pebble log lines naming badNonce: $rejected"

ac_done
