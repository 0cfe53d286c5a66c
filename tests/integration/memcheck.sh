# memcheck.sh: with AC_VALGRIND=1 every autocert a test runs goes through valgrind memcheck (sourced by lib.sh and ca_lib.sh).
#
# Needs WORK, AUTOCERT_BIN and top_srcdir; may read top_builddir.  Sets
# AC_TIMEOUT (seconds a run of autocert may take: the caller's default, ten
# times that under valgrind).  Under valgrind AUTOCERT_BIN becomes a script in
# $WORK that runs the real binary under memcheck (through libtool when the
# binary is libtool's wrapper), each process logging to $WORK/valgrind/PID.log;
# a memcheck error makes that process exit 99.  ac_memcheck_verdict fails the
# test when any log counts an error.

ac_memcheck_setup() {
    AC_TIMEOUT=${AC_TIMEOUT:-$1}
    [ "${AC_VALGRIND:-0}" = 1 ] || return 0
    if ! command -v valgrind >/dev/null 2>&1; then
        echo "FAIL: AC_VALGRIND=1 but valgrind is not installed" >&2
        exit 1
    fi
    AC_TIMEOUT=$((AC_TIMEOUT * 10))
    ac_vg_lt=""
    if [ -x "${top_builddir:-}/libtool" ]; then
        ac_vg_lt="'$top_builddir/libtool' --mode=execute"
    fi
    mkdir -p "$WORK/valgrind" "$WORK/vgbin"
    cat >"$WORK/vgbin/autocert" <<EOS
#!/bin/sh
exec $ac_vg_lt valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \\
    --errors-for-leak-kinds=definite,indirect --num-callers=30 \\
    --suppressions='$top_srcdir/tests/integration/valgrind.supp' \\
    --log-file='$WORK/valgrind/%p.log' '$AUTOCERT_BIN' "\$@"
EOS
    chmod 755 "$WORK/vgbin/autocert"
    AUTOCERT_BIN=$WORK/vgbin/autocert
}

# ac_memcheck_verdict: under valgrind, prints every log that counts an error
# and returns 1 when there was one.
ac_memcheck_verdict() {
    [ "${AC_VALGRIND:-0}" = 1 ] || return 0
    ac_vg_bad=0
    for ac_vg_log in "$WORK"/valgrind/*.log; do
        [ -f "$ac_vg_log" ] || continue
        if grep -q 'ERROR SUMMARY: [1-9]' "$ac_vg_log"; then
            echo "--- memcheck errors: $ac_vg_log ---" >&2
            cat "$ac_vg_log" >&2
            ac_vg_bad=1
        fi
    done
    [ "$ac_vg_bad" -eq 0 ]
}
