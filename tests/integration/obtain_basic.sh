#!/bin/sh
# obtain_basic.sh: one name; a second run uses the cache (exit 2); --force reuses the account.
AC_TEST_SLOT=1
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble
name=one.example.org
certdir=$CACHE/certs/$name

# pebble_count TEXT: how many lines of Pebble's log contain TEXT.
pebble_count() {
    grep -cF -- "$1" "$WORK/pebble.log" || true
}

# 1. New account, new certificate.
ac_obtain_ok "$name" --email admin@example.org -v
ac_check_stdout "$name"
ac_check_cert "$name"
n=$(ac_requests)
[ "$n" -gt 0 ] || ac_fail "a first run reported 'requests: $n'"
ac_ok "first run made $n requests"
conns=$(sed -n 's/^connections: //p' "$WORK/stderr")
[ "$conns" = 1 ] || ac_fail "the first run opened '$conns' connections, expected one kept-alive connection"
ac_ok "one connection served the whole run"
[ "$(ac_count_accounts)" -eq 1 ] || ac_fail "expected one account, found $(ac_count_accounts)"
acct=$(find "$CACHE/accounts" -mindepth 1 -maxdepth 1 -type d)
[ -s "$acct/account.key" ] || ac_fail "no $acct/account.key"
[ -s "$acct/account.json" ] || ac_fail "no $acct/account.json"
[ "$(ac_mode "$CACHE/accounts")" = 700 ] || [ "$(ac_mode "$CACHE/accounts")" = 755 ] ||
    ac_fail "accounts dir mode $(ac_mode "$CACHE/accounts")"
cp "$certdir/fullchain.pem" "$WORK/first.pem"
orders=$(pebble_count "POST /order-plz")
accounts=$(pebble_count "accounts in memory")
[ "$orders" -eq 1 ] || ac_fail "Pebble saw $orders orders, expected 1"
[ "$accounts" -eq 1 ] || ac_fail "Pebble created $accounts accounts, expected 1"

# 2. Cached and not due: no request at all, same files, exit status 2.
ac_obtain_cached "$name" -v
ac_check_stdout "$name"
grep -qw cached "$WORK/stderr" || ac_fail "stderr has no line saying the certificate is cached"
cmp -s "$WORK/first.pem" "$certdir/fullchain.pem" || ac_fail "fullchain.pem changed on a cached run"
n=$(ac_requests)
[ "$n" -eq 0 ] || ac_fail "a cached run reported 'requests: $n', expected 0"
[ "$(pebble_count "POST /order-plz")" -eq "$orders" ] || ac_fail "a cached run placed an order"
ac_check_cert "$name"
ac_ok "second run used the cache and exited 2"

# For cron: `obtain && reload` reloads only after a new certificate; -q keeps
# stderr empty on a cached run.
AC_PRE_ARGS=-q
ac_obtain_cached "$name"
AC_PRE_ARGS=
[ ! -s "$WORK/stderr" ] || ac_fail "a quiet cached run wrote to stderr"
ac_check_stdout "$name"
ac_ok "a quiet cached run: exit 2, nothing on stderr"

# 3. --force: a new certificate with the same account.
ac_obtain_ok "$name" --force -v
ac_check_stdout "$name"
ac_check_cert "$name"
if cmp -s "$WORK/first.pem" "$certdir/fullchain.pem"; then
    ac_fail "--force left fullchain.pem unchanged"
fi
[ "$(ac_count_accounts)" -eq 1 ] || ac_fail "--force made a second account ($(ac_count_accounts))"
[ "$(pebble_count "accounts in memory")" -eq "$accounts" ] ||
    ac_fail "--force registered a new account with Pebble"
[ "$(pebble_count "POST /order-plz")" -eq $((orders + 1)) ] || ac_fail "--force did not place one order"
ac_ok "--force issued a new certificate with the cached account"

# 4. Another name uses the same account.
ac_obtain_ok two.example.org
ac_check_stdout two.example.org
ac_check_cert two.example.org
[ "$(ac_count_accounts)" -eq 1 ] || ac_fail "a second name made a second account"
[ "$(pebble_count "accounts in memory")" -eq "$accounts" ] ||
    ac_fail "a second name registered a new account with Pebble"
cmp -s "$WORK/first.pem" "$certdir/fullchain.pem" && ac_fail "the first name's files were replaced"
ac_ok "a second name reused the account"

ac_done
