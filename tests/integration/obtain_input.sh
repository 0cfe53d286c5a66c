#!/bin/sh
# obtain_input.sh: invalid names, and local settings that cannot work (an address not on this host, a port in use, a missing webroot, a cache that is a file), are refused before any request, naming the input.
AC_TEST_SLOT=7
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

# No CA at all: the directory URL points at a port where nothing listens, so a
# run that made a request would fail with a connection error instead.
ac_make_tls
AC_DIRECTORY="https://127.0.0.1:$AC_DEAD_PORT/dir"

long_label=$(printf 'a%.0s' $(seq 1 64))
long_name=$(printf 'abcdefghi.%.0s' $(seq 1 26))org

check_refused() {
    bad=$1
    shift
    ac_obtain_fails -v "$@"
    ac_stderr_names "$bad"
    if grep -q '^requests: ' "$WORK/stderr" && ! grep -qx 'requests: 0' "$WORK/stderr"; then
        ac_fail "'$bad' made requests: $(grep '^requests: ' "$WORK/stderr")"
    fi
    if grep -v '^connections: ' "$WORK/stderr" | grep -qiE 'connect|refused|resolve|timed out|curl'; then
        ac_fail "'$bad' reached the network"
    fi
    # An entry's lock file may be there: the refusal came under the lock.
    if [ -d "$CACHE/certs" ] && [ -n "$(find "$CACHE/certs" -mindepth 1 ! -name '.*.lock')" ]; then
        ac_fail "something was written to $CACHE/certs"
    fi
    if [ -d "$CACHE/accounts" ] && [ -n "$(ls -A "$CACHE/accounts")" ]; then
        ac_fail "something was written to $CACHE/accounts"
    fi
    ac_ok "refused '$bad'"
}

check_refused '*.example.org' '*.example.org'
check_refused 'bad_name..com' 'bad_name..com'
check_refused "$long_label" "$long_label.example.org"
# A name this long may be shortened in the message: its start must be there.
check_refused "$(printf %s "$long_name" | cut -c1-40)" "$long_name"
check_refused 'bad_name..com' good.example.org,bad_name..com
check_refused 'a..b' 'a..b'

# Local settings that cannot work: found before the CA is asked anything.
check_refused '192.0.2.1' --bind 192.0.2.1 local.example
ac_stderr_has 'not available on this host'
mkdir -p "$WORK/www"
ac_static_server "$WORK/www" "$AC_DEAD_PORT"
check_refused "$AC_DEAD_PORT" --http-port "$AC_DEAD_PORT" --bind 127.0.0.1 local.example
ac_stderr_has 'in use'
ac_stop "$AC_STATIC_PID"
check_refused "$WORK/nowhere" --webroot "$WORK/nowhere" local.example
: >"$WORK/a-file"
CACHE_SAVED=$CACHE
CACHE=$WORK/a-file
check_refused "$WORK/a-file" local.example
CACHE=$CACHE_SAVED

ac_done
