#!/bin/sh
# install-deps.sh: installs with apt-get what building, testing and benchmarking autocert needs (Debian 12).
#
#   scripts/install-deps.sh              apt-get update, then install everything (root)
#   scripts/install-deps.sh --if-missing do nothing when every package is installed
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config
libcurl4-openssl-dev libjansson-dev libssl-dev libmicrohttpd-dev libcmocka-dev
pebble openssl ca-certificates curl iproute2 util-linux busybox time uacme jq libcap2-bin
clang libclang-rt-14-dev valgrind
libpq-dev postgresql"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done

if [ "${1:-}" = --if-missing ] && [ -z "$missing" ]; then
    exit 0
fi
if [ -z "$missing" ]; then
    echo "install-deps: all packages are installed"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run as root: apt-get install$missing" >&2
    exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # one word a package
apt-get install -y -q --no-install-recommends $missing
