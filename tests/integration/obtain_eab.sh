#!/bin/sh
# obtain_eab.sh: External Account Binding required by the CA.
AC_TEST_SLOT=5
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble eab
name=eab.example.org

ac_obtain_fails "$name"
ac_stderr_has 'external[ _-]?account'
# The library says what is missing; the command line names the flags.
ac_stderr_names '(pass --eab-kid and --eab-hmac-key from your CA account)'
[ "$(grep -c '^autocert: ' "$WORK/stderr")" -eq 1 ] || ac_fail "not one error line"
ac_no_cert "$name"
[ "$(ac_count_accounts)" -eq 0 ] || ac_fail "an account was cached without EAB"
ac_ok "no EAB: refused with a clear reason"

# A key of another kid does not bind.
ac_obtain_fails "$name" --eab-kid "$AC_EAB_KID" \
    --eab-hmac-key b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH
ac_no_cert "$name"
[ "$(ac_count_accounts)" -eq 0 ] || ac_fail "an account was cached with a wrong EAB key"
ac_ok "wrong EAB key: refused"

ac_obtain_ok "$name" --eab-kid "$AC_EAB_KID" --eab-hmac-key "$AC_EAB_KEY"
ac_check_stdout "$name"
ac_check_cert "$name"
[ "$(ac_count_accounts)" -eq 1 ] || ac_fail "expected one account, found $(ac_count_accounts)"

# The bound account is reused without the EAB options.
ac_obtain_ok second.example.org
ac_check_cert second.example.org
[ "$(ac_count_accounts)" -eq 1 ] || ac_fail "expected one account, found $(ac_count_accounts)"

ac_done
