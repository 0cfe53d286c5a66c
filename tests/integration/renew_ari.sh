#!/bin/sh
# renew_ari.sh: renew on the Pebble with ARI and profiles: the CA's window kept with its Retry-After and its chosen time, the checks of one run sharing the directory and a connection, "renew now" checked by a dry run (sending no replaces) and renewed with replaces, the old window never driving another renewal, a malformed window ignored, the lifetime rule of a short-lived certificate, a profile change.
AC_TEST_SLOT=32
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

ac_require_pebble_ari
start_pebble new profiles=default:7776000,shortlived:576000

ac_renew() {
    # shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
    ac_exec "renew $*" renew --ca-bundle "$WORK/tls-ca.pem" --cache "$CACHE" $AC_HTTP_ARGS "$@"
}
meta() {
    echo "$CACHE/certs/$1/meta.json"
}
serial() {
    openssl x509 -in "$CACHE/certs/$1/cert.pem" -noout -serial
}
# ask_again NAME: as if the stored Retry-After had passed.
ask_again() {
    jq '.renewal.ari.next_check = 1' "$(meta "$1")" >"$WORK/meta.tmp"
    cat "$WORK/meta.tmp" >"$(meta "$1")"
}
pebble_count() {
    grep -cF -- "$1" "$WORK/pebble.log" || true
}

ac_obtain_ok a.example --profile default
ac_obtain_ok s.example --profile shortlived
[ "$(jq -r .profile "$(meta s.example)")" = shortlived ] || ac_fail "the profile is not in meta.json"

# 1. Not due: the window asked for, a time chosen in it, kept with the
#    Retry-After; the next run asks nothing.
ac_renew -v
[ "$AC_RC" -eq 2 ] || ac_fail "renew of fresh certificates exited $AC_RC: $(cat "$WORK/stderr")"
now=$(date +%s)
for e in a.example s.example; do
    jq -e --argjson now "$now" '.renewal.ari | .start < .chosen and .chosen < .end and
        .next_check > $now + 21000 and .next_check <= $now + 21600 and (.cert_id | test("^[A-Za-z0-9_-]+[.][A-Za-z0-9_-]+$"))' \
        "$(meta $e)" >/dev/null || ac_fail "$e: ARI state $(jq -c .renewal.ari "$(meta $e)")"
done
grep -q "^a\\.example	not due	until .*(the CA's renewal window (ARI))" "$WORK/stdout" ||
    ac_fail "not due by the window: $(cat "$WORK/stdout")"
sums=$(cat "$CACHE"/certs/*/* | md5sum)
ac_renew -v
[ "$AC_RC" -eq 2 ] && [ "$(ac_requests)" = 0 ] || ac_fail "before the Retry-After: exit $AC_RC, $(ac_requests) requests"
[ "$(cat "$CACHE"/certs/*/* | md5sum)" = "$sums" ] || ac_fail "a run with nothing to do wrote"
# Asked again after the Retry-After, the same window keeps the time chosen
# in it: a new draw at every fetch would pull renewals towards its start.
chosen=$(jq .renewal.ari.chosen "$(meta a.example)")
ask_again a.example
ac_renew -v --cert a.example
[ "$AC_RC" -eq 2 ] && [ "$(ac_requests)" -gt 0 ] || ac_fail "after the Retry-After: exit $AC_RC, $(ac_requests) requests"
[ "$(jq .renewal.ari.chosen "$(meta a.example)")" = "$chosen" ] ||
    ac_fail "the same window fetched again moved the chosen time: $chosen, now $(jq -c .renewal.ari "$(meta a.example)")"
[ "$(jq .renewal.ari.next_check "$(meta a.example)")" -gt $((now + 21000)) ] || ac_fail "no new Retry-After kept"
ac_ok "window kept with its Retry-After; no request before it; the same window keeps its chosen time"

# Both entries due for an ARI check: the run GETs the directory once and
# keeps its one connection, N + 1 requests, not 2N on N connections.
ask_again a.example
ask_again s.example
ac_renew -v
[ "$AC_RC" -eq 2 ] && [ "$(ac_requests)" = 3 ] ||
    ac_fail "two entries due for an ARI check: exit $AC_RC, $(ac_requests) requests, not 3"
grep -qx "connections: 1" "$WORK/stderr" ||
    ac_fail "two entries due for an ARI check: $(grep '^connections:' "$WORK/stderr"), not 1"
ac_ok "two ARI checks in one run: the directory once, one connection"

# 2. "Renew now" (a window in the past): renewed at once, replacing the old one.
ac_pebble_replaceable a.example --profile default
old=$(serial a.example)
cp "$CACHE/certs/a.example/cert.pem" "$WORK/old-a.pem"
t=$(date +%s)
ac_set_ari "$WORK/old-a.pem" "{\"suggestedWindow\": {\"start\": \"$(ac_iso $((t - 7200)))\", \"end\": \"$(ac_iso $((t - 3600)))\"}}"
ask_again a.example
replaced=$(pebble_count "has been marked as replaced")
# A dry run first: it orders, on the window it fetched and did not store,
# but replaces nothing, so it sends no "replaces".
ac_renew --cert a.example --dry-run
[ "$AC_RC" -eq 0 ] || ac_fail "dry run after 'renew now' exited $AC_RC: $(cat "$WORK/stderr")"
grep -q "^a\\.example	checked (dry run)" "$WORK/stdout" || ac_fail "dry run: $(cat "$WORK/stdout")"
[ "$(serial a.example)" = "$old" ] || ac_fail "the dry run stored a certificate"
[ "$(pebble_count "has been marked as replaced")" -eq "$replaced" ] ||
    ac_fail "the dry run had the CA mark the cached certificate replaced"
ac_renew --cert a.example
[ "$AC_RC" -eq 0 ] || ac_fail "renew after 'renew now' exited $AC_RC: $(cat "$WORK/stderr")"
ac_stderr_lacks alreadyReplaced
[ "$(serial a.example)" != "$old" ] || ac_fail "not renewed"
[ "$(pebble_count "has been marked as replaced")" -eq $((replaced + 1)) ] || ac_fail "the order did not replace the old certificate"
[ "$(jq -r .profile "$(meta a.example)")" = default ] || ac_fail "the profile was not kept"
jq -e '.renewal.ari == null' "$(meta a.example)" >/dev/null || ac_fail "the old window came along"
ac_ok "a window in the past: a dry run orders without replaces; renewed at once, with replaces"

# 3. The window of the replaced certificate never drives another renewal:
#    the new one's is asked for, and it is not due.
orders=$(pebble_count "POST /order-plz")
for i in 1 2 3; do
    ac_renew --cert a.example
    [ "$AC_RC" -eq 2 ] || ac_fail "run $i after the renewal exited $AC_RC: $(cat "$WORK/stdout" "$WORK/stderr")"
    ask_again a.example
done
[ "$(pebble_count "POST /order-plz")" -eq "$orders" ] || ac_fail "a renewed certificate was ordered again"
ac_ok "after the renewal, three runs order nothing"

# 4. A malformed window (end before start): ignored with a warning, not used.
cp "$CACHE/certs/a.example/cert.pem" "$WORK/a.pem"
t=$(date +%s)
ac_set_ari "$WORK/a.pem" "{\"suggestedWindow\": {\"start\": \"$(ac_iso $((t - 3600)))\", \"end\": \"$(ac_iso $((t - 7200)))\"}}"
ask_again a.example
ac_renew --cert a.example
[ "$AC_RC" -eq 2 ] || ac_fail "a malformed window made renew exit $AC_RC"
ac_stderr_has "a\\.example: the CA's renewal window is ignored"
grep -q "a third of its lifetime left" "$WORK/stdout" || ac_fail "not back on the lifetime rule: $(cat "$WORK/stdout")"
ac_ok "a malformed window: warned, the lifetime rule stands"

# 5. The lifetime rule of a short-lived certificate without a window: due
#    with half its 160 hours left (its metadata moved 81 hours into the past).
jq '.not_before -= 291600 | .not_after -= 291600 | .renewal.ari = {"next_check": 9999999999}' \
    "$(meta s.example)" >"$WORK/meta.tmp"
cat "$WORK/meta.tmp" >"$(meta s.example)"
ac_renew --cert s.example
[ "$AC_RC" -eq 0 ] || ac_fail "the short-lived certificate at half its life: exit $AC_RC: $(cat "$WORK/stderr")"
grep -q "^s\\.example	renewed	.*(half of its lifetime left)" "$WORK/stdout" || ac_fail "$(cat "$WORK/stdout")"
ac_ok "short-lived: renewed with half its lifetime left"

# 6. Another profile asked for makes the certificate due.
ac_renew --cert a.example --profile shortlived
[ "$AC_RC" -eq 0 ] || ac_fail "a profile change: exit $AC_RC: $(cat "$WORK/stderr")"
grep -q "the profile changed to shortlived" "$WORK/stdout" || ac_fail "$(cat "$WORK/stdout")"
[ "$(jq -r .profile "$(meta a.example)")" = shortlived ] || ac_fail "the new profile is not recorded"
life=$(($(jq .not_after "$(meta a.example)") - $(jq .not_before "$(meta a.example)")))
[ "$life" -ge 575990 ] && [ "$life" -le 576010 ] || ac_fail "after the change the certificate lives $life s"
ac_ok "a profile change renews under the new profile"

# 7. A window that has started (and not ended) is acted on at once.
old=$(serial a.example)
cp "$CACHE/certs/a.example/cert.pem" "$WORK/a.pem"
t=$(date +%s)
ac_set_ari "$WORK/a.pem" "{\"suggestedWindow\": {\"start\": \"$(ac_iso $((t - 60)))\", \"end\": \"$(ac_iso $((t + 86400)))\"}}"
ask_again a.example
ac_renew --cert a.example
[ "$AC_RC" -eq 0 ] && [ "$(serial a.example)" != "$old" ] || ac_fail "a started window: exit $AC_RC, not renewed"
ac_ok "a window that has started: renewed at once"

ac_done
