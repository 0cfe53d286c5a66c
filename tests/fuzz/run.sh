#!/bin/sh
# run.sh: runs every libFuzzer target of a build (configure CC=clang --enable-fuzzers) for SECONDS each from its seeds, two at a time; fails on any crash, leak, timeout or terminal control.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     from the build directory (default 15 s, every target)
#
# New inputs the fuzzer finds go to fuzz-work/<target>/corpus in the build
# directory, never into the source tree; a failing input is kept as
# fuzz-work/<target>/crash-* (or leak-*, timeout-*) and its log printed.
set -eu

srcdir=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-15}
[ $# -gt 0 ] && shift
targets=${*:-"directory account order authz problem headers cache_meta cache_account certinfo issued key x509io escape ari http01"}
work=$(pwd)/fuzz-work

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

# run TARGET: one bounded fuzzing run; its log in fuzz-work/TARGET/log.
run() {
    t=$1
    bin=tests/fuzz/fuzz_$t
    dir=$work/$t
    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin is not built (configure CC=clang --enable-fuzzers, then make)" >&2
        return 1
    fi
    rm -rf "$dir"
    mkdir -p "$dir/corpus"
    # -timeout: one input may take at most 10 s; -rss_limit_mb: 2 GB.
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" "$srcdir/corpus/$t" \
        >"$dir/log" 2>&1
}

# report TARGET STATUS
report() {
    if [ "$2" -eq 0 ]; then
        echo "PASS: fuzz $1 ($(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$1/log") runs)"
    else
        echo "FAIL: fuzz $1 (exit $2)"
        tail -n 60 "$work/$1/log"
        ls "$work/$1" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | sed "s|^|  input: $work/$1/|" || true
    fi
}

status=0
set -- $targets
while [ $# -gt 0 ]; do
    a=$1
    shift
    run "$a" & pa=$!
    b=""
    if [ $# -gt 0 ]; then
        b=$1
        shift
        run "$b" & pb=$!
    fi
    ra=0
    wait "$pa" || ra=$?
    report "$a" "$ra"
    [ "$ra" -eq 0 ] || status=1
    if [ -n "$b" ]; then
        rb=0
        wait "$pb" || rb=$?
        report "$b" "$rb"
        [ "$rb" -eq 0 ] || status=1
    fi
done
exit "$status"
