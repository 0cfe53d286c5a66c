#!/bin/sh
# obtain_dns01.sh: DNS-01 through a hook against Pebble and pebble-challtestsrv: one name, a wildcard with its base name, a failing hook, a hanging one, refusals before any request.
AC_TEST_SLOT=21
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble
# The hook of the test: logs its arguments and variables, fails or hangs when
# told to, else publishes through scripts/dns-hook-challtestsrv.sh, which
# Pebble's DNS (pebble-challtestsrv) serves.
CHALLTESTSRV_URL=http://127.0.0.1:$AC_CHALL_PORT
HOOK_LOG=$WORK/hook.log
export CHALLTESTSRV_URL HOOK_LOG
cat >"$WORK/hook.sh" <<'HOOK'
#!/bin/sh
echo "$1 $2 $3 | $AUTOCERT_DNS_ACTION $AUTOCERT_DNS_NAME $AUTOCERT_DNS_VALUE $AUTOCERT_IDENTIFIER | $#" >>"$HOOK_LOG"
ls -l /proc/$$/fd >>"$HOOK_LOG.fds"
if [ "$1" = add ]; then
    case ${HOOK_MODE:-} in
    fail) echo "hook: refusing on purpose" >&2; exit 1 ;;
    hang) sleep 60 & echo $! >"$HOOK_LOG.sleep"; wait; exit 0 ;;
    esac
fi
exec sh "$top_srcdir/scripts/dns-hook-challtestsrv.sh" "$@"
HOOK
chmod +x "$WORK/hook.sh"
HOOK="'$WORK/hook.sh' \"\$@\""

dns01() {
    ac_obtain --challenge dns-01 --dns-hook "$HOOK" "$@"
}

# hook_lines ACTION: the log lines of one action.
hook_lines() {
    grep -c "^$1 " "$HOOK_LOG" || true
}

# --- one name --------------------------------------------------------------------
: >"$HOOK_LOG"
dns01 one.example.test
[ "$AC_RC" -eq 0 ] || ac_fail "dns-01 for one.example.test exited $AC_RC"
ac_check_stdout one.example.test
ac_check_cert one.example.test
[ "$(hook_lines add)" -eq 1 ] && [ "$(hook_lines remove)" -eq 1 ] ||
    ac_fail "expected one add and one remove: $(cat "$HOOK_LOG")"
# Arguments and variables agree; the value is base64url of a SHA-256 (43 characters).
line=$(grep '^add ' "$HOOK_LOG")
set -- $line
[ "$2" = _acme-challenge.one.example.test ] || ac_fail "record name '$2'"
printf %s "$3" | grep -qxE '[A-Za-z0-9_-]{43}' || ac_fail "TXT value '$3' is not 43 base64url characters"
[ "$5 $6 $7 $8 ${10}" = "add $2 $3 one.example.test 3" ] || ac_fail "hook variables or argument count: $line"
grep -q "^remove _acme-challenge.one.example.test $3 " "$HOOK_LOG" ||
    ac_fail "remove does not name the record added: $(cat "$HOOK_LOG")"
# Called while the order holds its connection to the CA and the entry's
# lock: neither is handed down (the shell's own script and pipes aside).
grep -q ' 2 -> ' "$HOOK_LOG.fds" || ac_fail "the hook listed no descriptors"
! grep -E "socket:|$CACHE" "$HOOK_LOG.fds" ||
    ac_fail "the hook inherited a connection or a file of the cache"
ac_ok "one name over dns-01: add, then remove, with arguments and variables, no descriptor inherited"

# --- a wildcard and its base name in one certificate, set through the variables --
: >"$HOOK_LOG"
AUTOCERT_CHALLENGE=dns-01 AUTOCERT_DNS_HOOK=$HOOK ac_obtain 'example.test,*.example.test'
[ "$AC_RC" -eq 0 ] || ac_fail "dns-01 for example.test,*.example.test exited $AC_RC"
ac_check_cert 'example.test,*.example.test'
[ "$(hook_lines add)" -eq 2 ] && [ "$(hook_lines remove)" -eq 2 ] ||
    ac_fail "expected two adds and two removes: $(cat "$HOOK_LOG")"
[ "$(grep '^add ' "$HOOK_LOG" | cut -d' ' -f2 | sort -u)" = _acme-challenge.example.test ] ||
    ac_fail "both records are not at _acme-challenge.example.test: $(cat "$HOOK_LOG")"
[ "$(grep '^add ' "$HOOK_LOG" | cut -d' ' -f3 | sort -u | wc -l)" -eq 2 ] ||
    ac_fail "the two TXT values are not different"
# Every record is published before the first is removed (and before any answer).
[ "$(sed -n '1,2p' "$HOOK_LOG" | cut -d' ' -f1 | tr '\n' ' ')" = "add add " ] ||
    ac_fail "the adds do not come first: $(cat "$HOOK_LOG")"
ac_ok "*.example.test and example.test: two TXT values at one name"

# A wildcard alone: its entry is +.<base>; it is found again as cached.
dns01 '*.wild.example.test'
[ "$AC_RC" -eq 0 ] || ac_fail "dns-01 for *.wild.example.test exited $AC_RC"
[ "$(ac_sans "$CACHE/certs/+.wild.example.test/cert.pem")" = '*.wild.example.test' ] ||
    ac_fail "the wildcard entry's SANs: $(ac_sans "$CACHE/certs/+.wild.example.test/cert.pem")"
dns01 -v '*.wild.example.test'
[ "$AC_RC" -eq 2 ] || ac_fail "the cached wildcard certificate was not found again (exit $AC_RC)"
[ "$(ac_requests)" -eq 0 ] || ac_fail "the cached wildcard made requests"
ac_autocert inspect --cache "$CACHE" --cached '*.wild.example.test'
[ "$AC_RC" -eq 0 ] && grep -qF '*.wild.example.test' "$WORK/stdout" ||
    ac_fail "inspect --cached '*.wild.example.test' did not find it"
ac_autocert list --cache "$CACHE"
grep -q '^+\.wild\.example\.test	' "$WORK/stdout" || ac_fail "list does not show +.wild.example.test"
ac_autocert inspect --cache "$CACHE" --cached '+.wild.example.test'
[ "$AC_RC" -eq 0 ] || ac_fail "inspect --cached +.wild.example.test did not find it"
ac_ok "a wildcard alone: entry +.wild.example.test, cached on the second run, found by either name"

# --- a failing hook: nothing stored, the record removed all the same ---------------
: >"$HOOK_LOG"
HOOK_MODE=fail dns01 fail.example.test
ac_failed "a failing hook"
ac_stderr_names "DNS hook failed for add _acme-challenge.fail.example.test: exit status 1 (command: $HOOK)"
ac_stderr_names "refusing on purpose"
ac_no_cert fail.example.test
[ "$(hook_lines remove)" -eq 1 ] || ac_fail "no remove after the failed add: $(cat "$HOOK_LOG")"
ac_ok "a failing hook fails the order, stores nothing, and its record is removed"

# --- a hook that hangs: stopped at its time limit, then at the operation's ---------
for limit in "--hook-timeout 2" "--timeout 4"; do
    : >"$HOOK_LOG"
    rm -f "$HOOK_LOG.sleep"
    start=$(date +%s)
    # shellcheck disable=SC2086 # limit is two words
    HOOK_MODE=hang dns01 $limit hang.example.test
    took=$(($(date +%s) - start))
    ac_failed "a hanging hook ($limit)"
    ac_stderr_names "DNS hook for add _acme-challenge.hang.example.test did not finish within"
    [ "$took" -le 10 ] || ac_fail "a hanging hook with $limit took $took s"
    ac_no_cert hang.example.test
    [ "$(hook_lines remove)" -eq 1 ] || ac_fail "no remove after the hung add: $(cat "$HOOK_LOG")"
    [ -s "$HOOK_LOG.sleep" ] || ac_fail "the hanging hook did not start its sleep"
    # Gone, or a zombie (dead, waiting for an init that may never reap it).
    pid=$(cat "$HOOK_LOG.sleep")
    state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
    if [ -n "$state" ] && [ "$state" != Z ]; then
        kill "$pid" 2>/dev/null || true
        ac_fail "the hook's child outlived the hook (state $state)"
    fi
    ac_ok "a hanging hook is stopped with its children ($limit, $took s)"
done

# --- refused before any request ------------------------------------------------------
: >"$HOOK_LOG"
AC_DIRECTORY="https://127.0.0.1:$AC_DEAD_PORT/dir"
refused() {
    ac_obtain -v "$@"
    ac_failed "obtain $*"
    [ "$(ac_requests)" -eq 0 ] || ac_fail "obtain $* made requests"
}
refused '*.example.test'
ac_stderr_has "invalid name '\*\.example\.test': a wildcard name needs --challenge dns-01"
refused --challenge http-01 'example.test,*.example.test'
ac_stderr_names "--challenge dns-01"
refused --challenge dns-01 example.test
ac_stderr_names "--challenge dns-01 needs --dns-hook"
AUTOCERT_CHALLENGE=dns-01 refused example.test
ac_stderr_names "AUTOCERT_CHALLENGE dns-01 needs --dns-hook"
refused --dns-hook "$HOOK" example.test
ac_stderr_names "--dns-hook is used only with --challenge dns-01"
ac_obtain --challenge dns-02 example.test
ac_failed "obtain --challenge dns-02"
ac_stderr_names "invalid --challenge 'dns-02' (http-01 or dns-01)"
[ ! -s "$HOOK_LOG" ] || ac_fail "a refused run ran the hook"
ac_ok "refused before any request: wildcards without dns-01, dns-01 without a hook, and the reverse"

ac_done
