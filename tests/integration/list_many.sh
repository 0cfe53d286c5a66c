#!/bin/bash
# list_many.sh: list, list --json and list --verify over 600 entries: every entry once, in order, with its own figures; each broken one reported once, in its place.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/ca_lib.sh"

N=600
# One certificate for "entry.example" from a private CA, split as obtain
# stores it, copied into every entry; each meta.json names an expiry of
# its own: entry n<i> expires in 100 + i days.
ac_run_ok ca create --out pki
ac_run_ok ca issue --ca-cert pki/ca.crt --ca-key pki/ca.key --dns entry.example --out node
mkdir -m 700 tpl
awk '{ print > (n < 1 ? "tpl/cert.pem" : "tpl/chain.pem") } /-----END CERTIFICATE-----/ { n++ }' node/node.crt
touch tpl/chain.pem
cp node/node.crt tpl/fullchain.pem
install -m 600 node/node.key tpl/privkey.pem
mkdir -m 700 cache cache/certs
now=$(date +%s)
for i in $(seq 0 $((N - 1))); do
    d=cache/certs/n$i.example
    cp -a tpl "$d"
    printf '{"names": ["entry.example"], "directory": "https://acme.example/dir", "key_type": "ec256", "not_before": %s, "not_after": %s, "issued_at": %s}\n' \
        "$((now - 86400))" "$((now + (100 + i) * 86400 + 3600))" "$((now - 86400))" >"$d/meta.json"
done
# Broken: two metadata files (seen by every list), a missing chain (seen by --verify).
echo 'not json' >cache/certs/n5.example/meta.json
echo '{"names": []}' >cache/certs/n300.example/meta.json
rm cache/certs/n450.example/fullchain.pem

# want SKIP...: the entry names in the order the library lists them (bytes),
# without those given.
want() {
    seq 0 $((N - 1)) | sed 's/.*/n&.example/' | LC_ALL=C sort | grep -vxF -f <(printf '%s\n' "$@")
}

# check_lines LINES-FILE SKIP...: one line an entry, in order, each with its expiry.
check_lines() {
    lines=$1
    shift
    want "$@" >want.txt
    [ "$(wc -l <"$lines")" -eq "$(wc -l <want.txt)" ] ||
        ac_fail "$(wc -l <"$lines") lines for $(wc -l <want.txt) entries"
    paste want.txt "$lines" | awk -F'\t' '{
        name = $1; sub(/^n/, "", name); sub(/\.example$/, "", name)
        if ($2 != $1) { print "line " NR ": " $2 " where " $1 " belongs"; exit 1 }
        if (index($0, "(" (100 + name) " days)") == 0) { print "line " NR ": not the expiry of " $1; exit 1 }
    }' >bad.txt || ac_fail "$(cat bad.txt)"
}

# check_errors NAME...: stderr is one "autocert: NAME: ..." line each, in this order.
check_errors() {
    [ "$(grep -c '' "$WORK/stderr")" -eq "$#" ] || ac_fail "$(grep -c '' "$WORK/stderr") lines on stderr, expected $#"
    k=1
    for name in "$@"; do
        sed -n "${k}p" "$WORK/stderr" | grep -q "^autocert: $name: .*cache/certs/$name/" ||
            ac_fail "stderr line $k does not report $name and its file"
        k=$((k + 1))
    done
}

ac_run list --cache cache
[ "$AC_RC" -eq 1 ] || ac_fail "list with two broken entries exited $AC_RC"
check_lines "$WORK/stdout" n5.example n300.example
check_errors n300.example n5.example
ac_ok "list: $((N - 2)) entries in order, each with its own expiry; the 2 broken ones reported in their place"

ac_run list --cache cache --json
[ "$AC_RC" -eq 1 ] || ac_fail "list --json exited $AC_RC"
sed -e 's/^{"name":"\([^"]*\)".*"not_after":\([0-9]*\).*/\1\t(\2)/' "$WORK/stdout" |
    awk -F'\t' -v now="$now" '{ gsub(/[()]/, "", $2); printf "%s\t(%d days)\n", $1, ($2 - now) / 86400 }' >json.txt
check_lines json.txt n5.example n300.example
check_errors n300.example n5.example
ac_ok "list --json: the same entries, one object a line, in order"

ac_run list --cache cache --verify
[ "$AC_RC" -eq 1 ] || ac_fail "list --verify exited $AC_RC"
# --verify shows the certificate's own expiry: the same for all.
cut -f1 "$WORK/stdout" >verified.txt
want n5.example n300.example n450.example | cmp -s - verified.txt ||
    ac_fail "list --verify did not list the $((N - 3)) good entries in order"
check_errors n300.example n450.example n5.example
ac_stderr_names "fullchain.pem is missing"
ac_ok "list --verify: $((N - 3)) entries loaded whole, in order; 3 broken ones reported in their place"

ac_done
