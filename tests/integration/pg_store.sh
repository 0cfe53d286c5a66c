#!/bin/sh
# pg_store.sh: a postgresql:// cache: obtain stores into the database, serves from it, list and renew work on it; keys encrypted with --cache-key-file; wrong key, moved row, wrong password, unreachable server.
AC_TEST_SLOT=71
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg_lib.sh"

pg_start
start_pebble
name=store.example.org
set=certs/$name
key=$WORK/cache.key
openssl rand -hex 32 >"$key"
chmod 600 "$key"

# generation SET: the set's generation in the database ("" when absent).
generation() {
    pg_psql "SELECT generation FROM autocert_sets WHERE key = '$1'"
}

# 1. obtain stores the whole set in the database; the chain goes to stdout.
ac_pg_obtain "$name" --cache-key-file "$key"
[ "$AC_RC" -eq 0 ] || ac_fail "obtain into the database exited $AC_RC"
grep -q 'BEGIN CERTIFICATE' "$WORK/stdout" || ac_fail "no certificate chain on stdout"
[ "$(pg_psql "SELECT string_agg(name, ',' ORDER BY name) FROM autocert_items WHERE set_key = '$set'")" = \
    "cert.pem,chain.pem,fullchain.pem,meta.json,privkey.pem" ] || ac_fail "the set $set is not whole"
[ "$(generation "$set")" = 1 ] || ac_fail "generation of $set is $(generation "$set"), expected 1"
[ "$(pg_psql "SELECT (SELECT data FROM autocert_items WHERE set_key = '$set' AND name = 'fullchain.pem') =
    (SELECT data FROM autocert_items WHERE set_key = '$set' AND name = 'cert.pem') ||
    (SELECT data FROM autocert_items WHERE set_key = '$set' AND name = 'chain.pem')")" = t ] ||
    ac_fail "fullchain.pem is not cert.pem followed by chain.pem"
ac_ok "obtain stored a whole set in the database"

# 2. The keys are sealed: no PEM text of a private key in any row.
[ "$(pg_psql "SELECT count(*) FROM autocert_items WHERE secret AND sealed = 1")" = 2 ] ||
    ac_fail "the certificate key and the account key are not both sealed"
[ "$(pg_psql "SELECT count(*) FROM autocert_items WHERE position(convert_to('PRIVATE KEY', 'UTF8') IN data) > 0")" = 0 ] ||
    ac_fail "private key PEM text in the database"
[ "$(pg_psql "SELECT count(*) FROM autocert_items WHERE position(convert_to('BEGIN CERTIFICATE', 'UTF8') IN data) > 0")" = 3 ] ||
    ac_fail "the certificates are not where the check looks"
ac_ok "private keys encrypted at rest"

# 3. A second obtain is served from the database: exit 2, no request.
orders=$(pg_count_orders)
ac_pg_obtain "$name" --cache-key-file "$key" -v
[ "$AC_RC" -eq 2 ] || ac_fail "the second obtain exited $AC_RC, expected 2 (cached)"
[ "$(ac_requests)" = 0 ] || ac_fail "the second obtain made $(ac_requests) requests"
[ "$(pg_count_orders)" = "$orders" ] || ac_fail "Pebble received an order for a cached certificate"
ac_ok "served from the database cache"

# 4. list and renew.
ac_exec "list --cache \$AC_PG_URL" list --cache "$AC_PG_URL"
[ "$AC_RC" -eq 0 ] || ac_fail "list exited $AC_RC"
grep -q "^$name	" "$WORK/stdout" || ac_fail "list does not show $name"
ac_exec "list --verify --cache \$AC_PG_URL" list --verify --cache "$AC_PG_URL" --cache-key-file "$key"
[ "$AC_RC" -eq 0 ] || ac_fail "list --verify exited $AC_RC"
AUTOCERT_CACHE=$AC_PG_URL AUTOCERT_CACHE_KEY_FILE=$key
export AUTOCERT_CACHE AUTOCERT_CACHE_KEY_FILE
# shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
ac_exec "renew --force --cert $name (the cache from the environment)" renew --force \
    --cert "$name" --ca-bundle "$WORK/tls-ca.pem" $AC_HTTP_ARGS
unset AUTOCERT_CACHE AUTOCERT_CACHE_KEY_FILE
[ "$AC_RC" -eq 0 ] || ac_fail "renew --force exited $AC_RC"
[ "$(generation "$set")" = 2 ] || ac_fail "renew did not make generation 2 of $set"
[ "$(pg_count_orders)" = $((orders + 1)) ] || ac_fail "renew placed $(($(pg_count_orders) - orders)) orders"
ac_ok "list and renew (AUTOCERT_CACHE, AUTOCERT_CACHE_KEY_FILE) on the database"

# 5. Another key is refused, naming the item; nothing is ordered or replaced.
openssl rand -hex 32 >"$WORK/other.key"
chmod 600 "$WORK/other.key"
orders=$(pg_count_orders)
ac_pg_obtain "$name" --cache-key-file "$WORK/other.key"
ac_failed "obtain with another key file"
ac_stderr_names "$set/privkey.pem"
ac_stderr_has "another key"
[ "$(pg_count_orders)" = "$orders" ] || ac_fail "a wrong key file led to an order"
[ "$(generation "$set")" = 2 ] || ac_fail "a wrong key file replaced the set"
# Without a key file: the item is named, and the option.
ac_pg_obtain "$name"
ac_failed "obtain without the key file"
ac_stderr_names "$set/privkey.pem"
ac_stderr_names "--cache-key-file"
# A key file others may read is refused before anything is done.
chmod 644 "$WORK/other.key"
ac_pg_obtain "$name" --cache-key-file "$WORK/other.key"
ac_failed "obtain with a key file of mode 644"
ac_stderr_has "invalid --cache-key-file .*mode 644"
ac_ok "another key, no key, a readable key file: refused"

# 6. A row copied to another name does not open there: corrupt.
pg_psql "INSERT INTO autocert_sets (key, generation) SELECT 'certs/moved.example.org', generation
    FROM autocert_sets WHERE key = '$set';
    INSERT INTO autocert_items (set_key, name, data, secret, sealed) SELECT 'certs/moved.example.org',
    name, data, secret, sealed FROM autocert_items WHERE set_key = '$set'"
ac_exec "list --verify --cache \$AC_PG_URL" list --verify --cache "$AC_PG_URL" --cache-key-file "$key"
ac_failed "list --verify with a moved row"
ac_stderr_names "certs/moved.example.org/privkey.pem"
ac_stderr_has "corrupt"
ac_stderr_lacks "^autocert: $name:"
ac_ok "a row copied to another name is refused as corrupt"

# 7. A wrong password, an unreachable server: one line naming the server, no secret.
bad=postgresql://autocert:Wr0ngPassw0rd@127.0.0.1:$AC_PG_PORT/autocert
ac_autocert list --cache "$bad"
ac_failed "list with a wrong password"
[ "$(wc -l <"$WORK/stderr")" -eq 1 ] || ac_fail "not one line"
ac_stderr_names "postgresql://autocert@127.0.0.1:$AC_PG_PORT/autocert"
ac_stderr_has "password authentication failed"
ac_stderr_lacks "Wr0ngPassw0rd|$AC_PG_PASSWORD"
ac_pg_obtain "$name" --cache "postgresql://autocert:$AC_PG_PASSWORD@127.0.0.1:$AC_DEAD_PORT/autocert"
ac_failed "obtain with an unreachable database"
[ "$(wc -l <"$WORK/stderr")" -eq 1 ] || ac_fail "not one line"
ac_stderr_names "postgresql://autocert@127.0.0.1:$AC_DEAD_PORT/autocert"
ac_stderr_has "cannot connect"
ac_stderr_lacks "$AC_PG_PASSWORD"
ac_ok "wrong password and unreachable server: one line naming the server, no password"

ac_done
