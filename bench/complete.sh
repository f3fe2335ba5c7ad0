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

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TARGET_MS=20

WARMUP=3          # untimed runs of each measurement before the timed ones
CONTAINERS=1000   # containers in the database
RUNNING=3         # of which this many are running

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

parse_args "$@"

# ---------------------------------------------------------------------------------------------
# Setup (root only)

as_root() {
    # shellcheck disable=SC2119 # no packages: tests/setup-host.sh installs what it needs
    setup_host
    check_user_access --monitor "$repo/tests/fixtures/build-images.py" "$repo/completions/ctr.bash"
    run_as_user -- --runs "$runs"
}

# ---------------------------------------------------------------------------------------------
# Measurement (as the unprivileged user)

create_s=""

cleanup_worker() {
    set +e
    # The running containers have monitors and processes: stop them before their files go.
    stop_containers
    remove_work
}

timed_digits=2 # completion is fast: milliseconds with two decimals

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
    note_busy
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
    local t0 t1 i
    [[ -n "${EPOCHREALTIME:-}" ]] || die "needs bash 5 or newer (EPOCHREALTIME)"
    need_ctr
    need_monitor
    need_tools python3 unshare xargs
    make_work ctr-bench-complete
    private_ctr "$work/run"
    # The completion script runs the ctr it finds on PATH: our copy.
    export PATH="$work/bin:$PATH"
    # shellcheck source=SCRIPTDIR/../completions/ctr.bash
    source "$repo/completions/ctr.bash"

    local archive="$work/busybox.tar" samples="$work/samples"
    : >"$samples"
    load_busybox "$archive"
    log "creating $CONTAINERS containers ($RUNNING of them running)"
    t0=$EPOCHREALTIME
    create_containers $((RUNNING + 1)) "$CONTAINERS"
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
        printf '%-34s %8s %8s %8s   %s\n' "$label" "$med" "$min" "$max" "$(verdict "$med" '<' "$TARGET_MS" ms)"
    done
}

# ---------------------------------------------------------------------------------------------

if [[ "$(id -u)" == 0 ]]; then
    as_root
else
    as_user
fi
