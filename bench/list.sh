#!/bin/sh
# list.sh: time of `autocert list` over a cache of many certificates (metadata only), of `list --verify` (every entry loaded whole), and of `renew` with nothing due (a scan, no request).
#
#   bench/list.sh [ENTRIES]   (default 10000; AUTOCERT_BIN defaults to ./autocert; RUNS default 5)
#
# The entries are made with the private CA (one key and certificate, its
# files copied into every entry with a meta.json naming the entry), so no
# CA server is needed.  Prints medians; not a test.
set -eu
ENTRIES=${1:-10000}
RUNS=${RUNS:-5}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
AUTOCERT_BIN=${AUTOCERT_BIN:-$PWD/autocert}
[ -x "$AUTOCERT_BIN" ] || { echo "no autocert binary at $AUTOCERT_BIN (set AUTOCERT_BIN)" >&2; exit 1; }
# shellcheck source=bench/program.sh
. "$top_srcdir/bench/program.sh"
bench_program

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autocert-bench-list.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
${CC:-cc} -O2 -o "$WORK/runstat" "$top_srcdir/bench/runstat.c"

# shellcheck source=bench/entries.sh
. "$top_srcdir/bench/entries.sh"
cache=$WORK/cache
make_entries "$cache"

echo "$(uname -m), $(nproc) cores, $(date -u +%Y-%m-%d); $ENTRIES cached certificates; medians of $RUNS runs"
echo "  autocert list           $(median "$AUTOCERT_BIN" list --cache "$cache")"
[ "$(wc -l <"$WORK/stdout")" -eq "$ENTRIES" ] || echo "  (list printed $(wc -l <"$WORK/stdout") lines, expected $ENTRIES)"
echo "  autocert list --verify  $(median "$AUTOCERT_BIN" list --verify --cache "$cache")"
echo "  autocert renew (none due) $(median "$AUTOCERT_BIN" renew --cache "$cache")"
grep -q "not due" "$WORK/stdout" || echo "  (renew printed no 'not due' line: $(head -c 200 "$WORK/stderr"))"
