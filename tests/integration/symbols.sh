#!/bin/sh
# symbols.sh: the shared library exports only autocert_* symbols, each declared in a public header (autocert.h, autocert_openssl.h) and named in libautocert(3).
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
lib=$top_builddir/.libs/libautocert.so
if [ ! -e "$lib" ]; then
    echo "FAIL: no shared library at $lib"
    exit 1
fi
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}')
[ -n "$syms" ] || { echo "FAIL: no exported symbols in $lib"; exit 1; }
bad=0
for s in $syms; do
    case $s in
    autocert_*) ;;
    *) echo "FAIL: $lib exports $s, outside the autocert_ namespace"; bad=1; continue ;;
    esac
    if ! grep -qw "$s" "$top_srcdir/include/autocert.h" "$top_srcdir/include/autocert_openssl.h"; then
        echo "FAIL: $s is exported but declared in neither include/autocert.h nor include/autocert_openssl.h"
        bad=1
    fi
    if ! grep -qw "$s" "$top_srcdir/man/libautocert.3"; then
        echo "FAIL: $s is exported but libautocert(3) does not name it"
        bad=1
    fi
done
[ "$bad" -eq 0 ] || exit 1
echo "PASS: $(echo "$syms" | wc -l) symbols, all autocert_*, declared and documented"
