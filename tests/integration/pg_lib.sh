# pg_lib.sh: a throwaway PostgreSQL server for the tests of the PostgreSQL cache (sourced after lib.sh).
#
#   AC_TEST_SLOT=71
#   . "$top_srcdir/tests/integration/lib.sh"
#   . "$top_srcdir/tests/integration/pg_lib.sh"
#   pg_start
#
# pg_start runs initdb into $WORK/pg/data -- as the user `nobody` when run as
# root, who then owns the data directory -- and pg_ctl start with a Unix
# socket in $WORK/pg/sock and TCP on 127.0.0.1:AC_PG_PORT.  Over the socket
# the superuser `pgadmin` gets in without a password (pg_psql); over TCP
# every login needs its password (scram-sha-256).  It creates the role
# `autocert` (password AC_PG_PASSWORD) owning the database `autocert`, and
# sets AC_PG_URL, the cache URL with that password, and AC_PG_URL_SAFE,
# the same without it.  The server is stopped by its PID in the cleanup
# (pg_stop: fast shutdown).  The test is skipped (exit 77) only when the
# server programs (initdb, pg_ctl: Debian package postgresql) are absent
# or autocert was built without PostgreSQL support.

AC_PG_BIN=""
for ac_d in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")" \
    $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -x "$ac_d/initdb" ] && [ -x "$ac_d/pg_ctl" ] && [ -x "$ac_d/psql" ]; then
        AC_PG_BIN=$ac_d
        break
    fi
done
if [ -z "$AC_PG_BIN" ]; then
    echo "SKIP: the PostgreSQL server programs (initdb, pg_ctl, psql) are not installed (Debian package 'postgresql')"
    exit 77
fi
if "$AUTOCERT_BIN" list --cache postgresql://nobody@127.0.0.1:1/x 2>&1 |
    grep -q 'without PostgreSQL support'; then
    echo "SKIP: autocert was built without PostgreSQL support (configure --with-postgresql)"
    exit 77
fi

if [ "${AC_NETNS:-}" = 1 ]; then
    AC_PG_PORT=5432
else
    AC_PG_PORT=$((${AC_PORT_BASE:-20000} + ${AC_TEST_SLOT:-0} * 10 + 8)) # offset 6 is AC_TLS_PORT
fi
AC_PG_DIR=$WORK/pg
AC_PG_PASSWORD=pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
AC_PG_URL=postgresql://autocert:$AC_PG_PASSWORD@127.0.0.1:$AC_PG_PORT/autocert
AC_PG_URL_SAFE=postgresql://autocert@127.0.0.1:$AC_PG_PORT/autocert
AC_PG_PID=""

# pg_as_owner CMD...: runs CMD as the owner of the data directory.
pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- "$@"
    else
        "$@"
    fi
}

# pg_psql SQL: runs SQL as the superuser over the socket; rows on stdout,
# unaligned, fields separated by '|'.
pg_psql() {
    "$AC_PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h "$AC_PG_DIR/sock" -p "$AC_PG_PORT" \
        -U pgadmin -d autocert -c "$1"
}

pg_start_server() {
    (cd "$AC_PG_DIR" && pg_as_owner "$AC_PG_BIN/pg_ctl" -D "$AC_PG_DIR/data" -w -t 30 \
        -l "$AC_PG_DIR/postgres.log" -o "-c listen_addresses=127.0.0.1 -p $AC_PG_PORT \
-c unix_socket_directories=$AC_PG_DIR/sock -c fsync=off -c max_connections=30" start \
        >"$WORK/pg_ctl.out" 2>&1) || ac_fail "pg_ctl start failed: $(cat "$WORK/pg_ctl.out")"
    AC_PG_PID=$(head -n 1 "$AC_PG_DIR/data/postmaster.pid")
    ac_alive "$AC_PG_PID" || ac_fail "PostgreSQL is not running (see pg/postgres.log)"
}

pg_start() {
    mkdir -p "$AC_PG_DIR/data" "$AC_PG_DIR/sock"
    if [ "$(id -u)" = 0 ]; then
        chmod 711 "$WORK"
        chown -R nobody "$AC_PG_DIR"
    fi
    (cd "$AC_PG_DIR" && pg_as_owner "$AC_PG_BIN/initdb" -D "$AC_PG_DIR/data" -U pgadmin \
        --auth-local=trust --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 \
        >"$WORK/initdb.log" 2>&1) || ac_fail "initdb failed: $(tail -n 5 "$WORK/initdb.log")"
    pg_start_server
    "$AC_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$AC_PG_DIR/sock" -p "$AC_PG_PORT" \
        -U pgadmin -d postgres \
        -c "CREATE ROLE autocert LOGIN PASSWORD '$AC_PG_PASSWORD'" \
        -c "CREATE DATABASE autocert OWNER autocert" >/dev/null ||
        ac_fail "cannot create the role and database"
}

# pg_stop: fast shutdown (SIGINT) of the server by its PID, waiting up to
# 10 s, then SIGQUIT.
pg_stop() {
    [ -n "$AC_PG_PID" ] || return 0
    kill -INT "$AC_PG_PID" 2>/dev/null || true
    ac_i=0
    while kill -0 "$AC_PG_PID" 2>/dev/null && [ "$ac_i" -lt 100 ]; do
        sleep 0.1
        ac_i=$((ac_i + 1))
    done
    kill -QUIT "$AC_PG_PID" 2>/dev/null || true
    AC_PG_PID=""
}

pg_cleanup() {
    ac_pg_rc=$?
    set +e # a failing test's status must not end the cleanup here
    pg_stop
    (exit "$ac_pg_rc")
    ac_cleanup
}
trap pg_cleanup EXIT

# ac_pg ARGS...: runs autocert ARGS with the database cache (see ac_exec).
ac_pg_obtain() {
    # shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
    ac_exec "obtain --cache \$AC_PG_URL $*" obtain --directory "$AC_DIRECTORY" \
        --ca-bundle "$WORK/tls-ca.pem" --cache "$AC_PG_URL" --agree-tos $AC_HTTP_ARGS "$@"
}

# pg_count_orders: the orders Pebble received so far.
pg_count_orders() {
    grep -c 'POST /order-plz' "$WORK/pebble.log" || true
}

# pg_make_hook: PG_HOOK, a DNS-01 hook command (no HTTP port to share
# between processes) that publishes through pebble-challtestsrv.  While
# $WORK/hold exists, its "add" first waits (at most 30 s) until $WORK/go
# appears, after leaving $WORK/in-hook and its PID in $WORK/hook.pid: the
# order stops there, its lock held.
pg_make_hook() {
    cat >"$WORK/hook.sh" <<EOS
#!/bin/sh
if [ "\$1" = add ] && [ -f "$WORK/hold" ]; then
    echo \$\$ >"$WORK/hook.pid"
    touch "$WORK/in-hook"
    i=0
    while [ ! -f "$WORK/go" ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done
fi
CHALLTESTSRV_URL=http://127.0.0.1:$AC_CHALL_PORT exec sh "$top_srcdir/scripts/dns-hook-challtestsrv.sh" "\$@"
EOS
    PG_HOOK="sh $WORK/hook.sh \"\$@\""
}

# pg_set_whole SET: the certificate set holds its five items, of one
# generation: fullchain.pem is cert.pem and chain.pem, the key is the
# certificate's (keys stored in clear: no key file).
pg_set_whole() {
    [ "$(pg_psql "SELECT count(*) FROM autocert_items WHERE set_key = '$1'")" = 5 ] ||
        ac_fail "$1 does not hold its five items"
    [ "$(pg_psql "SELECT (SELECT data FROM autocert_items WHERE set_key = '$1' AND name = 'fullchain.pem') =
        (SELECT data FROM autocert_items WHERE set_key = '$1' AND name = 'cert.pem') ||
        (SELECT data FROM autocert_items WHERE set_key = '$1' AND name = 'chain.pem')")" = t ] ||
        ac_fail "$1: fullchain.pem is not cert.pem followed by chain.pem"
    pg_psql "SELECT encode(data, 'escape') FROM autocert_items WHERE set_key = '$1' AND name = 'privkey.pem'" |
        openssl pkey -pubout >"$WORK/pub.key" 2>/dev/null || ac_fail "$1: no readable privkey.pem"
    pg_psql "SELECT encode(data, 'escape') FROM autocert_items WHERE set_key = '$1' AND name = 'cert.pem'" |
        openssl x509 -noout -pubkey >"$WORK/pub.cert" 2>/dev/null || ac_fail "$1: no readable cert.pem"
    cmp -s "$WORK/pub.key" "$WORK/pub.cert" || ac_fail "$1: privkey.pem does not match cert.pem"
}

# pg_generation SET: the set's generation ("" when absent).
pg_generation() {
    pg_psql "SELECT generation FROM autocert_sets WHERE key = '$1'"
}
