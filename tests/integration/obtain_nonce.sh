#!/bin/sh
# obtain_nonce.sh: the CA rejects half of the nonces (badNonce); each rejected request is retried and issuance succeeds.
AC_TEST_SLOT=6
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble nonce=50

# retried: the rejections autocert reported retrying in the last run (needs -v -v).
retried() {
    grep -c 'nonce rejected, retrying' "$WORK/stderr" || true
}

total=0
for run in 1 2; do
    force=""
    [ "$run" -eq 1 ] || force=--force
    # shellcheck disable=SC2086 # force is empty or one word
    ac_obtain_ok a.example.org,b.example.org $force -v -v
    ac_check_cert a.example.org,b.example.org
    n=$(retried)
    # Every 400 answer (the protocol log shows each request) was a badNonce retried.
    refused=$(grep -cE '^POST .* -> 400 ' "$WORK/stderr" || true)
    echo "run $run: $refused requests refused, $n rejected nonces retried"
    [ "$refused" -eq "$n" ] || ac_fail "$refused requests were refused but $n retried"
    total=$((total + n))
done
# Half of about 25 signed requests rejected: none at all would mean the
# rejections were not seen (the chance of that by luck is below 1e-7).
[ "$total" -gt 0 ] || ac_fail "no request was retried after badNonce"
ac_ok "$total rejected nonces retried, both certificates issued"

ac_done
