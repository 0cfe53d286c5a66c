#!/bin/sh
# obtain_cache.sh: RS256 accounts, account URL recovery, reused authorizations, corrupt cache files
# never overwritten, list from metadata and list --verify, an account the restarted CA forgot.
AC_TEST_SLOT=8
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble authzreuse=100
name=cache.example.org
certdir=$CACHE/certs/$name

# 1. An RSA account key: every request is signed with RS256.
ac_obtain_ok "$name" --account-key-type rsa2048
ac_check_stdout "$name"
ac_check_cert "$name"
acct=$(find "$CACHE/accounts" -mindepth 1 -maxdepth 1 -type d)
openssl pkey -in "$acct/account.key" -noout -text 2>/dev/null | grep -q 'Private-Key: (2048 bit' ||
    ac_fail "the account key is not RSA 2048"
[ "$(ac_mode "$acct/account.key")" = 600 ] || ac_fail "account.key mode $(ac_mode "$acct/account.key")"
ac_ok "RS256 account"

# 2. Only the key survived: the account URL is recovered (onlyReturnExisting), no new account.
url=$(jq -r .url "$acct/account.json")
rm "$acct/account.json"
accounts=$(grep -c "accounts in memory" "$WORK/pebble.log" || true)
ac_obtain_ok "$name" --force
ac_check_cert "$name"
[ "$(jq -r .url "$acct/account.json")" = "$url" ] || ac_fail "the recovered account URL differs from $url"
[ "$(grep -c "accounts in memory" "$WORK/pebble.log" || true)" -eq "$accounts" ] ||
    ac_fail "a new account was registered instead of recovering the cached key's"
ac_ok "account URL recovered from the cached key"
# Pebble reuses every valid authorization here: no challenge is answered again.
grep -q "dns:$name: already authorized" "$WORK/stderr" || ac_fail "a valid authorization was not skipped"
grep -q "answering http-01" "$WORK/stderr" && ac_fail "a challenge was answered although the authorization was valid"
ac_ok "valid authorization skipped"

# 3. A broken entry is never called cached: whatever a server would be handed
# must load and fit together.  Each breakage is named, and a new certificate
# ordered in its place.
# broken FILE WHAT: breaks FILE of the entry (WHAT says how), then obtain must
# name the file, order a new certificate and store a whole entry.
broken() {
    ac_obtain_ok "$name"
    ac_stderr_names "$certdir/$1"
    ac_stderr_has 'ordering a new certificate'
    ac_check_cert "$name"
    ac_ok "$2: named, and replaced by a new certificate"
}
cp -p "$certdir/privkey.pem" "$WORK/key.good"
rm "$certdir/privkey.pem"
broken privkey.pem "a missing privkey.pem"
printf 'garbage\n' >"$certdir/privkey.pem"
broken privkey.pem "a garbage privkey.pem"
cp "$WORK/key.good" "$certdir/privkey.pem"
broken privkey.pem "the key of another certificate"
printf 'garbage\n' >"$certdir/cert.pem"
broken cert.pem "a garbage cert.pem"
for f in cert.pem chain.pem fullchain.pem; do
    rm "$certdir/$f"
    broken "$f" "a missing $f"
done
printf 'garbage\n' >"$certdir/chain.pem"
cat "$certdir/cert.pem" "$certdir/chain.pem" >"$certdir/fullchain.pem"
broken chain.pem "a garbage chain.pem, and fullchain.pem ending the same"
cp "$certdir/fullchain.pem" "$certdir/chain.pem"
: >"$certdir/cert.pem"
broken cert.pem "an empty cert.pem, its certificate moved into chain.pem"
head -c 100 "$certdir/cert.pem" >"$WORK/half" && cp "$WORK/half" "$certdir/cert.pem"
broken cert.pem "a truncated cert.pem"
printf 'not a certificate\n' >"$certdir/fullchain.pem"
cp "$certdir/privkey.pem" "$WORK/key.before"
broken fullchain.pem "a garbage fullchain.pem"
printf 'not a certificate\n' >"$certdir/fullchain.pem"

# list reads the metadata only: the entry is listed; list --verify loads it whole
# and reports it, naming the entry and the file.
ac_autocert list --cache "$CACHE"
[ "$AC_RC" -eq 0 ] || ac_fail "list exited $AC_RC"
grep -qE "^$name	expires [0-9]{4}-[0-9]{2}-[0-9]{2} \([0-9]+ days\)	$name	renew [0-9]{4}-[0-9]{2}-[0-9]{2} \(a third of its lifetime left\)\$" "$WORK/stdout" ||
    ac_fail "list does not show the entry: $(cat "$WORK/stdout")"
[ ! -s "$WORK/stderr" ] || ac_fail "list without --verify complained"
ac_autocert list --cache "$CACHE" --verify
ac_failed "autocert list --verify"
ac_stderr_names "autocert: $name: "
ac_stderr_names "$certdir/fullchain.pem"
if grep -q "^$name	" "$WORK/stdout"; then
    ac_fail "list --verify showed the broken entry as good"
fi
ac_ok "list shows the entry from its metadata; list --verify reports the corrupt file"

# The next obtain replaces it.
ac_obtain_ok "$name"
ac_check_cert "$name"
ac_ok "the corrupt entry was replaced"
ac_autocert list --cache "$CACHE" --verify
[ "$AC_RC" -eq 0 ] || ac_fail "list --verify exited $AC_RC after the entry was replaced"
grep -q "^$name	" "$WORK/stdout" || ac_fail "list --verify does not show the replaced entry"
ac_ok "list --verify passes the replaced entry"

# 4. A corrupt account key: a clear error naming it, the file kept.
printf 'garbage\n' >"$acct/account.key"
ac_obtain_fails other.example.org
ac_stderr_names "$acct/account.key"
# --force replaces certificate entries, never an account key: no hint here.
ac_stderr_lacks '--force'
grep -q garbage "$acct/account.key" || ac_fail "the corrupt account.key was overwritten"
ac_no_cert other.example.org
ac_ok "corrupt account.key reported and kept"

# 5. A stale lock holder: a second writer waits for the lock, then fails clearly.
exec 9>"$CACHE/.lock"
flock -x 9
ac_obtain_fails "$name" --timeout 1
ac_stderr_has 'locked'
flock -u 9
exec 9>&-
ac_ok "a locked cache is reported"

# 6. Pebble restarts and forgets every account: the cached key is registered
# anew (the same key, a new URL saved), once, and the order goes on.
rm -rf "$CACHE/accounts"
ac_obtain_ok "$name" --force
acct=$(find "$CACHE/accounts" -mindepth 1 -maxdepth 1 -type d)
url=$(jq -r .url "$acct/account.json")
cp "$acct/account.key" "$WORK/account.key.before"
stop_pebble
start_pebble authzreuse=100
ac_obtain_ok "$name" --force
ac_check_cert "$name"
ac_stderr_has 'does not know the cached account'
cmp -s "$acct/account.key" "$WORK/account.key.before" || ac_fail "the account key was replaced"
[ "$(jq -r .url "$acct/account.json")" != "$url" ] || ac_fail "account.json still has the forgotten URL $url"
[ "$(grep -c 'POST /sign-me-up' "$WORK/pebble.log" || true)" -eq 1 ] ||
    ac_fail "expected one newAccount at the restarted Pebble"
ac_obtain_ok "$name" --force
[ "$(grep -c 'POST /sign-me-up' "$WORK/pebble.log" || true)" -eq 1 ] ||
    ac_fail "the next run registered again"
ac_ok "an account the restarted CA forgot: its key registered anew, once"

ac_done
