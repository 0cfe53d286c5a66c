#!/bin/sh
# handshake.sh: TLS handshakes per second on loopback against the example server serving 1,000 cached certificates by SNI, against the same server with one static certificate, in the same run; resident memory per cached certificate.
#
#   bench/handshake.sh [NAMES]     (default 1000; from the build directory)
#
# Environment: AUTOCERT_BIN (default ./autocert), AC_SERVER_BIN (default
# ./examples/https-server/https-server), SECS (seconds of handshakes per
# server, default 12, in rounds of 3 s alternating between the two servers),
# THREADS (client threads, default 2), JOBS (parallel obtains, default 4).
#
# The NAMES certificates come from a local Pebble through `autocert obtain`,
# JOBS at a time (HTTP-01 through --webroot and a static web server, so that
# the runs share no port); the time that takes is printed.  Then the server
# is started with --autocert and all the names (every certificate is in the
# cache: nothing is ordered), and once more with --tlscert/--tlskey of one of
# them.  bench/tlsbench.c does full TLS 1.3 handshakes (no resumption), SNI
# going round the names, and checks every 16th certificate against its name.
# Resident memory (VmRSS) is that of the server with NAMES certificates and
# with one (--autocert with the first name), after start.  Not a test.
set -eu
NAMES=${1:-1000}
SECS=${SECS:-12}
THREADS=${THREADS:-2}
JOBS=${JOBS:-4}
AC_TEST_SLOT=65
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
AUTOCERT_BIN=${AUTOCERT_BIN:-$top_builddir/autocert}
AC_SERVER_BIN=${AC_SERVER_BIN:-$top_builddir/examples/https-server/https-server}
export top_srcdir top_builddir AUTOCERT_BIN AC_SERVER_BIN
[ -x "$AUTOCERT_BIN" ] || { echo "no autocert at $AUTOCERT_BIN (run from the build directory)" >&2; exit 1; }
[ -x "$AC_SERVER_BIN" ] || { echo "no example server at $AC_SERVER_BIN (make builds it)" >&2; exit 1; }
. "$top_srcdir/tests/integration/lib.sh"

# The programs themselves, not libtool's wrapper scripts: the PID whose
# memory is read must be the server's.
for v in AUTOCERT_BIN AC_SERVER_BIN; do
    b=""
    eval "b=\$$v"
    d=$(dirname "$b")
    if head -c 200 "$b" | grep -q '^#!' && [ -x "$d/.libs/$(basename "$b")" ]; then
        eval "$v=\$d/.libs/\$(basename \"\$b\")"
        LD_LIBRARY_PATH=$top_builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        export LD_LIBRARY_PATH
    fi
done
. "$top_srcdir/tests/integration/server_lib.sh"
# shellcheck disable=SC2046 # pkg-config prints a list of flags
${CC:-cc} -O2 -o "$WORK/tlsbench" "$top_srcdir/bench/tlsbench.c" \
    $(pkg-config --cflags --libs libssl libcrypto) -pthread || ac_fail "cannot build tlsbench"

start_pebble
i=1
while [ "$i" -le "$NAMES" ]; do
    printf 'h%04d.bench.example\n' "$i"
    i=$((i + 1))
done >"$WORK/names"
first=$(head -n 1 "$WORK/names")

# 1. NAMES certificates, JOBS obtains at a time (the first one alone: it
# registers the account the others reuse).
mkdir -p "$WORK/webroot"
ac_static_server "$WORK/webroot" "$AC_HTTP_PORT"
obtain="$AUTOCERT_BIN -q obtain --directory $AC_DIRECTORY --ca-bundle $WORK/tls-ca.pem --cache $CACHE --agree-tos --webroot $WORK/webroot"
t0=$(date +%s.%N)
# shellcheck disable=SC2086 # $obtain is a command and its options
{
    $obtain "$first" >/dev/null || ac_fail "obtain $first failed"
    sed 1d "$WORK/names" | xargs -P "$JOBS" -n 1 $obtain >/dev/null 2>"$WORK/obtain.err" ||
        ac_fail "an obtain failed: $(head -n 3 "$WORK/obtain.err")"
}
t1=$(date +%s.%N)
ac_stop "$AC_STATIC_PID"
[ "$(find "$CACHE/certs" -name cert.pem | wc -l)" -eq "$NAMES" ] || ac_fail "not $NAMES certificates cached"
echo "$(uname -m), $(nproc) cores, $(date -u +%Y-%m-%d); $NAMES certificates from Pebble ($JOBS obtains at a time): $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"

# rss PID: its VmRSS in kB.
rss() {
    sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

# 2. The servers: NAMES certificates by SNI, one static certificate, and
# (for memory only) the manager with one name.  TLS-ALPN-01 on the listener
# itself: no other port is opened (nothing is ordered anyway).
acme="--cache $CACHE --directory $AC_DIRECTORY --ca-bundle $WORK/tls-ca.pem --agree-tos --challenge tls-alpn-01"
port_many=$SRV_PORT
port_static=$((SRV_PORT + 1))
port_one=$((SRV_PORT + 2))
# shellcheck disable=SC2086 # $acme is a list of options
{
    SRV_LISTEN_PORT=$port_many srv_start server-many.log --autocert "$(paste -sd, "$WORK/names")" $acme \
        --listen "127.0.0.1:$port_many" --root "$WORK/www"
    pid_many=$SRV_PID
    SRV_LISTEN_PORT=$port_one srv_start server-one.log --autocert "$first" $acme \
        --listen "127.0.0.1:$port_one" --root "$WORK/www"
    pid_one=$SRV_PID
}
SRV_LISTEN_PORT=$port_static srv_start server-static.log --tlscert "$CACHE/certs/$first/fullchain.pem" \
    --tlskey "$CACHE/certs/$first/privkey.pem" --listen "127.0.0.1:$port_static" --root "$WORK/www"
pid_static=$SRV_PID
last=$(tail -n 1 "$WORK/names")
srv_wait_serial "$last" "$(cache_serial "$last")" 150 "$port_many" ||
    ac_fail "the server does not serve $last's cached certificate"
grep -q "$NAMES of $NAMES served from the cache" "$WORK/server-many.log" ||
    ac_fail "not every certificate was served from the cache: $(grep 'served from' "$WORK/server-many.log")"
rss_many=$(rss "$pid_many")
rss_one=$(rss "$pid_one")
rss_static=$(rss "$pid_static")

# 3. Handshakes: a warm-up, then rounds of 3 s alternating between the two.
"$WORK/tlsbench" "$port_many" 1 "$THREADS" "$WORK/names" >/dev/null
"$WORK/tlsbench" "$port_static" 1 "$THREADS" "$WORK/names" >/dev/null
: >"$WORK/many.out"
: >"$WORK/static.out"
r=0
while [ "$r" -lt $((SECS / 3)) ]; do
    "$WORK/tlsbench" "$port_many" 3 "$THREADS" "$WORK/names" >>"$WORK/many.out"
    "$WORK/tlsbench" "$port_static" 3 "$THREADS" "$WORK/names" >>"$WORK/static.out"
    r=$((r + 1))
done
# total FILE: "handshakes seconds rate mismatches failures" summed over the rounds.
total() {
    awk '{ n += $1; s += $2; m += $4; f += $5 } END { printf "%d %.2f %.1f %d %d", n, s, n / s, m, f }' "$1"
}
# shellcheck disable=SC2046 # total prints five words
set -- $(total "$WORK/many.out")
many_rate=$3
echo "  $NAMES names by SNI:      $3 handshakes/s ($1 in $2 s, $THREADS client threads, TLS 1.3 full; wrong certificates $4, failures $5)"
# shellcheck disable=SC2046 # total prints five words
set -- $(total "$WORK/static.out")
static_rate=$3
echo "  one static certificate: $3 handshakes/s ($1 in $2 s; failures $5)"
echo "  ratio: $(awk "BEGIN { printf \"%.3f\", $many_rate / $static_rate }") (target >= 0.95)"
echo "  VmRSS: $rss_many kB with $NAMES certificates, $rss_one kB with 1, $rss_static kB static;" \
    "$(awk "BEGIN { printf \"%.1f\", ($rss_many - $rss_one) / ($NAMES - 1) }") kB per cached certificate"
for p in $pid_many $pid_one $pid_static; do
    ac_alive "$p" || ac_fail "a server exited during the benchmark"
done
ac_done
