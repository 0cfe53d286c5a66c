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
if head -c 200 "$AUTOCERT_BIN" | grep -q '^#!' && [ -x "$(dirname "$AUTOCERT_BIN")/.libs/autocert" ]; then
    LD_LIBRARY_PATH=$(dirname "$AUTOCERT_BIN")/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
    AUTOCERT_BIN=$(dirname "$AUTOCERT_BIN")/.libs/autocert
fi
# shellcheck source=bench/pgstart.sh
. "$top_srcdir/bench/pgstart.sh"
pg_start pg
${CC:-cc} -O2 -o "$WORK/runstat" "$top_srcdir/bench/runstat.c"

# The entries, as bench/list.sh makes them.
"$AUTOCERT_BIN" -q ca create --out "$WORK/ca"
"$AUTOCERT_BIN" -q ca issue --ca-cert "$WORK/ca/ca.crt" --ca-key "$WORK/ca/ca.key" \
    --dns entry.example --out "$WORK/node"
awk '{ print > (n < 1 ? "'"$WORK"'/cert.pem" : "'"$WORK"'/chain.pem") } /-----END CERTIFICATE-----/ { n++ }' \
    "$WORK/node/node.crt"
touch "$WORK/chain.pem"
cache=$WORK/cache
mkdir -m 700 "$cache" "$cache/certs"
na=$(date -d '+300 days' +%s)
i=0
while [ "$i" -lt "$ENTRIES" ]; do
    d=$cache/certs/e$i.example
    mkdir -m 700 "$d"
    cp "$WORK/cert.pem" "$WORK/chain.pem" "$d/"
    cp "$WORK/node/node.crt" "$d/fullchain.pem"
    install -m 600 "$WORK/node/node.key" "$d/privkey.pem"
    printf '{"names": ["entry.example"], "directory": "https://acme.example/dir", "key_type": "ec256", "not_before": %s, "not_after": %s, "issued_at": %s, "renewal": {"ari": {"next_check": %s}}}\n' \
        "$((na - 330 * 86400))" "$na" "$((na - 330 * 86400))" "$((na - 200 * 86400))" >"$d/meta.json"
    i=$((i + 1))
done
openssl rand -hex 32 >"$WORK/cache.key"
chmod 600 "$WORK/cache.key"

median() {
    : >"$WORK/samples"
    for r in $(seq 1 "$RUNS"); do
        "$WORK/runstat" "$WORK/t.out" "$@" >"$WORK/stdout" 2>"$WORK/stderr" || true
        cat "$WORK/t.out" >>"$WORK/samples"
    done
    sort -n "$WORK/samples" | awk '{ w[NR] = $1; c[NR] = $2; m[NR] = $3 }
        END { i = int((NR + 1) / 2); printf "%9.1f ms wall %8.1f ms CPU %8d kB peak RSS", w[i], c[i], m[i] }'
}

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
