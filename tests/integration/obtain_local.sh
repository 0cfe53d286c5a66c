#!/bin/sh
# obtain_local.sh: a cache autocert did not make as it is (links, wrong types, another user's, modes) is refused and left alone; its own broken entry is replaced whole.
#
# autocert runs as `nobody` (setpriv); "another user's" is root's.  Every case
# starts from the same cache (an account and the entry local.example.org),
# checks the exit status, that stderr is one line naming the path and the
# reason, and compares a checksum snapshot of the whole cache (names, types,
# modes, owners, link targets, contents) with the one taken before.
AC_TEST_SLOT=15
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (runs autocert as nobody, files as root's)"
    exit 77
fi
if ! command -v setpriv >/dev/null 2>&1 || ! id nobody >/dev/null 2>&1; then
    echo "SKIP: needs setpriv and the user nobody"
    exit 77
fi
# nobody may not listen on port 80.
if [ "${AC_NETNS:-}" = 1 ]; then
    AC_HTTP_PORT=5002
    AC_HTTP_ARGS="--http-port $AC_HTTP_PORT"
fi
start_pebble
ngroup=$(id -gn nobody)

# autocert as nobody: the work directory is searchable, the TLS CA readable.
chmod 711 "$WORK"
chmod 644 "$WORK/tls-ca.pem"
cat >"$WORK/as-nobody" <<EOF
#!/bin/sh
exec setpriv --reuid=nobody --regid=$ngroup --clear-groups "$AUTOCERT_BIN" "\$@"
EOF
chmod 755 "$WORK/as-nobody"
AUTOCERT_BIN=$WORK/as-nobody

name=local.example.org
C=$WORK/c
CACHE=$C
E=$C/certs/$name
mkdir -m 700 "$C"
chown nobody "$C"
ac_obtain_ok "$name"
ac_check_cert "$name"
ACCT=$(find "$C/accounts" -mindepth 1 -maxdepth 1 -type d)
[ -n "$ACCT" ] || ac_fail "no account"
cp -a "$C" "$WORK/golden"
mkdir -m 700 "$WORK/mine"
chown nobody "$WORK/mine"
ac_ok "a cache of nobody's with an account and $name"

# restore: the cache as it was after the first run.
restore() {
    rm -rf "$C" "$WORK/mine"/* "$WORK/clink"
    cp -a "$WORK/golden" "$C"
    CACHE=$C
}

# snap FILE [SKIP]: names, types, modes, owners, link targets and checksums of
# everything under the cache, SKIP (a path under it) left out.
snap() {
    (
        cd "$WORK"
        skip=${2:-/none}
        find c -path "c${skip#"$C"}" -prune -o -printf '%p %y %m %U %l\n' | sort
        find c -path "c${skip#"$C"}" -prune -o -type f -exec sha256sum {} + | sort
    ) >"$WORK/$1"
}

FAILS=0
NCASES=0
# bad WHY: the case fails (reported; the other cases still run).
bad() {
    echo "FAIL: $CASE: $1"
    sed 's/^/    stderr: /' "$WORK/stderr"
    FAILS=$((FAILS + 1))
}

# said PATH REASON: stderr is one line naming PATH and matching the ERE REASON.
said() {
    [ "$(wc -l <"$WORK/stderr")" -eq 1 ] || { bad "stderr is not one line"; return 1; }
    grep -qF -- "$1:" "$WORK/stderr" || { bad "stderr does not name $1 (followed by a colon)"; return 1; }
    grep -qiE -- "$2" "$WORK/stderr" || { bad "stderr does not say /$2/"; return 1; }
}

# stops CASE PATH REASON [ARGS...]: obtain (with ARGS) exits 1 naming PATH and
# REASON, and changes nothing.
stops() {
    CASE=$1
    NCASES=$((NCASES + 1))
    snap before
    p=$2
    r=$3
    shift 3
    ac_obtain -q "$name" "$@"
    snap after
    cmp -s "$WORK/before" "$WORK/after" || {
        bad "the cache changed (exit status $AC_RC): $(diff "$WORK/before" "$WORK/after" | grep '^[<>]' | head -n 6)"
        return 0
    }
    [ "$AC_RC" -eq 1 ] || { bad "exit status $AC_RC, expected 1"; return 0; }
    said "$p" "$r" || return 0
    ac_ok "$CASE: exit 1, '$(cat "$WORK/stderr")', nothing changed"
}

# replaced CASE PATH REASON [ARGS...]: obtain replaces the entry whole (exit 0)
# saying why (PATH, REASON: a warning line, or none when PATH is empty) and
# touches nothing else.
replaced() {
    CASE=$1
    NCASES=$((NCASES + 1))
    snap before "$E"
    cp "$E/cert.pem" "$WORK/cert.old" 2>/dev/null || : >"$WORK/cert.old"
    p=$2
    r=$3
    shift 3
    ac_obtain -q "$name" "$@"
    snap after "$E"
    [ "$AC_RC" -eq 0 ] || { bad "exit status $AC_RC, expected 0"; return 0; }
    if [ -n "$p" ]; then
        said "$p" "$r" || return 0
    elif [ -s "$WORK/stderr" ]; then
        bad "stderr is not empty"
        return 0
    fi
    cmp -s "$WORK/before" "$WORK/after" || {
        bad "more than the entry changed: $(diff "$WORK/before" "$WORK/after" | grep '^[<>]' | head -n 6)"
        return 0
    }
    ! cmp -s "$E/cert.pem" "$WORK/cert.old" || { bad "the certificate is the old one"; return 0; }
    (ac_check_cert "$name" >/dev/null) || { bad "the new entry is not whole"; return 0; }
    [ "$(stat -c %U "$E")" = nobody ] || { bad "the new entry is not nobody's"; return 0; }
    ac_ok "$CASE: replaced whole${p:+, '$(cat "$WORK/stderr")'}"
}

# as_root PATH...: PATH belongs to root (and its group).
as_root() {
    chown -h root:root "$@"
}

# --- the cache root ---------------------------------------------------------------
restore; chmod 000 "$C"
stops "cache root of mode 000" "$C" 'mode 000|permission denied'
restore; as_root "$C"
stops "cache root of another user" "$C" 'belongs to uid 0'
restore; rm -rf "$C"; echo file >"$C"; chown nobody "$C"
stops "cache root that is a file" "$C" 'not a directory'
restore; rm -rf "$C"; echo file >"$WORK/mine/f"; chown nobody "$WORK/mine/f"; ln -s "$WORK/mine/f" "$C"
stops "cache root that is a link to a file" "$C" 'not a directory'

restore; mv "$C" "$WORK/mine/c"; ln -s "$WORK/mine/c" "$WORK/clink"; CACHE=$WORK/clink
CASE="cache root reached through a link to the user's own directory"
NCASES=$((NCASES + 1))
(cd "$WORK" && find mine/c -printf '%P %y %m %U %l\n' | sort) >"$WORK/before"
ac_obtain -q "$name"
(cd "$WORK" && find mine/c -printf '%P %y %m %U %l\n' | sort) >"$WORK/after"
if [ "$AC_RC" -ne 2 ]; then
    bad "exit status $AC_RC, expected 2 (cached)"
elif ! cmp -s "$WORK/before" "$WORK/after"; then
    bad "the cache changed"
else
    ac_ok "$CASE: cached, exit 2"
fi
CACHE=$C

restore; snap snap.golden; chmod 777 "$C"
CASE="cache root of mode 777"
NCASES=$((NCASES + 1))
ac_obtain -q "$name"
snap after
if [ "$AC_RC" -ne 2 ]; then
    bad "exit status $AC_RC, expected 2 (cached)"
elif ! cmp -s "$WORK/snap.golden" "$WORK/after"; then
    bad "not only the root's mode changed to 700: $(diff "$WORK/snap.golden" "$WORK/after" | grep '^[<>]' | head -n 4)"
else
    ac_ok "$CASE: tightened to 700, nothing else changed"
fi

# --- the areas -----------------------------------------------------------------------
restore; rm -rf "$C/certs"; echo file >"$C/certs"; chown nobody "$C/certs"
stops "certs/ that is a file" "$C/certs" 'not a directory'
restore; mv "$C/certs" "$WORK/mine/certs"; ln -s "$WORK/mine/certs" "$C/certs"; chown -h nobody "$C/certs"
stops "certs/ that is a link" "$C/certs" 'symbolic link'
restore; chmod 755 "$C/certs" "$E"; chmod 644 "$E"/*; as_root "$C/certs"
stops "certs/ of another user" "$C/certs" 'belongs to uid 0'
restore; chmod 000 "$C/certs"
stops "certs/ of mode 000" "$C/certs" 'mode 000|permission denied'
restore; rm -rf "$C/accounts"; echo file >"$C/accounts"; chown nobody "$C/accounts"
stops "accounts/ that is a file" "$C/accounts" 'not a directory' --force

# --- the entry ---------------------------------------------------------------------------
for force in "" --force; do
    restore; rm -rf "$E"; echo file >"$E"; chown nobody "$E"
    stops "an entry that is a file${force:+ ($force)}" "$E" 'not a directory' $force
    restore; mv "$E" "$WORK/mine/entry"; ln -s "$WORK/mine/entry" "$E"; chown -h nobody "$E"
    stops "an entry that is a link${force:+ ($force)}" "$E" 'symbolic link' $force
    restore; chmod 755 "$E"; chmod 644 "$E"/*; as_root "$E"
    stops "an entry of another user${force:+ ($force)}" "$E" 'belongs to uid 0' $force
    restore; mv "$E/privkey.pem" "$WORK/mine/key"; ln -s "$WORK/mine/key" "$E/privkey.pem"
    chown -h nobody "$E/privkey.pem"
    stops "a key that is a link${force:+ ($force)}" "$E/privkey.pem" 'symbolic link' $force
done
restore; chmod 000 "$E"
stops "an entry of mode 000" "$E" 'mode 000|permission denied'
restore; chmod 000 "$E/privkey.pem"
stops "a key of mode 000" "$E/privkey.pem" 'mode 000|permission denied'
restore; chmod 644 "$E/cert.pem"; as_root "$E/cert.pem"
stops "cert.pem of another user" "$E/cert.pem" 'belongs to uid 0'
restore; rm "$E/chain.pem"; mkdir -m 700 "$E/chain.pem"; echo x >"$E/chain.pem/x"
chown -R nobody "$E/chain.pem"
stops "a directory as chain.pem" "$E/chain.pem" 'a directory'

# --- the account -----------------------------------------------------------------------------
restore; chmod 000 "$ACCT/account.key"
stops "an account key of mode 000" "$ACCT/account.key" 'mode 000|permission denied' --force
restore; chmod 660 "$ACCT/account.key"
stops "a group-writable account key" "$ACCT/account.key" 'writable by group' --force
restore; mv "$ACCT/account.key" "$WORK/mine/akey"; ln -s "$WORK/mine/akey" "$ACCT/account.key"
chown -h nobody "$ACCT/account.key"
stops "an account key that is a link" "$ACCT/account.key" 'symbolic link' --force

# An account still to be registered where nobody may write accounts/: refused
# before any request to the CA (no account registered, no order made).
restore; rm -rf "$ACCT"; chmod 500 "$C/accounts"
CASE="accounts/ of mode 500, no account cached"
NCASES=$((NCASES + 1))
snap before
ac_obtain -v "$name" --force
snap after
if ! cmp -s "$WORK/before" "$WORK/after"; then
    bad "the cache changed"
elif [ "$AC_RC" -ne 1 ]; then
    bad "exit status $AC_RC, expected 1"
elif ! grep -qE "$C/accounts.*(permission denied|mode)" "$WORK/stderr"; then
    bad "stderr does not name $C/accounts and the reason"
elif [ "$(ac_requests)" != 0 ]; then
    bad "$(ac_requests) requests made before the cache was found unwritable"
else
    ac_ok "$CASE: exit 1, '$(grep "$C/accounts" "$WORK/stderr" | head -n 1)', no request"
fi

# --- entries replaced whole -------------------------------------------------------------------
restore; chmod 664 "$E/cert.pem"
replaced "a group-writable cert.pem" "$E/cert.pem" 'writable by group'
restore; chmod 606 "$E/privkey.pem"
replaced "a world-writable privkey.pem" "$E/privkey.pem" 'writable by group or others'
restore; chmod 646 "$E/meta.json"
replaced "a world-writable meta.json" "$E/meta.json" 'writable by group or others'
restore; chmod 000 "$E"
replaced "an entry of mode 000 (--force)" "$E" 'mode 000|permission denied' --force
restore; chmod 000 "$E/privkey.pem"
replaced "a key of mode 000 (--force)" "$E/privkey.pem" 'mode 000|permission denied' --force

[ "$FAILS" -eq 0 ] || ac_fail "$FAILS of $NCASES cases failed"
ac_ok "$NCASES cases"
ac_done
