#!/bin/sh
# obtain.sh: time, CPU, peak RSS, requests and connections of autocert and uacme issuing from a local Pebble, medians of several runs.
#
#   bench/obtain.sh        (AUTOCERT_BIN defaults to ./autocert, then build-werror/autocert;
#                           RUNS, default 5, runs of each case)
#
# Four cases for each client, EC P-256 keys:
#   new-account    a fresh account is registered, then one certificate for one name
#   cached-account the account is reused; one certificate for one name
#   ten-names      one certificate for ten names (cached account)
#   ten-certs      ten certificates, one name each, one process after another
# Pebble runs with PEBBLE_VA_NOSLEEP=1.  autocert answers HTTP-01 itself and
# reports its requests, connections and where its time went (-v); uacme
# answers through its hook, writing to a directory served by busybox httpd,
# and its requests are counted from Pebble's log (one "-> calling handler()"
# line a request).  uacme has no CA-bundle option, so the test CA is
# bind-mounted over the system bundle inside a private mount namespace (root
# only; otherwise the uacme half is skipped).  Prints figures; not a test.
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
RUNS=${RUNS:-5}

# shellcheck source=bench/program.sh
. "$top_srcdir/bench/program.sh"
bench_program
# runstat (bench/runstat.c): wall and CPU time to the microsecond, peak RSS.
${CC:-cc} -O2 -o "$WORK/runstat" "$top_srcdir/bench/runstat.c" || ac_fail "cannot build runstat"
start_pebble

# handler_lines: requests Pebble has logged so far.
handler_lines() {
    grep -c -- '-> calling handler()' "$WORK/pebble.log" || true
}

# measure LABEL CMD...: runs CMD under runstat and appends one line
# "wall_ms cpu_ms rss_kB pebble_requests" to $WORK/samples.
measure() {
    m_label=$1
    shift
    m_before=$(handler_lines)
    if ! "$WORK/runstat" "$WORK/time.out" "$@" >"$WORK/stdout" 2>"$WORK/stderr"; then
        ac_fail "$m_label failed"
    fi
    m_after=$(handler_lines)
    awk -v n=$((m_after - m_before)) '{ printf "%.1f %.1f %d %d\n", $1, $2, $3, n }' \
        "$WORK/time.out" >>"$WORK/samples"
}

# median_of FIELD: the median of column FIELD of $WORK/samples.
median_of() {
    cut -d' ' -f"$1" "$WORK/samples" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

results=$WORK/results
row() {
    printf '%-9s %-15s %8s %8s %10s %9s %12s\n' "$@" >>"$results"
}
row client case wall_ms cpu_ms peak_rss_kB requests connections

# report CLIENT CASE: one row of medians from $WORK/samples (columns:
# wall cpu rss pebble_requests [requests connections]), then clears them.
report() {
    if [ "$(awk '{ print NF; exit }' "$WORK/samples")" -ge 6 ]; then
        row "$1" "$2" "$(median_of 1)" "$(median_of 2)" "$(median_of 3)" "$(median_of 5)" "$(median_of 6)"
    else
        row "$1" "$2" "$(median_of 1)" "$(median_of 2)" "$(median_of 3)" "$(median_of 4)" -
    fi
    : >"$WORK/samples"
}

# --- uacme -----------------------------------------------------------------------
uacme_case() {
    case $1 in
    new-account)
        rm -rf "$WORK/uacme"
        measure "uacme new account" sh -c "$u -y new && $u -h $WORK/hook.sh issue u$2.example.org" ;;
    cached-account)
        measure "uacme cached account" sh -c "$u -h $WORK/hook.sh issue c$2.example.org" ;;
    ten-names)
        measure "uacme ten names" sh -c "$u -h $WORK/hook.sh issue $(seq -f "n%g-$2.example.org" 1 10 | tr '\n' ' ')" ;;
    ten-certs)
        measure "uacme ten certificates" sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do $u -h $WORK/hook.sh issue t\$i-$2.example.org || exit 1; done" ;;
    esac
}

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
    for case in new-account cached-account ten-names ten-certs; do
        for run in $(seq 1 "$RUNS"); do
            uacme_case "$case" "$run"
        done
        report uacme "$case"
    done
    ac_stop "$AC_STATIC_PID"
else
    echo "bench: uacme skipped (needs root for a private mount namespace, and uacme installed)"
fi

# --- autocert ----------------------------------------------------------------------
# autocert_sample: appends autocert's own requests and connections (summed over
# the runs of a case that has several processes) to the last sample line.
autocert_sample() {
    n=$(grep -h '^requests: ' "$WORK/stderr" | awk '{ s += $2 } END { print s + 0 }')
    c=$(grep -h '^connections: ' "$WORK/stderr" | awk '{ s += $2 } END { print s + 0 }')
    sed -i "\$s/\$/ $n $c/" "$WORK/samples"
    grep -h '^time: ' "$WORK/stderr" >>"$WORK/times.$1" || true
}

autocert_case() {
    # shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
    a="$AUTOCERT_BIN obtain --directory $AC_DIRECTORY --ca-bundle $WORK/tls-ca.pem --agree-tos --key-type ec256 -v $AC_HTTP_ARGS"
    case $1 in
    new-account) measure "autocert new account" $a --cache "$WORK/new$2" "a$2.example.org" ;;
    cached-account) measure "autocert cached account" $a --cache "$CACHE" "c$2.example.org" ;;
    ten-names)
        measure "autocert ten names" $a --cache "$CACHE" "$(seq -f "n%g-$2.example.org" 1 10 | paste -sd,)" ;;
    ten-certs)
        measure "autocert ten certificates" sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do $a --cache $CACHE t\$i-$2.example.org || exit 1; done" ;;
    esac
    autocert_sample "$1"
}

# split CASE: medians of the 'time:' fields of the case's runs.
split() {
    [ -s "$WORK/times.$1" ] || return 0
    # time: requests R ms (TLS setup T ms), waiting W ms, keys K ms, cache C ms
    sed -e 's/[(),]//g' "$WORK/times.$1" | awk -v c="$1" '
        { r[NR] = $3; t[NR] = $7; w[NR] = $10; k[NR] = $13; s[NR] = $16 }
        function med(a, n,    i, j, x) {
            for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        END { n = NR; printf "  %-15s requests %5.1f ms (TLS setup %4.1f), waiting %5.1f ms, keys %4.1f ms, cache %4.1f ms\n",
              c, med(r, n), med(t, n), med(w, n), med(k, n), med(s, n) }'
}

if [ -x "${AUTOCERT_BIN:-}" ]; then
    # The account of the cached cases.
    measure "autocert account" "$AUTOCERT_BIN" obtain --directory "$AC_DIRECTORY" \
        --ca-bundle "$WORK/tls-ca.pem" --cache "$CACHE" --agree-tos $AC_HTTP_ARGS warm.example.org
    : >"$WORK/samples"
    for case in new-account cached-account ten-names ten-certs; do
        for run in $(seq 1 "$RUNS"); do
            autocert_case "$case" "$run"
        done
        report autocert "$case"
    done
    ac_check_cert c1.example.org >/dev/null
    for i in $(seq 1 20); do
        measure "autocert --version" "$AUTOCERT_BIN" --version
    done
    start_ms=$(median_of 1)
    : >"$WORK/samples"
else
    echo "bench: autocert skipped (no binary; set AUTOCERT_BIN)"
fi

echo "$(uname -m), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo "Pebble $(dpkg-query -W -f '${Version}' pebble 2>/dev/null), PEBBLE_VA_NOSLEEP=1, EC P-256; medians of $RUNS runs"
echo "requests: autocert's own count, uacme's from Pebble's log; connections: autocert's own count"
cat "$results"
if [ -x "${AUTOCERT_BIN:-}" ]; then
    echo "autocert, where the time went (medians, one process; ten-certs: per process):"
    echo "  process start   ${start_ms} ms ('autocert --version')"
    for case in new-account cached-account ten-names ten-certs; do
        split "$case"
    done
fi
exit 0
