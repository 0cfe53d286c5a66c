#!/bin/sh
# deploy_setcap.sh: port 80 without root: a copy of autocert with cap_net_bind_service run as an unprivileged user, and --user dropping root after binding (obtain, renew).
AC_TEST_SLOT=31
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (setcap, and users to become)"; exit 77; }
[ "${AC_NETNS:-0}" = 1 ] || { echo "SKIP: needs a private network namespace for port 80"; exit 77; }
for tool in setcap getcap setpriv; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: no $tool (scripts/install-deps.sh)"; exit 77; }
done
id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }
static=$top_builddir/tests/tools/autocert-static
[ -x "$static" ] || ac_fail "no $static (make check builds it)"

start_pebble
[ "$AC_HTTP_PORT" = 80 ] || ac_fail "the validator does not use port 80"

# Everything nobody needs is reachable: the work directory, the CA bundle.
chmod 711 "$WORK"
chmod 644 "$WORK/tls-ca.pem"
mkdir -m 755 "$WORK/bin"
nogroup=$(id -gn nobody)

# as_nobody LABEL ARGS...: runs ARGS as nobody (see ac_exec for the rest).
as_nobody() {
    ac_label=$1
    shift
    set +e
    timeout -k 5 120 setpriv --reuid=nobody --regid="$nogroup" --clear-groups "$@" \
        >"$WORK/stdout" 2>"$WORK/stderr"
    AC_RC=$?
    set -e
    echo "\$ (as nobody) $ac_label -> exit $AC_RC"
}

# owned_by_nobody DIR: every file and directory under DIR belongs to nobody.
owned_by_nobody() {
    others=$(find "$1" ! -user nobody | head -n 3)
    [ -z "$others" ] || ac_fail "not owned by nobody: $others"
}

# 1. A copy with the capability binds port 80 as nobody.
cp "$static" "$WORK/bin/autocert"
chmod 755 "$WORK/bin/autocert"
setcap cap_net_bind_service=+ep "$WORK/bin/autocert" 2>"$WORK/setcap.err" || {
    echo "SKIP: setcap failed here: $(cat "$WORK/setcap.err")"
    exit 77
}
getcap "$WORK/bin/autocert" | grep -q cap_net_bind_service || ac_fail "getcap does not show the capability"
install -d -m 700 -o nobody -g "$nogroup" "$WORK/ncache"
as_nobody "obtain with cap_net_bind_service" "$WORK/bin/autocert" obtain --agree-tos \
    --directory "$AC_DIRECTORY" --ca-bundle "$WORK/tls-ca.pem" --cache "$WORK/ncache" cap.example
[ "$AC_RC" -eq 0 ] || ac_fail "obtain as nobody with the capability exited $AC_RC: $(cat "$WORK/stderr")"
CACHE=$WORK/ncache ac_check_cert cap.example
owned_by_nobody "$WORK/ncache"
ac_ok "unprivileged obtain on port 80 through the file capability"

# 2. Without it the same run is refused port 80, saying so.
cp "$static" "$WORK/bin/autocert-plain"
chmod 755 "$WORK/bin/autocert-plain"
as_nobody "obtain without the capability" "$WORK/bin/autocert-plain" -v obtain --agree-tos \
    --directory "$AC_DIRECTORY" --ca-bundle "$WORK/tls-ca.pem" --cache "$WORK/ncache" --force \
    nocap.example
ac_failed "obtain on port 80 as nobody without the capability"
ac_stderr_has 'port 80|:80'
ac_stderr_has 'permission denied|not permitted'
[ "$(ac_requests)" = 0 ] || ac_fail "the port was found closed only after $(ac_requests) requests"
ac_no_cert nocap.example
ac_ok "without the capability: port 80 refused, named, before any request"

# 3. Started as root with --user: binds, then runs as nobody.
install -d -m 700 -o nobody -g "$nogroup" "$WORK/ucache"
AC_HTTP_ARGS="--user nobody" CACHE=$WORK/ucache ac_obtain_ok user.example
CACHE=$WORK/ucache ac_check_cert user.example
owned_by_nobody "$WORK/ucache"
ac_ok "--user: port bound as root, everything after as nobody"

# renew --user, as the README's third way runs it: port 80 bound as root,
# the order and the new files as nobody.
old_serial=$(openssl x509 -in "$WORK/ucache/certs/user.example/cert.pem" -noout -serial)
ac_exec "renew --user nobody --force" renew --user nobody --force --ca-bundle "$WORK/tls-ca.pem" \
    --cache "$WORK/ucache"
[ "$AC_RC" -eq 0 ] || ac_fail "renew --user nobody exited $AC_RC: $(cat "$WORK/stderr")"
[ "$(openssl x509 -in "$WORK/ucache/certs/user.example/cert.pem" -noout -serial)" != "$old_serial" ] ||
    ac_fail "renew --user did not renew"
CACHE=$WORK/ucache ac_check_cert user.example
owned_by_nobody "$WORK/ucache"
ac_ok "renew --user: port bound as root, the renewal as nobody"

# 4. --user named wrong, or given without root.
AC_HTTP_ARGS="--user no-such-user-here" CACHE=$WORK/ucache ac_obtain_fails x.example
ac_stderr_has "invalid --user 'no-such-user-here' \(no such user\)"
as_nobody "obtain --user nobody" "$WORK/bin/autocert-plain" obtain --agree-tos --user nobody \
    --directory "$AC_DIRECTORY" --ca-bundle "$WORK/tls-ca.pem" --cache "$WORK/ucache" x.example
ac_failed "--user without root"
ac_stderr_has "only root can change user"
ac_ok "--user: an unknown user and a caller without root refused"

ac_done
