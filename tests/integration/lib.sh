# lib.sh: shared setup of the integration tests: a private Pebble ACME server on loopback.
#
# A test script sets AC_TEST_SLOT (a small number unique among the tests, used to
# pick ports when no private network namespace is available) and sources this file:
#
#   AC_TEST_SLOT=3
#   . "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
#
# Environment read: AUTOCERT_BIN, top_srcdir, top_builddir (set by `make check`),
# AC_NETNS=no (never enter a network namespace), AC_PORT_BASE (first port used
# when not in a namespace, default 20000), AC_KEEP=1 (keep the work directory),
# AC_PEBBLE_NEW_DIR (where a Pebble with ARI and profiles is, see
# ac_find_pebble_new), AC_PEBBLE=new (every test runs on that Pebble).
# AC_VALGRIND=1 (run autocert under valgrind memcheck: memcheck.sh),
# AC_TIMEOUT (seconds one run of autocert may take, default 120).
#
# When run as root where `unshare -n` works, the script re-executes itself in a
# private network namespace: nothing it starts is reachable from the host, and
# the HTTP-01 challenge can use the standard port 80.  A script that sets
# AC_UNSHARE_MOUNT=1 also gets a private mount namespace (AC_MOUNTNS=1 then).

set -eu

# --- private network namespace ---------------------------------------------
if [ -z "${AC_NETNS:-}" ] && [ "$(id -u)" = 0 ] &&
    command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 &&
    unshare -n true >/dev/null 2>&1; then
    AC_NETNS=1
    AC_MOUNTNS=0
    ac_unshare="-n"
    if [ "${AC_UNSHARE_MOUNT:-0}" = 1 ] && unshare -n -m true >/dev/null 2>&1; then
        ac_unshare="-n -m --propagation private"
        AC_MOUNTNS=1
    fi
    export AC_NETNS AC_MOUNTNS
    # shellcheck disable=SC2086 # ac_unshare is a list of options
    exec unshare $ac_unshare -- /bin/sh -c 'ip link set lo up && exec /bin/sh "$@"' sh "$0" "$@"
fi
AC_MOUNTNS=${AC_MOUNTNS:-0}

# Settings of the tester's own environment must not leak into the tests.
unset AUTOCERT_EMAIL AUTOCERT_DIRECTORY AUTOCERT_CA_BUNDLE AUTOCERT_HTTP_PORT AUTOCERT_BIND \
    AUTOCERT_WEBROOT AUTOCERT_KEY_TYPE AUTOCERT_EAB_KID AUTOCERT_EAB_HMAC_KEY AUTOCERT_CACHE \
    AUTOCERT_AGREE_TOS AUTOCERT_PROFILE AUTOCERT_CHALLENGE AUTOCERT_DNS_HOOK \
    AUTOCERT_PREFERRED_CHAIN AUTOCERT_CACHE_KEY_FILE

# --- locations ---------------------------------------------------------------
AC_SCRIPT_NAME=$(basename "$0" .sh)
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
AUTOCERT_BIN=${AUTOCERT_BIN:-$top_builddir/autocert}
export top_srcdir top_builddir AUTOCERT_BIN

# Pebble not installed: the only reason to skip (exit 77, automake's SKIP).
ac_require_pebble() {
    if ! command -v pebble >/dev/null 2>&1 || ! command -v pebble-challtestsrv >/dev/null 2>&1; then
        echo "SKIP: pebble and pebble-challtestsrv are not installed (Debian package 'pebble')"
        exit 77
    fi
}

# The Pebble with ACME Renewal Information (RFC 9773) and profiles (v2.7 and
# later; Debian 12 has 2.4): AC_PEBBLE_NEW_DIR (default ../shared/pebble next
# to the source tree) holding pebble and pebble-challtestsrv, else a `pebble`
# on PATH that says it is such a version.  Sets AC_PEBBLE_NEW and
# AC_CHALLTESTSRV_NEW to the two programs; returns 1, with AC_PEBBLE_NEW_WHY
# saying why, when there is none.
ac_find_pebble_new() {
    ac_d=${AC_PEBBLE_NEW_DIR:-$top_srcdir/../shared/pebble}
    if [ -x "$ac_d/pebble" ] && [ -x "$ac_d/pebble-challtestsrv" ]; then
        AC_PEBBLE_NEW=$ac_d/pebble
        AC_CHALLTESTSRV_NEW=$ac_d/pebble-challtestsrv
        return 0
    fi
    ac_v=$(pebble -version 2>/dev/null | sed -n 's/^Pebble version: v2\.\([0-9]*\).*/\1/p')
    if [ -n "$ac_v" ] && [ "$ac_v" -ge 7 ] && command -v pebble-challtestsrv >/dev/null 2>&1; then
        AC_PEBBLE_NEW=$(command -v pebble)
        AC_CHALLTESTSRV_NEW=$(command -v pebble-challtestsrv)
        return 0
    fi
    AC_PEBBLE_NEW_WHY="no Pebble with ARI and profiles (v2.7 or later): neither $ac_d/pebble \
(set AC_PEBBLE_NEW_DIR) nor a pebble of that version on PATH"
    return 1
}

# The ARI and profile cases need that Pebble: skip (exit 77) without it, saying why.
ac_require_pebble_ari() {
    if ! ac_find_pebble_new; then
        echo "SKIP: $AC_PEBBLE_NEW_WHY"
        exit 77
    fi
}

# --- ports -------------------------------------------------------------------
# In a private namespace every test has the whole port space to itself; outside
# one, each test gets a block of 10 ports from its slot:
#   AC_ACME_PORT   Pebble's ACME directory
#   AC_MGMT_PORT   Pebble's management interface
#   AC_DNS_PORT    pebble-challtestsrv's DNS, Pebble's resolver
#   AC_CHALL_PORT  pebble-challtestsrv's management interface
#   AC_HTTP_PORT   the HTTP-01 responder, where Pebble's validator connects
#   AC_DEAD_PORT   a port where nothing listens
#   AC_TLS_PORT    a TLS server of the test answering TLS-ALPN-01 (start_pebble
#                  tlsport=$AC_TLS_PORT points Pebble's validator at it)
# Offsets 7 to 9 of a block are free.
if [ "${AC_NETNS:-}" = 1 ]; then
    AC_ACME_PORT=14000
    AC_MGMT_PORT=15000
    AC_DNS_PORT=8053
    AC_CHALL_PORT=8055
    AC_HTTP_PORT=80
    AC_DEAD_PORT=81
    AC_TLS_PORT=443
    AC_HTTP_ARGS=""
else
    ac_base=$(( ${AC_PORT_BASE:-20000} + ${AC_TEST_SLOT:-0} * 10 ))
    AC_ACME_PORT=$ac_base
    AC_MGMT_PORT=$((ac_base + 1))
    AC_DNS_PORT=$((ac_base + 2))
    AC_CHALL_PORT=$((ac_base + 3))
    AC_HTTP_PORT=$((ac_base + 4))
    AC_DEAD_PORT=$((ac_base + 5))
    AC_TLS_PORT=$((ac_base + 6))
    AC_HTTP_ARGS="--http-port $AC_HTTP_PORT"
fi
AC_DIRECTORY="https://127.0.0.1:$AC_ACME_PORT/dir"

# --- work directory and cleanup ------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/autocert-$AC_SCRIPT_NAME.XXXXXX")
CACHE=$WORK/cache
AC_PIDS=""
. "$top_srcdir/tests/integration/memcheck.sh"
ac_memcheck_setup 120

# ac_stop PID: TERM, wait up to 5 s, then KILL; reaps the child.
ac_stop() {
    ac_pid=$1
    if kill -0 "$ac_pid" 2>/dev/null; then
        kill -TERM "$ac_pid" 2>/dev/null || true
        ac_i=0
        while kill -0 "$ac_pid" 2>/dev/null && [ "$ac_i" -lt 50 ]; do
            # A child that has exited stays a zombie until it is reaped.
            ac_state=$(sed 's/.*) //' "/proc/$ac_pid/stat" 2>/dev/null | cut -d' ' -f1)
            [ "$ac_state" != Z ] || break
            sleep 0.1
            ac_i=$((ac_i + 1))
        done
        kill -KILL "$ac_pid" 2>/dev/null || true
    fi
    wait "$ac_pid" 2>/dev/null || true
    ac_rest=""
    for ac_p in $AC_PIDS; do
        [ "$ac_p" = "$ac_pid" ] || ac_rest="$ac_rest $ac_p"
    done
    AC_PIDS=$ac_rest
}

ac_cleanup() {
    ac_rc=$?
    set +e
    for ac_p in $AC_PIDS; do
        ac_stop "$ac_p"
    done
    if [ "$ac_rc" -ne 0 ] && [ "$ac_rc" -ne 77 ]; then
        for ac_log in "$WORK"/*.log; do
            [ -f "$ac_log" ] || continue
            echo "--- last lines of $(basename "$ac_log") ---"
            tail -n 30 "$ac_log"
        done
    fi
    if [ "${AC_KEEP:-0}" = 1 ]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$ac_rc"
}
trap ac_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ac_spawn LOG CMD...: starts CMD in the background, output to $WORK/LOG, and
# remembers its PID in AC_LAST_PID and for the cleanup.
ac_spawn() {
    ac_logf=$WORK/$1
    shift
    "$@" >"$ac_logf" 2>&1 &
    AC_LAST_PID=$!
    AC_PIDS="$AC_PIDS $AC_LAST_PID"
}

# --- messages ------------------------------------------------------------------
ac_fail() {
    echo "FAIL: $*" >&2
    if [ -f "$WORK/stderr" ]; then
        echo "--- stderr of the last command ---" >&2
        cat "$WORK/stderr" >&2
        echo "--- stdout of the last command ---" >&2
        cat "$WORK/stdout" >&2
    fi
    exit 1
}

ac_ok() {
    echo "ok: $*"
}

# ac_wait_for TRIES CMD...: runs CMD every 0.1 s until it succeeds, at most TRIES times.
ac_wait_for() {
    ac_tries=$1
    shift
    ac_i=0
    while ! "$@" >/dev/null 2>&1; do
        ac_i=$((ac_i + 1))
        [ "$ac_i" -lt "$ac_tries" ] || return 1
        sleep 0.1
    done
}

ac_alive() {
    kill -0 "$1" 2>/dev/null
}

# --- TLS certificate for Pebble's own HTTPS listeners ----------------------------
# $WORK/tls-ca.pem is the throwaway CA that clients get with --ca-bundle.
ac_make_tls() {
    [ -f "$WORK/tls-ca.pem" ] && return 0
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$WORK/tls-ca.key" -out "$WORK/tls-ca.pem" -days 2 \
        -subj "/CN=autocert test TLS CA" >/dev/null 2>&1 ||
        ac_fail "openssl could not create the test TLS CA"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$WORK/tls.key" -out "$WORK/tls.csr" -subj "/CN=localhost" >/dev/null 2>&1 ||
        ac_fail "openssl could not create the Pebble TLS key"
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        "basicConstraints=critical,CA:FALSE" "extendedKeyUsage=serverAuth" >"$WORK/tls.ext"
    openssl x509 -req -in "$WORK/tls.csr" -CA "$WORK/tls-ca.pem" -CAkey "$WORK/tls-ca.key" \
        -CAcreateserial -days 2 -extfile "$WORK/tls.ext" -out "$WORK/tls.pem" >/dev/null 2>&1 ||
        ac_fail "openssl could not sign the Pebble TLS certificate"
}

# --- Pebble --------------------------------------------------------------------------
# start_pebble [new] [profiles=NAME:SECONDS,...] [eab] [nonce=PERCENT] [httpport=PORT]
#              [tlsport=PORT] [authzreuse=PERCENT (default 0)] [vasleep=N] [altroots=N]
#   new        the Pebble with ARI and profiles (ac_require_pebble_ari first);
#              also the default when AC_PEBBLE=new
#   profiles=  (new) the profiles it offers with their validity, e.g.
#              profiles=default:7776000,shortlived:576000; an order without a
#              profile gets a random one of them, so the default is one,
#              default:7776000 (90 days)
#   eab        require External Account Binding; AC_EAB_KID / AC_EAB_KEY are valid credentials
#   nonce=N    reject N % of valid nonces (default 0)
#   httpport=N the port Pebble's validator connects to for HTTP-01 (default AC_HTTP_PORT)
#   tlsport=N  the port Pebble's validator connects to for TLS-ALPN-01 (default
#              AC_DEAD_PORT: nothing answers; a test with a TLS server of its
#              own gives AC_TLS_PORT)
#   altroots=N N alternate chains besides the default, each ending at a root of
#              its own (PEBBLE_ALTERNATE_ROOTS; the roots: ac_mgmt roots/0, roots/1...)
#   vasleep=N  Pebble sleeps before each validation, a random 0 to N-1 seconds
#              (default: it validates at once)
# Starts pebble-challtestsrv as Pebble's DNS (every name is 127.0.0.1; it answers
# no challenge itself) and Pebble, waits until both answer, and writes Pebble's
# root to $WORK/pebble-root.pem.  AC_PEBBLE_IS_NEW is then 1 or 0.
AC_EAB_KID=kid-1
AC_EAB_KEY=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W

# shellcheck disable=SC2120 # options are optional
start_pebble() {
    ac_eab=false
    ac_nonce=0
    ac_vaport=$AC_HTTP_PORT
    ac_tlsport=$AC_DEAD_PORT
    ac_reuse=0
    ac_altroots=0
    AC_PEBBLE_IS_NEW=0
    [ "${AC_PEBBLE:-}" != new ] || AC_PEBBLE_IS_NEW=1
    ac_profiles=default:7776000
    ac_vasleep=PEBBLE_VA_NOSLEEP=1
    for ac_opt in "$@"; do
        case $ac_opt in
        new) AC_PEBBLE_IS_NEW=1 ;;
        profiles=*) ac_profiles=${ac_opt#profiles=} ;;
        eab) ac_eab=true ;;
        altroots=*) ac_altroots=${ac_opt#altroots=} ;;
        authzreuse=*) ac_reuse=${ac_opt#authzreuse=} ;;
        nonce=*) ac_nonce=${ac_opt#nonce=} ;;
        httpport=*) ac_vaport=${ac_opt#httpport=} ;;
        tlsport=*) ac_tlsport=${ac_opt#tlsport=} ;;
        vasleep=*) ac_vasleep=PEBBLE_VA_SLEEPTIME=${ac_opt#vasleep=} ;;
        *) ac_fail "start_pebble: unknown option $ac_opt" ;;
        esac
    done
    if [ "$AC_PEBBLE_IS_NEW" = 1 ]; then
        ac_require_pebble_ari
        ac_pebble=$AC_PEBBLE_NEW
        ac_challtestsrv=$AC_CHALLTESTSRV_NEW
        ac_extrajson=$(ac_profiles_json "$ac_profiles")
    else
        ac_require_pebble
        ac_pebble=pebble
        ac_challtestsrv=pebble-challtestsrv
        ac_extrajson=""
    fi
    ac_make_tls
    if $ac_eab; then
        ac_eabjson=",
    \"externalAccountBindingRequired\": true,
    \"externalAccountMACKeys\": {
      \"$AC_EAB_KID\": \"$AC_EAB_KEY\",
      \"kid-2\": \"b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH\"
    }"
    else
        ac_eabjson=",
    \"externalAccountBindingRequired\": false"
    fi
    cat >"$WORK/pebble.json" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$AC_ACME_PORT",
    "managementListenAddress": "127.0.0.1:$AC_MGMT_PORT",
    "certificate": "$WORK/tls.pem",
    "privateKey": "$WORK/tls.key",
    "httpPort": $ac_vaport,
    "tlsPort": $ac_tlsport,
    "ocspResponderURL": ""$ac_eabjson$ac_extrajson
  }
}
EOF
    # The DNS listener is -dns01 up to 2.4, -dnsserver (UDP and TCP: the newer
    # Pebble asks over TCP) next to a DNS-over-HTTPS one (-doh, unused) later.
    if "$ac_challtestsrv" -help 2>&1 | grep -q -- -dnsserver; then
        set -- -dnsserver "127.0.0.1:$AC_DNS_PORT" -doh ""
    else
        set -- -dns01 "127.0.0.1:$AC_DNS_PORT"
    fi
    ac_spawn challtestsrv.log "$ac_challtestsrv" "$@" -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
        -http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$AC_CHALL_PORT"
    AC_CHALL_PID=$AC_LAST_PID
    # The environment is given explicitly: an inherited PEBBLE_VA_ALWAYS_VALID
    # would make every validation pass.
    ac_spawn pebble.log env -u PEBBLE_VA_ALWAYS_VALID -u PEBBLE_VA_NOSLEEP -u PEBBLE_VA_SLEEPTIME \
        PEBBLE_AUTHZREUSE="$ac_reuse" "$ac_vasleep" PEBBLE_WFE_NONCEREJECT="$ac_nonce" \
        PEBBLE_ALTERNATE_ROOTS="$ac_altroots" \
        "$ac_pebble" -config "$WORK/pebble.json" -dnsserver "127.0.0.1:$AC_DNS_PORT"
    AC_PEBBLE_PID=$AC_LAST_PID
    ac_wait_for 100 curl -s -o /dev/null "http://127.0.0.1:$AC_CHALL_PORT/" ||
        ac_fail "pebble-challtestsrv did not start (see challtestsrv.log)"
    ac_wait_for 150 curl -sf --cacert "$WORK/tls-ca.pem" -o /dev/null "$AC_DIRECTORY" ||
        ac_fail "Pebble did not answer on $AC_DIRECTORY (see pebble.log)"
    ac_alive "$AC_PEBBLE_PID" || ac_fail "Pebble exited (port in use?)"
    ac_alive "$AC_CHALL_PID" || ac_fail "pebble-challtestsrv exited (port in use?)"
    curl -sf --cacert "$WORK/tls-ca.pem" -o "$WORK/pebble-root.pem" \
        "https://127.0.0.1:$AC_MGMT_PORT/roots/0" || ac_fail "could not fetch Pebble's root"
    grep -q "BEGIN CERTIFICATE" "$WORK/pebble-root.pem" || ac_fail "Pebble's root is not PEM"
}

# ac_mgmt PATH: GET of Pebble's management interface (roots/0,
# cert-status-by-serial/HEX...) on stdout; fails on an HTTP error.
ac_mgmt() {
    curl -sf --cacert "$WORK/tls-ca.pem" "https://127.0.0.1:$AC_MGMT_PORT/$1"
}

# ac_profiles_json NAME:SECONDS,...: the "profiles" member of the new Pebble's
# configuration (with its leading comma).
ac_profiles_json() {
    printf ',\n    "profiles": {'
    ac_sep=""
    for ac_p in $(echo "$1" | tr ',' ' '); do
        printf '%s\n      "%s": {"description": "%s: %s s", "validityPeriod": %s}' \
            "$ac_sep" "${ac_p%%:*}" "${ac_p%%:*}" "${ac_p#*:}" "${ac_p#*:}"
        ac_sep=,
    done
    printf '\n    }'
}

stop_pebble() {
    ac_stop "$AC_PEBBLE_PID"
    ac_stop "$AC_CHALL_PID"
}

# ac_static_server DIR PORT: serves DIR over HTTP on 127.0.0.1:PORT (busybox
# httpd, else python3's http.server), logging requests to $WORK/httpd.log; sets
# AC_STATIC_PID.  When root, busybox drops to user AC_STATIC_USER if that is set.
ac_static_server() {
    if command -v busybox >/dev/null 2>&1 && busybox --list | grep -qx httpd; then
        ac_user=""
        if [ -n "${AC_STATIC_USER:-}" ] && [ "$(id -u)" = 0 ] && id "$AC_STATIC_USER" >/dev/null 2>&1; then
            ac_user="-u $AC_STATIC_USER"
        fi
        # shellcheck disable=SC2086 # ac_user is empty or two words
        ac_spawn httpd.log busybox httpd -f -vv $ac_user -p "127.0.0.1:$2" -h "$1"
    elif command -v python3 >/dev/null 2>&1; then
        ac_spawn httpd.log python3 -m http.server --bind 127.0.0.1 --directory "$1" "$2"
    else
        ac_fail "no static HTTP server: install busybox (scripts/install-deps.sh)"
    fi
    # shellcheck disable=SC2034 # for the caller
    AC_STATIC_PID=$AC_LAST_PID
    ac_wait_for 100 curl -s -o /dev/null "http://127.0.0.1:$2/" ||
        ac_fail "the static HTTP server did not start on port $2"
}

# ac_iso SECONDS: the time as RFC 3339 UTC.
ac_iso() {
    date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}

# ac_set_ari CERT JSON: the Pebble with ARI answers JSON for the renewal
# information of the certificate in the file CERT from now on.
ac_set_ari() {
    ac_pem=$(awk '{printf "%s\\n", $0}' "$1")
    ac_json=$(printf '%s' "$2" | sed 's/"/\\"/g')
    printf '{"Certificate": "%s", "ARIResponse": "%s"}' "$ac_pem" "$ac_json" >"$WORK/set-ari.json"
    curl -sf --cacert "$WORK/tls-ca.pem" -X POST --data-binary @"$WORK/set-ari.json" \
        "https://127.0.0.1:$AC_MGMT_PORT/set-renewal-info/" >/dev/null ||
        ac_fail "Pebble's set-renewal-info refused the request"
}

# --- running autocert ----------------------------------------------------------------
# ac_exec LABEL ARGS...: runs autocert with ARGS, stdout to $WORK/stdout, stderr to
# $WORK/stderr, exit status in AC_RC; the log shows `autocert LABEL`.  A sanitizer
# report fails the test: it is a bug, not an expected failure.
ac_exec() {
    ac_label=$1
    shift
    [ -x "$AUTOCERT_BIN" ] || ac_fail "no autocert binary at $AUTOCERT_BIN"
    set +e
    timeout -k 5 "$AC_TIMEOUT" "$AUTOCERT_BIN" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
    AC_RC=$?
    set -e
    echo "\$ autocert $ac_label -> exit $AC_RC"
    [ "$AC_RC" -ne 124 ] || ac_fail "autocert $ac_label did not finish in $AC_TIMEOUT s"
    ac_memcheck_verdict || ac_fail "memcheck errors in autocert $ac_label"
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/stderr"; then
        ac_fail "sanitizer report"
    fi
}

# ac_autocert ARGS...: runs autocert with exactly ARGS (see ac_exec).
ac_autocert() {
    ac_exec "$*" "$@"
}

# ac_obtain ARGS...: runs `autocert obtain` against the test Pebble with the test
# cache (see ac_exec).  The words of AC_PRE_ARGS go before the command name;
# AC_TOS (default --agree-tos; set it empty to leave it out) goes before ARGS.
ac_obtain() {
    # shellcheck disable=SC2086 # AC_PRE_ARGS, AC_TOS and AC_HTTP_ARGS are lists of words
    ac_exec "${AC_PRE_ARGS:+$AC_PRE_ARGS }obtain $*" ${AC_PRE_ARGS:-} obtain \
        --directory "$AC_DIRECTORY" --ca-bundle "$WORK/tls-ca.pem" --cache "$CACHE" \
        ${AC_TOS---agree-tos} $AC_HTTP_ARGS "$@"
}

# ac_obtain_ok ARGS...: ac_obtain that must obtain a new certificate: exit status 0.
ac_obtain_ok() {
    ac_obtain "$@"
    [ "$AC_RC" -eq 0 ] || ac_fail "autocert obtain $* exited $AC_RC"
}

# ac_pebble_replaceable NAME ARGS...: makes sure the cached certificate of NAME
# is one the newer Pebble can find an order for when a new order "replaces"
# it, obtaining it again (with ARGS, at most 8 times) until it is.  Pebble
# 2.10.1 files an issued order under the hex of serial.Bytes() but looks a
# "replaces" up by the hex of the serial's DER content octets (RFC 9773
# 4.1), which begin with a zero byte when the serial's top bit is set: a
# serial below 2^56, about one certificate in 256, is then "not found".
ac_pebble_replaceable() {
    r_name=$1
    shift
    for _ in 1 2 3 4 5 6 7 8; do
        case $(openssl x509 -in "$CACHE/certs/$r_name/cert.pem" -noout -serial | sed 's/^serial=//') in
        [89A-Fa-f]*) ac_obtain_ok "$r_name" --force "$@" ;;
        *) return 0 ;;
        esac
    done
    ac_fail "Pebble gave $r_name eight serials with the top bit set"
}

# ac_obtain_cached ARGS...: ac_obtain that must find a valid cached certificate and
# make no request: exit status 2.
ac_obtain_cached() {
    ac_obtain "$@"
    [ "$AC_RC" -eq 2 ] || ac_fail "autocert obtain $* exited $AC_RC, expected 2 (cached)"
}

# ac_obtain_fails ARGS...: ac_obtain that must fail (exit 1) with an "autocert: ..." line.
ac_obtain_fails() {
    ac_obtain "$@"
    ac_failed "autocert obtain $*"
}

# ac_failed WHAT: the last command failed: exit status 1 and an "autocert: ..." line.
ac_failed() {
    [ "$AC_RC" -ne 0 ] || ac_fail "$1 succeeded but should have failed"
    [ "$AC_RC" -eq 1 ] || ac_fail "$1 exited $AC_RC, expected 1 for a failure"
    grep -q '^autocert: ' "$WORK/stderr" || ac_fail "no 'autocert: ' reason on stderr"
    echo "  reason: $(grep '^autocert: ' "$WORK/stderr" | head -n 3)"
}

# ac_stderr_has ERE: the last command's stderr matches ERE (case-insensitive).
ac_stderr_has() {
    grep -qiE -- "$1" "$WORK/stderr" || ac_fail "stderr does not match /$1/"
}

# ac_stderr_names STRING: the last command's stderr contains STRING literally.
ac_stderr_names() {
    grep -qF -- "$1" "$WORK/stderr" || ac_fail "stderr does not name '$1'"
}

# ac_stderr_lacks ERE: the last command's stderr does not match ERE (case-insensitive).
ac_stderr_lacks() {
    if grep -qiE -- "$1" "$WORK/stderr"; then
        ac_fail "stderr matches /$1/"
    fi
}

# ac_requests: the N of the last stderr line `requests: N` (needs -v).
ac_requests() {
    ac_last=$(tail -n 1 "$WORK/stderr")
    case $ac_last in
    "requests: "*) echo "${ac_last#requests: }" ;;
    *) ac_fail "the last stderr line is not 'requests: N': $ac_last" ;;
    esac
}

# ac_same_file A B: A and B are the same existing file.
ac_same_file() {
    [ -e "$1" ] && [ -e "$2" ] && [ "$(stat -L -c %d:%i "$1")" = "$(stat -L -c %d:%i "$2")" ]
}

# ac_check_stdout FIRST: stdout is exactly the two lines naming the files of FIRST.
ac_check_stdout() {
    ac_dir=$CACHE/certs/$1
    [ "$(wc -l <"$WORK/stdout")" -eq 2 ] || ac_fail "stdout is not exactly two lines"
    ac_l1=$(sed -n 1p "$WORK/stdout")
    ac_l2=$(sed -n 2p "$WORK/stdout")
    case $ac_l1 in
    "certificate: "*/fullchain.pem) ;;
    *) ac_fail "first stdout line is not 'certificate: PATH/fullchain.pem': $ac_l1" ;;
    esac
    case $ac_l2 in
    "key: "*/privkey.pem) ;;
    *) ac_fail "second stdout line is not 'key: PATH/privkey.pem': $ac_l2" ;;
    esac
    ac_same_file "${ac_l1#certificate: }" "$ac_dir/fullchain.pem" ||
        ac_fail "stdout names ${ac_l1#certificate: }, expected $ac_dir/fullchain.pem"
    ac_same_file "${ac_l2#key: }" "$ac_dir/privkey.pem" ||
        ac_fail "stdout names ${ac_l2#key: }, expected $ac_dir/privkey.pem"
}

ac_mode() {
    stat -c %a "$1"
}

# ac_sans CERT: the certificate's subjectAltName entries, one a line, sorted,
# without the DNS:/IP Address: prefixes.
ac_sans() {
    openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | sed 1d |
        tr ',' '\n' | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' \
        -e 's/^DNS://' -e 's/^IP Address://' | grep -v '^$' | sort
}

# ac_check_cert NAMES...: the cached certificate of the first name (comma-separated
# list, as given to obtain) chains to Pebble's root, has exactly those names,
# matches its key, and the files have private modes.
ac_check_cert() {
    ac_names=$1
    ac_first=${ac_names%%,*}
    ac_dir=$CACHE/certs/$ac_first
    for ac_f in privkey.pem cert.pem chain.pem fullchain.pem meta.json; do
        [ -s "$ac_dir/$ac_f" ] || ac_fail "missing or empty $ac_dir/$ac_f"
    done
    openssl verify -CAfile "$WORK/pebble-root.pem" -untrusted "$ac_dir/chain.pem" \
        -purpose sslserver "$ac_dir/cert.pem" >/dev/null 2>"$WORK/verify.err" ||
        ac_fail "cert.pem does not verify against Pebble's root: $(cat "$WORK/verify.err")"
    # fullchain.pem is the certificate followed by the chain, and verifies alone.
    cat "$ac_dir/cert.pem" "$ac_dir/chain.pem" | cmp -s - "$ac_dir/fullchain.pem" ||
        ac_fail "fullchain.pem is not cert.pem followed by chain.pem"
    [ "$(grep -c 'BEGIN CERTIFICATE' "$ac_dir/fullchain.pem")" -ge 2 ] ||
        ac_fail "fullchain.pem lacks Pebble's intermediate"
    openssl verify -CAfile "$WORK/pebble-root.pem" -untrusted "$ac_dir/fullchain.pem" \
        "$ac_dir/fullchain.pem" >/dev/null 2>"$WORK/verify.err" ||
        ac_fail "fullchain.pem does not verify: $(cat "$WORK/verify.err")"
    # Names: exactly the requested ones.
    echo "$ac_names" | tr ',' '\n' | sort >"$WORK/sans.want"
    ac_sans "$ac_dir/cert.pem" >"$WORK/sans.got"
    cmp -s "$WORK/sans.want" "$WORK/sans.got" ||
        ac_fail "subjectAltName is '$(tr '\n' ' ' <"$WORK/sans.got")', expected '$(tr '\n' ' ' <"$WORK/sans.want")'"
    # The key is the certificate's.
    openssl pkey -in "$ac_dir/privkey.pem" -pubout >"$WORK/pub.key" 2>/dev/null ||
        ac_fail "privkey.pem is not a readable private key"
    openssl x509 -in "$ac_dir/cert.pem" -noout -pubkey >"$WORK/pub.cert" ||
        ac_fail "cert.pem has no readable public key"
    cmp -s "$WORK/pub.key" "$WORK/pub.cert" || ac_fail "privkey.pem does not match cert.pem"
    # Modes.
    [ "$(ac_mode "$CACHE")" = 700 ] || ac_fail "cache dir mode is $(ac_mode "$CACHE"), expected 700"
    [ "$(ac_mode "$ac_dir/privkey.pem")" = 600 ] ||
        ac_fail "privkey.pem mode is $(ac_mode "$ac_dir/privkey.pem"), expected 600"
    for ac_k in "$CACHE"/accounts/*/account.key; do
        [ -f "$ac_k" ] || ac_fail "no account key under $CACHE/accounts"
        [ "$(ac_mode "$ac_k")" = 600 ] || ac_fail "$ac_k mode is $(ac_mode "$ac_k"), expected 600"
    done
    ac_ok "certificate for $ac_names verifies, names and key match, modes private"
}

# ac_key_type FILE: ec256, ec384, rsaNNNN or unknown.
ac_key_type() {
    ac_txt=$(openssl pkey -in "$1" -noout -text 2>/dev/null)
    case $ac_txt in
    *"NIST CURVE: P-256"* | *prime256v1*) echo ec256 ;;
    *"NIST CURVE: P-384"* | *secp384r1*) echo ec384 ;;
    *"modulus:"*)
        ac_bits=$(printf '%s\n' "$ac_txt" | sed -n 's/.*Private-Key: (\([0-9]*\) bit.*/\1/p' | head -n 1)
        echo "rsa$ac_bits"
        ;;
    *) echo unknown ;;
    esac
}

# ac_count_accounts: number of account sets under CACHE/accounts (lock files aside).
ac_count_accounts() {
    if [ -d "$CACHE/accounts" ]; then
        find "$CACHE/accounts" -mindepth 1 -maxdepth 1 -type d | wc -l
    else
        echo 0
    fi
}

# ac_no_cert NAME: nothing was written for NAME under CACHE/certs.
ac_no_cert() {
    if [ -e "$CACHE/certs/$1" ]; then
        ac_fail "$CACHE/certs/$1 exists after a failed run"
    fi
}

# ac_done: the test passed.
ac_done() {
    ac_memcheck_verdict || ac_fail "memcheck errors"
    echo "PASS: $AC_SCRIPT_NAME"
    exit 0
}
