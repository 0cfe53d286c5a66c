#!/bin/sh
# obtain_flood.sh: real Pebble validations succeed while floods of connections, idle or trickling, hold the HTTP-01 responder.
AC_TEST_SLOT=23
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

flood=$top_builddir/tests/tools/flood
[ -x "$flood" ] || ac_fail "no flood tool at $flood (make check builds it)"
# The responder listens only while autocert obtains: Pebble waits 0 to 2 s
# before each validation, so that the flood holds the responder by then.
start_pebble vasleep=3
AC_TIMEOUT=60

# flooded WHAT NAMES FLOOD-ARGS...: obtains NAMES while the flood tool
# (started first, reconnecting what it loses) holds the responder.  Pebble
# may sleep 0 s before every validation of an order (one order in 27 with
# one name): the order is then over before the flood has reconnected, and the
# case is run again, with --force, up to four times; every run must obtain.
flooded() {
    what=$1
    names=$2
    shift 2
    force=
    for try in 1 2 3 4; do
        ac_spawn flood.log "$flood" -p "$AC_HTTP_PORT" -d 90 "$@"
        flood_pid=$AC_LAST_PID
        # shellcheck disable=SC2086 # $force is empty or one word
        ac_obtain "$names" $force
        ac_stop "$flood_pid"
        [ "$AC_RC" -eq 0 ] || ac_fail "obtain during $what exited $AC_RC (try $try)"
        ac_check_cert "$names"
        held=$(sed -n 's/^held max \([0-9]*\) .*/\1/p' "$WORK/flood.log")
        # The flood did reach the responder: that many connections established
        # at once (held by the daemon or waiting in its listen queue).
        [ "${held:-0}" -ge 150 ] && break
        echo "note: $what held ${held:-0} connections at once (try $try); again"
        force=--force
    done
    [ "${held:-0}" -ge 150 ] || ac_fail "$what held only ${held:-0} connections at once, 4 tries"
    ac_ok "validated during $what ($(tail -n 1 "$WORK/flood.log"))"
}

flooded "300 idle connections from 127.0.0.2" idle.flood.example -n 300 -s 127.0.0.2
grep -q "Sleeping for" "$WORK/pebble.log" || ac_fail "Pebble did not wait before validating"
flooded "320 trickling connections from 16 addresses" trickle.flood.example \
    -n 320 -s 127.0.0.10 -k 16 -t 1000
# Many validations at once.  (During a flood from N addresses the CA holds
# as many connections at once as each of them, about 192 / (N + 1): with 16,
# Pebble's 60 validations, crowded together on a loaded machine, can need
# more.)
names=n1.flood.example
i=2
while [ "$i" -le 20 ]; do
    names=$names,n$i.flood.example
    i=$((i + 1))
done
flooded "300 idle connections from 127.0.0.2, 20 names (60 validations)" "$names" -n 300 -s 127.0.0.2
ac_done
