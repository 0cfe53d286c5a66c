#!/bin/sh
# obtain_input.sh: invalid names are refused before any request, naming the input.
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
    if [ -d "$CACHE/certs" ] && [ -n "$(ls -A "$CACHE/certs")" ]; then
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

ac_done
