#!/bin/sh
# obtain_cli.sh: the command line of obtain: option values checked and named (the flag,
# or the variable when the value came from the environment), the command line over the
# environment, -q and -v before or after the command name, the hint for the terms of
# service.
AC_TEST_SLOT=9
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble

# refused NAME STRING: the last obtain failed with one error line containing STRING,
# before anything was requested or written.
refused() {
    ac_failed "autocert obtain $1"
    ac_stderr_names "$2"
    [ "$(wc -l <"$WORK/stderr")" -eq 1 ] || ac_fail "more than the error line on stderr"
    ac_no_cert "$1"
    ac_ok "refused: $(cat "$WORK/stderr")"
}

# 1. A bad value names the flag and the value.
ac_obtain bad.example.org --http-port 0
refused bad.example.org "invalid --http-port '0'"
ac_obtain bad.example.org --key-type dsa
refused bad.example.org "invalid --key-type 'dsa'"
ac_obtain bad.example.org --email not-an-address
refused bad.example.org "invalid --email 'not-an-address'"
ac_obtain bad.example.org --bind nowhere
refused bad.example.org "invalid --bind 'nowhere'"
ac_obtain bad.example.org --timeout 1x
refused bad.example.org "invalid --timeout '1x'"

# 2. A bad value from the environment names the variable, not the flag.
export AUTOCERT_HTTP_PORT=abc
ac_obtain bad.example.org
unset AUTOCERT_HTTP_PORT
refused bad.example.org "invalid AUTOCERT_HTTP_PORT 'abc'"
ac_stderr_lacks '--http-port'
export AUTOCERT_KEY_TYPE=ed25519
ac_obtain bad.example.org
unset AUTOCERT_KEY_TYPE
refused bad.example.org "invalid AUTOCERT_KEY_TYPE 'ed25519'"
# (Without --agree-tos, which would win over the variable.)
export AUTOCERT_AGREE_TOS=maybe
AC_TOS=
ac_obtain bad.example.org
unset AUTOCERT_AGREE_TOS AC_TOS
refused bad.example.org "invalid AUTOCERT_AGREE_TOS 'maybe'"
# The MAC key is a secret: named, never printed.
export AUTOCERT_EAB_HMAC_KEY='not base64url!'
ac_obtain bad.example.org --eab-kid kid-1
unset AUTOCERT_EAB_HMAC_KEY
refused bad.example.org "invalid AUTOCERT_EAB_HMAC_KEY"
ac_stderr_lacks 'not base64url!'

# 3. The command line wins over the environment, whose value is then not even read.
export AUTOCERT_KEY_TYPE=dsa
ac_obtain_ok flag.example.org --key-type ec384
unset AUTOCERT_KEY_TYPE
ac_check_cert flag.example.org
[ "$(ac_key_type "$CACHE/certs/flag.example.org/privkey.pem")" = ec384 ] ||
    ac_fail "--key-type ec384 lost to AUTOCERT_KEY_TYPE"
ac_ok "the flag won over the variable"
export AUTOCERT_KEY_TYPE=rsa2048
ac_obtain_ok env.example.org
unset AUTOCERT_KEY_TYPE
[ "$(ac_key_type "$CACHE/certs/env.example.org/privkey.pem")" = rsa2048 ] ||
    ac_fail "AUTOCERT_KEY_TYPE=rsa2048 was ignored"
ac_ok "the variable applies without the flag"

# 4. -q: no progress on stderr, the result on stdout; before or after the command name.
ac_obtain_ok loud.example.org
ac_stderr_has 'ordering a certificate'
ac_obtain_ok quiet.example.org -q
ac_check_stdout quiet.example.org
ac_check_cert quiet.example.org
[ ! -s "$WORK/stderr" ] || ac_fail "obtain -q wrote to stderr"
AC_PRE_ARGS=-q
ac_obtain_ok quiet2.example.org
AC_PRE_ARGS=
ac_check_stdout quiet2.example.org
[ ! -s "$WORK/stderr" ] || ac_fail "autocert -q obtain wrote to stderr"
ac_ok "-q silences the progress, before and after the command name"

# 5. -v before or after the command name; twice (once on each side): protocol detail.
protocol_lines() {
    grep -cE '^(GET|POST|HEAD) https://[^ ]+ -> [0-9]{3} \(' "$WORK/stderr" || true
}
AC_PRE_ARGS=-v
ac_obtain_ok v1.example.org
AC_PRE_ARGS=
[ "$(ac_requests)" -gt 0 ] || ac_fail "autocert -v obtain: no request count"
[ "$(protocol_lines)" -eq 0 ] || ac_fail "one -v showed protocol detail"
ac_obtain_ok v2.example.org -v
[ "$(ac_requests)" -gt 0 ] || ac_fail "autocert obtain -v: no request count"
[ "$(protocol_lines)" -eq 0 ] || ac_fail "one -v showed protocol detail"
AC_PRE_ARGS=-v
ac_obtain_ok v3.example.org -v
AC_PRE_ARGS=
n=$(ac_requests)
[ "$(protocol_lines)" -eq "$n" ] ||
    ac_fail "-v twice showed $(protocol_lines) protocol lines for $n requests"
ac_ok "-v before and after the command name; twice: one line per request"

# 6. The terms of service: without --agree-tos a new account is refused, and the
# command line names the flag; the variable agrees as well.
CACHE=$WORK/cache-tos
AC_TOS=
ac_obtain_fails tos.example.org
ac_stderr_has 'terms of service'
ac_stderr_names '(pass --agree-tos)'
[ "$(grep -c '^autocert: ' "$WORK/stderr")" -eq 1 ] || ac_fail "not one error line"
ac_no_cert tos.example.org
export AUTOCERT_AGREE_TOS=no
ac_obtain_fails tos.example.org
ac_stderr_names '(pass --agree-tos)'
export AUTOCERT_AGREE_TOS=yes
ac_obtain_ok tos.example.org
unset AUTOCERT_AGREE_TOS AC_TOS
ac_check_cert tos.example.org
ac_ok "terms of service: refused with the hint; AUTOCERT_AGREE_TOS=yes agrees"

ac_done
