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
# The program itself, not libtool's wrapper around an uninstalled build.
if head -c 200 "$AUTOCERT_BIN" | grep -q '^#!' && [ -x "$(dirname "$AUTOCERT_BIN")/.libs/autocert" ]; then
    LD_LIBRARY_PATH=$(dirname "$AUTOCERT_BIN")/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
    AUTOCERT_BIN=$(dirname "$AUTOCERT_BIN")/.libs/autocert
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autocert-bench-list.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
${CC:-cc} -O2 -o "$WORK/runstat" "$top_srcdir/bench/runstat.c"

# One certificate for "entry.example" from a private CA, split as obtain stores it.
# Each entry's meta.json is as after a renew run: the CA's renewal window is
# not to be asked for again yet, so a renew scan reads metadata only.
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

# median CMD...: the median wall and CPU time of RUNS runs of CMD.
median() {
    : >"$WORK/samples"
    for r in $(seq 1 "$RUNS"); do
        "$WORK/runstat" "$WORK/t.out" "$@" >"$WORK/stdout" 2>"$WORK/stderr" || true
        cat "$WORK/t.out" >>"$WORK/samples"
    done
    sort -n "$WORK/samples" | awk '{ w[NR] = $1; c[NR] = $2; m[NR] = $3 }
        END { i = int((NR + 1) / 2); printf "%8.1f ms wall %8.1f ms CPU %8d kB peak RSS", w[i], c[i], m[i] }'
}

echo "$(uname -m), $(nproc) cores, $(date -u +%Y-%m-%d); $ENTRIES cached certificates; medians of $RUNS runs"
echo "  autocert list           $(median "$AUTOCERT_BIN" list --cache "$cache")"
[ "$(wc -l <"$WORK/stdout")" -eq "$ENTRIES" ] || echo "  (list printed $(wc -l <"$WORK/stdout") lines, expected $ENTRIES)"
echo "  autocert list --verify  $(median "$AUTOCERT_BIN" list --verify --cache "$cache")"
echo "  autocert renew (none due) $(median "$AUTOCERT_BIN" renew --cache "$cache")"
grep -q "not due" "$WORK/stdout" || echo "  (renew printed no 'not due' line: $(head -c 200 "$WORK/stderr"))"
