#!/bin/sh
# dns-hook-challtestsrv.sh: an autocert DNS-01 hook that publishes TXT records in pebble-challtestsrv.
#
#   autocert obtain --challenge dns-01 --dns-hook 'sh scripts/dns-hook-challtestsrv.sh' ...
#
# autocert runs the hook as `/bin/sh -c CMD autocert-hook ACTION NAME VALUE`, so
# that "$1" is add or remove, "$2" the record name (_acme-challenge.example.com)
# and "$3" the TXT value; the same values are in AUTOCERT_DNS_ACTION,
# AUTOCERT_DNS_NAME and AUTOCERT_DNS_VALUE.  This one calls the management API
# of pebble-challtestsrv (a test DNS server; POST /set-txt and /clear-txt) at
# $CHALLTESTSRV_URL (default http://127.0.0.1:8055).  A real hook does the same
# with its DNS provider (nsupdate, an HTTP API) and returns once the record is
# visible where the CA looks.  Exit status 0: done; anything else: failure.
set -eu

action=${1:?action}
name=${2:?record name}
value=${3:-}
url=${CHALLTESTSRV_URL:-http://127.0.0.1:8055}

# The values go into JSON: accept only what DNS names and base64url hold.
case $name$value in
*[!A-Za-z0-9._-]*) echo "dns-hook: unexpected characters in '$name' '$value'" >&2; exit 2 ;;
esac

case $action in
add)
    body=$(printf '{"host":"%s.","value":"%s"}' "$name" "$value")
    curl -sSf --max-time 10 -X POST -d "$body" "$url/set-txt" >/dev/null
    ;;
remove)
    # clear-txt drops every value at the name: a wildcard's and its base
    # name's at once.  autocert removes only after the CA has validated both.
    body=$(printf '{"host":"%s."}' "$name")
    curl -sSf --max-time 10 -X POST -d "$body" "$url/clear-txt" >/dev/null
    ;;
*)
    echo "dns-hook: unknown action '$action'" >&2
    exit 2
    ;;
esac
