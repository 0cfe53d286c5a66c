#!/bin/sh
# pgnotify.sh: change notification over the PostgreSQL cache: the time a server manager takes to load N certificates at start, and the latency from a store on one database session to the swap in a manager on another (median and 99th percentile over RENEWALS stores).
#
#   bench/pgnotify.sh [ENTRIES] [RENEWALS]   (defaults 1000 and 100; run from the
#   build directory, where `make check` built tests/tools/pg_notify)
#
# Starts a throwaway PostgreSQL (initdb into a temporary directory, as
# `nobody` when run as root, a Unix socket there, no TCP).  No CA is needed:
# the certificates are self-signed, made by the tool.  Not a test.
set -eu
ENTRIES=${1:-1000}
RENEWALS=${2:-100}
tool=${PG_NOTIFY:-$PWD/tests/tools/pg_notify}
[ -x "$tool" ] || { echo "no $tool (make check builds it; set PG_NOTIFY)" >&2; exit 1; }
PGBIN=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r) \
    "$(dirname "$(command -v initdb 2>/dev/null || echo /none/x)")"; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { PGBIN=$d; break; }
done
[ -n "$PGBIN" ] || { echo "no initdb/pg_ctl (Debian package postgresql)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autocert-bench-pgnotify.XXXXXX")
PGPID=""
cleanup() {
    if [ -n "$PGPID" ]; then
        kill -INT "$PGPID" 2>/dev/null || true
        i=0
        while kill -0 "$PGPID" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- "$@"
    else
        "$@"
    fi
}
mkdir -p "$WORK/pg/data"
if [ "$(id -u)" = 0 ]; then
    chmod 711 "$WORK"
    chown -R nobody "$WORK/pg"
fi
(cd "$WORK/pg" && as_owner "$PGBIN/initdb" -D "$WORK/pg/data" -U autocert --auth=trust \
    --no-sync >/dev/null)
(cd "$WORK/pg" && as_owner "$PGBIN/pg_ctl" -D "$WORK/pg/data" -w -l "$WORK/pg/log" \
    -o "-c listen_addresses='' -c unix_socket_directories=$WORK/pg -c fsync=off" start >/dev/null)
PGPID=$(head -n 1 "$WORK/pg/data/postmaster.pid")
url="postgresql:///postgres?host=$WORK/pg&user=autocert"

"$tool" "$url" "$ENTRIES" "$RENEWALS" >"$WORK/out"
load=$(awk '$1 == "load_s" { print $2 }' "$WORK/out")
med=$(awk '$1 == "median_ms" { print $2 }' "$WORK/out")
p99=$(awk '$1 == "p99_ms" { print $2 }' "$WORK/out")
printf 'manager start, %s certificates loaded from the database: %s s\n' "$ENTRIES" "$load"
printf 'store on one session -> served by the manager on another, %s renewals: median %s ms, p99 %s ms\n' \
    "$RENEWALS" "$med" "$p99"

# The same on a directory cache, for comparison: its load at start, and a
# store picked up by the manager's once-a-second check (no notification).
"$tool" "$WORK/dircache" "$ENTRIES" 10 >"$WORK/out.dir"
dload=$(awk '$1 == "load_s" { print $2 }' "$WORK/out.dir")
dmed=$(awk '$1 == "median_ms" { print $2 }' "$WORK/out.dir")
printf 'directory cache: %s certificates loaded at start in %s s; a store picked up after a median of %s ms (10 stores, checked once a second)\n' \
    "$ENTRIES" "$dload" "$dmed"
