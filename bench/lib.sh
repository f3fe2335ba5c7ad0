# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034 # the variables it sets are for the scripts
# What the benchmarks of bench/ share, sourced by each of them first thing (not run): their
# command line, the setup as root and the run again as the unprivileged user, the checks for
# tools, the private stores of ctr and Podman, cleaning up, timing, and the statistics and
# verdicts of the reports.  Sourcing it sets:
#   self         the benchmark script, as an absolute path
#   repo         the repository it is in
#   bench_name   its file name ("run.sh"), which starts its messages
#   ctr_bin      the ctr to measure: $CTR_BINARY, default build/cmd/ctr in the repository
#   monitor_bin  the ctr-monitor beside it
#   bench_user   the unprivileged user of the measurements: $BENCH_USER, default ctrtest
#   IMAGE        the busybox fixture image, as load_busybox loads it
# A script defines usage (its --help), and may define script_option for options of its own
# (see parse_args) and cleanup_worker (see make_work).

self="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)/$(basename "${BASH_SOURCE[1]}")"
repo="$(cd "$(dirname "$self")/.." && pwd)"
bench_name="$(basename "$self")"

ctr_bin=${CTR_BINARY:-$repo/build/cmd/ctr}
[[ "$ctr_bin" == /* ]] || ctr_bin="$PWD/$ctr_bin"
monitor_bin="$(dirname "$ctr_bin")/ctr-monitor"
bench_user=${BENCH_USER:-ctrtest}

IMAGE=localhost/busybox:latest

die() {
    echo "$bench_name: $*" >&2
    exit 1
}

log() {
    echo "$bench_name: $*" >&2
}

# usage_error MESSAGE: a command line the script does not take; exit status 2.
usage_error() {
    echo "$bench_name: $*" >&2
    exit 2
}

# ---------------------------------------------------------------------------------------------
# The command line

value="" taken=0
# take_value OPTION WHAT WORD...: when the command line from WORD on starts with OPTION VALUE
# or OPTION=VALUE, sets $value to VALUE and $taken to the words that took; else returns 1.
# OPTION without a value is a usage error: it needs WHAT ("a number").
take_value() {
    local option=$1 what=$2
    shift 2
    case "$1" in
    "$option")
        [[ $# -ge 2 ]] || usage_error "$option needs $what"
        value=$2
        taken=2
        ;;
    "$option"=*)
        value=${1#"$option"=}
        taken=1
        ;;
    *)
        return 1
        ;;
    esac
}

# script_option WORD...: a script's own options; a script that has some defines its own, which
# takes the option WORD starts with (setting $taken, as take_value does) or returns 1.
script_option() {
    return 1
}

# parse_args ARG...: --runs N (into $runs, a positive number), -h and --help (usage, exit 0),
# and the script's own options (script_option); anything else is a usage error.
parse_args() {
    while [[ $# -gt 0 ]]; do
        if take_value --runs "a number" "$@"; then
            runs=$value
        elif [[ "$1" == -h || "$1" == --help ]]; then
            usage
            exit 0
        elif ! script_option "$@"; then
            usage_error "unknown argument '$1' (see --help)"
        fi
        shift "$taken"
    done
    [[ "$runs" =~ ^[1-9][0-9]*$ ]] || usage_error "--runs wants a positive number, not '$runs'"
}

# ---------------------------------------------------------------------------------------------
# Setup (root only)

# setup_host PACKAGE...: the user $bench_user with subordinate ranges and what building and
# testing ctr needs (tests/setup-host.sh), and PACKAGE... where they are missing.
setup_host() {
    local missing="" p
    CTR_TEST_USER="$bench_user" "$repo/tests/setup-host.sh" >&2
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
    done
    if [[ -n "$missing" ]]; then
        log "installing$missing"
        apt-get update -qq
        # shellcheck disable=SC2086 # a list of package names
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    fi
    id "$bench_user" >/dev/null 2>&1 || die "no user '$bench_user'"
}

# check_user_access [--monitor] FILE...: dies unless $bench_user can read the script and
# FILE..., and run $ctr_bin (with --monitor, and the ctr-monitor beside it).
check_user_access() {
    local run=("$ctr_bin") what="run $ctr_bin"
    if [[ "${1:-}" == --monitor ]]; then
        shift
        run+=("$monitor_bin")
        what+=" and the ctr-monitor beside it"
    fi
    # shellcheck disable=SC2016 # expanded by the user's shell
    runuser -u "$bench_user" -- sh -c '
        while [ "$1" != -- ]; do test -r "$1" || exit 1; shift; done
        shift
        for f; do test -x "$f" || exit 1; done
    ' sh "$self" "$@" -- "${run[@]}" ||
        die "'$bench_user' cannot read $self or $what (build ctr first: cmake -S . -B build && cmake --build build; in a tree other users can read)"
}

# run_as_user [NAME=VALUE...] -- ARG...: runs the script again as $bench_user with ARG..., in a
# clean environment: nothing of root's (XDG dirs, TMPDIR, credentials) leaks in; CTR_BINARY,
# BENCH_TMPDIR and NAME=VALUE... are passed on.  Returns its exit status.
run_as_user() {
    local home rc=0 vars=()
    while [[ "$1" != -- ]]; do
        vars+=("$1")
        shift
    done
    shift
    home="$(getent passwd "$bench_user" | cut -d: -f6)"
    cd /
    runuser -u "$bench_user" -- env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME="$home" USER="$bench_user" LOGNAME="$bench_user" SHELL=/bin/sh LANG=C.UTF-8 \
        CTR_BINARY="$ctr_bin" "${vars[@]}" BENCH_TMPDIR="${BENCH_TMPDIR:-}" \
        bash "$self" "$@" || rc=$?
    return "$rc"
}

# ---------------------------------------------------------------------------------------------
# Measurement (as the unprivileged user)

# need_ctr: dies unless ctr is built.
need_ctr() {
    [[ -x "$ctr_bin" ]] || die "no ctr at $ctr_bin (build it: cmake -S . -B build && cmake --build build, or set CTR_BINARY)"
}

# need_monitor: dies unless ctr-monitor is built beside ctr.
need_monitor() {
    [[ -x "$monitor_bin" ]] || die "no ctr-monitor beside $ctr_bin (build both: cmake --build build)"
}

# need_tools TOOL...: dies unless every TOOL is installed.
need_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool is not installed (run bench/$bench_name as root to set up)"
    done
}

work=""
# make_work NAME: $work, a new directory NAME.XXXXXX under $BENCH_TMPDIR (default /var/tmp);
# the script's cleanup_worker runs at exit, also on an error or Ctrl-C.  Sets LC_ALL=C.
make_work() {
    export LC_ALL=C
    work="$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/$1.XXXXXX")"
    trap cleanup_worker EXIT
    trap 'exit 130' INT TERM
}

# private_ctr RUNDIR: ctr's private store in $work/data, RUNDIR (made when missing) the runtime
# directory of both ctr and Podman (whose pause process is then ours alone), and copies of ctr
# and ctr-monitor in $work/bin, so that a rebuild during the runs changes nothing (ctr finds
# ctr-monitor beside itself).
private_ctr() {
    mkdir -m 0700 "$work/data" "$work/bin"
    [[ -d "$1" ]] || mkdir -m 0700 "$1"
    export XDG_DATA_HOME="$work/data" XDG_RUNTIME_DIR="$1"
    cp "$ctr_bin" "$monitor_bin" "$work/bin/"
}

# load_busybox ARCHIVE: the busybox fixture image built into the OCI archive ARCHIVE, and
# loaded from it into ctr's private store as $IMAGE.
load_busybox() {
    python3 "$repo/tests/fixtures/build-images.py" "$work/fixtures" --oci-archive busybox "$1" \
        >"$work/out" 2>"$work/err" || fail_run "building the busybox image"
    "$work/bin/ctr" load -q -i "$1" >"$work/out" 2>"$work/err" || fail_run "ctr load"
}

podman=()         # the podman command line, global options included
podman_store=""   # the storage driver, e.g. "overlay"
podman_runtime="" # crun or runc, whichever starts a container here
podman_note=""    # why not crun, if not: a sentence for the report
# setup_podman ARCHIVE: Podman with a private store in $work/podman (--root, --runroot), the
# cgroupfs manager and a file event log (there may be no systemd), overlay storage if Podman
# can use it here (else its default) and crun if it can start a container here (else runc);
# loads the image from ARCHIVE.  Nothing of the user's Podman configuration is written.
setup_podman() {
    local archive=$1 base r first_err=""
    base=(podman --root "$work/podman/root" --runroot "$work/podman/runroot"
        --cgroup-manager=cgroupfs --events-backend=file --log-level=error)
    if "${base[@]}" --storage-driver=overlay info >/dev/null 2>"$work/err"; then
        base+=(--storage-driver=overlay)
    else
        log "Podman cannot use overlay storage here; using its default ($(head -n 1 "$work/err"))"
        remove_tree "$work/podman"
    fi
    "${base[@]}" load -q -i "$archive" >"$work/out" 2>"$work/err" || fail_run "podman load"
    podman_store="$("${base[@]}" info --format '{{.Store.GraphDriverName}}')" || die "podman info failed"
    for r in crun runc; do
        command -v "$r" >/dev/null || continue
        podman=("${base[@]}" --runtime "$r")
        if "${podman[@]}" run --rm --network=none "$IMAGE" true >"$work/out" 2>"$work/err"; then
            podman_runtime=$r
            break
        fi
        if [[ -z "$first_err" ]]; then
            first_err="$r: $(grep -m 1 . "$work/err" | sed 's/^Error: //; s/^OCI runtime error: //; s/^[a-z]*: //')"
        fi
    done
    if [[ -z "$podman_runtime" ]]; then
        fail_run "podman run (with crun and with runc)"
    fi
    if [[ -n "$first_err" ]]; then
        podman_note="Podman runs $podman_runtime: ${first_err%%:*} failed here (${first_err#*: })."
    fi
}

# create_containers FIRST LAST: `ctr create --name bench-N $IMAGE true` for N from FIRST to
# LAST, two at a time.
create_containers() {
    # shellcheck disable=SC2016 # expanded by the inner shell
    seq "$1" "$2" | xargs -P 2 -n 50 sh -c '
        ctr=$0 image=$1
        shift
        for n; do "$ctr" create --name "bench-$n" "$image" true >/dev/null || exit 255; done
    ' "$work/bin/ctr" "$IMAGE" 2>"$work/err" || fail_run "ctr create"
}

fail_run() {
    echo "$bench_name: $1 failed; its errors:" >&2
    sed 's/^/    /' "$work/err" >&2
    exit 1
}

# ---------------------------------------------------------------------------------------------
# Cleaning up (from the script's cleanup_worker)

# stop_containers: removes every container of ctr's private store, stopping the running ones:
# they have monitors, processes and helpers, to be stopped before their files go.
stop_containers() {
    if [[ -n "$work" && -x "$work/bin/ctr" && -d "$work/data/ctr" ]]; then
        "$work/bin/ctr" rm -a -f >/dev/null 2>&1 || true
    fi
}

# stop_podman_pause RUNDIR: stops the pause process Podman started for our runs (it holds the
# user namespace), as Podman's runtime directory RUNDIR names it.
stop_podman_pause() {
    local pid
    if [[ -f "$1/libpod/tmp/pause.pid" ]]; then
        pid="$(cat "$1/libpod/tmp/pause.pid")"
        if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(stat -c %U "/proc/$pid" 2>/dev/null)" == "$(id -un)" ]]; then
            kill "$pid" 2>/dev/null || true
        fi
    fi
}

# remove_tree DIR: DIR holds files of subordinate ids (ctr's and Podman's stores), so it is
# removed from inside a user namespace that maps them (as `podman unshare rm -rf` would).
remove_tree() {
    unshare -U --map-auto --map-root-user rm -rf -- "$1" 2>/dev/null || true
    if [[ -e "$1" ]]; then
        chmod -R u+rwX -- "$1" 2>/dev/null || true
        rm -rf -- "$1" || log "could not remove all of $1"
    fi
}

# remove_work: removes $work.
remove_work() {
    if [[ -n "$work" && -d "$work" ]]; then
        log "removing $work"
        remove_tree "$work"
    fi
}

# ---------------------------------------------------------------------------------------------
# Timing

# now: the wall-clock time in microseconds.
now() {
    local t=$EPOCHREALTIME
    echo "${t/[.,]/}"
}

elapsed=""
timed_unit=ms  # what timed measures in: ms or s
timed_digits=1 # and with how many decimals
# timed COMMAND...: runs COMMAND, timed; sets $elapsed (in $timed_unit).  Its output goes to
# $work/out and $work/err.  The clock is read without a subshell, so that only the command is
# timed.
timed() {
    local t0 t1 rc=0 per=1e3
    [[ "$timed_unit" == ms ]] || per=1e6
    t0=$EPOCHREALTIME
    "$@" >"$work/out" 2>"$work/err" || rc=$?
    t1=$EPOCHREALTIME
    elapsed="$(awk -v a="${t0/[.,]/}" -v b="${t1/[.,]/}" -v per="$per" -v d="$timed_digits" \
        'BEGIN { printf "%." d "f", (b - a) / per }')"
    return "$rc"
}

busy_before=""
# note_busy: sets $busy_before, how many CPUs' worth of time other work took over two seconds
# (we are idle), and warns from 0.2 on.
note_busy() {
    local a b
    a="$(head -n 1 /proc/stat)"
    sleep 2
    b="$(head -n 1 /proc/stat)"
    busy_before="$(awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {
        na = split(a, x); split(b, y); total = 0
        for (i = 2; i <= na && i <= 9; i++) total += y[i] - x[i] # to steal; guest is in user
        idle = (y[5] - x[5]) + (y[6] - x[6])
        printf "%.2f", (total > 0 ? n * (total - idle) / total : 0)
    }')"
    if awk -v b="$busy_before" 'BEGIN { exit !(b >= 0.2) }'; then
        log "other work keeps $busy_before CPUs busy: the numbers will be noisy"
    fi
}

# create_probe: creates 500 empty files in a new directory under $work (kept until the end, like
# the stores) and prints the microseconds one took.
create_probe() {
    local dir t0 t1 i
    dir="$(mktemp -d "$work/probe.XXXXXX")"
    t0="$(now)"
    for ((i = 0; i < 500; i++)); do
        : >"$dir/$i"
    done
    t1="$(now)"
    echo $(((t1 - t0) / 500))
}

# settle: waits (up to three minutes) until creating a file is fast again (here 20 to 60 us
# when it is); sets $create_us.  Without a journal, ext4 skips inodes freed in the last minute
# or so one by one, and a large deletion just before (a test suite, an earlier benchmark) can
# make file creation ten times slower for a while.
create_us=""
settle() {
    local waited=0
    create_us="$(create_probe)"
    while ((create_us > 100 && waited < 180)); do
        if ((waited == 0)); then
            log "creating a file in $work takes ${create_us} us; waiting for the filesystem to settle (recent large deletions?)"
        fi
        sleep 10
        waited=$((waited + 10))
        create_us="$(create_probe)"
    done
    if ((create_us > 100)); then
        log "creating a file still takes ${create_us} us: expect slow and noisy numbers"
    fi
}

# ---------------------------------------------------------------------------------------------
# Report

stats_digits=1 # the decimals stats prints
# stats FILE KEY...: "median min max" of the samples in FILE, its lines "KEY... VALUE"; fails
# when there are none.
stats() {
    local file=$1
    shift
    awk -v keys="$*" 'BEGIN { n = split(keys, key, " ") }
        { for (i = 1; i <= n; i++) if ($i != key[i]) next; print $(n + 1) }' "$file" | sort -g |
        awk -v d="$stats_digits" '{ v[NR] = $1 } END {
            if (NR == 0) exit 1
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            f = "%." d "f"
            printf f " " f " " f "\n", m, v[1], v[NR]
        }'
}

# ratio A B: A/B with two decimals (0 when B is 0).
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

# verdict VALUE OP TARGET [UNIT]: "PASS (OP TARGET UNIT)" or "MISS (OP TARGET UNIT)"; OP is
# >=, <= or <.
verdict() {
    local target="$3${4:+ $4}"
    if awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { exit !(op == ">=" ? v + 0 >= t + 0 : op == "<=" ? v + 0 <= t + 0 : v + 0 < t + 0) }'; then
        echo "PASS ($2 $target)"
    else
        echo "MISS ($2 $target)"
    fi
}
