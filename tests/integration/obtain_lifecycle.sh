#!/bin/sh
# obtain_lifecycle.sh: revoke (account key, certificate key) then obtain anew; account show, update, rollover (then an order with the new key), deactivate (then a new account); the preferred chain among Pebble's alternates.
AC_TEST_SLOT=47
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

ac_require_pebble
start_pebble altroots=1

# ac_cmd ARGS...: autocert ARGS with the test CA's trust and cache.
ac_cmd() {
    ac_exec "$*" "$@" --ca-bundle "$WORK/tls-ca.pem" --cache "$CACHE"
}

# ac_account SUB ARGS...: autocert account SUB against the test Pebble.
ac_account() {
    ac_cmd account "$@" --directory "$AC_DIRECTORY"
}

# ac_serial NAME: the serial of the cached certificate, hex.
ac_serial() {
    openssl x509 -in "$CACHE/certs/$1/cert.pem" -noout -serial | sed 's/^serial=//'
}

# ac_status NAME: what Pebble says of the cached certificate (Valid, Revoked).
ac_status() {
    ac_mgmt "cert-status-by-serial/$(ac_serial "$1")" >"$WORK/status.json" ||
        ac_fail "Pebble does not know the certificate of $1"
    sed -n 's/.*"Status": *"\([A-Za-z]*\)".*/\1/p' "$WORK/status.json" | head -n 1
}

# ac_field NAME: the value of the line "NAME: value" of the last stdout.
ac_field() {
    sed -n "s/^$1: //p" "$WORK/stdout" | head -n 1
}

ac_account_url() {
    sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' "$CACHE"/accounts/*/account.json
}

# ---- revoke with the account key, then obtain anew ---------------------------
ac_obtain_ok revoke.test
ac_check_cert revoke.test
serial1=$(ac_serial revoke.test)
[ "$(ac_status revoke.test)" = Valid ] || ac_fail "a new certificate is not Valid at Pebble"
ac_cmd revoke revoke.test --reason keyCompromise
[ "$AC_RC" -eq 0 ] || ac_fail "revoke exited $AC_RC"
grep -qx 'revoked: revoke.test (keyCompromise)' "$WORK/stdout" || ac_fail "revoke said: $(cat "$WORK/stdout")"
[ "$(ac_status revoke.test)" = Revoked ] || ac_fail "Pebble says $(cat "$WORK/status.json") after revoke"
grep -q '"revoked_reason": "keyCompromise"' "$CACHE/certs/revoke.test/meta.json" ||
    ac_fail "meta.json is not marked revoked"
grep -q '"revoked_at": [1-9]' "$CACHE/certs/revoke.test/meta.json" || ac_fail "meta.json has no revoked_at"
ac_ok "revoked with the account key: Pebble says Revoked, the entry is marked"

# Once more: the CA says so, exit 1, the entry stays marked.
ac_cmd revoke revoke.test --reason superseded
ac_failed "revoke of a revoked certificate"
ac_stderr_names alreadyRevoked
ac_stderr_has "marked"
grep -q '"revoked_reason": "superseded"' "$CACHE/certs/revoke.test/meta.json" ||
    ac_fail "meta.json is not marked after alreadyRevoked"
ac_ok "a certificate revoked already: said, exit 1, still marked"

# The next obtain replaces it, without --force.
ac_obtain_ok revoke.test
ac_stderr_has "was revoked"
ac_check_cert revoke.test
[ "$(ac_serial revoke.test)" != "$serial1" ] || ac_fail "obtain kept the revoked certificate"
if grep -q revoked "$CACHE/certs/revoke.test/meta.json"; then
    ac_fail "the new certificate's meta.json carries the old mark"
fi
ac_obtain_cached revoke.test
ac_ok "obtain after revoke ordered a new certificate, then found it good"

# ---- revoke with the certificate's key ---------------------------------------------
ac_cmd revoke revoke.test --with-cert-key -v
[ "$AC_RC" -eq 0 ] || ac_fail "revoke --with-cert-key exited $AC_RC"
ac_stderr_has "signed with the certificate key"
[ "$(ac_status revoke.test)" = Revoked ] || ac_fail "Pebble says $(cat "$WORK/status.json") after revoke --with-cert-key"
serial2=$(ac_serial revoke.test)
# shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
ac_cmd renew --cert revoke.test $AC_HTTP_ARGS
[ "$AC_RC" -eq 0 ] || ac_fail "renew of a revoked certificate exited $AC_RC"
[ "$(ac_serial revoke.test)" != "$serial2" ] || ac_fail "renew kept the revoked certificate"
ac_check_cert revoke.test
ac_ok "revoked with the certificate key, then renewed"

# Input errors name the input.
ac_cmd revoke nothing.test
ac_failed "revoke of a name not in the cache"
ac_stderr_names nothing.test
ac_cmd revoke revoke.test --reason cACompromise
ac_failed "revoke with a reason a subscriber may not give"
ac_stderr_names "--reason 'cACompromise'"

# ---- the account -------------------------------------------------------------------
ac_account show
[ "$AC_RC" -eq 0 ] || ac_fail "account show exited $AC_RC"
url=$(ac_field url)
thumb1=$(ac_field thumbprint)
[ "$url" = "$(ac_account_url)" ] || ac_fail "account show names $url, the cache $(ac_account_url)"
[ "$(ac_field key)" = ec256 ] || ac_fail "account key is $(ac_field key)"
[ "$(ac_field status)" = valid ] || ac_fail "account status is $(ac_field status)"
[ "$(ac_field contact)" = "(none)" ] || ac_fail "account contact is $(ac_field contact)"
ac_ok "account show: $url"

ac_account update --email ops@example.org
[ "$AC_RC" -eq 0 ] || ac_fail "account update exited $AC_RC"
ac_account show
[ "$(ac_field contact)" = mailto:ops@example.org ] || ac_fail "contact after update: $(ac_field contact)"
ac_account update
ac_failed "account update without --email"
ac_stderr_names "--email"
ac_ok "account update changed the contact"

ac_account rollover --account-key-type ec384
[ "$AC_RC" -eq 0 ] || ac_fail "account rollover exited $AC_RC"
[ "$(ac_field key)" = ec384 ] || ac_fail "key after rollover: $(ac_field key)"
[ "$(ac_field thumbprint)" != "$thumb1" ] || ac_fail "rollover kept the thumbprint"
[ "$(ac_field url)" = "$url" ] || ac_fail "rollover changed the account URL"
[ "$(ac_key_type "$CACHE"/accounts/*/account.key)" = ec384 ] || ac_fail "account.key is not the new key"
[ "$(ac_mode "$CACHE"/accounts/*/account.key)" = 600 ] || ac_fail "the new account.key is not 0600"
if ls "$CACHE"/accounts/*/account.key.rollover >/dev/null 2>&1; then
    ac_fail "the recovery copy of the new key stayed"
fi
ac_obtain_ok rolled.test
ac_check_cert rolled.test
[ "$(ac_count_accounts)" -eq 1 ] || ac_fail "an order after rollover registered another account"
[ "$(ac_account_url)" = "$url" ] || ac_fail "an order after rollover used another account"
ac_ok "account rollover: the next order is signed with the new key by the same account"

ac_account deactivate
[ "$AC_RC" -eq 0 ] || ac_fail "account deactivate exited $AC_RC"
[ "$(ac_field status)" = deactivated ] || ac_fail "status after deactivate: $(ac_field status)"
ac_account show
ac_failed "account show of a deactivated account"
ac_stderr_has "deactivated"
ac_obtain_ok after.test
ac_stderr_has "registering a new account"
[ "$(ac_account_url)" != "$url" ] || ac_fail "obtain after deactivate used the old account"
ac_account show
if [ "$AC_RC" -ne 0 ] || [ "$(ac_field status)" != valid ]; then
    ac_fail "the new account is not valid"
fi
ac_ok "account deactivate: the next obtain registered a new account"

ac_exec "account show (no account)" account show --directory "https://127.0.0.1:$AC_DEAD_PORT/dir" \
    --cache "$CACHE"
ac_failed "account show without a cached account"
ac_stderr_has "no account of https://127.0.0.1:$AC_DEAD_PORT/dir"

# ---- the preferred chain --------------------------------------------------------------
ac_mgmt roots/0 >"$WORK/root0.pem" || ac_fail "no roots/0"
ac_mgmt roots/1 >"$WORK/root1.pem" || ac_fail "no roots/1 (PEBBLE_ALTERNATE_ROOTS)"
cn_of() {
    openssl x509 -in "$1" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p'
}
# issuer_of_top FILE: the issuer CN of the last certificate of FILE.
issuer_of_top() {
    awk '/BEGIN CERTIFICATE/ { n++; out = "" } { out = out $0 "\n" } END { printf "%s", out }' \
        "$1" >"$WORK/top.pem"
    openssl x509 -in "$WORK/top.pem" -noout -issuer -nameopt multiline |
        sed -n 's/^ *commonName *= *//p'
}
cn0=$(cn_of "$WORK/root0.pem")
cn1=$(cn_of "$WORK/root1.pem")
if [ -z "$cn0" ] || [ -z "$cn1" ] || [ "$cn0" = "$cn1" ]; then
    ac_fail "roots: '$cn0' and '$cn1'"
fi

ac_obtain_ok alt.test --preferred-chain "$cn1"
ac_stderr_has "alternate chain"
[ "$(issuer_of_top "$CACHE/certs/alt.test/chain.pem")" = "$cn1" ] ||
    ac_fail "chain.pem ends at '$(issuer_of_top "$CACHE/certs/alt.test/chain.pem")', not '$cn1'"
openssl verify -CAfile "$WORK/root1.pem" -untrusted "$CACHE/certs/alt.test/chain.pem" \
    "$CACHE/certs/alt.test/cert.pem" >/dev/null 2>&1 || ac_fail "the alternate chain does not verify to $cn1"
if openssl verify -CAfile "$WORK/root0.pem" -untrusted "$CACHE/certs/alt.test/chain.pem" \
    "$CACHE/certs/alt.test/cert.pem" >/dev/null 2>&1; then
    ac_fail "the chain chosen for $cn1 verifies to $cn0"
fi
ac_ok "--preferred-chain '$cn1' stored the alternate chain"
# shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
ac_cmd renew --cert alt.test --force --preferred-chain "$cn1" $AC_HTTP_ARGS
[ "$AC_RC" -eq 0 ] || ac_fail "renew --preferred-chain exited $AC_RC"
[ "$(issuer_of_top "$CACHE/certs/alt.test/chain.pem")" = "$cn1" ] ||
    ac_fail "renew --preferred-chain '$cn1' stored another chain"
ac_ok "renew --preferred-chain kept the alternate chain"

AUTOCERT_PREFERRED_CHAIN=$cn0 ac_obtain_ok default.test
[ "$(issuer_of_top "$CACHE/certs/default.test/chain.pem")" = "$cn0" ] ||
    ac_fail "AUTOCERT_PREFERRED_CHAIN=$cn0 did not keep the default chain"
ac_obtain_ok none.test --preferred-chain "No Such Root X1"
ac_stderr_has "keeping the default chain"
ac_stderr_names "No Such Root X1"
[ "$(issuer_of_top "$CACHE/certs/none.test/chain.pem")" = "$cn0" ] ||
    ac_fail "an unknown preferred chain did not keep the default"
ac_ok "the default chain when it is preferred or nothing matches"

ac_done
