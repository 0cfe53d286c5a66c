# program.sh: sourced by the benchmarks: the autocert program itself, not libtool's wrapper around an uninstalled build.
# shellcheck shell=sh

# bench_program: when AUTOCERT_BIN is libtool's wrapper script and the
# program sits in .libs beside it, points AUTOCERT_BIN at the program and
# LD_LIBRARY_PATH at the uninstalled library, so that the figures are the
# program's, not those of a shell running it.
bench_program() {
    if [ -n "${AUTOCERT_BIN:-}" ] && head -c 200 "$AUTOCERT_BIN" 2>/dev/null | grep -q '^#!' &&
        [ -x "$(dirname "$AUTOCERT_BIN")/.libs/autocert" ]; then
        LD_LIBRARY_PATH=$(dirname "$AUTOCERT_BIN")/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        export LD_LIBRARY_PATH
        AUTOCERT_BIN=$(dirname "$AUTOCERT_BIN")/.libs/autocert
    fi
}
