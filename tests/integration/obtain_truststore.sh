#!/bin/sh
# obtain_truststore.sh: without --ca-bundle the CA's HTTPS is verified against the system's hashed CA directory, or its bundle where the directory has no hash links.
#
# The test CA of Pebble's HTTPS is put in place of the system's trust store
# inside a private mount namespace (root only; skipped otherwise).
AC_TEST_SLOT=13
AC_UNSHARE_MOUNT=1
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

if [ "$AC_MOUNTNS" != 1 ]; then
    echo "SKIP: needs root and a private mount namespace to replace the system trust store"
    exit 77
fi
command -v openssl >/dev/null 2>&1 || { echo "SKIP: no openssl command"; exit 77; }
start_pebble

# obtain_system NAME: obtain with the system's trust store (no --ca-bundle).
obtain_system() {
    # shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
    ac_autocert obtain --directory "$AC_DIRECTORY" --cache "$CACHE" --agree-tos $AC_HTTP_ARGS "$1"
}

# 1. A hashed directory holding the test CA alone: verified through its hash link.
mkdir "$WORK/hashed"
cp "$WORK/tls-ca.pem" "$WORK/hashed/test-ca.pem"
openssl rehash "$WORK/hashed" || ac_fail "openssl rehash failed"
ls "$WORK/hashed" | grep -qE '^[0-9a-f]{8}\.0$' || ac_fail "no hash link was made"
mount --bind "$WORK/hashed" /etc/ssl/certs
obtain_system hashed.example.org
[ "$AC_RC" -eq 0 ] || ac_fail "obtain through the hashed directory exited $AC_RC"
ac_check_cert hashed.example.org
umount /etc/ssl/certs
ac_ok "the system's hashed CA directory verified the CA"

# 2. A directory without hash links: the system bundle is used, as libcurl would.
mkdir "$WORK/bundle-only"
cp "$WORK/tls-ca.pem" "$WORK/bundle-only/ca-certificates.crt"
mount --bind "$WORK/bundle-only" /etc/ssl/certs
obtain_system bundle.example.org
[ "$AC_RC" -eq 0 ] || ac_fail "obtain through the system bundle exited $AC_RC"
ac_check_cert bundle.example.org
ac_ok "without hash links the system bundle verified the CA"

# 3. A trust store without the test CA: refused, naming the certificate problem.
printf '' >"$WORK/bundle-only/ca-certificates.crt"
obtain_system refused.example.org
ac_failed "obtain with a trust store that lacks the CA"
ac_stderr_has 'certificate|SSL'
ac_no_cert refused.example.org
umount /etc/ssl/certs
ac_ok "a CA the trust store lacks is refused"

ac_done
