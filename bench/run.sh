#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container benchmark, all as the same unprivileged user, on the busybox fixture image loaded
# into ctr and into Podman from one OCI archive:
#   1. start and exit: `run --rm --network=none busybox true` by ctr and by Podman, and the
#      floor, bwrap running `true` in the same rootfs with the same kinds of namespaces,
#      interleaved run by run; ratios podman/ctr (target >= 10) and ctr/bwrap (target <= 3);
#   2. the memory of ctr's monitor of a detached container (VmRSS, target < 2048 kB);
#   3. `ctr ps -a` and `ctr ps -a --format json` with 1000 containers (target < 50 ms).
# A benchmark, not a test: a missed target still exits 0; only a failed setup or measurement
# exits non-zero.
#
# Usage: bench/run.sh [--runs N]
#
# As root it sets the machine up (packages, the user) and re-runs itself as the unprivileged
# user for the measurements.  As that user it needs podman (with crun or runc), bwrap, python3,
# tar, gzip and ps installed.  See bench/README.md for the knobs (CTR_BINARY, BENCH_USER,
# BENCH_TMPDIR).
set -euo pipefail

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
repo="$(cd "$(dirname "$self")/.." && pwd)"

TARGET_PODMAN_OVER_CTR=10
TARGET_CTR_OVER_BWRAP=3
TARGET_MONITOR_KB=2048
TARGET_PS_MS=50

WARMUP=3          # untimed starts of each tool before the timed ones
CONTAINERS=1000   # containers in the database for `ctr ps -a`
IMAGE=localhost/busybox:latest

runs=10

usage() {
    cat <<'EOF'
Usage: bench/run.sh [--runs N]

Container start and exit by ctr, by Podman and by bwrap (the floor), the memory of ctr's
monitor, and `ctr ps -a` with 1000 containers, as an unprivileged user; prints medians and
the ratios podman/ctr and ctr/bwrap.

  --runs N        timed starts per tool, and timed listings (default 10)
  -h, --help      print this help

Run as root to set everything up (packages, user); the measurements then run as $BENCH_USER
(default ctrtest).  Environment: CTR_BINARY (default build/cmd/ctr in the repository, with
ctr-monitor beside it), BENCH_USER, BENCH_TMPDIR (default /var/tmp: where the private stores
of ctr and Podman go).
EOF
}

die() {
    echo "run.sh: $*" >&2
    exit 1
}

log() {
    echo "run.sh: $*" >&2
}

while [[ $# -gt 0 ]]; do
    case "$1" in
    --runs)
        [[ $# -ge 2 ]] || { echo "run.sh: --runs needs a number" >&2; exit 2; }
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
        echo "run.sh: unknown argument '$1' (see --help)" >&2
        exit 2
        ;;
    esac
done
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "run.sh: --runs wants a positive number, not '$runs'" >&2
    exit 2
fi

ctr_bin=${CTR_BINARY:-$repo/build/cmd/ctr}
[[ "$ctr_bin" == /* ]] || ctr_bin="$PWD/$ctr_bin"
bench_user=${BENCH_USER:-ctrtest}

# ---------------------------------------------------------------------------------------------
# Setup (root only)

setup_host() {
    local need="podman crun runc uidmap bubblewrap busybox-static python3 procps gzip tar
        util-linux" missing="" p
    # The user with subordinate ranges, and what building and testing ctr needs.
    CTR_TEST_USER="$bench_user" "$repo/tests/setup-host.sh" >&2
    for p in $need; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
    done
    if [[ -n "$missing" ]]; then
        log "installing$missing"
        apt-get update -qq
        # shellcheck disable=SC2086 # a list of package names
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    fi
}

as_root() {
    setup_host
    id "$bench_user" >/dev/null 2>&1 || die "no user '$bench_user'"
    # shellcheck disable=SC2016 # expanded by the user's shell
    runuser -u "$bench_user" -- sh -c 'test -r "$1" && test -r "$2" && test -x "$3" && test -x "$4"' \
        sh "$self" "$repo/tests/fixtures/build-images.py" "$ctr_bin" "$(dirname "$ctr_bin")/ctr-monitor" ||
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
rootfs=""
busy_before=""
create_after=""
podman=()           # the podman command line, global options included
podman_runtime=""   # crun or runc, whichever starts a container here
podman_note=""      # why not crun, if not: a sentence for the report
podman_store=""     # e.g. "overlay (native)"
monitor_rss="" monitor_anon="" monitor_file=""
create_s="" rm_s=""

cleanup_worker() {
    local pid
    set +e
    if [[ -n "$work" && -x "$work/bin/ctr" && -d "$work/data/ctr" ]]; then
        # Detached containers have monitors and processes: stop them before their files go.
        "$work/bin/ctr" rm -a -f >/dev/null 2>&1
    fi
    if [[ -n "$work" && -f "$work/run/libpod/tmp/pause.pid" ]]; then
        # The pause process Podman started for our runs (it holds the user namespace).
        pid="$(cat "$work/run/libpod/tmp/pause.pid")"
        if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(stat -c %U "/proc/$pid" 2>/dev/null)" == "$(id -un)" ]]; then
            kill "$pid" 2>/dev/null
        fi
    fi
    if [[ -n "$work" && -d "$work" ]]; then
        log "removing $work"
        remove_tree "$work"
        # Written out, the freed inodes stop slowing file creation sooner (see settle).
        sync
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

# now: the wall-clock time in microseconds.
now() {
    local t=$EPOCHREALTIME
    echo "${t/[.,]/}"
}

elapsed=""
# Runs the command after it, timed; sets $elapsed (milliseconds).  Its output goes to $work/out
# and $work/err.  The clock is read without a subshell, so that only the command is timed.
timed() {
    local t0 t1 rc=0
    t0=$EPOCHREALTIME
    "$@" >"$work/out" 2>"$work/err" || rc=$?
    t1=$EPOCHREALTIME
    elapsed="$(awk -v a="${t0/[.,]/}" -v b="${t1/[.,]/}" 'BEGIN { printf "%.1f", (b - a) / 1e3 }')"
    return "$rc"
}

fail_run() {
    echo "run.sh: $1 failed; its errors:" >&2
    sed 's/^/    /' "$work/err" >&2
    exit 1
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
# when it is).  Without a journal, ext4 skips inodes freed in the last minute or so one by one,
# and a large deletion just before (a test suite, an earlier benchmark) can make file creation
# ten times slower for a while; each container start creates a few files.
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

# unpack_rootfs ARCHIVE DIR: the layers of the (single) image of the OCI archive, bottom first,
# extracted into DIR for bwrap.  The layers of the fixture hold no whiteouts or device nodes.
unpack_rootfs() {
    local archive=$1 dir=$2 oci layer
    oci="$work/oci"
    mkdir -p "$oci" "$dir"
    tar -xf "$archive" -C "$oci" || return 1
    python3 -c '
import json, sys
layout = sys.argv[1]
def blob(digest):
    return layout + "/blobs/" + digest.replace(":", "/")
index = json.load(open(layout + "/index.json"))
if len(index["manifests"]) != 1:
    sys.exit("expected one image in the archive")
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
for l in manifest["layers"]:
    if not l["mediaType"].endswith("tar+gzip"):
        sys.exit("layer %s is not gzip" % l["digest"])
    print(blob(l["digest"]))
' "$oci" >"$work/layers" || return 1
    while read -r layer; do
        tar -xzf "$layer" -C "$dir" || return 1
    done <"$work/layers"
}

# The three ways of starting `true`.
start_ctr() {
    "$work/bin/ctr" run --rm --network=none "$IMAGE" true
}

start_podman() {
    "${podman[@]}" run --rm --network=none "$IMAGE" true
}

# --unshare-all: user, mount, pid, ipc, uts, cgroup and network namespaces (only lo, as
# --network=none); root in the container, like the others.
start_bwrap() {
    bwrap --unshare-all --uid 0 --gid 0 --bind "$rootfs" / --proc /proc --dev /dev true
}

# Picks Podman's storage driver and runtime: overlay if Podman can use it here (else its
# default), crun if it can start a container here (else runc), and loads the image.
setup_podman() {
    local archive=$1 base driver native mount_program r first_err=""
    base=(podman --root "$work/podman/root" --runroot "$work/podman/runroot"
        --cgroup-manager=cgroupfs --events-backend=file --log-level=error)
    if "${base[@]}" --storage-driver=overlay info >/dev/null 2>"$work/err"; then
        base+=(--storage-driver=overlay)
    else
        log "Podman cannot use overlay storage here; using its default ($(head -n 1 "$work/err"))"
        remove_tree "$work/podman"
    fi
    "${base[@]}" load -q -i "$archive" >"$work/out" 2>"$work/err" || fail_run "podman load"
    driver="$("${base[@]}" info --format '{{.Store.GraphDriverName}}')" || die "podman info failed"
    native="$("${base[@]}" info --format '{{index .Store.GraphStatus "Native Overlay Diff"}}' 2>/dev/null || true)"
    mount_program="$("${base[@]}" info --format '{{index .Store.GraphOptions "overlay.mount_program"}}' 2>/dev/null || true)"
    podman_store=$driver
    if [[ "$driver" == overlay ]]; then
        if [[ -n "$mount_program" && "$mount_program" != "<no value>" && "$mount_program" != "map[]" ]]; then
            podman_store="overlay via $(basename "$(awk '{ print $NF }' <<<"$mount_program" | tr -d '[]')")"
        elif [[ "$native" == true ]]; then
            podman_store="overlay (native kernel overlay)"
        fi
    fi
    for r in crun runc; do
        command -v "$r" >/dev/null || continue
        podman=("${base[@]}" --runtime "$r")
        if start_podman >"$work/out" 2>"$work/err"; then
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

# Start and exit: warm-up runs, then $runs interleaved runs of each tool.
bench_start() {
    local samples=$1 tools=(ctr podman bwrap) run k i tool line
    settle
    for tool in "${tools[@]}"; do
        for ((i = 0; i < WARMUP; i++)); do
            timed "start_$tool" || fail_run "the warm-up start by $tool"
        done
    done
    busy_before="$(cpus_busy)"
    if awk -v b="$busy_before" 'BEGIN { exit !(b >= 0.2) }'; then
        log "other work keeps $busy_before CPUs busy: the numbers will be noisy"
    fi
    for ((run = 0; run < runs; run++)); do
        line="start run $((run + 1))/$runs:"
        # Rotate the order of the tools from run to run to spread drift and noise.
        for ((k = 0; k < 3; k++)); do
            i=$(((run + k) % 3))
            tool=${tools[$i]}
            timed "start_$tool" || fail_run "$tool starting true"
            echo "start $tool $elapsed" >>"$samples"
            line+=" $tool ${elapsed}ms"
        done
        log "$line"
    done
    create_after="$(create_probe)"
}

# The monitor of a detached container: the parent of the container's process.
bench_monitor() {
    local id pid ppid comm status
    id="$("$work/bin/ctr" run -d --network=none "$IMAGE" sleep 60 2>"$work/err")" || fail_run "ctr run -d"
    pid="$("$work/bin/ctr" inspect --format '{{.State.Pid}}' "$id" 2>"$work/err")" || fail_run "ctr inspect"
    [[ "$pid" =~ ^[1-9][0-9]*$ ]] || die "ctr inspect gave no pid for the detached container ('$pid')"
    ppid="$(ps -o ppid= -p "$pid" | tr -d ' ')" || die "the container's process $pid is gone"
    comm="$(cat "/proc/$ppid/comm" 2>/dev/null)" || die "the container's parent $ppid is gone"
    [[ "$comm" == ctr-monitor ]] || die "the container's parent $ppid is '$comm', not ctr-monitor"
    status="$(cat "/proc/$ppid/status")"
    monitor_rss="$(awk '$1 == "VmRSS:" { print $2 }' <<<"$status")"
    monitor_anon="$(awk '$1 == "RssAnon:" { print $2 }' <<<"$status")"
    monitor_file="$(awk '$1 == "RssFile:" { print $2 }' <<<"$status")"
    [[ "$monitor_rss" =~ ^[0-9]+$ ]] || die "no VmRSS in /proc/$ppid/status"
    log "monitor $ppid of container $pid: VmRSS $monitor_rss kB"
    "$work/bin/ctr" rm -f "$id" >/dev/null 2>"$work/err" || fail_run "ctr rm -f of the detached container"
}

# `ctr ps -a` with $CONTAINERS created containers, interleaved with `ctr ps -a --format json`.
bench_ps() {
    local samples=$1 t0 t1 run n
    "$work/bin/ctr" ps --help >/dev/null 2>&1 || die "this ctr has no 'ps' command"
    log "creating $CONTAINERS containers"
    t0="$(now)"
    # shellcheck disable=SC2016 # expanded by the inner shell
    seq 1 "$CONTAINERS" | xargs -P 2 -n 50 sh -c '
        ctr=$0 image=$1
        shift
        for n; do "$ctr" create --name "bench-$n" "$image" true >/dev/null || exit 255; done
    ' "$work/bin/ctr" "$IMAGE" 2>"$work/err" || fail_run "ctr create"
    t1="$(now)"
    create_s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')"
    for ((run = 0; run < runs; run++)); do
        if ((run % 2 == 0)); then
            timed "$work/bin/ctr" ps -a || fail_run "ctr ps -a"
            echo "ps table $elapsed" >>"$samples"
            timed "$work/bin/ctr" ps -a --format json || fail_run "ctr ps -a --format json"
            echo "ps json $elapsed" >>"$samples"
        else
            timed "$work/bin/ctr" ps -a --format json || fail_run "ctr ps -a --format json"
            echo "ps json $elapsed" >>"$samples"
            timed "$work/bin/ctr" ps -a || fail_run "ctr ps -a"
            echo "ps table $elapsed" >>"$samples"
        fi
    done
    # The listings are complete: both name all of them.
    "$work/bin/ctr" ps -a --format json >"$work/ps.json" 2>"$work/err" || fail_run "ctr ps -a --format json"
    n="$(python3 -c '
import json, sys
print(sum(1 for c in json.load(open(sys.argv[1])) if any(n.startswith("bench-") for n in c.get("Names") or [])))
' "$work/ps.json")" || die "ctr ps -a --format json did not print a JSON list"
    [[ "$n" == "$CONTAINERS" ]] || die "ctr ps -a --format json listed $n of the $CONTAINERS containers"
    "$work/bin/ctr" ps -a >"$work/ps.txt" 2>"$work/err" || fail_run "ctr ps -a"
    n="$(grep -c ' bench-[0-9]*$' "$work/ps.txt" || true)"
    [[ "$n" == "$CONTAINERS" ]] || die "ctr ps -a listed $n of the $CONTAINERS containers"
    timed "$work/bin/ctr" rm -a || fail_run "ctr rm -a"
    rm_s="$(awk -v a="$elapsed" 'BEGIN { printf "%.1f", a / 1e3 }')"
    "$work/bin/ctr" ps -a -q >"$work/out" 2>"$work/err" || fail_run "ctr ps -a -q"
    [[ ! -s "$work/out" ]] || die "ctr rm -a left $(wc -l <"$work/out") containers"
}

as_user() {
    local tool monitor
    [[ -n "${EPOCHREALTIME:-}" ]] || die "needs bash 5 or newer (EPOCHREALTIME)"
    [[ -x "$ctr_bin" ]] || die "no ctr at $ctr_bin (build it: cmake -S . -B build && cmake --build build, or set CTR_BINARY)"
    monitor="$(dirname "$ctr_bin")/ctr-monitor"
    [[ -x "$monitor" ]] || die "no ctr-monitor beside $ctr_bin (build both: cmake --build build)"
    for tool in podman bwrap python3 tar gzip ps unshare xargs; do
        command -v "$tool" >/dev/null || die "$tool is not installed (run bench/run.sh as root to set up)"
    done
    export LC_ALL=C
    work="$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/ctr-bench.XXXXXX")"
    trap cleanup_worker EXIT
    trap 'exit 130' INT TERM
    # ctr's private store, and the runtime directory of both ctr and Podman (whose pause
    # process is then ours alone); Podman's store is given by --root and --runroot.
    mkdir -m 0700 "$work/data" "$work/run" "$work/bin"
    export XDG_DATA_HOME="$work/data" XDG_RUNTIME_DIR="$work/run"
    # Copies, so that a rebuild during the runs changes nothing.  ctr finds ctr-monitor beside
    # itself.
    cp "$ctr_bin" "$monitor" "$work/bin/"

    local archive="$work/busybox.tar" samples="$work/samples"
    : >"$samples"
    python3 "$repo/tests/fixtures/build-images.py" "$work/fixtures" --oci-archive busybox "$archive" \
        >"$work/out" 2>"$work/err" || fail_run "building the busybox image"
    "$work/bin/ctr" load -q -i "$archive" >"$work/out" 2>"$work/err" || fail_run "ctr load"
    setup_podman "$archive"
    rootfs="$work/rootfs"
    unpack_rootfs "$archive" "$rootfs" || die "unpacking the busybox rootfs for bwrap failed"

    bench_start "$samples"
    bench_monitor
    bench_ps "$samples"
    report "$samples"
}

# ---------------------------------------------------------------------------------------------
# Report

# stats FILE KIND TOOL: "median min max" of the samples.
stats() {
    awk -v kind="$2" -v tool="$3" '$1 == kind && $2 == tool { print $3 }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END {
            if (NR == 0) exit 1
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.1f %.1f %.1f\n", m, v[1], v[NR]
        }'
}

# verdict VALUE OP TARGET [UNIT]: "PASS (OP TARGET UNIT)" or "MISS (OP TARGET UNIT)".
verdict() {
    local target="$3${4:+ $4}"
    if awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { exit !(op == ">=" ? v + 0 >= t + 0 : op == "<=" ? v + 0 <= t + 0 : v + 0 < t + 0) }'; then
        echo "PASS ($2 $target)"
    else
        echo "MISS ($2 $target)"
    fi
}

report() {
    local samples=$1 tool med min max ratio
    local -A median
    local ctr_version podman_version bwrap_version
    ctr_version="$("$work/bin/ctr" --version 2>/dev/null | head -n 1)"
    podman_version="$(podman --version 2>/dev/null | awk '{ print $NF }')"
    bwrap_version="$(bwrap --version 2>/dev/null | awk '{ print $NF }')"

    echo
    echo "Container start and exit ('run --rm --network=none busybox true') as $(id -un), $runs runs"
    echo "per tool, interleaved, after $WARMUP warm-up runs each; wall-clock milliseconds."
    echo "${ctr_version:-ctr ?}; podman $podman_version with $podman_runtime and $podman_store"
    echo "storage (a private store); bwrap $bwrap_version (--unshare-all) on the unpacked image."
    [[ -z "$podman_note" ]] || echo "$podman_note"
    echo "$(nproc) CPUs, $busy_before of them busy with other work at the start; creating a file took ${create_us} us"
    echo "at the start and ${create_after} us at the end (in $(dirname "$work"))."
    echo
    printf '%-24s %8s %8s %8s\n' tool median min max
    for tool in ctr podman bwrap; do
        read -r med min max < <(stats "$samples" start "$tool") || die "no samples for $tool"
        median[$tool]=$med
        printf '%-24s %8s %8s %8s\n' "$tool" "$med" "$min" "$max"
    done
    echo
    ratio="$(awk -v a="${median[podman]}" -v b="${median[ctr]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    printf '%-24s %s\n' "podman/ctr" "${ratio}x $(verdict "$ratio" '>=' "$TARGET_PODMAN_OVER_CTR")"
    ratio="$(awk -v a="${median[ctr]}" -v b="${median[bwrap]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    printf '%-24s %s\n' "ctr/bwrap" "${ratio}x $(verdict "$ratio" '<=' "$TARGET_CTR_OVER_BWRAP")"

    echo
    echo "Monitor of a detached container ('ctr run -d busybox sleep 60'):"
    printf '%-24s %s\n' "ctr-monitor VmRSS" "$monitor_rss kB $(verdict "$monitor_rss" '<' "$TARGET_MONITOR_KB" kB)"
    printf '%-24s %s\n' "" "(RssAnon $monitor_anon kB, RssFile $monitor_file kB)"

    echo
    echo "Listing $CONTAINERS containers (created, never started), $runs runs each, interleaved;"
    echo "wall-clock milliseconds.  Creating them (2 at a time) took ${create_s} s, 'ctr rm -a' ${rm_s} s."
    echo
    printf '%-24s %8s %8s %8s\n' command median min max
    read -r med min max < <(stats "$samples" ps table) || die "no samples for ctr ps -a"
    printf '%-24s %8s %8s %8s   %s\n' "ctr ps -a" "$med" "$min" "$max" "$(verdict "$med" '<' "$TARGET_PS_MS" ms)"
    read -r med min max < <(stats "$samples" ps json) || die "no samples for ctr ps -a --format json"
    printf '%-24s %8s %8s %8s   %s\n' "ctr ps -a --format json" "$med" "$min" "$max" "$(verdict "$med" '<' "$TARGET_PS_MS" ms)"
}

# ---------------------------------------------------------------------------------------------

if [[ "$(id -u)" == 0 ]]; then
    as_root
else
    as_user
fi
