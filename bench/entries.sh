# entries.sh: sourced by the cache benchmarks: many cache entries made without a CA, and the median of timed runs.
# shellcheck shell=sh
#
# Needs AUTOCERT_BIN, WORK, ENTRIES, RUNS, and WORK/runstat built from bench/runstat.c.

# make_entries CACHE: ENTRIES entries e<i>.example under CACHE/certs, each a
# copy of one certificate for "entry.example" from a private CA, split as
# obtain stores it.  Each meta.json is as after a renew run: the CA's
# renewal window is not to be asked for again yet, so a renew scan reads
# metadata only.
make_entries() {
    "$AUTOCERT_BIN" -q ca create --out "$WORK/ca"
    "$AUTOCERT_BIN" -q ca issue --ca-cert "$WORK/ca/ca.crt" --ca-key "$WORK/ca/ca.key" \
        --dns entry.example --out "$WORK/node"
    awk '{ print > (n < 1 ? "'"$WORK"'/cert.pem" : "'"$WORK"'/chain.pem") } /-----END CERTIFICATE-----/ { n++ }' \
        "$WORK/node/node.crt"
    touch "$WORK/chain.pem"
    mkdir -m 700 "$1" "$1/certs"
    na=$(date -d '+300 days' +%s)
    i=0
    while [ "$i" -lt "$ENTRIES" ]; do
        d=$1/certs/e$i.example
        mkdir -m 700 "$d"
        cp "$WORK/cert.pem" "$WORK/chain.pem" "$d/"
        cp "$WORK/node/node.crt" "$d/fullchain.pem"
        install -m 600 "$WORK/node/node.key" "$d/privkey.pem"
        printf '{"names": ["entry.example"], "directory": "https://acme.example/dir", "key_type": "ec256", "not_before": %s, "not_after": %s, "issued_at": %s, "renewal": {"ari": {"next_check": %s}}}\n' \
            "$((na - 330 * 86400))" "$na" "$((na - 330 * 86400))" "$((na - 200 * 86400))" >"$d/meta.json"
        i=$((i + 1))
    done
}

# median CMD...: the median wall and CPU time and peak RSS of RUNS runs of CMD.
median() {
    : >"$WORK/samples"
    for _ in $(seq 1 "$RUNS"); do
        "$WORK/runstat" "$WORK/t.out" "$@" >"$WORK/stdout" 2>"$WORK/stderr" || true
        cat "$WORK/t.out" >>"$WORK/samples"
    done
    sort -n "$WORK/samples" | awk '{ w[NR] = $1; c[NR] = $2; m[NR] = $3 }
        END { i = int((NR + 1) / 2); printf "%9.1f ms wall %8.1f ms CPU %8d kB peak RSS", w[i], c[i], m[i] }'
}
