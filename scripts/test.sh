#!/bin/sh
# test.sh: the whole test suite: a -Werror build with `make check`, `make distcheck` (the release tarball builds and passes on its own), an ASan+UBSan build with `make check`, then the CLI integration tests under valgrind memcheck (`make check-valgrind`).
#
# Installs missing build dependencies first when run as root (scripts/install-deps.sh).
# Build directories: build-werror/, build-sanitizers/ and build-valgrind/ in the source tree.
# Environment: JOBS (default 2).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${JOBS:-2}

if [ "$(id -u)" = 0 ]; then
    scripts/install-deps.sh --if-missing
fi

./autogen.sh >/dev/null 2>&1 || ./autogen.sh

total_pass=0
total_fail=0
total_skip=0

# count FIELD LOG: the number after "# FIELD:" in an automake test-suite.log.
count() {
    n=$(sed -n "s/^# $1: *\\([0-9]*\\).*/\\1/p" "$2" | head -n 1)
    echo "${n:-0}"
}

# run_pass NAME CONFIGURE-ARGS...: a build in build-NAME and its `make check`
# (TARGET, default check, whose log is LOG, default test-suite.log).
run_pass() {
    name=$1
    shift
    target=${TARGET:-check}
    log=${LOG:-test-suite.log}
    dir=$top/build-$name
    echo "=== $name: configure $*"
    rm -rf "$dir"
    mkdir -p "$dir"
    cd "$dir"
    "$top/configure" -q "$@"
    echo "=== $name: make -j$jobs"
    make -j"$jobs" >make.out 2>&1 || { cat make.out; echo "=== $name: build failed"; return 1; }
    echo "=== $name: make $target"
    rc=0
    make -j"$jobs" "$target" >check.out 2>&1 || rc=$?
    grep -E '^(PASS|FAIL|SKIP|XFAIL|XPASS|ERROR):' check.out || true
    if [ -f "$log" ]; then
        total_pass=$((total_pass + $(count PASS "$log") + $(count XFAIL "$log")))
        total_fail=$((total_fail + $(count FAIL "$log") + $(count XPASS "$log") + $(count ERROR "$log")))
        total_skip=$((total_skip + $(count SKIP "$log")))
    fi
    if [ "$rc" -ne 0 ]; then
        if [ -f "$log" ]; then
            cat "$log"
        else
            cat check.out
        fi
        echo "=== $name: make $target failed"
        return 1
    fi
    cd "$top"
}

# distcheck: the tarball of the -Werror build, unpacked, built and checked.
run_distcheck() {
    echo "=== distcheck: make distcheck"
    cd "$top/build-werror"
    if ! make -j"$jobs" distcheck >distcheck.out 2>&1; then
        grep -E '^(FAIL|ERROR):' distcheck.out || tail -n 40 distcheck.out
        echo "=== distcheck: failed"
        return 1
    fi
    grep -E '^# (TOTAL|PASS|FAIL):' distcheck.out | tr '\n' ' '
    echo
    cd "$top"
}

status=0
run_pass werror --enable-werror || status=1
[ "$status" -ne 0 ] || run_distcheck || status=1
if [ "$status" -eq 0 ]; then
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export ASAN_OPTIONS UBSAN_OPTIONS
    run_pass sanitizers --enable-werror --enable-sanitizers || status=1
fi
# Memcheck: a plain build of its own, the CLI integration tests two at a time.
if [ "$status" -eq 0 ]; then
    TARGET=check-valgrind LOG=test-suite-valgrind.log run_pass valgrind --enable-werror || status=1
fi
echo "check: $total_pass passed, $total_fail failed, $total_skip skipped"
exit "$status"
