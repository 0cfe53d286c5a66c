# ca_lib.sh: shared setup of the private CA integration tests: bash, a temp dir, a
# cleanup trap that stops every process started (by PID), helpers to run autocert.
#
# Environment read: AUTOCERT_BIN, top_srcdir, top_builddir (set by `make check`),
# AC_KEEP=1 (keep the work directory), AC_VALGRIND=1 (run autocert under valgrind
# memcheck: memcheck.sh), AC_TIMEOUT (seconds one run may take, default 60).  Exit 77 (skip) only when openssl is missing.

set -eu

AC_SCRIPT_NAME=$(basename "$0" .sh)
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
AUTOCERT_BIN=${AUTOCERT_BIN:-$top_builddir/autocert}

if ! command -v openssl >/dev/null 2>&1; then
    echo "SKIP: openssl is not installed"
    exit 77
fi
[ -x "$AUTOCERT_BIN" ] || { echo "FAIL: no autocert binary at $AUTOCERT_BIN" >&2; exit 1; }

# The tester's own cache must not leak into the tests.
unset AUTOCERT_CACHE

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autocert-$AC_SCRIPT_NAME.XXXXXX")
AC_PIDS=""
. "$top_srcdir/tests/integration/memcheck.sh"
ac_memcheck_setup 60

ac_stop() {
    if kill -0 "$1" 2>/dev/null; then
        kill -TERM "$1" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$1" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$1" 2>/dev/null || true
    fi
    wait "$1" 2>/dev/null || true
}

ac_cleanup() {
    rc=$?
    set +e
    for p in $AC_PIDS; do
        ac_stop "$p"
    done
    if [ "${AC_KEEP:-0}" = 1 ]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap ac_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

cd "$WORK"

ac_fail() {
    echo "FAIL: $*" >&2
    if [ -f "$WORK/stderr" ]; then
        echo "--- stderr of the last command ---" >&2
        cat "$WORK/stderr" >&2
    fi
    exit 1
}

ac_ok() {
    echo "ok: $*"
}

# ac_run ARGS...: runs autocert, stdout/stderr to $WORK/stdout, $WORK/stderr, status in AC_RC.
ac_run() {
    set +e
    timeout -k 5 "$AC_TIMEOUT" "$AUTOCERT_BIN" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
    AC_RC=$?
    set -e
    [ "$AC_RC" -ne 124 ] || ac_fail "autocert $* did not finish in $AC_TIMEOUT s"
    ac_memcheck_verdict || ac_fail "memcheck errors in autocert $*"
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/stderr"; then
        ac_fail "sanitizer report from autocert $*"
    fi
}

ac_run_ok() {
    ac_run "$@"
    [ "$AC_RC" -eq 0 ] || ac_fail "autocert $* exited $AC_RC"
}

# ac_run_fails ERE ARGS...: autocert must fail with one "autocert: " line matching ERE.
ac_run_fails() {
    ac_want=$1
    shift
    ac_run "$@"
    [ "$AC_RC" -eq 1 ] || ac_fail "autocert $* exited $AC_RC, expected 1"
    grep -q '^autocert: ' "$WORK/stderr" || ac_fail "autocert $*: no 'autocert: ' reason"
    grep -qiE -- "$ac_want" "$WORK/stderr" || ac_fail "autocert $*: reason does not match /$ac_want/"
    echo "  refused as expected: $(head -n 1 "$WORK/stderr")"
}

# ac_stderr_names STRING: the last command's stderr contains STRING literally.
ac_stderr_names() {
    grep -qF -- "$1" "$WORK/stderr" || ac_fail "stderr does not name '$1'"
}

# ac_stderr_lacks STRING: the last command's stderr does not contain STRING.
ac_stderr_lacks() {
    if grep -qF -- "$1" "$WORK/stderr"; then
        ac_fail "stderr names '$1'"
    fi
}

ac_mode() {
    stat -c %a "$1"
}

# ac_sum FILE: a checksum, to prove a file was left alone.
ac_sum() {
    cksum <"$1"
}

ac_done() {
    ac_memcheck_verdict || ac_fail "memcheck errors"
    echo "PASS: $AC_SCRIPT_NAME"
    exit 0
}
