#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shell completion benchmark, as an unprivileged user, with 1000 containers in the store (all
# created from the busybox fixture image, three of them running):
#   1. `ctr __complete start ''`: the stopped containers' names (1000 candidates);
#   2. `ctr __complete exec ''`: the running ones (the list is read and filtered all the same);
#   3. the whole of what bash does on TAB for `ctr start `: the _ctr function of
#      completions/ctr.bash (split the line, run ctr, fill COMPREPLY), timed inside one bash.
# Target for each: median under 20 ms, fast enough to feel instant.  A benchmark, not a test:
# a missed target still exits 0; only a failed setup or measurement exits non-zero.
#
# Usage: bench/complete.sh [--runs N]
#
# As root it sets the machine up (tests/setup-host.sh: the user and packages) and re-runs
# itself as the unprivileged user for the measurements.  See bench/README.md for the knobs
# (CTR_BINARY, BENCH_USER, BENCH_TMPDIR).
set -euo pipefail

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
repo="$(cd "$(dirname "$self")/.." && pwd)"

TARGET_MS=20

WARMUP=3          # untimed runs of each measurement before the timed ones
CONTAINERS=1000   # containers in the database
RUNNING=3         # of which this many are running
IMAGE=localhost/busybox:latest

runs=21

usage() {
    cat <<'EOF'
Usage: bench/complete.sh [--runs N]

Shell completion with 1000 containers in the store: `ctr __complete start ''`,
`ctr __complete exec ''` and bash's whole completion of `ctr start `, as an unprivileged
user; prints the median, min and max milliseconds of each against the 20 ms target.

  --runs N        timed runs of each (default 21)
  -h, --help      print this help

Run as root to set everything up (packages, user); the measurements then run as $BENCH_USER
(default ctrtest).  Environment: CTR_BINARY (default build/cmd/ctr in the repository, with
ctr-monitor beside it), BENCH_USER, BENCH_TMPDIR (default /var/tmp: where the private store
goes).
EOF
}

die() {
    echo "complete.sh: $*" >&2
    exit 1
}

log() {
    echo "complete.sh: $*" >&2
}

while [[ $# -gt 0 ]]; do
    case "$1" in
    --runs)
        [[ $# -ge 2 ]] || { echo "complete.sh: --runs needs a number" >&2; exit 2; }
        runs=$2
        shift 2
        ;;
    --runs=*)
        runs=${1#--runs=}
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "complete.sh: unknown argument '$1' (see --help)" >&2
        exit 2
        ;;
    esac
done
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "complete.sh: --runs wants a positive number, not '$runs'" >&2
    exit 2
fi

ctr_bin=${CTR_BINARY:-$repo/build/cmd/ctr}
[[ "$ctr_bin" == /* ]] || ctr_bin="$PWD/$ctr_bin"
bench_user=${BENCH_USER:-ctrtest}

# ---------------------------------------------------------------------------------------------
# Setup (root only)

as_root() {
    CTR_TEST_USER="$bench_user" "$repo/tests/setup-host.sh" >&2
    id "$bench_user" >/dev/null 2>&1 || die "no user '$bench_user'"
    # shellcheck disable=SC2016 # expanded by the user's shell
    runuser -u "$bench_user" -- sh -c 'test -r "$1" && test -r "$2" && test -r "$3" && test -x "$4" && test -x "$5"' \
        sh "$self" "$repo/tests/fixtures/build-images.py" "$repo/completions/ctr.bash" "$ctr_bin" \
        "$(dirname "$ctr_bin")/ctr-monitor" ||
        die "'$bench_user' cannot read $self or run $ctr_bin and the ctr-monitor beside it (build ctr first: cmake -S . -B build && cmake --build build; in a tree other users can read)"
    local home rc=0
    home="$(getent passwd "$bench_user" | cut -d: -f6)"
    cd /
    # A clean environment: nothing of root's (XDG dirs, TMPDIR, credentials) leaks in.
    runuser -u "$bench_user" -- env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME="$home" USER="$bench_user" LOGNAME="$bench_user" SHELL=/bin/sh LANG=C.UTF-8 \
        CTR_BINARY="$ctr_bin" BENCH_TMPDIR="${BENCH_TMPDIR:-}" \
        bash "$self" --runs "$runs" || rc=$?
    return "$rc"
}

# ---------------------------------------------------------------------------------------------
# Measurement (as the unprivileged user)

work=""
create_s=""
busy_before=""

cleanup_worker() {
    set +e
    if [[ -n "$work" && -x "$work/bin/ctr" && -d "$work/data/ctr" ]]; then
        # The running containers have monitors and processes: stop them before their files go.
        "$work/bin/ctr" rm -a -f >/dev/null 2>&1
    fi
    if [[ -n "$work" && -d "$work" ]]; then
        log "removing $work"
        # Files of subordinate ids (the containers' upper directories): removed from inside a
        # user namespace that maps them.
        unshare -U --map-auto --map-root-user rm -rf -- "$work" 2>/dev/null || true
        [[ ! -e "$work" ]] || rm -rf -- "$work" || log "could not remove all of $work"
    fi
}

fail_run() {
    echo "complete.sh: $1 failed; its errors:" >&2
    sed 's/^/    /' "$work/err" >&2
    exit 1
}

elapsed=""
# Runs the command after it, timed; sets $elapsed (milliseconds).  Its output goes to
# $work/out.  The clock is read without a subshell, so that only the command is timed.
timed() {
    local t0 t1 rc=0
    t0=$EPOCHREALTIME
    "$@" >"$work/out" 2>"$work/err" || rc=$?
    t1=$EPOCHREALTIME
    elapsed="$(awk -v a="${t0/[.,]/}" -v b="${t1/[.,]/}" 'BEGIN { printf "%.2f", (b - a) / 1e3 }')"
    return "$rc"
}

# cpus_busy: how many CPUs' worth of time other work took over two seconds (we are idle).
cpus_busy() {
    local a b
    a="$(head -n 1 /proc/stat)"
    sleep 2
    b="$(head -n 1 /proc/stat)"
    awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {
        na = split(a, x); split(b, y); total = 0
        for (i = 2; i <= na && i <= 9; i++) total += y[i] - x[i] # to steal; guest is in user
        idle = (y[5] - x[5]) + (y[6] - x[6])
        printf "%.2f", (total > 0 ? n * (total - idle) / total : 0)
    }'
}

# What bash runs on TAB after `ctr start `: the completion function, in this same shell.
bash_tab() {
    local COMP_LINE="ctr start " COMP_POINT=10 COMPREPLY=()
    local -a COMP_WORDS=(ctr start "")
    local COMP_CWORD=2
    _ctr ctr
    printf '%s\n' "${COMPREPLY[@]}"
}

# The three measurements, interleaved run by run.
bench_complete() {
    local samples=$1 run i n
    for ((i = 0; i < WARMUP; i++)); do
        timed "$work/bin/ctr" __complete start '' || fail_run "ctr __complete start ''"
        timed "$work/bin/ctr" __complete exec '' || fail_run "ctr __complete exec ''"
        timed bash_tab || fail_run "bash's completion of 'ctr start '"
    done
    busy_before="$(cpus_busy)"
    if awk -v b="$busy_before" 'BEGIN { exit !(b >= 0.2) }'; then
        log "other work keeps $busy_before CPUs busy: the numbers will be noisy"
    fi
    for ((run = 0; run < runs; run++)); do
        timed "$work/bin/ctr" __complete start '' || fail_run "ctr __complete start ''"
        echo "start $elapsed" >>"$samples"
        n="$(grep -c '^bench-' "$work/out" || true)"
        [[ "$n" == $((CONTAINERS - RUNNING)) ]] || die "ctr __complete start '' offered $n stopped containers, not $((CONTAINERS - RUNNING))"
        timed "$work/bin/ctr" __complete exec '' || fail_run "ctr __complete exec ''"
        echo "exec $elapsed" >>"$samples"
        n="$(grep -c '^bench-' "$work/out" || true)"
        [[ "$n" == "$RUNNING" ]] || die "ctr __complete exec '' offered $n running containers, not $RUNNING"
        timed bash_tab || fail_run "bash's completion of 'ctr start '"
        echo "bash $elapsed" >>"$samples"
        n="$(grep -c '^bench-' "$work/out" || true)"
        [[ "$n" == $((CONTAINERS - RUNNING)) ]] || die "bash's completion of 'ctr start ' gave $n candidates, not $((CONTAINERS - RUNNING))"
    done
}

as_user() {
    local monitor t0 t1 tool i
    [[ -n "${EPOCHREALTIME:-}" ]] || die "needs bash 5 or newer (EPOCHREALTIME)"
    [[ -x "$ctr_bin" ]] || die "no ctr at $ctr_bin (build it: cmake -S . -B build && cmake --build build, or set CTR_BINARY)"
    monitor="$(dirname "$ctr_bin")/ctr-monitor"
    [[ -x "$monitor" ]] || die "no ctr-monitor beside $ctr_bin (build both: cmake --build build)"
    for tool in python3 unshare xargs; do
        command -v "$tool" >/dev/null || die "$tool is not installed (run bench/complete.sh as root to set up)"
    done
    export LC_ALL=C
    work="$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/ctr-bench-complete.XXXXXX")"
    trap cleanup_worker EXIT
    trap 'exit 130' INT TERM
    mkdir -m 0700 "$work/data" "$work/run" "$work/bin"
    export XDG_DATA_HOME="$work/data" XDG_RUNTIME_DIR="$work/run"
    # Copies, so that a rebuild during the runs changes nothing; the completion script runs
    # the ctr it finds on PATH.
    cp "$ctr_bin" "$monitor" "$work/bin/"
    export PATH="$work/bin:$PATH"
    # shellcheck source=SCRIPTDIR/../completions/ctr.bash
    source "$repo/completions/ctr.bash"

    local archive="$work/busybox.tar" samples="$work/samples"
    : >"$samples"
    python3 "$repo/tests/fixtures/build-images.py" "$work/fixtures" --oci-archive busybox "$archive" \
        >"$work/out" 2>"$work/err" || fail_run "building the busybox image"
    "$work/bin/ctr" load -q -i "$archive" >"$work/out" 2>"$work/err" || fail_run "ctr load"
    log "creating $CONTAINERS containers ($RUNNING of them running)"
    t0=$EPOCHREALTIME
    # shellcheck disable=SC2016 # expanded by the inner shell
    seq $((RUNNING + 1)) "$CONTAINERS" | xargs -P 2 -n 50 sh -c '
        ctr=$0 image=$1
        shift
        for n; do "$ctr" create --name "bench-$n" "$image" true >/dev/null || exit 255; done
    ' "$work/bin/ctr" "$IMAGE" 2>"$work/err" || fail_run "ctr create"
    for ((i = 1; i <= RUNNING; i++)); do
        "$work/bin/ctr" run -d --network=none --name "bench-$i" "$IMAGE" sleep 600 \
            >"$work/out" 2>"$work/err" || fail_run "ctr run -d"
    done
    t1=$EPOCHREALTIME
    create_s="$(awk -v a="${t0/[.,]/}" -v b="${t1/[.,]/}" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')"

    bench_complete "$samples"
    report "$samples"
}

# ---------------------------------------------------------------------------------------------
# Report

# stats FILE KIND: "median min max" of the samples.
stats() {
    awk -v kind="$2" '$1 == kind { print $2 }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END {
            if (NR == 0) exit 1
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.1f %.1f %.1f\n", m, v[1], v[NR]
        }'
}

# verdict VALUE: "PASS (< 20 ms)" or "MISS (< 20 ms)".
verdict() {
    if awk -v v="$1" -v t="$TARGET_MS" 'BEGIN { exit !(v + 0 < t + 0) }'; then
        echo "PASS (< $TARGET_MS ms)"
    else
        echo "MISS (< $TARGET_MS ms)"
    fi
}

report() {
    local samples=$1 med min max kind label ctr_version
    ctr_version="$("$work/bin/ctr" --version 2>/dev/null | head -n 1)"
    echo
    echo "Shell completion with $CONTAINERS containers ($RUNNING running) as $(id -un), $runs runs each,"
    echo "interleaved, after $WARMUP warm-up runs; wall-clock milliseconds.  ${ctr_version:-ctr ?};"
    echo "$(nproc) CPUs, $busy_before of them busy with other work at the start.  Creating the"
    echo "containers took ${create_s} s."
    echo
    printf '%-34s %8s %8s %8s\n' command median min max
    for kind in start exec bash; do
        case $kind in
        start) label="ctr __complete start ''" ;;
        exec) label="ctr __complete exec ''" ;;
        bash) label="bash: ctr start <TAB>" ;;
        esac
        read -r med min max < <(stats "$samples" "$kind") || die "no samples for $label"
        printf '%-34s %8s %8s %8s   %s\n' "$label" "$med" "$min" "$max" "$(verdict "$med")"
    done
}

# ---------------------------------------------------------------------------------------------

if [[ "$(id -u)" == 0 ]]; then
    as_root
else
    as_user
fi
