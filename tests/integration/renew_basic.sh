#!/bin/sh
# renew_basic.sh: autocert renew against Pebble: not due, due, dry run, hooks, parallel jobs, failures and backoff, the weekly limit, metrics.
AC_TEST_SLOT=30
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble

# ac_renew ARGS...: `autocert renew` with the test cache and CA bundle (see ac_exec).
ac_renew() {
    # shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
    ac_exec "renew $*" renew --ca-bundle "$WORK/tls-ca.pem" --cache "$CACHE" $AC_HTTP_ARGS "$@"
}
# serial NAME: the serial of the cached certificate of NAME.
serial() {
    openssl x509 -in "$CACHE/certs/$1/cert.pem" -noout -serial
}
# renewal NAME MEMBER: a member of the renewal state in NAME's meta.json ("" when absent).
renewal() {
    jq -r ".renewal.$2 // \"\"" "$CACHE/certs/$1/meta.json"
}

ac_obtain_ok a.example
ac_obtain_ok b.example,www.b.example
lifetime=$(($(jq .not_after "$CACHE/certs/a.example/meta.json") - $(jq .not_before "$CACHE/certs/a.example/meta.json")))
days=$((lifetime / 86400 + 1)) # due at once with --days $days
[ "$days" -le 3650 ] || ac_fail "Pebble's certificates live $lifetime s: --days cannot reach"

# 1. Nothing due.  The first run learns that this CA has no renewal
#    information (ARI): one request, its directory, for both entries, and
#    the next check recorded in each; the second run asks nothing, writes nothing.
# On the Pebble with ARI (AC_PEBBLE=new) each entry's window is asked for
# instead (its directory and its renewalInfo), and asked again after 6 hours.
if [ "$AC_PEBBLE_IS_NEW" = 1 ]; then
    want_requests=4 ahead=21000 rule="the CA's renewal window \\(ARI\\)"
else
    want_requests=1 ahead=86000 rule="a third of its lifetime left"
fi
ac_renew -v
[ "$AC_RC" -eq 2 ] || ac_fail "renew with nothing due exited $AC_RC, expected 2"
[ "$(ac_requests)" = "$want_requests" ] ||
    ac_fail "the first renew made $(ac_requests) requests, expected $want_requests"
for e in a.example b.example; do
    next=$(jq '.renewal.ari.next_check // 0' "$CACHE/certs/$e/meta.json")
    [ "$next" -gt $(($(date +%s) + ahead)) ] || ac_fail "$e: no ARI check planned ahead ($next)"
done
sums=$(cat "$CACHE"/certs/*/* | md5sum)
ac_renew -v
[ "$AC_RC" -eq 2 ] || ac_fail "renew with nothing due exited $AC_RC, expected 2"
[ "$(ac_requests)" = 0 ] || ac_fail "renew with nothing due made $(ac_requests) requests"
grep -qE "^a\.example	not due	until .*$rule" "$WORK/stdout" ||
    ac_fail "no 'not due' line for a.example: $(cat "$WORK/stdout")"
[ "$(cat "$CACHE"/certs/*/* | md5sum)" = "$sums" ] || ac_fail "renew with nothing due wrote"
ac_ok "nothing due: exit 2; a CA without ARI asked once a day, else no request and nothing written"

# 2. One entry due, the deploy hook sees its files; the other is left alone.
old_a=$(serial a.example)
old_b=$(serial b.example)
ac_renew --days "$days" --cert a.example \
    --deploy-hook "env | grep '^AUTOCERT_' | sort >'$WORK/deploy.env'; echo hook-out; ls /proc/\$\$/fd | sort -n | tr '\n' ' ' >'$WORK/deploy.fds'"
[ "$AC_RC" -eq 0 ] || ac_fail "renew of a due certificate exited $AC_RC: $(cat "$WORK/stderr")"
[ "$(serial a.example)" != "$old_a" ] || ac_fail "a.example was not renewed"
[ "$(serial b.example)" = "$old_b" ] || ac_fail "b.example was renewed without --cert naming it"
ac_check_cert a.example
grep -qx "AUTOCERT_NAME=a.example" "$WORK/deploy.env" || ac_fail "deploy hook: AUTOCERT_NAME"
grep -qx "AUTOCERT_FULLCHAIN=$CACHE/certs/a.example/fullchain.pem" "$WORK/deploy.env" ||
    ac_fail "deploy hook: AUTOCERT_FULLCHAIN: $(cat "$WORK/deploy.env")"
grep -qx "AUTOCERT_KEY=$CACHE/certs/a.example/privkey.pem" "$WORK/deploy.env" ||
    ac_fail "deploy hook: AUTOCERT_KEY"
grep -qx "AUTOCERT_CERT=$CACHE/certs/a.example/cert.pem" "$WORK/deploy.env" ||
    ac_fail "deploy hook: AUTOCERT_CERT"
grep -qx "AUTOCERT_CHAIN=$CACHE/certs/a.example/chain.pem" "$WORK/deploy.env" ||
    ac_fail "deploy hook: AUTOCERT_CHAIN"
grep -qx "AUTOCERT_IDENTIFIERS=a.example" "$WORK/deploy.env" || ac_fail "deploy hook: AUTOCERT_IDENTIFIERS"
! grep -q hook-out "$WORK/stdout" || ac_fail "the hook's output reached standard output"
# No connection to the CA, cache lock or other descriptor is handed down.
[ "$(cat "$WORK/deploy.fds")" = "0 1 2 " ] ||
    ac_fail "the deploy hook inherited descriptors: $(cat "$WORK/deploy.fds")"
grep -q hook-out "$WORK/stderr" || ac_fail "the hook's output is lost"
[ -n "$(renewal a.example last_success)" ] || ac_fail "no last_success recorded"
[ "$(jq '.renewal.orders | length' "$CACHE/certs/a.example/meta.json")" = 1 ] ||
    ac_fail "the order is not recorded"
ac_ok "due certificate renewed, deploy hook ran with its files, the other left alone"

# 3. Dry run: ordered and checked, nothing stored, no hook.
sums=$(cat "$CACHE"/certs/*/* | md5sum)
rm -f "$WORK/deploy.env"
ac_renew --days "$days" --dry-run --deploy-hook "touch '$WORK/deploy.env'"
[ "$AC_RC" -eq 0 ] || ac_fail "dry run exited $AC_RC: $(cat "$WORK/stderr")"
[ "$(grep -c 'checked (dry run)' "$WORK/stdout")" = 2 ] || ac_fail "dry run: $(cat "$WORK/stdout")"
[ "$(cat "$CACHE"/certs/*/* | md5sum)" = "$sums" ] || ac_fail "the dry run stored something"
[ ! -e "$WORK/deploy.env" ] || ac_fail "the dry run ran the deploy hook"
ac_ok "dry run: both ordered and checked, nothing stored, no hook"

# 4. Two at once on one responder, JSON lines.
ac_renew --days "$days" --jobs 2 --json
[ "$AC_RC" -eq 0 ] || ac_fail "renew --jobs 2 exited $AC_RC: $(cat "$WORK/stderr")"
[ "$(jq -r 'select(.outcome == "renewed") | .name' "$WORK/stdout" | sort | tr '\n' ' ')" = "a.example b.example " ] ||
    ac_fail "--json: $(cat "$WORK/stdout")"
ac_check_cert a.example
ac_check_cert b.example,www.b.example
ac_ok "two renewed in parallel through one responder, JSON lines"

# 5. A failure (the CA cannot reach the responder): the certificate stays,
#    the failure is recorded, the failure hook runs; the next run backs off.
#    Pebble hands back an authorization it validated before one order in a
#    hundred even with PEBBLE_AUTHZREUSE=0 (it draws rand.Intn(100) > 0): no
#    validation is then needed and the renewal rightly succeeds.  Such a run
#    is tried once more.
AC_HTTP_ARGS_SAVED=$AC_HTTP_ARGS
AC_HTTP_ARGS="--http-port $AC_DEAD_PORT --bind 127.0.0.1"
for try in 1 2; do
    old_a=$(serial a.example)
    ac_renew --days "$days" --cert a.example --timeout 10 \
        --failure-hook "echo \"\$AUTOCERT_NAME \$AUTOCERT_FAILURES\" >'$WORK/failure.txt'"
    [ "$AC_RC" -eq 0 ] && grep -q 'already authorized' "$WORK/stderr" || break
    echo "  Pebble reused a valid authorization (try $try): once more"
done
AC_HTTP_ARGS=$AC_HTTP_ARGS_SAVED
ac_failed "renew with the responder out of reach"
ac_stderr_names "a.example"
[ "$(serial a.example)" = "$old_a" ] || ac_fail "the certificate changed after a failure"
[ "$(cat "$WORK/failure.txt")" = "a.example 1" ] || ac_fail "failure hook: $(cat "$WORK/failure.txt" 2>&1)"
[ "$(renewal a.example failures)" = 1 ] || ac_fail "failures recorded: $(renewal a.example failures)"
[ -n "$(renewal a.example last_error)" ] || ac_fail "no last_error recorded"
next=$(renewal a.example next_try)
now=$(date +%s)
[ "$next" -ge $((now + 30)) ] && [ "$next" -le $((now + 61)) ] || ac_fail "next_try $next, now $now"
rm -f "$WORK/failure.txt"
ac_renew -v --days "$days" --cert a.example --failure-hook "touch '$WORK/failure.txt'"
[ "$AC_RC" -eq 1 ] || ac_fail "a run inside the backoff exited $AC_RC, expected 1"
[ "$(ac_requests)" = 0 ] || ac_fail "a run inside the backoff made requests"
ac_stderr_has 'waiting until .*backing off after 1 failed renewal'
ac_stderr_names 'backing off after 1 failed renewal (--force orders now)'
grep -qE '^autocert: a\.example: due since [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC, waiting until [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC: .*\(--force orders now\)$' "$WORK/stderr" ||
    ac_fail "the waiting line: $(cat "$WORK/stderr")"
[ ! -e "$WORK/failure.txt" ] || ac_fail "the failure hook ran again inside the backoff"
ac_ok "failure recorded with a 1-minute backoff; the next run waits without a request"

# list shows the plan and the failure, from the metadata.
ac_autocert list --cache "$CACHE"
grep -qE "^a\.example	expires .*	a\.example	renew [0-9-]* \((a third of its lifetime left|the CA's renewal window \(ARI\))\)	1 failed: validation of dns:a\.example" "$WORK/stdout" ||
    ac_fail "list: $(cat "$WORK/stdout")"
ac_autocert list --json --cache "$CACHE"
[ "$(jq -r 'select(.name == "a.example") | "\(.failures) \(.issuer)"' "$WORK/stdout")" = "1 $(openssl x509 -in "$CACHE/certs/a.example/cert.pem" -noout -issuer -nameopt multiline | sed -n 's/^ *commonName *= //p')" ] ||
    ac_fail "list --json: $(cat "$WORK/stdout")"
jq -e 'select(.name == "b.example") | .identifiers == ["b.example", "www.b.example"] and .failures == 0 and .last_error == null and .renew_at > .not_before' "$WORK/stdout" >/dev/null ||
    ac_fail "list --json for b.example: $(cat "$WORK/stdout")"
ac_ok "list and list --json show the renewal plan, the issuer and the last failure"

# 6. --force renews through the backoff and clears it.
ac_renew --days "$days" --cert a.example --force
[ "$AC_RC" -eq 0 ] || ac_fail "renew --force exited $AC_RC: $(cat "$WORK/stderr")"
[ "$(renewal a.example failures)" = 0 ] || ac_fail "failures not cleared by a renewal"
ac_ok "--force renews through the backoff, which the success clears"

# 7. The weekly limit: orders so far 1 (2.) + 1 (4.) + 1 (5., failed) + 1 (6.),
#    and one more for each try of 5. in which Pebble reused an authorization.
orders() {
    jq '.renewal.orders | length' "$CACHE/certs/a.example/meta.json"
}
[ "$(orders)" -ge 4 ] && [ "$(orders)" -le 5 ] || ac_fail "orders recorded: $(orders)"
if [ "$(orders)" -lt 5 ]; then
    ac_renew --days "$days" --cert a.example
    [ "$AC_RC" -eq 0 ] || ac_fail "the fifth order was refused: $(cat "$WORK/stderr")"
fi
ac_renew -v --days "$days" --cert a.example
[ "$AC_RC" -eq 1 ] || ac_fail "a sixth order in a week: exit $AC_RC"
[ "$(ac_requests)" = 0 ] || ac_fail "the weekly limit made requests"
ac_stderr_names '5 orders for these names in the last 7 days (--force orders now)'
ac_ok "a sixth order of one entry in a week is refused without --force"

# 8. Metrics.
ac_renew --metrics-file "$WORK/autocert.prom"
grep -q "^autocert_certificate_not_after_seconds{name=\"b.example\"} [0-9]" "$WORK/autocert.prom" ||
    ac_fail "metrics: $(cat "$WORK/autocert.prom")"
grep -q "^autocert_certificate_consecutive_failures{name=\"a.example\"} 0" "$WORK/autocert.prom" ||
    ac_fail "metrics: consecutive failures of a.example"
grep -q "^autocert_certificate_last_failure_seconds{name=\"a.example\"} [1-9]" "$WORK/autocert.prom" ||
    ac_fail "metrics: last failure of a.example"
grep -q '^# TYPE autocert_certificate_renewal_planned_seconds gauge' "$WORK/autocert.prom" ||
    ac_fail "metrics: no TYPE line"
ac_ok "metrics file written"

# 9. Bad input.
ac_renew --cert nosuch.example
ac_failed "renew --cert nosuch.example"
ac_stderr_names "nosuch.example"
ac_renew a.example
ac_failed "renew with an operand"
ac_stderr_has "unexpected argument 'a\.example'.*--cert"
ac_renew --jobs 0
ac_failed "renew --jobs 0"
ac_stderr_has "invalid --jobs '0'"
ac_ok "bad input named"

# 10. The shipped systemd unit and cron line: their commands run as written.
cmd=$(sed -n 's|^ExecStart=[^ ]* ||p' "$top_srcdir/scripts/autocert-renew.service" |
    sed "s|/var/lib/autocert/autocert.prom|$WORK/unit.prom|")
[ -n "$cmd" ] || ac_fail "no ExecStart in autocert-renew.service"
# shellcheck disable=SC2086 # the unit's command line, split into words as systemd does
ac_exec "(unit) $cmd" $cmd --ca-bundle "$WORK/tls-ca.pem" --cache "$CACHE"
[ "$AC_RC" -eq 2 ] || ac_fail "the unit's command exited $AC_RC (SuccessExitStatus=2): $(cat "$WORK/stderr")"
grep -q '^SuccessExitStatus=2$' "$top_srcdir/scripts/autocert-renew.service" ||
    ac_fail "the unit does not take exit 2 as success"
[ -s "$WORK/unit.prom" ] || ac_fail "the unit's metrics file was not written"
line=$(sh "$top_srcdir/scripts/cron-line.sh" someone "$AUTOCERT_BIN" | grep -v '^#')
minute=$(echo "$line" | cut -d' ' -f1)
[ "$minute" -ge 0 ] && [ "$minute" -le 59 ] || ac_fail "cron line: minute '$minute'"
cron_cmd=$(echo "$line" | cut -d' ' -f7-)
set +e
AUTOCERT_CACHE=$CACHE AUTOCERT_CA_BUNDLE=$WORK/tls-ca.pem sh -c "$cron_cmd" >"$WORK/stdout" 2>"$WORK/stderr"
rc=$?
set -e
[ "$rc" -eq 0 ] || ac_fail "the cron line's command exited $rc: $(cat "$WORK/stderr")"
[ ! -s "$WORK/stdout" ] && [ ! -s "$WORK/stderr" ] || ac_fail "the cron line printed with nothing due"
ac_ok "systemd unit and cron line run as shipped"

# 11. A deploy hook that hangs is stopped at its time limit; the renewal stays.
old_b=$(serial b.example)
ac_renew --days "$days" --cert b.example --deploy-hook 'sleep 60' --hook-timeout 1
ac_failed "renew with a deploy hook that hangs"
ac_stderr_has "deploy hook 'sleep 60' did not finish in 1 s"
[ "$(serial b.example)" != "$old_b" ] || ac_fail "the renewal was undone by its hook"
ac_ok "a hanging deploy hook stopped after 1 s; the renewal kept"

# 12. The CA stopped: the certificate stays, the failure is recorded, and a
#     run inside the backoff makes no request.
stop_pebble
old_b=$(serial b.example)
ac_renew --days "$days" --cert b.example --timeout 10
ac_failed "renew with the CA stopped"
[ "$(serial b.example)" = "$old_b" ] || ac_fail "the certificate changed with the CA stopped"
[ "$(renewal b.example failures)" = 1 ] || ac_fail "the failure was not recorded"
ac_renew -v --days "$days" --cert b.example
[ "$AC_RC" -eq 1 ] && [ "$(ac_requests)" = 0 ] || ac_fail "inside the backoff: exit $AC_RC, $(ac_requests) requests"
ac_ok "CA stopped: certificate kept, failure recorded, the next run waits without a request"

ac_done
