#!/bin/sh
# demo.sh: builds autocert, starts a local Pebble ACME CA, obtains a certificate, shows it, stops everything.
#
#   scripts/demo.sh [NAME]     (default NAME: www.example.org)
#
# Installs missing packages first when run as root.  Everything runs on
# loopback; as root, inside a private network namespace, with the HTTP-01
# challenge on port 80.  The cache is kept in build-demo/cache.
set -eu

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$top_srcdir/build-demo

if [ -z "${AC_NETNS:-}" ]; then
    # First pass, on the host: dependencies and the build.
    if [ "$(id -u)" = 0 ]; then
        "$top_srcdir/scripts/install-deps.sh" --if-missing
    fi
    if [ -z "${AUTOCERT_BIN:-}" ] && [ ! -x "$builddir/autocert" ]; then
        echo "demo: building autocert in $builddir"
        (cd "$top_srcdir" && ./autogen.sh >/dev/null 2>&1)
        mkdir -p "$builddir"
        (cd "$builddir" && "$top_srcdir/configure" -q && make -j2 >make.out 2>&1) || {
            cat "$builddir/make.out" 2>/dev/null || true
            echo "demo: build failed" >&2
            exit 1
        }
    fi
fi

top_builddir=$builddir
AUTOCERT_BIN=${AUTOCERT_BIN:-$builddir/autocert}
export top_srcdir top_builddir AUTOCERT_BIN
# Pebble, its DNS responder, the temporary directory and the cleanup come from
# the test library (which re-executes this script in a network namespace when it can).
. "$top_srcdir/tests/integration/lib.sh"

name=${1:-www.example.org}
# Pebble forgets its accounts and certificates when it stops: start afresh.
CACHE=$builddir/cache
rm -rf "$CACHE"

echo "demo: starting Pebble on $AC_DIRECTORY"
start_pebble
cp "$WORK/pebble-root.pem" "$builddir/pebble-root.pem"

echo "demo: autocert obtain $name"
ac_obtain "$name"
cat "$WORK/stderr" >&2
[ "$AC_RC" -eq 0 ] || ac_fail "autocert obtain failed"
cat "$WORK/stdout"

cert=$CACHE/certs/$name/cert.pem
echo
openssl x509 -in "$cert" -noout -subject -issuer -dates -ext subjectAltName
openssl verify -CAfile "$builddir/pebble-root.pem" -untrusted "$CACHE/certs/$name/chain.pem" "$cert"
echo
echo "demo: the certificate and its key are in $CACHE/certs/$name/"
echo "demo: Pebble makes a new root at every start; this run's root is in $builddir/pebble-root.pem"
echo "demo: stopping Pebble"
stop_pebble
exit 0
