#!/bin/sh
# obtain_names.sh: three names in one certificate, an IP identifier, key types.
AC_TEST_SLOT=2
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble

names=www.example.org,example.org,mail.example.org
ac_obtain_ok "$names" --key-type ec384
ac_check_stdout www.example.org
ac_check_cert "$names"
[ "$(ac_key_type "$CACHE/certs/www.example.org/privkey.pem")" = ec384 ] ||
    ac_fail "--key-type ec384 gave a $(ac_key_type "$CACHE/certs/www.example.org/privkey.pem") key"
ac_no_cert example.org
ac_no_cert mail.example.org

ac_obtain_ok 127.0.0.1 --key-type rsa2048
ac_check_stdout 127.0.0.1
ac_check_cert 127.0.0.1
[ "$(ac_key_type "$CACHE/certs/127.0.0.1/privkey.pem")" = rsa2048 ] ||
    ac_fail "--key-type rsa2048 gave a $(ac_key_type "$CACHE/certs/127.0.0.1/privkey.pem") key"
openssl verify -CAfile "$WORK/pebble-root.pem" -untrusted "$CACHE/certs/127.0.0.1/chain.pem" \
    -verify_ip 127.0.0.1 "$CACHE/certs/127.0.0.1/cert.pem" >/dev/null ||
    ac_fail "the certificate does not verify for IP 127.0.0.1"

ac_obtain_ok dual.example.org,127.0.0.1
ac_check_stdout dual.example.org
ac_check_cert dual.example.org,127.0.0.1
[ "$(ac_key_type "$CACHE/certs/dual.example.org/privkey.pem")" = ec256 ] ||
    ac_fail "the default key type is $(ac_key_type "$CACHE/certs/dual.example.org/privkey.pem"), expected ec256"

ac_done
