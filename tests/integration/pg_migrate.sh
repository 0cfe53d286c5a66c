#!/bin/sh
# pg_migrate.sh: autocert cache migrate from a directory cache into the database and back, byte-identical; refusal to overwrite; the migrated cache serves obtain.
AC_TEST_SLOT=74
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg_lib.sh"

pg_start
start_pebble
key=$WORK/cache.key
openssl rand -hex 32 >"$key"
chmod 600 "$key"

# migrate LABEL ARGS...: autocert cache migrate ARGS, the URL's password kept out of the log.
migrate() {
    ac_label=$1
    shift
    ac_exec "cache migrate $ac_label" cache migrate "$@"
}

ac_obtain_ok m1.example.org
ac_obtain_ok m2.example.org,www.m2.example.org

# 1. Directory -> database, encrypting the keys.
migrate "--from \$CACHE --to \$AC_PG_URL" --from "$CACHE" --to "$AC_PG_URL" --cache-key-file "$key"
[ "$AC_RC" -eq 0 ] || ac_fail "migrate into the database exited $AC_RC"
for s in certs/m1.example.org certs/m2.example.org accounts/; do
    grep -q "^copied $s.*verified" "$WORK/stdout" || ac_fail "no 'copied $s' line"
done
grep -q "^migrated 3 sets from $CACHE to $AC_PG_URL_SAFE\$" "$WORK/stdout" ||
    ac_fail "no summary naming both caches: $(tail -n 1 "$WORK/stdout")"
grep -qF "$AC_PG_PASSWORD" "$WORK/stdout" "$WORK/stderr" && ac_fail "the password was printed"
[ "$(pg_psql "SELECT count(*) FROM autocert_items WHERE secret AND sealed = 1")" = 3 ] ||
    ac_fail "the keys are not sealed in the database"
ac_ok "directory -> database, keys sealed"

# 2. The database serves the migrated certificates.
ac_pg_obtain m1.example.org --cache-key-file "$key"
[ "$AC_RC" -eq 2 ] || ac_fail "obtain from the migrated database exited $AC_RC, expected 2 (cached)"
ac_ok "the migrated database serves obtain from its cache"

# 3. Sets the destination holds are refused, nothing copied; --force replaces.
before=$(pg_psql "SELECT string_agg(key || ':' || generation, ',' ORDER BY key) FROM autocert_sets")
migrate "again" --from "$CACHE" --to "$AC_PG_URL" --cache-key-file "$key"
ac_failed "a second migrate into the same database"
ac_stderr_has "already holds (certs|accounts)/"
ac_stderr_names "nothing copied"
ac_stderr_names "--force"
[ ! -s "$WORK/stdout" ] || ac_fail "a refused migrate printed copies"
[ "$(pg_psql "SELECT string_agg(key || ':' || generation, ',' ORDER BY key) FROM autocert_sets")" = "$before" ] ||
    ac_fail "a refused migrate changed the database"
migrate "--force" --from "$CACHE" --to "$AC_PG_URL" --cache-key-file "$key" --force
[ "$AC_RC" -eq 0 ] || ac_fail "migrate --force exited $AC_RC"
[ "$(pg_generation certs/m1.example.org)" = 2 ] || ac_fail "--force did not replace certs/m1.example.org"
ac_ok "refusal to overwrite, --force replaces"

# 4. Database -> directory: byte-identical to the original directory.
migrate "--from \$AC_PG_URL --to back" --from "$AC_PG_URL" --to "$WORK/back"
ac_failed "migrate out of the database without the key file"
ac_stderr_names "privkey.pem"
migrate "--from \$AC_PG_URL --to back" --from "$AC_PG_URL" --to "$WORK/back" --cache-key-file "$key"
[ "$AC_RC" -eq 0 ] || ac_fail "migrate out of the database exited $AC_RC"
diff -r -x '.*' "$CACHE" "$WORK/back" >"$WORK/diff.out" 2>&1 || ac_fail "the round trip differs: $(head -n 5 "$WORK/diff.out")"
[ "$(find "$WORK/back" -type f ! -name '.*' | wc -l)" -eq 12 ] || ac_fail "not 12 files back"
[ "$(ac_mode "$WORK/back/certs/m1.example.org/privkey.pem")" = 600 ] || ac_fail "a key came back readable by others"
CACHE=$WORK/back ac_check_cert m2.example.org,www.m2.example.org
ac_ok "database -> directory: byte-identical"

ac_done
