#!/bin/sh
# obtain.sh: time, CPU, peak RSS and HTTP requests of autocert and uacme issuing from a local Pebble.
#
#   bench/obtain.sh        (AUTOCERT_BIN defaults to ./autocert, then build-werror/autocert)
#
# Two cases for each client, EC P-256 keys, one name each:
#   new account   - a fresh account is registered, then one certificate is issued
#   cached account - the account of the first case is reused for another name
# Pebble runs with PEBBLE_VA_NOSLEEP=1.  autocert answers HTTP-01 itself and
# reports its request count (-v); uacme answers through its hook, writing to a
# directory served by busybox httpd, and its requests are counted from Pebble's
# log, which prints one "-> calling handler()" line a request.  autocert's
# count is checked against the same log.  uacme has no CA-bundle option, so the
# test CA is bind-mounted over the system bundle inside a private mount
# namespace (root only; otherwise the uacme half is skipped).
# Prints figures; not a test.
AC_TEST_SLOT=30
AC_UNSHARE_MOUNT=1
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -z "${AUTOCERT_BIN:-}" ]; then
    for b in "$PWD/autocert" "$top_srcdir/build-werror/autocert" "$top_srcdir/build-demo/autocert"; do
        if [ -x "$b" ]; then
            AUTOCERT_BIN=$b
            break
        fi
    done
fi
export top_srcdir AUTOCERT_BIN
. "$top_srcdir/tests/integration/lib.sh"

# Measure the program itself, not libtool's wrapper script around an uninstalled build.
if [ -n "${AUTOCERT_BIN:-}" ] && head -c 200 "$AUTOCERT_BIN" 2>/dev/null | grep -q '^#!' &&
    [ -x "$(dirname "$AUTOCERT_BIN")/.libs/autocert" ]; then
    LD_LIBRARY_PATH=$(dirname "$AUTOCERT_BIN")/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
    AUTOCERT_BIN=$(dirname "$AUTOCERT_BIN")/.libs/autocert
fi
[ -x /usr/bin/time ] || ac_fail "/usr/bin/time is missing (Debian package 'time')"
start_pebble

# handler_lines: requests Pebble has logged so far.
handler_lines() {
    grep -c -- '-> calling handler()' "$WORK/pebble.log" || true
}

# measure LABEL CMD...: runs CMD under /usr/bin/time; sets M_WALL M_CPU M_RSS M_LOG (Pebble's count).
measure() {
    m_label=$1
    shift
    m_before=$(handler_lines)
    if ! /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.out" "$@" >"$WORK/stdout" 2>"$WORK/stderr"; then
        ac_fail "$m_label failed"
    fi
    m_after=$(handler_lines)
    M_LOG=$((m_after - m_before))
    # shellcheck disable=SC2046 # four numbers
    set -- $(tail -n 1 "$WORK/time.out")
    M_WALL=$1
    M_CPU=$(echo "$2 $3" | awk '{ printf "%.2f", $1 + $2 }')
    M_RSS=$4
}

results=$WORK/results
row() {
    printf '%-9s %-15s %8s %8s %10s %9s %9s\n' "$@" >>"$results"
}
row client case wall_s cpu_s peak_rss_kB requests pebble_log

# --- uacme -----------------------------------------------------------------------
if [ "$AC_MOUNTNS" = 1 ] && command -v uacme >/dev/null 2>&1; then
    mount --bind "$WORK/tls-ca.pem" /etc/ssl/certs/ca-certificates.crt
    www=$WORK/www
    mkdir -p "$www/.well-known/acme-challenge"
    ac_static_server "$www" "$AC_HTTP_PORT"
    cat >"$WORK/hook.sh" <<HOOK
#!/bin/sh
# uacme hook: HTTP-01 through the static web server's directory.
case "\$1:\$2" in
begin:http-01) printf '%s' "\$5" >"$www/.well-known/acme-challenge/\$4" ;;
begin:*) exit 1 ;;
*) rm -f "$www/.well-known/acme-challenge/\$4" ;;
esac
HOOK
    chmod +x "$WORK/hook.sh"
    u="uacme -c $WORK/uacme -a $AC_DIRECTORY -t EC -b 256"
    measure "uacme new account" sh -c "$u -y new && $u -h $WORK/hook.sh issue u1.example.org"
    row uacme new-account "$M_WALL" "$M_CPU" "$M_RSS" "$M_LOG" "$M_LOG"
    measure "uacme cached account" sh -c "$u -h $WORK/hook.sh issue u2.example.org"
    row uacme cached-account "$M_WALL" "$M_CPU" "$M_RSS" "$M_LOG" "$M_LOG"
    ac_stop "$AC_STATIC_PID"
    openssl verify -CAfile "$WORK/pebble-root.pem" -untrusted "$WORK/uacme/u2.example.org/cert.pem" \
        "$WORK/uacme/u2.example.org/cert.pem" >/dev/null || ac_fail "uacme's certificate does not verify"
else
    echo "bench: uacme skipped (needs root for a private mount namespace, and uacme installed)"
fi

# --- autocert ----------------------------------------------------------------------
if [ -x "${AUTOCERT_BIN:-}" ]; then
    # shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
    a="$AUTOCERT_BIN obtain --directory $AC_DIRECTORY --ca-bundle $WORK/tls-ca.pem --cache $CACHE --agree-tos --key-type ec256 -v $AC_HTTP_ARGS"
    for case in new-account:a1.example.org cached-account:a2.example.org; do
        # shellcheck disable=SC2086
        measure "autocert ${case%%:*}" $a "${case#*:}"
        n=$(ac_requests)
        row autocert "${case%%:*}" "$M_WALL" "$M_CPU" "$M_RSS" "$n" "$M_LOG"
    done
    ac_check_cert a2.example.org >/dev/null
else
    echo "bench: autocert skipped (no binary; set AUTOCERT_BIN)"
fi

echo "Pebble $(dpkg-query -W -f '${Version}' pebble 2>/dev/null), PEBBLE_VA_NOSLEEP=1, EC P-256, one name; requests = HTTP requests to the CA"
echo "(autocert: its own 'requests: N'; uacme: Pebble's log), pebble_log = requests Pebble logged during the run"
cat "$results"
exit 0
