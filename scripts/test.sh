#!/bin/sh
# test.sh: the whole test suite: a -Werror build with `make check`, `make distcheck` (the release tarball builds and passes on its own), an ASan+UBSan build with `make check`, the CLI integration tests under valgrind memcheck (`make check-valgrind`), then every libFuzzer target for a bounded time.
#
# Installs missing build dependencies first when run as root (scripts/install-deps.sh).
# Build directories: build-werror/, build-sanitizers/, build-valgrind/ and build-fuzz/ in the source tree.
# Environment: JOBS (default 2), FUZZ_SECONDS (each fuzz target's run, default 12).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${JOBS:-2}

if [ "$(id -u)" = 0 ]; then
    scripts/install-deps.sh --if-missing
fi

./autogen.sh >/dev/null 2>&1 || ./autogen.sh

# The Pebble with ARI and profiles (Debian's has neither), where it sits
# beside the tree: the tests of those find it here, also from the unpacked
# tarball of distcheck.  Without it they skip, saying why.
if [ -z "${AC_PEBBLE_NEW_DIR:-}" ] && [ -x "$top/../shared/pebble/pebble" ]; then
    AC_PEBBLE_NEW_DIR=$(cd "$top/../shared/pebble" && pwd)
    export AC_PEBBLE_NEW_DIR
fi

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
# fuzz: the libFuzzer targets (clang) from their seeds, FUZZ_SECONDS each,
# two at a time: any crash, leak, timeout or terminal control fails.
run_fuzz() {
    dir=$top/build-fuzz
    echo "=== fuzz: configure CC=clang --enable-werror --enable-fuzzers"
    rm -rf "$dir"
    mkdir -p "$dir"
    cd "$dir"
    CC=clang "$top/configure" -q --enable-werror --enable-fuzzers
    echo "=== fuzz: make -j$jobs"
    make -j"$jobs" >make.out 2>&1 || { cat make.out; echo "=== fuzz: build failed"; return 1; }
    echo "=== fuzz: make fuzz FUZZ_SECONDS=${FUZZ_SECONDS:-12}"
    if ! make fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-12}" >fuzz.out 2>&1; then
        cat fuzz.out
        echo "=== fuzz: failed"
        return 1
    fi
    grep -E '^(PASS|FAIL):' fuzz.out
    total_pass=$((total_pass + $(grep -c '^PASS:' fuzz.out)))
    cd "$top"
}
[ "$status" -ne 0 ] || run_fuzz || status=1
echo "check: $total_pass passed, $total_fail failed, $total_skip skipped"
exit "$status"
