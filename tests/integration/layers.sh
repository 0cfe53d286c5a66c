#!/bin/sh
# layers.sh: the modules of libautocert form layers: no file calls a file that calls it back, directly or round a cycle.
#
# Reads the symbols of the convenience library (one object per source file):
# file A depends on file B when A uses a symbol B defines.  Prints every
# dependency cycle it finds and fails; prints the layers (longest path from
# the bottom) when there is none.
set -eu

top_builddir=${top_builddir:-.}
lib=$top_builddir/.libs/libautocert_core.a
if [ ! -f "$lib" ]; then
    echo "FAIL: no $lib (build the library first)"
    exit 1
fi
command -v nm >/dev/null 2>&1 || { echo "SKIP: nm is not installed (binutils)"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/autocert-layers.XXXXXX")
trap 'rm -rf "$work"' EXIT

# "module symbol" lines: what each object defines, and what it uses.
nm -A --defined-only "$lib" 2>/dev/null |
    awk '$3 ~ /^[TDBRC]$/ || $2 ~ /^[TDBRC]$/ { split($1, p, ":"); m = p[2];
         sub(/^libautocert_core_la-/, "", m); sub(/\.o$/, "", m); print m, $NF }' |
    sort -u >"$work/defs"
nm -A -u "$lib" 2>/dev/null |
    awk '{ split($1, p, ":"); m = p[2]; sub(/^libautocert_core_la-/, "", m);
         sub(/\.o$/, "", m); print m, $NF }' | sort -u >"$work/uses"
[ -s "$work/defs" ] || { echo "FAIL: no symbols read from $lib"; exit 1; }

# "user provider" edges, without self edges.
awk 'NR == FNR { def[$2] = $1; next } ($2 in def) && def[$2] != $1 { print $1, def[$2] }' \
    "$work/defs" "$work/uses" | sort -u >"$work/edges"

# Cycle search (depth-first, in awk), then the layers.
awk '
{ adj[$1] = adj[$1] " " $2; node[$1] = 1; node[$2] = 1 }
function visit(n,    i, k, list, m) {
    state[n] = 1; stack[++depth] = n
    k = split(adj[n], list, " ")
    for (i = 1; i <= k; i++) {
        m = list[i]
        if (state[m] == 1) {
            cyc = m; for (j = depth; j >= 1 && stack[j] != m; j--) cyc = stack[j] " -> " cyc
            print "cycle: " m " -> " cyc; bad = 1
        } else if (state[m] == 0) {
            visit(m)
        }
    }
    depth--; state[n] = 2
}
function level(n,    i, k, list, l, best) {
    if (n in lvl) return lvl[n]
    best = 0; k = split(adj[n], list, " ")
    for (i = 1; i <= k; i++) { l = level(list[i]) + 1; if (l > best) best = l }
    return lvl[n] = best
}
END {
    for (n in node) state[n] = 0
    for (n in node) if (state[n] == 0) visit(n)
    if (bad) exit 1
    for (n in node) out[level(n)] = out[level(n)] " " n
    for (l = 0; l in out; l++) print "layer " l ":" out[l]
}' "$work/edges" >"$work/report" || {
    cat "$work/report"
    echo "FAIL: the modules of libautocert call each other in a cycle"
    exit 1
}
cat "$work/report"
echo "PASS: $(wc -l <"$work/edges") dependencies between $(cut -d' ' -f1 "$work/defs" | sort -u | wc -l) modules, no cycle"
