#!/bin/sh
# obtain_crash.sh: kill -9 at random points of obtain and renew: every entry and account stays whole, debris is swept, five racers make one order.
#
#   1. 100 kills of `obtain --force` at a random delay up to the median run
#      time: after each, the entry is one whole set (five files, the key the
#      certificate's, fullchain.pem = cert.pem + chain.pem, meta.json the
#      certificate's names and validity).
#   1b. 100 kills of `renew --force --jobs 2` over two entries: both stay
#      whole; the next clean renew leaves no work directory.
#   2. 40 kills aimed inside the store: the new set's work directory
#      (certs/.NAME.tmp-*) is watched, and the process killed when it holds
#      0 to 5 files, or once it is gone again.  After each: the old or the
#      new set, whole; the next clean run leaves no work directory.
#   3. 20 kills on an empty cache, half of them aimed at the account's own
#      work directory: the account and the entry are each absent or whole.
#   4. Planted debris of a dead writer is swept by the entry's lock; the
#      debris of other entries is left alone.
#   5. Five processes ordering one new name at once make one order.
# AC_SEED=N repeats the random delays of an earlier run (printed at the start).
AC_TEST_SLOT=14
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

start_pebble
name=crash.example.org
CERTS=$CACHE/certs
entry=$CERTS/$name
seed=${AC_SEED:-$(( $(date +%s) % 100000 + $$ ))}
echo "seed: $seed (AC_SEED=$seed repeats the delays)"

# rand N: a pseudo-random number from 0 to N-1 in R (no subshell: the state stays).
rand() {
    seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
    R=$(( (seed / 65536) % $1 ))
}

now_ms() {
    echo $(( $(date +%s%N) / 1000000 ))
}

# start ARGS...: autocert obtain ARGS in the background; its PID in P.
start() {
    # shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
    ac_spawn run.log "$AUTOCERT_BIN" obtain --directory "$AC_DIRECTORY" --ca-bundle "$WORK/tls-ca.pem" \
        --cache "$CACHE" --agree-tos --timeout 30 $AC_HTTP_ARGS "$@"
    P=$AC_LAST_PID
}

# kill9: SIGKILL to P (which may have ended by itself), reaped.
kill9() {
    kill -KILL "$P" 2>/dev/null || true
    wait "$P" 2>/dev/null || true
    AC_PIDS=$(echo "$AC_PIDS" | sed "s/ $P\$//")
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/run.log"; then
        ac_fail "sanitizer report: $(cat "$WORK/run.log")"
    fi
}

# run ARGS...: autocert obtain ARGS in the foreground, its exit status in AC_RC.
run() {
    set +e
    # shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
    timeout -k 5 60 "$AUTOCERT_BIN" obtain --directory "$AC_DIRECTORY" --ca-bundle "$WORK/tls-ca.pem" \
        --cache "$CACHE" --agree-tos $AC_HTTP_ARGS "$@" >"$WORK/run.log" 2>&1
    AC_RC=$?
    set -e
}

# median CMD...: runs CMD five times, the median wall time in ms in MEDIAN.
median() {
    : >"$WORK/times"
    for i in 1 2 3 4 5; do
        t0=$(now_ms)
        "$@"
        echo $(( $(now_ms) - t0 )) >>"$WORK/times"
    done
    MEDIAN=$(sort -n "$WORK/times" | sed -n 3p)
}

# check_set DIR WHAT: DIR holds one whole certificate set.  Sets already
# checked (by checksum) are not checked again.
CHECKED=" "
check_set() {
    for f in privkey.pem cert.pem chain.pem fullchain.pem meta.json; do
        [ -f "$1/$f" ] || ac_fail "$2: $1/$f is missing ($(ls -A "$1" | tr '\n' ' '))"
    done
    sum=$(cat "$1/privkey.pem" "$1/cert.pem" "$1/chain.pem" "$1/fullchain.pem" "$1/meta.json" |
        md5sum | cut -c1-32)
    case $CHECKED in *" $sum "*) return 0 ;; esac
    cat "$1/cert.pem" "$1/chain.pem" | cmp -s - "$1/fullchain.pem" ||
        ac_fail "$2: fullchain.pem is not cert.pem followed by chain.pem"
    openssl pkey -in "$1/privkey.pem" -pubout >"$WORK/pub.key" 2>/dev/null ||
        ac_fail "$2: privkey.pem is not a private key"
    openssl x509 -in "$1/cert.pem" -noout -pubkey >"$WORK/pub.cert" 2>/dev/null ||
        ac_fail "$2: cert.pem is not a certificate"
    cmp -s "$WORK/pub.key" "$WORK/pub.cert" || ac_fail "$2: privkey.pem is not the key of cert.pem"
    # meta.json is this certificate's: its names and validity.
    openssl x509 -in "$1/cert.pem" -noout -startdate -enddate >"$WORK/dates"
    nb=$(date -u -d "$(sed -n 's/^notBefore=//p' "$WORK/dates")" +%s)
    na=$(date -u -d "$(sed -n 's/^notAfter=//p' "$WORK/dates")" +%s)
    meta=$(jq -r '[.not_before, .not_after, (.names | join(","))] | join(" ")' "$1/meta.json") ||
        ac_fail "$2: meta.json is not JSON"
    [ "$meta" = "$nb $na $(ac_sans "$1/cert.pem" | tr '\n' ',' | sed 's/,$//')" ] ||
        ac_fail "$2: meta.json ($meta) does not describe cert.pem ($nb $na $(ac_sans "$1/cert.pem"))"
    CHECKED="$CHECKED$sum "
}

# work_dirs DIR: the work directories of dead or live writers in DIR.
work_dirs() {
    find "$1" -mindepth 1 -maxdepth 1 -name '.*' \( -name '*.tmp-??????' -o -name '*.old-??????' \
        -o -name '*.rm-??????' \) -printf '%f '

}

# no_debris WHAT: no work directory in certs/ or accounts/, no temporary file in the entry.
no_debris() {
    for a in "$CERTS" "$CACHE/accounts"; do
        [ -d "$a" ] || continue
        [ -z "$(work_dirs "$a")" ] || ac_fail "$1: work directories left in $a: $(work_dirs "$a")"
    done
    if [ -d "$entry" ] && [ -n "$(find "$entry" -mindepth 1 -name '.*')" ]; then
        ac_fail "$1: temporary files left in $entry: $(ls -A "$entry")"
    fi
}

# clean_run WHAT: a run that is not killed ends well and leaves no debris.
clean_run() {
    ac_obtain "$name"
    [ "$AC_RC" -eq 0 ] || [ "$AC_RC" -eq 2 ] || ac_fail "$1: the next clean run exited $AC_RC"
    check_set "$entry" "$1: after the clean run"
    no_debris "$1: after the clean run"
}

# --- 1. kills at random points ------------------------------------------------
ac_obtain_ok "$name"
check_set "$entry" "first run"
median run --force "$name"
echo "median run: $MEDIAN ms"
t0=$(now_ms)
k=0
while [ "$k" -lt 100 ]; do
    rand $((MEDIAN + 1))
    start --force "$name"
    sleep "$(printf '0.%03d' "$R")"
    kill9
    check_set "$entry" "kill $k after $R ms"
    k=$((k + 1))
done
clean_run "after 100 kills"
ac_ok "100 kills at random points within $MEDIAN ms: the entry was whole after each ($(( $(now_ms) - t0 )) ms)"

# --- 1b. kills at random points of renew ------------------------------------------
# `renew --force --jobs 2` over the entry and a second one, both renewed at
# once: after each kill both are whole, and the next clean renew leaves no
# work directory.
name2=renew.crash.example.org
entry2=$CERTS/$name2
ac_obtain_ok "$name2"
renew_args() {
    # shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
    set -- renew --ca-bundle "$WORK/tls-ca.pem" --cache "$CACHE" --timeout 30 $AC_HTTP_ARGS --force --jobs 2
    RENEW="$*"
}
renew_args
run_renew() {
    set +e
    # shellcheck disable=SC2086 # RENEW is a list of words without blanks
    timeout -k 5 60 "$AUTOCERT_BIN" $RENEW >"$WORK/run.log" 2>&1
    AC_RC=$?
    set -e
}
median run_renew
echo "median renew: $MEDIAN ms"
t0=$(now_ms)
k=0
while [ "$k" -lt 100 ]; do
    rand $((MEDIAN + 1))
    # shellcheck disable=SC2086 # RENEW is a list of words without blanks
    ac_spawn run.log "$AUTOCERT_BIN" $RENEW
    P=$AC_LAST_PID
    sleep "$(printf '0.%03d' "$R")"
    kill9
    check_set "$entry" "renew killed ($k) after $R ms"
    check_set "$entry2" "renew killed ($k) after $R ms"
    k=$((k + 1))
done
run_renew
[ "$AC_RC" -eq 0 ] || ac_fail "the clean renew after 100 kills exited $AC_RC: $(cat "$WORK/run.log")"
check_set "$entry" "after the clean renew"
check_set "$entry2" "after the clean renew"
no_debris "after the clean renew"
rm -rf "$entry2"
ac_ok "100 kills of renew at random points within $MEDIAN ms: both entries whole after each, no debris after the next renew ($(( $(now_ms) - t0 )) ms)"

# --- 2. kills inside the store ----------------------------------------------------
# aim DIR PATTERN TARGET: starts nothing; watches P's work directory (a glob
# PATTERN in DIR) until it holds TARGET files (0-5), or until it has gone
# again for TARGET 6, then kills P.  HIT=1 when the directory was seen.
aim() {
    HIT=0
    w=""
    i=0
    while [ "$i" -lt 2000000 ] && kill -0 "$P" 2>/dev/null; do
        i=$((i + 1))
        if [ -z "$w" ]; then
            for d in "$1"/$2; do
                [ -d "$d" ] && w=$d
            done
            continue
        fi
        HIT=1
        [ -d "$w" ] || break
        [ "$3" -lt 6 ] || continue
        nfiles "$w"/*
        [ "$N" -lt "$3" ] || break
    done
    kill9
}

# nfiles GLOB-RESULT...: how many names a glob gave, in N (0 for no match).
nfiles() {
    N=$#
    if [ "$#" -eq 1 ] && [ ! -e "$1" ] && [ ! -L "$1" ]; then
        N=0
    fi
}

t0=$(now_ms)
hits=""
k=0
tries=0
while [ "$k" -lt 40 ]; do
    tries=$((tries + 1))
    [ "$tries" -le 200 ] || ac_fail "the store was seen in only $k of 200 runs"
    target=$((k % 7))
    start --force "$name"
    aim "$CERTS" ".$name.tmp-*" "$target"
    [ "$HIT" = 1 ] || continue
    check_set "$entry" "kill in the store at $target files"
    clean_run "kill in the store at $target files"
    hits="$hits $target"
    k=$((k + 1))
done
ac_ok "40 kills inside the store (at 0-5 files written, 6 = after it; $tries runs): old or new set, whole; no debris after the next run ($(( $(now_ms) - t0 )) ms)"

# --- 3. kills on an empty cache -------------------------------------------------
# check_account WHAT: the account is absent, or its key and URL are both there.
check_account() {
    [ -d "$CACHE/accounts" ] || return 0
    for a in "$CACHE"/accounts/*; do
        [ -e "$a" ] || continue
        [ -f "$a/account.key" ] || ac_fail "$1: the account $a has no account.key"
        [ -f "$a/account.json" ] ||
            ac_fail "$1: the account $a is not whole: $(ls -A "$a" | tr '\n' ' ')"
        openssl pkey -in "$a/account.key" -noout 2>/dev/null || ac_fail "$1: $a/account.key is not a key"
        jq -e .url "$a/account.json" >/dev/null || ac_fail "$1: $a/account.json has no URL"
    done
}

fresh() {
    rm -rf "$CACHE"
}
empty_run() {
    rm -rf "$CACHE"
    run "$name"
}
median empty_run
echo "median run on an empty cache: $MEDIAN ms"
t0=$(now_ms)
k=0
acct_hits=0
tries=0
while [ "$k" -lt 20 ]; do
    tries=$((tries + 1))
    [ "$tries" -le 100 ] || ac_fail "the account store was seen in only $acct_hits runs"
    fresh
    start "$name"
    if [ $((k % 2)) -eq 0 ]; then
        rand $((MEDIAN + 1))
        sleep "$(printf '0.%03d' "$R")"
        kill9
        what="kill on an empty cache after $R ms"
    else
        aim "$CACHE/accounts" ".*.tmp-*" $(( (k / 2) % 3 ))
        [ "$HIT" = 1 ] || continue
        acct_hits=$((acct_hits + 1))
        what="kill in the account's store"
    fi
    check_account "$what"
    [ ! -e "$entry" ] || check_set "$entry" "$what"
    clean_run "$what"
    check_account "$what: after the clean run"
    k=$((k + 1))
done
ac_ok "20 kills on an empty cache ($acct_hits in the account's store): account and entry each absent or whole ($(( $(now_ms) - t0 )) ms)"

# --- 4. debris of dead writers --------------------------------------------------
# Work directories as a writer killed at any point leaves them, most holding a
# key; the same for another entry, whose lock is not taken.
plant() {
    mkdir -p "$CERTS/.$1.$2"
    printf 'a key\n' >"$CERTS/.$1.$2/privkey.pem"
}
ac_obtain_cached "$name"
other=other.example.org
for kind in tmp-a1B2c3 old-Zz9y8X rm-000000; do
    plant "$name" "$kind"
    plant "$other" "$kind"
    plant "$name.uk" "$kind"
done
printf 'half a file' >"$entry/.autocert-tmp.AbC123"
ac_obtain_cached "$name"
for kind in tmp-a1B2c3 old-Zz9y8X rm-000000; do
    [ ! -e "$CERTS/.$name.$kind" ] || ac_fail "the entry's lock left its debris .$name.$kind"
    [ -f "$CERTS/.$other.$kind/privkey.pem" ] || ac_fail "the debris of $other (.$other.$kind) was touched"
    [ -f "$CERTS/.$name.uk.$kind/privkey.pem" ] || ac_fail "the debris of $name.uk (.$name.uk.$kind) was touched"
done
[ ! -e "$entry/.autocert-tmp.AbC123" ] || ac_fail "a temporary file inside the entry was left"
check_set "$entry" "after the sweep"
rm -rf "$CERTS/.$other".* "$CERTS/.$name.uk".*
ac_ok "the entry's lock swept its own debris, and only its own"

# --- 5. five processes, one order -------------------------------------------------
new=five.example.org
orders=$(grep -c 'POST /order-plz' "$WORK/pebble.log" || true)
pids=""
for i in 1 2 3 4 5; do
    # shellcheck disable=SC2086 # AC_HTTP_ARGS is a list of words
    ac_spawn "five$i.log" timeout -k 5 60 "$AUTOCERT_BIN" obtain --directory "$AC_DIRECTORY" \
        --ca-bundle "$WORK/tls-ca.pem" --cache "$CACHE" --agree-tos $AC_HTTP_ARGS "$new"
    pids="$pids $AC_LAST_PID"
done
got=""
for p in $pids; do
    set +e
    wait "$p"
    rc=$?
    set -e
    ac_stop "$p"
    got="$got $rc"
done
got=$(echo "$got" | tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' ')
[ "$got" = "0 2 2 2 2 " ] || ac_fail "five racers exited $got, expected one 0 and four 2: $(cat "$WORK"/five*.log)"
made=$(( $(grep -c 'POST /order-plz' "$WORK/pebble.log" || true) - orders ))
[ "$made" -eq 1 ] || ac_fail "five racers made $made orders at Pebble, expected one"
check_set "$CERTS/$new" "the racers' entry"
ac_ok "five processes ordering $new at once: one order, one new certificate, four cached"

ac_done
