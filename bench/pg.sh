#!/bin/sh
# pg.sh: the PostgreSQL cache next to the directory cache: list, list --verify and a renew scan over many certificates, and migrating them into the database.
#
#   bench/pg.sh [ENTRIES]   (default 10000; AUTOCERT_BIN defaults to ./autocert; RUNS default 3)
#
# Makes ENTRIES cache entries as bench/list.sh does, starts a throwaway
# PostgreSQL (initdb into a temporary directory, as `nobody` when run as
# root, a Unix socket there, no TCP), copies the entries into it with
# `autocert cache migrate` (keys encrypted with a key file), and times the
# same commands on both caches.  `list --verify` loads every entry whole,
# as a server does at start.  Prints medians; not a test.
set -eu
ENTRIES=${1:-10000}
RUNS=${RUNS:-3}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
AUTOCERT_BIN=${AUTOCERT_BIN:-$PWD/autocert}
[ -x "$AUTOCERT_BIN" ] || { echo "no autocert binary at $AUTOCERT_BIN (set AUTOCERT_BIN)" >&2; exit 1; }
# shellcheck source=bench/program.sh
. "$top_srcdir/bench/program.sh"
bench_program
# shellcheck source=bench/pgstart.sh
. "$top_srcdir/bench/pgstart.sh"
pg_start pg
${CC:-cc} -O2 -o "$WORK/runstat" "$top_srcdir/bench/runstat.c"

# shellcheck source=bench/entries.sh
. "$top_srcdir/bench/entries.sh"
cache=$WORK/cache
make_entries "$cache"
openssl rand -hex 32 >"$WORK/cache.key"
chmod 600 "$WORK/cache.key"

echo "$(uname -m), $(nproc) cores, $(date -u +%Y-%m-%d), PostgreSQL $("$PGBIN/pg_ctl" --version | awk '{print $3}') on a local socket; $ENTRIES certificates; medians of $RUNS runs"
"$WORK/runstat" "$WORK/t.out" "$AUTOCERT_BIN" -q cache migrate --from "$cache" --to "$url" \
    --cache-key-file "$WORK/cache.key" >"$WORK/stdout" 2>"$WORK/stderr" ||
    { echo "cache migrate failed: $(cat "$WORK/stderr")" >&2; exit 1; }
awk '{ printf "  cache migrate dir -> database (once) %9.1f ms wall %8.1f ms CPU\n", $1, $2 }' "$WORK/t.out"
for c in directory database; do
    if [ "$c" = directory ]; then set -- --cache "$cache"; else set -- --cache "$url" --cache-key-file "$WORK/cache.key"; fi
    echo "  $c:"
    echo "    list                 $(median "$AUTOCERT_BIN" list "$@")"
    [ "$(wc -l <"$WORK/stdout")" -eq "$ENTRIES" ] || echo "    (list printed $(wc -l <"$WORK/stdout") lines: $(head -c 200 "$WORK/stderr"))"
    echo "    list --verify        $(median "$AUTOCERT_BIN" list --verify "$@")"
    echo "    renew (none due)     $(median "$AUTOCERT_BIN" renew "$@")"
done
