# pgstart.sh: sourced by the PostgreSQL benchmarks: a throwaway PostgreSQL server in a temporary work directory.
# shellcheck shell=sh
#
# pg_start NAME [SERVER-OPTIONS]: makes WORK (removed on exit, the server
# stopped by its PID first), runs initdb into WORK/pg/data as `nobody` when
# run as root, starts the server on a Unix socket in WORK/pg (no TCP) with
# SERVER-OPTIONS added (e.g. "-c fsync=off"), and sets PGPID and `url`, the
# cache URL of its database.  Exits 1 without initdb/pg_ctl.

# as_owner CMD...: CMD as the database's owner (`nobody` when run as root).
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- "$@"
    else
        "$@"
    fi
}

pg_cleanup() {
    if [ -n "$PGPID" ]; then
        kill -INT "$PGPID" 2>/dev/null || true
        i=0
        while kill -0 "$PGPID" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    fi
    rm -rf "$WORK"
}

pg_start() {
    PGBIN=""
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r) \
        "$(dirname "$(command -v initdb 2>/dev/null || echo /none/x)")"; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { PGBIN=$d; break; }
    done
    [ -n "$PGBIN" ] || { echo "no initdb/pg_ctl (Debian package postgresql)" >&2; exit 1; }
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/autocert-bench-$1.XXXXXX")
    PGPID=""
    trap pg_cleanup EXIT
    mkdir -p "$WORK/pg/data"
    if [ "$(id -u)" = 0 ]; then
        chmod 711 "$WORK"
        chown -R nobody "$WORK/pg"
    fi
    (cd "$WORK/pg" && as_owner "$PGBIN/initdb" -D "$WORK/pg/data" -U autocert --auth=trust \
        --no-sync >/dev/null)
    (cd "$WORK/pg" && as_owner "$PGBIN/pg_ctl" -D "$WORK/pg/data" -w -l "$WORK/pg/log" \
        -o "-c listen_addresses='' -c unix_socket_directories=$WORK/pg ${2:-}" start >/dev/null)
    PGPID=$(head -n 1 "$WORK/pg/data/postmaster.pid")
    # shellcheck disable=SC2034 # read by the script that sources this
    url="postgresql:///postgres?host=$WORK/pg&user=autocert"
}
