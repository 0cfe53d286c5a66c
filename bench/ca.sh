#!/bin/bash
# ca.sh: time of a private CA plus one node certificate (EC P-256): `autocert ca` against
# the equivalent openssl command-line recipe, in the same run.
#
#   bench/ca.sh [ROUNDS]     (AUTOCERT_BIN defaults to ./autocert; ROUNDS default 20)
#
# Each round creates a root CA (5 years) and one node certificate with two DNS names
# and an IP address (1 year, serverAuth), in a fresh directory, with each tool.  The
# openssl recipe is the usual one: genpkey + req -x509 for the CA, genpkey + req +
# x509 -req with an extension file for the node (5 processes against autocert's 2).
# Then one leaf from an existing CA, the job a node rollout repeats: `autocert ca issue`
# against the single openssl command that does the same (`openssl req -x509 -CA`, a new
# key and the certificate in one process), timed per process (bench/runstat.c).
# Prints the mean wall time per round and the median per leaf; not a test.
set -eu
ROUNDS=${1:-20}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
AUTOCERT_BIN=${AUTOCERT_BIN:-$PWD/autocert}
[ -x "$AUTOCERT_BIN" ] || { echo "no autocert binary at $AUTOCERT_BIN (set AUTOCERT_BIN)" >&2; exit 1; }
# shellcheck source=bench/program.sh
. "$top_srcdir/bench/program.sh"
bench_program
command -v openssl >/dev/null || { echo "openssl is not installed" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autocert-bench-ca.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

now() { date +%s.%N; }

autocert_round() {
    d=a$1
    "$AUTOCERT_BIN" ca create --out "$d" >/dev/null
    "$AUTOCERT_BIN" ca issue --ca-cert "$d/ca.crt" --ca-key "$d/ca.key" \
        --dns node.example,node --ip 10.0.0.1 --out "$d" >/dev/null
}

openssl_round() {
    d=o$1
    mkdir -m 700 "$d"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$d/ca.key" -sha256 -days 1825 -subj "/CN=autocert CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out "$d/ca.crt"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/node.key" 2>/dev/null
    openssl req -new -key "$d/node.key" -subj "/CN=node.example" -out "$d/node.csr"
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" "subjectAltName=DNS:node.example,DNS:node,IP:10.0.0.1" \
        "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid:always" >"$d/node.ext"
    openssl x509 -req -in "$d/node.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
        -days 365 -sha256 -extfile "$d/node.ext" -out "$d/node.crt" 2>/dev/null
}

measure() {
    fn=$1
    t0=$(now)
    for i in $(seq 1 "$ROUNDS"); do
        "$fn" "$i"
    done
    t1=$(now)
    echo "$t0 $t1" | awk -v r="$ROUNDS" '{ printf "%.1f", ($2 - $1) * 1000 / r }'
}

# One warm-up round each, and a check that both produce certificates that verify.
autocert_round w
openssl_round w
openssl verify -CAfile aw/ca.crt aw/node.crt >/dev/null
openssl verify -CAfile ow/ca.crt ow/node.crt >/dev/null

ms_a=$(measure autocert_round)
ms_o=$(measure openssl_round)
echo "CA + one node certificate (EC P-256), mean of $ROUNDS rounds:"
echo "  autocert ca:    $ms_a ms  (2 processes)"
echo "  openssl recipe: $ms_o ms  (5 processes)"

# One leaf from the CA of the warm-up round, ROUNDS times, each tool per process.
${CC:-cc} -O2 -o runstat "$top_srcdir/bench/runstat.c"
leaf_autocert() {
    ./runstat t.out "$AUTOCERT_BIN" -q ca issue --ca-cert aw/ca.crt --ca-key aw/ca.key \
        --dns node.example,node --ip 10.0.0.1 --out "la$1"
}
leaf_openssl() {
    mkdir -m 700 "lo$1"
    ./runstat t.out openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
        -keyout "lo$1/node.key" -out "lo$1/node.crt" -CA aw/ca.crt -CAkey aw/ca.key \
        -subj /CN=node.example -days 365 -sha256 \
        -addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=critical,digitalSignature" \
        -addext "extendedKeyUsage=serverAuth" \
        -addext "subjectAltName=DNS:node.example,DNS:node,IP:10.0.0.1" 2>/dev/null
}
# leaf_median FN: the median wall time (ms) of ROUNDS leaves made by FN.
leaf_median() {
    : >samples
    for i in $(seq 1 "$ROUNDS"); do
        "$1" "$1$i"
        cat t.out >>samples
    done
    sort -n samples | awk '{ w[NR] = $1 } END { printf "%.1f", w[int((NR + 1) / 2)] }'
}
leaf_openssl w1
openssl verify -CAfile aw/ca.crt low1/node.crt >/dev/null
echo "One node certificate from an existing CA, median of $ROUNDS processes:"
echo "  autocert ca issue:    $(leaf_median leaf_autocert) ms"
echo "  openssl req -x509 -CA: $(leaf_median leaf_openssl) ms"
