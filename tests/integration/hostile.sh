#!/bin/sh
# hostile.sh: `autocert obtain` against a stub ACME server (tests/stub/acme_stub) that misbehaves one way at a time.
#
# Every case has an expected outcome.  A failure: exit 1 within a time bound,
# exactly one `autocert:` reason line naming the problem, nothing on stdout,
# nothing stored (or a seeded entry left byte-identical).  A success: the
# stored chain verifies against the stub's root, names exactly the ordered
# names and matches its key.  Every case: stderr holds no control byte, C1
# control, bidi control or line separator, no forged line, at most 30 lines
# and 16 KiB; nothing reached the plain-HTTP listener; the stub saw no request
# a CA would refuse and reported no sanitizer error.
AC_TEST_SLOT=17
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

STUB=$top_builddir/tests/stub/acme_stub
[ -x "$STUB" ] || ac_fail "no stub ACME server at $STUB (make check builds it)"
ac_make_tls
N1=stub.example.org
N2=www.stub.example.org
NAMES=$N1,$N2
PLAIN_PORT=$AC_MGMT_PORT
ROOT=$WORK/pebble-root.pem # ac_check_cert verifies against this file
export AC_TIMEOUT=30

# --- the stub -------------------------------------------------------------------
# stub_start MODE [STUB ARGS...]: the stub over TLS in MODE, waiting until ready.
stub_start() {
    stub_mode=$1
    shift
    tls="--cert $WORK/tls.pem --key $WORK/tls.key"
    [ "${STUB_PLAIN:-0}" = 0 ] || tls=""
    rm -f "$ROOT"
    # shellcheck disable=SC2086 # tls is a list of words
    ac_spawn stub.log "$STUB" --port "$AC_ACME_PORT" --root-out "$ROOT" $tls \
        --http01-port "$AC_HTTP_PORT" --plain-port "$PLAIN_PORT" --mode "$stub_mode" "$@"
    STUB_PID=$AC_LAST_PID
    i=0
    while [ ! -s "$ROOT" ]; do
        i=$((i + 1))
        if [ "$i" -ge 250 ] || ! ac_alive "$STUB_PID"; then
            rc=0
            wait "$STUB_PID" 2>/dev/null || rc=$?
            [ "$rc" -ne 77 ] || { echo "SKIP: libmicrohttpd without TLS"; exit 77; }
            ac_fail "the stub did not start in mode $stub_mode"
        fi
        sleep 0.02
    done
}

# stub_stop: TERM, and a quicker wait than ac_stop's for a stub that ends in
# about 0.1 s; ac_stop then reaps it (or kills it after 5 s).
stub_stop() {
    kill -TERM "$STUB_PID" 2>/dev/null || true
    i=0
    while [ "$i" -lt 100 ] && [ "$(sed 's/.*) //' "/proc/$STUB_PID/stat" 2>/dev/null | cut -d' ' -f1)" = S ]; do
        sleep 0.02
        i=$((i + 1))
    done
    ac_stop "$STUB_PID"
}

# stub_requests ERE: how many requests matching ERE the stub answered.
stub_requests() {
    grep -cE "^stub: ($1) -> " "$WORK/stub.log" || true
}

# --- one case -----------------------------------------------------------------------
# hcase MODE [STUB ARGS...]: a new case: the stub in MODE, an empty cache.
hcase() {
    CASE=$1
    VIOLATION_OK=0
    MAX_LINES=30
    DIR_URL=$AC_DIRECTORY
    BUNDLE=$WORK/tls-ca.pem
    rm -rf "$CACHE" "$WORK/www"
    stub_start "$@"
}

# hobtain ARGS...: autocert obtain NAMES against the stub; ELAPSED is its time in s.
hobtain() {
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086 # AC_TOS and AC_HTTP_ARGS are lists of words
    ac_exec "obtain [$CASE] $*" obtain --directory "$DIR_URL" --ca-bundle "$BUNDLE" \
        --cache "$CACHE" ${AC_TOS---agree-tos} $AC_HTTP_ARGS "$@"
    ELAPSED=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}

# hfails ERE [BOUND]: the run failed within BOUND seconds (default 5) with one
# reason line matching ERE, printed nothing, stored nothing.
hfails() {
    ac_failed "[$CASE]"
    n=$(grep -c '^autocert: ' "$WORK/stderr" || true)
    [ "$n" -eq 1 ] || ac_fail "[$CASE] $n 'autocert:' lines, expected one"
    grep '^autocert: ' "$WORK/stderr" | grep -qE -- "$1" ||
        ac_fail "[$CASE] the reason does not match /$1/"
    [ ! -s "$WORK/stdout" ] || ac_fail "[$CASE] a failure printed on stdout"
    awk -v t="$ELAPSED" -v m="${2:-5}" 'BEGIN { exit !(t <= m) }' ||
        ac_fail "[$CASE] failing took $ELAPSED s, more than ${2:-5} s"
    if [ -n "${SEEDED:-}" ]; then
        (cd "$CACHE/certs/$N1" && sha256sum ./*) | cmp -s - "$WORK/seed.sum" ||
            ac_fail "[$CASE] the cached entry changed"
    else
        ac_no_cert "$N1"
    fi
    # No work directory or key left behind either (lock files stay).
    if [ -d "$CACHE/certs" ] && [ -n "$(find "$CACHE/certs" -mindepth 1 -maxdepth 1 \
        ! -name '.*.lock' ! -name "$N1")" ]; then
        ac_fail "[$CASE] left in the cache: $(ls -a "$CACHE/certs")"
    fi
}

# hok: the run stored a certificate that verifies against the stub's root.
hok() {
    [ "$AC_RC" -eq 0 ] || ac_fail "[$CASE] exited $AC_RC, expected success"
    ac_check_stdout "$N1"
    ac_check_cert "${1:-$NAMES}"
}

# hend: the checks of every case, then the stub stopped and its log checked.
hend() {
    e=$WORK/stderr
    iconv -f UTF-8 -t UTF-8 "$e" >/dev/null 2>&1 || ac_fail "[$CASE] stderr is not UTF-8"
    if tr -d '\n' <"$e" | LC_ALL=C grep -q '[[:cntrl:]]'; then
        ac_fail "[$CASE] stderr holds a control byte"
    fi
    # C1 controls, bidi controls, line and paragraph separators (as UTF-8).
    if LC_ALL=C grep -qP '\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]' "$e"; then
        ac_fail "[$CASE] stderr holds a C1 or bidi control or a line separator"
    fi
    if grep -qE '^(autocert: )?certificate stored OK' "$e"; then
        ac_fail "[$CASE] stderr holds a forged line"
    fi
    [ "$(wc -l <"$e")" -le "$MAX_LINES" ] || ac_fail "[$CASE] stderr has $(wc -l <"$e") lines"
    [ "$(wc -c <"$e")" -le 16384 ] || ac_fail "[$CASE] stderr has $(wc -c <"$e") bytes"
    stub_stop
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/stub.log"; then
        ac_fail "[$CASE] the stub reports a sanitizer error"
    fi
    ! grep -q 'PLAIN listener got' "$WORK/stub.log" ||
        ac_fail "[$CASE] a request was sent in clear: $(grep 'PLAIN' "$WORK/stub.log" | head -n 1)"
    if [ "$VIOLATION_OK" = 0 ] && grep -q 'VIOLATION' "$WORK/stub.log"; then
        ac_fail "[$CASE] $(grep VIOLATION "$WORK/stub.log" | head -n 1)"
    fi
    SEEDED=
    ac_ok "[$CASE] $(grep '^autocert: ' "$e" | head -n 1 | cut -c1-150)"
}

# fails MODE ERE [ARGS...]: a case that must fail with a reason matching ERE.
fails() {
    hcase "$1"
    ere=$2
    shift 2
    hobtain "$NAMES" "$@"
    hfails "$ere"
    hend
}

# fails_seeded MODE ERE [ARGS...]: as fails, with a good entry cached and
# --force: the entry stays as it was.
fails_seeded() {
    hcase "$1"
    ere=$2
    shift 2
    seed
    hobtain "$NAMES" --force "$@"
    hfails "$ere"
    hend
}

# succeeds MODE [ARGS...]: a case where the server's behaviour is legal.
succeeds() {
    hcase "$1"
    shift
    hobtain "$NAMES" "$@"
    hok
    hend
}

# seed: the cache holds a good entry for NAMES (from the baseline) and the
# run is a --force one; the entry must come out unchanged.
seed() {
    rm -rf "$CACHE"
    mkdir -p "$CACHE/certs"
    chmod 700 "$CACHE"
    cp -a "$WORK/seed" "$CACHE/certs/$N1"
    (cd "$CACHE/certs/$N1" && sha256sum ./*) >"$WORK/seed.sum"
    SEEDED=1
}

# --- successes ------------------------------------------------------------------------
hcase ok
hobtain "$NAMES"
hok
cp -a "$CACHE/certs/$N1" "$WORK/seed"
[ "$(stub_requests 'HEAD /nonce')" -le 1 ] || ac_fail "[$CASE] a new nonce fetched per request"
hend

hcase ok --http01-root "$WORK/www"
mkdir -p "$WORK/www"
hobtain "$NAMES" --webroot "$WORK/www"
hok
hend

# Every signature algorithm the client has (ES256 above, ES384, RS256), an IP address.
succeeds ok --account-key-type ec384
succeeds ok --account-key-type rsa2048
hcase ok
hobtain "$N1,127.0.0.1"
hok "$N1,127.0.0.1"
hend

# --allow-http against a stub that serves plain http: legal for a test CA.
STUB_PLAIN=1 hcase ok
CASE=plain
DIR_URL=http://127.0.0.1:$AC_ACME_PORT/dir
hobtain "$NAMES" --allow-http
hok
hend

# Without --allow-http a plain-http directory is refused before any request.
STUB_PLAIN=1 hcase ok
CASE=plain-refused
DIR_URL=http://127.0.0.1:$AC_ACME_PORT/dir
hobtain "$NAMES"
hfails 'refusing GET http://127\.0\.0\.1:[0-9]+/dir: not an https URL'
[ "$(stub_requests '.*')" -eq 0 ] || ac_fail "[$CASE] a request reached the plain stub"
hend

# --- transport --------------------------------------------------------------------------
# A CA bundle that does not vouch for the server: nothing reaches the stub.
hcase ok
BUNDLE=$ROOT
hobtain "$NAMES"
hfails 'GET https://127\.0\.0\.1:[0-9]+/dir: .*(SSL|certificate)'
[ "$(stub_requests '.*')" -eq 0 ] || ac_fail "[$CASE] a request reached the stub"
hend

# The responder is not where the CA looks.
hcase ok --http01-port "$AC_DEAD_PORT"
hobtain "$NAMES"
hfails 'validation of dns:stub\.example\.org failed: .*connection to 127\.0\.0\.1:[0-9]+ refused'
hend

# --- the directory -------------------------------------------------------------------------
fails dir-not-json 'ACME directory: response is not a JSON object'
fails dir-array 'ACME directory: response is not a JSON object \(wrong type\)'
fails dir-types "ACME directory .* has no 'newNonce'"
fails dir-no-nonce "ACME directory .* has no 'newNonce'"
fails dir-no-order "ACME directory .* has no 'newOrder'"
fails dir-2mib 'GET https://.*/dir: response larger than 1048576 bytes'
fails dir-endless 'GET https://.*/dir: response larger than 1048576 bytes'
for m in dir-slow dir-trickle dir-stall; do
    hcase "$m"
    hobtain "$NAMES" --timeout 2
    hfails 'GET https://.*/dir: .*timed out' 4
    hend
done
hcase dir-redirect
hobtain "$NAMES"
hfails 'ACME directory: .*\[HTTP 301\]'
[ "$(stub_requests 'GET /dir-moved')" -eq 0 ] || ac_fail "[$CASE] the redirect was followed"
hend

# --- URLs in clear, terms, EAB ---------------------------------------------------------------
fails acct-url-http 'refusing POST http://127\.0\.0\.1:[0-9]+/new-acct: not an https URL'
fails order-url-http 'refusing POST http://127\.0\.0\.1:[0-9]+/new-order: not an https URL'
hcase tos-hostile
AC_TOS='' hobtain "$NAMES"
hfails "the CA's terms of service \\(https://.*/tos\\^\\[\\[2J.*\\) must be agreed to"
[ "$(stub_requests 'POST .*')" -eq 0 ] || ac_fail "[$CASE] a signed request was sent"
hend
hcase eab-required
hobtain "$NAMES"
hfails 'requires External Account Binding'
[ "$(stub_requests 'POST .*')" -eq 0 ] || ac_fail "[$CASE] a signed request was sent"
hend

# --- nonces ------------------------------------------------------------------------------------
fails nonce-none 'new nonce: no Replay-Nonce header'
hcase nonce-bad-always
hobtain "$NAMES"
hfails 'new account: badNonce'
[ "$(stub_requests 'POST .*')" -le 21 ] || ac_fail "[$CASE] $(stub_requests 'POST .*') tries"
hend
succeeds nonce-bad-once
succeeds nonce-fresh-only

# --- Retry-After ----------------------------------------------------------------------------------
for m in ra-far-seconds ra-far-date ra-negative ra-garbage; do
    hcase "$m"
    hobtain "$NAMES"
    hfails 'new order: rateLimited: .*\[HTTP 429\]' 2
    [ "$(stub_requests 'POST /new-order')" -eq 1 ] || ac_fail "[$CASE] newOrder sent again"
    hend
done
hcase ra-past-date
hobtain "$NAMES"
hfails 'new order: rateLimited: .*\[HTTP 429\]' 2
[ "$(stub_requests 'POST /new-order')" -le 4 ] || ac_fail "[$CASE] newOrder sent $(stub_requests 'POST /new-order') times"
hend
hcase ra-503-forever
hobtain "$NAMES"
hfails 'new order: serverInternal: .*\[HTTP 503\]' 5
[ "$(stub_requests 'POST /new-order')" -le 4 ] || ac_fail "[$CASE] newOrder sent $(stub_requests 'POST /new-order') times"
hend
succeeds ra-429-once

# --- the account ------------------------------------------------------------------------------------
fails acct-no-location 'new account: no Location header'
succeeds acct-not-json
fails acct-location-hostile '^autocert: new account: the Location header is not a URL: https://127\.0\.0\.1:[0-9]+/acct/1\^\[\[2J\^\[\]0;owned\^G\^I\\x9b31m'
succeeds acct-location-long

# --- the order ----------------------------------------------------------------------------------------
fails order-not-json 'new order: response is not a JSON object'
fails order-no-location 'new order: no Location header'
fails order-location-hostile '^autocert: new order: the Location header is not a URL: https://127\.0\.0\.1:[0-9]+/order/1\^\[\[2J'
fails order-authz-string 'new order: no authorizations'
fails order-finalize-number 'order: no finalize URL'
hcase order-many-authz
hobtain "$NAMES"
hfails '^autocert: new order: 10000 authorizations for 2 identifiers: refused$'
[ "$(stub_requests 'POST /authz/[0-9]+')" -eq 0 ] || ac_fail "[$CASE] authorizations fetched"
hend
# libcurl may send the POST again on a new connection when the server closes
# a reused one without an answer; the stub hangs up on every newOrder.
fails order-hangup 'POST https://127\.0\.0\.1:[0-9]+/new-order: '
hcase order-redirect
hobtain "$NAMES"
hfails 'new order: unexpected HTTP status 302'
[ "$(stub_requests 'POST /order/1')" -eq 0 ] || ac_fail "[$CASE] the redirect was followed"
hend
hcase order-authz-valid
hobtain "$NAMES"
hok
[ "$(stub_requests 'POST /chal/[0-9]+')" -eq 0 ] || ac_fail "[$CASE] a challenge was answered"
hend
succeeds order-processing

# --- problem documents ------------------------------------------------------------------------------------
fails problem-hostile '^autocert: new order: unauthorized\^\[\[2J\^\[\]0;owned\^G\^M\^Jautocert: certificate stored OK'
hcase problem-hostile
MAX_LINES=60
hobtain "$NAMES" -v -v
hfails 'new order: unauthorized\^\[\[2J'
hend
hcase problem-many
hobtain "$NAMES"
hfails 'new order: rejectedIdentifier: 5000 names refused'
ac_stderr_has '^  \.\.\. and 4990 more subproblems'
hend
fails problem-not-json 'new order: unexpected HTTP status 403'
fails problem-type-number 'new order: unexpected HTTP status 403'
fails problem-types 'new order: unauthorized: \(no detail\) \[HTTP 403\]'
fails problem-long 'new order: unauthorized: AAAA'

# --- authorizations and tokens -------------------------------------------------------------------------------
fails authz-not-json 'authorization: response is not a JSON object'
fails authz-no-status '^autocert: the authorization of dns:stub\.example\.org has no status$'
succeeds authz-caps
# An authorization for a name that was not ordered is never answered.
hcase authz-unordered
hobtain "$NAMES"
hfails '^autocert: the CA sent an authorization for dns:other\.example\.net, which was not ordered: refused$'
[ "$(stub_requests 'POST /chal/[0-9]+')" -eq 0 ] || ac_fail "[$CASE] a challenge was answered"
hend
hcase authz-hostile-ident
hobtain "$NAMES"
hfails '^autocert: the CA sent an authorization for dns:evil\^\[\[2J\^\[\]0;owned\^G\^M\^J.*, which was not ordered: refused$'
[ "$(stub_requests 'POST /chal/[0-9]+')" -eq 0 ] || ac_fail "[$CASE] a challenge was answered"
hend
fails authz-no-challenges 'dns:stub\.example\.org: the server offers no http-01 challenge, the type chosen \(it offers: none\)'
for m in token-long token-empty token-bad token-number; do
    hcase "$m"
    hobtain "$NAMES"
    hfails 'dns:stub\.example\.org: malformed http-01 challenge'
    [ "$(stub_requests 'POST /chal/[0-9]+')" -eq 0 ] || ac_fail "[$CASE] a challenge was answered"
    hend
done
hcase token-dotdot --http01-root "$WORK/www"
mkdir -p "$WORK/www"
hobtain "$NAMES" --webroot "$WORK/www"
hfails 'dns:stub\.example\.org: malformed http-01 challenge'
[ -z "$(find "$WORK" -name 'escape*')" ] || ac_fail "[$CASE] a file was written: $(find "$WORK" -name 'escape*')"
[ -z "$(find "$WORK/www" -type f)" ] || ac_fail "[$CASE] a file was left in the webroot"
hend

# --- stuck and failed ------------------------------------------------------------------------------------------
hcase authz-invalid
hobtain "$NAMES"
hfails 'validation of dns:stub\.example\.org failed: unauthorized: \^\[\[2J'
hend
# Stuck: the client gives up within --timeout; a Retry-After past it fails at once.
for m in authz-stuck order-stuck; do
    what=order
    [ "$m" = order-stuck ] || what=authorization
    hcase "$m"
    hobtain "$NAMES" --timeout 2
    hfails "gave up waiting for $what"': the next try would be in [0-9.]+ s, past the 2 s timeout \([0-9.]+ s left\)$' 4
    hend
done
for m in authz-stuck-ra order-stuck-ra; do
    what=order
    [ "$m" = order-stuck-ra ] || what=authorization
    hcase "$m"
    hobtain "$NAMES"
    hfails "gave up waiting for $what"': the next try would be in 86400 s, past the [0-9]+ s timeout \([0-9.]+ s left\)$' 2
    hend
done
fails_seeded order-invalid 'finalize: badCSR\^\[\[2J'

# --- the certificate ----------------------------------------------------------------------------------------------
fails_seeded order-status-number '^autocert: the finalized order has no status$'
fails_seeded order-cert-number 'order is valid but has no certificate URL'
fails_seeded cert-no-url 'order is valid but has no certificate URL'
fails_seeded cert-url-http 'refusing POST http://127\.0\.0\.1:[0-9]+/cert/1: not an https URL'
fails_seeded cert-2mib 'POST https://.*/cert/1: response larger than 1048576 bytes'
fails_seeded cert-endless 'POST https://.*/cert/1: response larger than 1048576 bytes'
hcase cert-trickle
seed
hobtain "$NAMES" --force --timeout 2
hfails 'POST https://.*/cert/1: .*timed out' 4
hend
fails_seeded cert-extra-name "certificate that also names 'extra\.example\.net', which was not ordered"
fails_seeded cert-missing-name 'certificate that does not name www\.stub\.example\.org, which was ordered'
fails_seeded cert-other-key 'certificate for another key'
fails_seeded cert-expired 'certificate that is not valid now'
fails_seeded cert-future 'certificate that is not valid now'
fails_seeded cert-wrong-intermediate 'certificate 2 of the chain .* did not issue certificate 1'
fails_seeded cert-garbage-pem 'certificate download: certificate 2 does not decode'
fails_seeded cert-not-pem 'certificate download: no PEM certificate'
fails_seeded cert-12 'certificate download: more than 10 certificates'
# The leaf alone: stored, with a warning.
hcase cert-leaf-alone
hobtain "$NAMES"
[ "$AC_RC" -eq 0 ] || ac_fail "[$CASE] exited $AC_RC, expected success"
ac_check_stdout "$N1"
ac_stderr_has '^autocert: warning: the CA sent the certificate without its chain'
ac_sans "$CACHE/certs/$N1/cert.pem" | tr '\n' , | grep -qx "$NAMES," || ac_fail "[$CASE] wrong names"
openssl pkey -in "$CACHE/certs/$N1/privkey.pem" -pubout | cmp -s - "$(openssl x509 -in \
    "$CACHE/certs/$N1/cert.pem" -noout -pubkey >"$WORK/pub" && echo "$WORK/pub")" ||
    ac_fail "[$CASE] the key does not match"
[ ! -s "$CACHE/certs/$N1/chain.pem" ] || ac_fail "[$CASE] chain.pem is not empty"
hend

ac_done
