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

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TARGET_PODMAN_OVER_CTR=10
TARGET_CTR_OVER_BWRAP=3
TARGET_MONITOR_KB=2048
TARGET_PS_MS=50

WARMUP=3          # untimed starts of each tool before the timed ones
CONTAINERS=1000   # containers in the database for `ctr ps -a`

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

parse_args "$@"

# ---------------------------------------------------------------------------------------------
# Setup (root only)

as_root() {
    setup_host podman crun runc uidmap bubblewrap busybox-static python3 procps gzip tar util-linux
    check_user_access --monitor "$repo/tests/fixtures/build-images.py"
    run_as_user -- --runs "$runs"
}

# ---------------------------------------------------------------------------------------------
# Measurement (as the unprivileged user)

rootfs=""
create_after=""
monitor_rss="" monitor_anon="" monitor_file=""
create_s="" rm_s=""

cleanup_worker() {
    set +e
    # Detached containers have monitors and processes: stop them before their files go.
    stop_containers
    [[ -z "$work" ]] || stop_podman_pause "$work/run"
    remove_work
    # Written out, the freed inodes stop slowing file creation sooner (see settle).
    sync
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

# describe_podman_store: after setup_podman, $podman_store in more words for the report:
# "overlay (native kernel overlay)", "overlay via fuse-overlayfs".
describe_podman_store() {
    local native mount_program
    native="$("${podman[@]}" info --format '{{index .Store.GraphStatus "Native Overlay Diff"}}' 2>/dev/null || true)"
    mount_program="$("${podman[@]}" info --format '{{index .Store.GraphOptions "overlay.mount_program"}}' 2>/dev/null || true)"
    if [[ "$podman_store" == overlay ]]; then
        if [[ -n "$mount_program" && "$mount_program" != "<no value>" && "$mount_program" != "map[]" ]]; then
            podman_store="overlay via $(basename "$(awk '{ print $NF }' <<<"$mount_program" | tr -d '[]')")"
        elif [[ "$native" == true ]]; then
            podman_store="overlay (native kernel overlay)"
        fi
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
    note_busy
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
    create_containers 1 "$CONTAINERS"
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
    [[ -n "${EPOCHREALTIME:-}" ]] || die "needs bash 5 or newer (EPOCHREALTIME)"
    need_ctr
    need_monitor
    need_tools podman bwrap python3 tar gzip ps unshare xargs
    make_work ctr-bench
    # Podman's store is given by --root and --runroot (setup_podman).
    private_ctr "$work/run"

    local archive="$work/busybox.tar" samples="$work/samples"
    : >"$samples"
    load_busybox "$archive"
    setup_podman "$archive"
    describe_podman_store
    rootfs="$work/rootfs"
    unpack_rootfs "$archive" "$rootfs" || die "unpacking the busybox rootfs for bwrap failed"

    bench_start "$samples"
    bench_monitor
    bench_ps "$samples"
    report "$samples"
}

# ---------------------------------------------------------------------------------------------
# Report

report() {
    local samples=$1 tool med min max r
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
    r="$(ratio "${median[podman]}" "${median[ctr]}")"
    printf '%-24s %s\n' "podman/ctr" "${r}x $(verdict "$r" '>=' "$TARGET_PODMAN_OVER_CTR")"
    r="$(ratio "${median[ctr]}" "${median[bwrap]}")"
    printf '%-24s %s\n' "ctr/bwrap" "${r}x $(verdict "$r" '<=' "$TARGET_CTR_OVER_BWRAP")"

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
