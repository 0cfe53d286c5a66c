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
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=bench/pgstart.sh
. "$top_srcdir/bench/pgstart.sh"
pg_start pgnotify "-c fsync=off"

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
