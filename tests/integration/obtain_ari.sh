#!/bin/sh
# obtain_ari.sh: on the Pebble with ARI and profiles: --profile, an unknown profile refused before any order, the ARI window of a stored certificate before and after "renew now", a malformed window, replaces and alreadyReplaced.
AC_TEST_SLOT=27
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

ac_require_pebble_ari
tool=$top_builddir/tests/tools/ari_check
[ -x "$tool" ] || ac_fail "no $tool (make check builds it)"
start_pebble new profiles=default:7776000,shortlived:576000
name=ari.example.org
cert=$CACHE/certs/$name/cert.pem

pebble_count() {
    grep -cF -- "$1" "$WORK/pebble.log" || true
}

# lifetime FILE: notAfter - notBefore of a certificate, in seconds.
lifetime() {
    ac_nb=$(openssl x509 -in "$1" -noout -startdate | sed 's/^notBefore=//')
    ac_na=$(openssl x509 -in "$1" -noout -enddate | sed 's/^notAfter=//')
    echo $(($(date -u -d "$ac_na" +%s) - $(date -u -d "$ac_nb" +%s)))
}

# ari KEY: the value of "KEY: value" in the last ari_check output.
ari() {
    sed -n "s/^$1: //p" "$WORK/ari.out"
}

# ari_tool ARGS...: runs ari_check, output in $WORK/ari.out, status in AC_RC.
ari_tool() {
    set +e
    timeout -k 5 60 "$tool" "$@" >"$WORK/ari.out" 2>&1
    AC_RC=$?
    set -e
    sed 's/^/  /' "$WORK/ari.out"
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/ari.out"; then
        ac_fail "sanitizer report from ari_check"
    fi
}

# ari_fetch: the tool's view of the stored certificate's renewal window.
ari_fetch() {
    ari_tool fetch "$AC_DIRECTORY" "$WORK/tls-ca.pem" "$cert"
}

# ari_replace: an order for $name replacing the stored certificate.
ari_replace() {
    ari_tool order "$AC_DIRECTORY" "$WORK/tls-ca.pem" "$CACHE" "$AC_HTTP_PORT" "$cert" "$name"
}

# set_ari JSON: Pebble answers JSON for the stored certificate from now on.
set_ari() {
    ac_set_ari "$cert" "$1"
}

iso() {
    ac_iso "$1"
}

# 1. A profile the CA does not offer: refused before any account or order,
#    naming those it offers.
ac_obtain_fails "$name" --profile tlsserver
ac_stderr_names "does not offer the profile 'tlsserver'"
ac_stderr_has "it offers: (default, shortlived|shortlived, default)"
[ "$(pebble_count "POST /order-plz")" -eq 0 ] || ac_fail "an order was placed for an unknown profile"
[ "$(pebble_count "POST /sign-me-up")" -eq 0 ] || ac_fail "an account was registered for an unknown profile"
ac_no_cert "$name"
ac_ok "an unknown profile is refused before any request but the directory"

# 2. --profile shortlived: a 160-hour certificate; the variable works alike.
ac_obtain_ok "$name" --profile shortlived
ac_check_cert "$name"
life=$(lifetime "$cert")
[ "$life" -ge 575990 ] && [ "$life" -le 576010 ] ||
    ac_fail "a shortlived certificate lives $life s, expected 576000 (160 h)"
ac_ok "--profile shortlived: a certificate of $life s"
AUTOCERT_PROFILE=default ac_obtain_ok default.example.org
life=$(lifetime "$CACHE/certs/default.example.org/cert.pem")
[ "$life" -ge 7775990 ] && [ "$life" -le 7776010 ] ||
    ac_fail "AUTOCERT_PROFILE=default gave a certificate of $life s, expected 7776000 (90 days)"
ac_ok "AUTOCERT_PROFILE=default: a certificate of $life s"

# 3. An IP address without --profile: under "shortlived", which the CA offers.
ac_obtain_ok 127.0.0.1 -v
ac_stderr_names "ordering under the CA's profile 'shortlived'"
life=$(lifetime "$CACHE/certs/127.0.0.1/cert.pem")
[ "$life" -ge 575990 ] && [ "$life" -le 576010 ] ||
    ac_fail "the IP address certificate lives $life s, expected 576000"
ac_ok "an IP address went under shortlived"

# 4. The renewal window of the stored certificate, by the ID computed here.
ac_pebble_replaceable "$name" --profile shortlived
aki=$(openssl x509 -in "$cert" -noout -ext authorityKeyIdentifier |
    sed -n 's/^ *\(keyid:\)\{0,1\}\([0-9A-Fa-f][0-9A-Fa-f]\(:[0-9A-Fa-f][0-9A-Fa-f]\)*\) *$/\2/p' | head -n 1 | tr -d ':')
serial=$(openssl x509 -in "$cert" -noout -serial | sed 's/^serial=//')
case $serial in [89A-Fa-f]*) serial=00$serial ;; esac
[ $((${#serial} % 2)) -eq 0 ] || serial=0$serial
b64url() {
    xxd -r -p | base64 -w0 | tr '+/' '-_' | tr -d '='
}
want_id="$(printf '%s' "$aki" | b64url).$(printf '%s' "$serial" | b64url)"
ari_fetch
[ "$AC_RC" -eq 0 ] || ac_fail "ari_check fetch failed"
[ "$(ari id)" = "$want_id" ] || ac_fail "certificate ID $(ari id), expected $want_id"
ra=$(ari retry-after)
[ "$ra" -ge 21590 ] && [ "$ra" -le 21600 ] || ac_fail "Retry-After taken as $ra s, expected 21600"
na=$(date -u -d "$(openssl x509 -in "$cert" -noout -enddate | sed 's/^notAfter=//')" +%s)
# Pebble: notAfter - validity/3, give or take a day.
mid=$((na - 576000 / 3))
[ "$(ari start)" = "$(iso $((mid - 86400)))" ] || ac_fail "window starts $(ari start), expected $(iso $((mid - 86400)))"
[ "$(ari end)" = "$(iso $((mid + 86400)))" ] || ac_fail "window ends $(ari end), expected $(iso $((mid + 86400)))"
[ "$(ari due)" = later ] || ac_fail "a fresh certificate is due: $(ari due)"
[ "$(ari explanation)" = - ] || ac_fail "an explanation URL out of nowhere: $(ari explanation)"
ac_ok "window $(ari start) .. $(ari end), ask again in $ra s, renew at $(ari renew-at)"

# 5. "Renew now": a window that has passed, with an explanation.
now=$(date -u +%s)
set_ari "{\"suggestedWindow\": {\"start\": \"$(iso $((now - 7200)))\", \"end\": \"$(iso $((now - 3600)))\"}, \"explanationURL\": \"https://ca.example/incident\"}"
ari_fetch
[ "$AC_RC" -eq 0 ] || ac_fail "ari_check fetch failed after set-renewal-info"
[ "$(ari start)" = "$(iso $((now - 7200)))" ] && [ "$(ari end)" = "$(iso $((now - 3600)))" ] ||
    ac_fail "the window set is not the window fetched"
[ "$(ari explanation)" = https://ca.example/incident ] || ac_fail "explanation URL $(ari explanation)"
[ "$(ari due)" = now ] || ac_fail "a window that has passed is not due now"
ac_ok "a window in the past: due now, explanation $(ari explanation)"

# 6. A malformed window: an error of its own kind (PROTOCOL, 7), with its reason.
set_ari "{\"suggestedWindow\": {\"start\": \"$(iso $((now + 7200)))\", \"end\": \"$(iso $((now + 3600)))\"}}"
ari_fetch
[ "$AC_RC" -eq 1 ] || ac_fail "a window ending before its start was taken"
grep -q '^error: 7 .*at or before its start' "$WORK/ari.out" || ac_fail "no PROTOCOL error naming the window"
[ "$(ari retry-after)" -ge 21590 ] || ac_fail "no time to ask again after a malformed window"
ac_ok "a window ending before its start is refused"

# 7. An order replacing the certificate; a second one gets alreadyReplaced and
#    is placed once more without "replaces".
orders=$(pebble_count "POST /order-plz")
ari_replace
[ "$AC_RC" -eq 0 ] && [ "$(ari replaces)" = sent ] && [ "$(ari issued)" = yes ] ||
    ac_fail "the replacing order failed"
[ "$(pebble_count "POST /order-plz")" -eq $((orders + 1)) ] || ac_fail "not exactly one order"
grep -q "has been marked as replaced" "$WORK/pebble.log" || ac_fail "Pebble did not mark the certificate replaced"
ari_replace
[ "$AC_RC" -eq 0 ] && [ "$(ari replaces)" = dropped ] && [ "$(ari issued)" = yes ] ||
    ac_fail "the second replacing order did not go through without replaces"
[ "$(pebble_count "POST /order-plz")" -eq $((orders + 3)) ] ||
    ac_fail "alreadyReplaced: $(($(pebble_count "POST /order-plz") - orders - 1)) more orders, expected 2"
ac_ok "replaces: accepted once, then alreadyReplaced and one order without it"

ac_done
