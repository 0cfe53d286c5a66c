#!/bin/bash
# ca_basic.sh: `autocert ca` issues certificates that openssl accepts (with and without
# an intermediate); inspect, verify and export work on them; bad input is refused
# with a clear reason and nothing is overwritten.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/ca_lib.sh"

# --- a root CA --------------------------------------------------------------------
ac_run_ok ca create --out pki
[ "$(ac_mode pki)" = 700 ] || ac_fail "pki mode is $(ac_mode pki), expected 700"
[ "$(ac_mode pki/ca.key)" = 600 ] || ac_fail "ca.key mode is $(ac_mode pki/ca.key)"
openssl x509 -in pki/ca.crt -noout -text >ca.txt || ac_fail "ca.crt is not readable by openssl"
grep -q 'Subject: CN *= *autocert CA' ca.txt || ac_fail "root CN is not 'autocert CA'"
grep -A1 'Basic Constraints: critical' ca.txt | grep -q 'CA:TRUE' || ac_fail "root lacks critical CA:TRUE"
grep -A1 'Key Usage: critical' ca.txt | grep -q 'Certificate Sign' || ac_fail "root lacks keyCertSign"
grep -q 'NIST CURVE: P-256' ca.txt || ac_fail "root key is not P-256"
grep -q 'Subject Key Identifier' ca.txt || ac_fail "root lacks SKI"
openssl verify -CAfile pki/ca.crt pki/ca.crt >/dev/null || ac_fail "root does not verify itself"
end=$(openssl x509 -in pki/ca.crt -noout -enddate | cut -d= -f2)
days=$(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))
[ "$days" -ge 1824 ] && [ "$days" -le 1825 ] || ac_fail "root is valid $days days, expected 1825"
ac_ok "root CA: 0700 directory, 0600 key, CA:TRUE critical, P-256, 5 years"

# -q: nothing printed on success, before or after the command name; -v on both sides.
ac_run_ok -q ca create --out quiet1
[ ! -s stdout ] && [ ! -s stderr ] || ac_fail "autocert -q ca create printed something"
[ -s quiet1/ca.crt ] || ac_fail "autocert -q ca create wrote no quiet1/ca.crt"
ac_run_ok ca create --out quiet2 -q
[ ! -s stdout ] && [ ! -s stderr ] || ac_fail "autocert ca create -q printed something"
[ -s quiet2/ca.crt ] || ac_fail "autocert ca create -q wrote no quiet2/ca.crt"
ac_run_ok -v ca create --out loud -v
grep -q '^certificate: loud/ca.crt$' stdout || ac_fail "autocert -v ca create -v: no certificate line"
ac_run_fails 'already exists' -q ca create --out quiet1
ac_ok "ca -q: silent on success, the error still reported"

sum=$(ac_sum pki/ca.key)
ac_run_fails 'already exists' ca create --out pki
ac_stderr_names 'pki/ca.crt already exists'
ac_stderr_names '(--force replaces it)'
[ "$(ac_sum pki/ca.key)" = "$sum" ] || ac_fail "the existing CA key was changed"
ac_run_ok ca create --out pki --name other --key-type ed25519 --cn "Other CA" --days 30
openssl x509 -in pki/other.crt -noout -text | grep -q 'ED25519' || ac_fail "--key-type ed25519 ignored"

# --- an intermediate and node certificates -------------------------------------------
ac_run_ok ca create --intermediate --ca-cert pki/ca.crt --ca-key pki/ca.key --out pki --days 400
openssl x509 -in pki/intermediate.crt -noout -text | grep -q 'CA:TRUE, pathlen:0' ||
    ac_fail "intermediate lacks pathlen:0"
openssl verify -CAfile pki/ca.crt pki/intermediate.crt >/dev/null || ac_fail "intermediate does not verify"

ac_run_ok ca issue --ca-cert pki/ca.crt --ca-key pki/ca.key --dns node1.example,node1 \
    --ip 127.0.0.1,::1 --out n1 --key-type rsa2048
grep -q '^certificate: n1/node.crt$' stdout || ac_fail "stdout does not name n1/node.crt"
[ "$(ac_mode n1/node.key)" = 600 ] || ac_fail "node.key mode is $(ac_mode n1/node.key)"
[ "$(grep -c 'BEGIN CERTIFICATE' n1/node.crt)" = 1 ] || ac_fail "the root was bundled into node.crt"
openssl x509 -in n1/node.crt -noout -text >n1.txt
grep -q 'Subject: CN *= *node1.example' n1.txt || ac_fail "CN is not the first DNS name"
grep -q 'DNS:node1.example, DNS:node1, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1' n1.txt ||
    ac_fail "SANs wrong: $(grep -A1 'Alternative Name' n1.txt)"
grep -A1 'Basic Constraints: critical' n1.txt | grep -q 'CA:FALSE' || ac_fail "leaf lacks critical CA:FALSE"
grep -A1 'Key Usage: critical' n1.txt | grep -q 'Digital Signature, Key Encipherment' ||
    ac_fail "RSA leaf keyUsage wrong"
grep -A1 'Extended Key Usage' n1.txt | grep -q 'TLS Web Server Authentication$' || ac_fail "default is not --server"
grep -q 'sha256WithRSAEncryption\|ecdsa-with-SHA256' n1.txt || ac_fail "not signed with SHA-256"
openssl verify -CAfile pki/ca.crt -purpose sslserver n1/node.crt >/dev/null || ac_fail "node1 does not verify"
ac_ok "node certificate from the root verifies with openssl"

ac_run_ok ca issue --ca-cert pki/intermediate.crt --ca-key pki/intermediate.key --dns node2.example \
    --cn cluster --client --out n2
[ "$(grep -c 'BEGIN CERTIFICATE' n2/node.crt)" = 2 ] || ac_fail "node2.crt is not leaf + intermediate"
openssl x509 -in n2/node.crt -noout -subject | grep -q 'CN *= *cluster' || ac_fail "--cn ignored"
openssl verify -CAfile pki/ca.crt -untrusted n2/node.crt -purpose sslclient n2/node.crt >/dev/null ||
    ac_fail "node2 does not verify with its bundled intermediate"
if openssl verify -CAfile pki/ca.crt n2/node.crt >/dev/null 2>&1; then
    ac_fail "node2 verified without the intermediate"
fi
if openssl verify -CAfile pki/ca.crt -untrusted n2/node.crt -purpose sslserver n2/node.crt >/dev/null 2>&1; then
    ac_fail "a --client certificate verified for server use"
fi
end_leaf=$(openssl x509 -in n2/node.crt -noout -enddate | cut -d= -f2)
end_int=$(openssl x509 -in pki/intermediate.crt -noout -enddate | cut -d= -f2)
[ "$(date -d "$end_leaf" +%s)" -le "$(date -d "$end_int" +%s)" ] || ac_fail "the leaf outlives its issuer"
ac_ok "node certificate from the intermediate: bundle order, verifies only with the intermediate"

# --- sign a CSR ---------------------------------------------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout csr.key -out req.csr \
    -subj /CN=csrnode -addext subjectAltName=DNS:csr.example,IP:10.1.2.3 2>/dev/null
ac_run_ok ca sign --csr req.csr --ca-cert pki/intermediate.crt --ca-key pki/intermediate.key --out n3 --both
openssl x509 -in n3/node.crt -noout -ext subjectAltName | grep -q 'DNS:csr.example, IP Address:10.1.2.3' ||
    ac_fail "signed CSR lost its SANs"
[ ! -e n3/node.key ] || ac_fail "ca sign wrote a key"
[ "$(openssl x509 -in n3/node.crt -noout -pubkey)" = "$(openssl pkey -in csr.key -pubout)" ] ||
    ac_fail "the signed certificate is not for the CSR's key"
openssl verify -CAfile pki/ca.crt -untrusted n3/node.crt n3/node.crt >/dev/null || ac_fail "signed CSR does not verify"
ac_ok "CSR signed, SANs kept, key never left its node"

# A CSR without any name: the hint names the options that supply them.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout bare.key -out bare.csr \
    -subj /CN=bare 2>/dev/null
ac_run_fails 'no DNS name or IP address' ca sign --csr bare.csr --ca-cert pki/ca.crt --ca-key pki/ca.key --out n4
ac_stderr_names '(give them with --dns/--ip)'
[ ! -e n4/node.crt ] || ac_fail "a certificate without names was written"
ac_run_ok ca sign --csr bare.csr --ca-cert pki/ca.crt --ca-key pki/ca.key --out n4 --dns bare.example
openssl x509 -in n4/node.crt -noout -ext subjectAltName | grep -q 'DNS:bare.example' ||
    ac_fail "--dns did not name the CSR's certificate"
ac_ok "CSR without names: refused with the hint, signed with --dns"

# --- inspect, verify, export ------------------------------------------------------------
ac_run_ok inspect n2/node.crt
grep -q 'subject: *CN=cluster' stdout || ac_fail "inspect: no subject"
grep -q 'SANs: *DNS:node2.example' stdout || ac_fail "inspect: no SANs"
grep -q 'days left' stdout || ac_fail "inspect: no days left"
grep -q 'intermediate CA (pathLen 0)' stdout || ac_fail "inspect: intermediate not recognised"
grep -q 'chain order: ok' stdout || ac_fail "inspect: chain order not reported"
fp=$(openssl x509 -in n2/node.crt -noout -fingerprint -sha256 | cut -d= -f2)
grep -q "sha256: *$fp" stdout || ac_fail "inspect: fingerprint differs from openssl's ($fp)"
ac_run_ok inspect --json n2/node.crt req.csr n1/node.key
[ "$(wc -l <stdout)" = 3 ] || ac_fail "inspect --json: not one line per file"
sed -n 1p stdout | jq -e '.items[0].sans == ["DNS:node2.example"]' >/dev/null ||
    ac_fail "inspect --json: SANs of the certificate"
sed -n 2p stdout | jq -e '.items[0].type == "csr"' >/dev/null || ac_fail "inspect --json: CSR type"
sed -n 3p stdout | jq -e '.items[0].key.type == "rsa2048"' >/dev/null || ac_fail "inspect --json: key type"
# A bundle in the wrong order (intermediate first).
openssl x509 -in pki/intermediate.crt >wrong.pem
openssl x509 -in n2/node.crt >>wrong.pem
ac_run_ok inspect wrong.pem
grep -q 'chain order: wrong' stdout || ac_fail "inspect: wrong order not detected"
ac_ok "inspect: text, JSON, fingerprint, chain order"

ac_run_ok verify --ca pki/ca.crt --host node1 --purpose server n1/node.crt
ac_run_ok verify --ca pki/ca.crt --ip ::1 n1/node.crt
grep -q '^n1/node.crt: OK' stdout || ac_fail "verify: no OK line"
ac_run_ok verify -q --ca pki/ca.crt --ip ::1 n1/node.crt
[ ! -s stdout ] && [ ! -s stderr ] || ac_fail "verify -q printed something"
ac_run_fails 'name mismatch' verify --ca pki/ca.crt --host nope.example n1/node.crt
ac_run_fails 'name mismatch' verify --ca pki/ca.crt --ip 10.9.9.9 n1/node.crt
ac_run_fails 'wrong usage' verify --ca pki/ca.crt --purpose server n2/node.crt
ac_run_fails 'wrong issuer' verify --ca pki/other.crt n1/node.crt
# An expired certificate, made with `openssl ca`, which can set dates in the past.
mkdir -p old
cat >old/ca.cnf <<'EOF'
[ ca ]
default_ca = c
[ c ]
dir = old
database = old/index.txt
new_certs_dir = old
serial = old/serial
default_md = sha256
policy = p
unique_subject = no
[ p ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF
: >old/index.txt
echo 01 >old/serial
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out old/ca.key 2>/dev/null
openssl req -new -key old/ca.key -subj /CN=old-ca -out old/ca.csr
openssl ca -batch -config old/ca.cnf -selfsign -keyfile old/ca.key -in old/ca.csr \
    -startdate 20200101000000Z -enddate 20210101000000Z -extensions v3_ca -out old/ca.crt >/dev/null 2>&1 ||
    ac_fail "openssl ca could not make the expired certificate"
ac_run_fails 'expired' verify --ca old/ca.crt old/ca.crt
ac_ok "verify: success and clear reasons"

printf 'p12-pass\n' >pw
printf 'other\n' >badpw
ac_run_ok export --p12 n2.p12 --cert n2/node.crt --key n2/node.key --password-file pw
[ "$(ac_mode n2.p12)" = 600 ] || ac_fail "n2.p12 mode is $(ac_mode n2.p12)"
openssl pkcs12 -in n2.p12 -passin pass:p12-pass -nokeys 2>/dev/null | grep -c 'BEGIN CERTIFICATE' | grep -qx 2 ||
    ac_fail "openssl cannot read the PKCS#12 with its 2 certificates"
sum=$(ac_sum n2.p12)
ac_run_fails 'already exists' export --p12 n2.p12 --cert n2/node.crt --key n2/node.key --password-file pw
ac_stderr_names '(--force replaces it)'
ac_run_fails 'does not match' export --p12 x.p12 --cert n2/node.crt --key n1/node.key --password-file pw
[ ! -e x.p12 ] || ac_fail "x.p12 written despite the mismatch"
# Keys read from PKCS#12 and from encrypted PKCS#8.
ac_run_fails 'wrong password' export --p12 y.p12 --cert n2/node.crt --key n2.p12 --key-password-file badpw --password-file pw
ac_run_ok export --p12 y.p12 --cert n2/node.crt --key n2.p12 --key-password-file pw --password-file pw
openssl pkcs8 -topk8 -in n1/node.key -out n1-enc.key -passout pass:p12-pass -v2 aes-256-cbc
ac_run_fails 'password' export --p12 z.p12 --cert n1/node.crt --key n1-enc.key --password-file pw
ac_run_ok export --p12 z.p12 --cert n1/node.crt --key n1-enc.key --key-password-file pw --password-file pw
ac_run_ok inspect --password-file pw n2.p12
grep -q 'key matches the first certificate: yes' stdout || ac_fail "inspect of PKCS#12: key match not shown"
[ "$(ac_sum n2.p12)" = "$sum" ] || ac_fail "n2.p12 was changed"
ac_ok "export: PKCS#12 readable by openssl, inputs from PKCS#12 and encrypted PKCS#8"

# --- bad input: a clear reason, nothing written -------------------------------------------
issue() { ac_run_fails "$1" ca issue --ca-cert pki/intermediate.crt --ca-key pki/intermediate.key --out bad "${@:2}"; }
issue 'invalid IP address .300\.1\.1\.1' --ip 300.1.1.1
issue 'invalid IP address' --ip 127.0.0.1,fe80::zz
issue 'bad_name' --dns bad_name!
issue 'is an IP address' --dns 10.0.0.1
issue 'empty DNS name' --dns a.example,,b.example
issue 'days' --dns a.example --days 0
issue 'days' --dns a.example --days -5
issue 'outlive' --dns a.example --days 500
issue 'at least one' --cn lonely
ac_stderr_names '(give them with --dns/--ip)'
issue 'key-type' --dns a.example --key-type dsa
ac_run_fails 'does not match' ca issue --ca-cert pki/intermediate.crt --ca-key pki/ca.key --dns a.example --out bad
ac_run_fails 'not a CA' ca issue --ca-cert n1/node.crt --ca-key n1/node.key --dns a.example --out bad
ac_run_fails 'pathLen 0' ca create --intermediate --ca-cert pki/intermediate.crt --ca-key pki/intermediate.key --out bad
ac_run_fails 'no such file' ca issue --ca-cert pki/missing.crt --ca-key pki/ca.key --dns a.example --out bad
[ ! -e bad/node.crt ] && [ ! -e bad/node.key ] || ac_fail "files written after refused input"
sum=$(ac_sum n1/node.crt)
ac_run_fails 'already exists' ca issue --ca-cert pki/ca.crt --ca-key pki/ca.key --dns other.example --out n1
ac_stderr_names '(--force replaces it)'
[ "$(ac_sum n1/node.crt)" = "$sum" ] || ac_fail "n1/node.crt was overwritten"
ac_run_ok ca issue --ca-cert pki/ca.crt --ca-key pki/ca.key --dns other.example --out n1 --force
[ "$(ac_sum n1/node.crt)" != "$sum" ] || ac_fail "--force did not replace n1/node.crt"
[ "$(ac_mode n1/node.key)" = 600 ] || ac_fail "replaced key mode is $(ac_mode n1/node.key)"
ls -a n1 | grep -q autocert-tmp && ac_fail "a temporary file was left behind"
ac_ok "bad input refused with a reason; existing files kept; --force replaces atomically"

# --- the same commands on a certificate in the ACME cache -------------------------------
# A cache entry laid out as `autocert obtain` stores it: the certificate, its chain,
# both together, the key, meta.json.
mkdir -p -m 700 cache cache/certs cache/certs/n2.example
awk '{ print > (n < 1 ? "cache/certs/n2.example/cert.pem" : "cache/certs/n2.example/chain.pem") }
     /-----END CERTIFICATE-----/ { n++ }' n2/node.crt
cat cache/certs/n2.example/cert.pem cache/certs/n2.example/chain.pem >cache/certs/n2.example/fullchain.pem
cmp -s n2/node.crt cache/certs/n2.example/fullchain.pem || ac_fail "could not split n2/node.crt"
cp n2/node.key cache/certs/n2.example/privkey.pem
echo '{"names":["node2.example"]}' >cache/certs/n2.example/meta.json
ac_run_ok inspect --cache cache --cached n2.example
grep -q 'SANs: *DNS:node2.example' stdout || ac_fail "inspect --cached: no SANs"
ac_run_ok verify --ca pki/ca.crt --host node2.example --cache cache --cached n2.example
ac_run_fails 'name mismatch' verify --ca pki/ca.crt --host other.example --cache cache --cached n2.example
ac_run_ok export --p12 cached.p12 --cache cache --cached n2.example --password-file pw
ac_run_fails 'no cached certificate' inspect --cache cache --cached missing.example
ac_ok "inspect, verify and export on a cached certificate"

ac_done
