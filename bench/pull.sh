#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Pull benchmark: cold pulls of a small image (the busybox fixture) and of a Debian image of
# about 100 MB compressed (3 gzip layers) from a loopback registry, by ctr, by Podman, and by
# the floor: `gzip -dc LAYER | tar -x` of the layers (fetched beforehand) into an empty
# directory.  All three run as the same unprivileged user, interleaved run by run.  Prints
# medians, min and max, and the ratios podman/ctr (target >= 2 on Debian) and ctr/floor
# (target <= 1.3 on Debian).  A benchmark, not a test: a missed target still exits 0; only a
# failed setup or measurement exits non-zero.
#
# Usage: bench/pull.sh [--runs N] [--images LIST]
#
# As root it sets the machine up (packages, the user, Podman's configuration, the Debian image,
# a registry) and re-runs itself as the unprivileged user for the measurements.  As that user
# it needs podman, skopeo, docker-registry, python3 and curl installed, and the Debian image
# already built in its cache (BENCH_CACHE_DIR, readable by it), or --images busybox.  See
# bench/README.md for the knobs (CTR_BINARY, BENCH_USER, BENCH_CACHE_DIR, BENCH_REGISTRY).
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Targets, checked on the Debian image only: busybox is too small for ratios to mean much.
TARGET_PODMAN_OVER_CTR=2.0
TARGET_CTR_OVER_FLOOR=1.3
TARGET_IMAGE=debian

# What the Debian image holds: debootstrap's minbase, then one layer per package list.
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${BENCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_LAYER2="python3 perl"
DEBIAN_LAYER3="git curl ca-certificates"
PATH_ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

runs=5
images="busybox,debian"

usage() {
    cat <<'EOF'
Usage: bench/pull.sh [--runs N] [--images LIST]

Cold pulls from a loopback registry by ctr, by Podman and by gzip -dc | tar -x (the floor),
as an unprivileged user; prints medians and the ratios podman/ctr and ctr/floor.

  --runs N        cold pulls per tool and image (default 5)
  --images LIST   comma-separated subset of busybox,debian (default both)
  -h, --help      print this help

Run as root to set everything up (packages, user, Podman configuration, images, registry);
the measurements then run as $BENCH_USER (default ctrtest).  Environment: CTR_BINARY (default
build/cmd/ctr in the repository), BENCH_USER, BENCH_CACHE_DIR (default
${XDG_CACHE_HOME:-~/.cache}/ctr-bench), BENCH_REGISTRY (HOST:PORT of a plain-HTTP registry
that already holds busybox:latest and debian:bookworm; then none is started).
EOF
}

# --images LIST, besides parse_args's options.
script_option() {
    take_value --images "a list" "$@" || return 1
    images=$value
}

parse_args "$@"
image_list=()
IFS=, read -r -a _imgs <<<"$images"
for i in "${_imgs[@]}"; do
    case "$i" in
    busybox) image_list+=("busybox:latest") ;;
    debian) image_list+=("debian:$DEBIAN_SUITE") ;;
    *) usage_error "unknown image '$i' in --images (busybox, debian)" ;;
    esac
done
[[ ${#image_list[@]} -gt 0 ]] || usage_error "--images is empty"
wants_image() { [[ ",$images," == *",$1,"* ]]; }

cache=${BENCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ctr-bench}

# shellcheck source=SCRIPTDIR/../tests/fixtures/registry.bash
source "$repo/tests/fixtures/registry.bash"
export CTR_FIXTURES_DIR="$cache/fixtures"

# ---------------------------------------------------------------------------------------------
# Setup (root only)

# Podman's configuration for the bench user: overlay storage, a cgroupfs manager and a file
# event log (there may be no systemd user session).  Files that we did not write are left alone.
setup_podman_config() {
    local runtime=crun marker="# written by ctr's bench/pull.sh"
    command -v crun >/dev/null || runtime=runc
    # shellcheck disable=SC2016 # expanded by the user's shell
    runuser -u "$bench_user" -- sh -c '
        set -e
        dir="$HOME/.config/containers"
        mkdir -p "$dir"
        write() {
            if [ -e "$dir/$1" ] && ! grep -qxF "$2" "$dir/$1"; then
                echo "pull.sh: leaving $dir/$1 as it is (not written by the benchmark)" >&2
                return 0
            fi
            printf "%s\n" "$2" "$3" >"$dir/$1"
        }
        write storage.conf "$1" "[storage]
driver = \"overlay\""
        write containers.conf "$1" "[engine]
runtime = \"$2\"
cgroup_manager = \"cgroupfs\"
events_logger = \"file\""
    ' sh "$marker" "$runtime"
}

# The recipe of the Debian image; its hash is the cache key.
debian_recipe() {
    printf '%s\n' "suite $DEBIAN_SUITE" "layer2 $DEBIAN_LAYER2" "layer3 $DEBIAN_LAYER3" "$PATH_ENV"
    declare -f debian_build debian_tidy debian_apt
}

# Leaves ROOTFS as an image layer should be: no device nodes, no apt lists or caches, an empty
# resolv.conf.
debian_tidy() {
    local rootfs=$1
    find "$rootfs/dev" -mindepth 1 -delete
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
        "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/apt/* "$rootfs/usr/sbin/policy-rc.d"
    : >"$rootfs/etc/resolv.conf"
}

# debian_apt ROOTFS PACKAGES LOG: installs PACKAGES in ROOTFS with apt-get in a chroot, its
# output to LOG.  Device nodes are made (not bind-mounted: nothing of the host's may be inside
# when the tree is deleted) and removed again by debian_tidy.
debian_apt() {
    local rootfs=$1 pkgs=$2 log=$3
    mknod -m 666 "$rootfs/dev/null" c 1 3
    mknod -m 666 "$rootfs/dev/zero" c 1 5
    mknod -m 666 "$rootfs/dev/full" c 1 7
    mknod -m 666 "$rootfs/dev/random" c 1 8
    mknod -m 666 "$rootfs/dev/urandom" c 1 9
    cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
    chmod 755 "$rootfs/usr/sbin/policy-rc.d"
    local rc=0
    # shellcheck disable=SC2016 # expanded inside the chroot
    chroot "$rootfs" /usr/bin/env -i "$PATH_ENV" DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
        http_proxy="${http_proxy:-}" https_proxy="${https_proxy:-}" \
        sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends $1 >/dev/null &&
            apt-get clean' sh "$pkgs" >"$log" 2>&1 || rc=$?
    debian_tidy "$rootfs"
    return "$rc"
}

# debian_build DIR: an OCI layout in DIR/oci with the image "bookworm": debootstrap's minbase
# and two layers of packages on top, gzip-compressed by umoci; the rootfs in DIR/bundle.
# Cached: nothing is done when DIR/stamp holds the recipe's hash.
debian_build() {
    local dest=$1 key tmp layout bundle
    key="$(debian_recipe | sha256sum | cut -d' ' -f1)"
    if [[ -f "$dest/stamp" && "$(cat "$dest/stamp")" == "$key" && -f "$dest/oci/index.json" ]]; then
        return 0
    fi
    log "building the Debian image (debootstrap $DEBIAN_SUITE, then: $DEBIAN_LAYER2; $DEBIAN_LAYER3) into $dest"
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest".tmp.* # left by an interrupted build
    tmp="$(mktemp -d "$dest.tmp.XXXXXX")"
    layout="$tmp/oci"
    bundle="$tmp/bundle"
    umoci init --layout "$layout"
    umoci new --image "$layout:$DEBIAN_SUITE"
    umoci unpack --image "$layout:$DEBIAN_SUITE" "$bundle" >/dev/null
    if ! debootstrap --variant=minbase "$DEBIAN_SUITE" "$bundle/rootfs" "$DEBIAN_MIRROR" >"$tmp/debootstrap.log" 2>&1; then
        tail -n 20 "$tmp/debootstrap.log" >&2
        rm -rf "$tmp"
        die "debootstrap failed"
    fi
    debian_tidy "$bundle/rootfs"
    umoci repack --refresh-bundle --image "$layout:$DEBIAN_SUITE" \
        --history.created_by "debootstrap --variant=minbase $DEBIAN_SUITE" "$bundle"
    local pkgs
    for pkgs in "$DEBIAN_LAYER2" "$DEBIAN_LAYER3"; do
        if ! debian_apt "$bundle/rootfs" "$pkgs" "$tmp/apt.log"; then
            tail -n 20 "$tmp/apt.log" >&2
            rm -rf "$tmp"
            die "installing '$pkgs' into the Debian image failed"
        fi
        umoci repack --refresh-bundle --image "$layout:$DEBIAN_SUITE" \
            --history.created_by "apt-get install $pkgs" "$bundle"
    done
    umoci config --image "$layout:$DEBIAN_SUITE" --config.cmd /bin/bash --config.env "$PATH_ENV"
    umoci gc --layout "$layout"
    # The bundle (the rootfs) stays: deleting it would slow file creation for the runs that
    # follow (see settle).
    rm -rf "$dest"
    mv "$tmp" "$dest"
    echo "$key" >"$dest/stamp"
}

# Pushes the chosen images into the running registry ($REGISTRY_ADDR).
push_images() {
    if wants_image busybox; then
        fixtures_build || die "building the fixture images failed"
        registry_push busybox:latest || die "pushing busybox failed"
    fi
    if wants_image debian; then
        if [[ ! -f "$cache/debian/oci/index.json" ]]; then
            die "the Debian image is not in $cache/debian (building it takes root): run bench/pull.sh as root, or pass --images busybox"
        fi
        skopeo --insecure-policy copy --quiet --preserve-digests --dest-tls-verify=false --dest-no-creds \
            "oci:$cache/debian/oci:$DEBIAN_SUITE" "docker://$REGISTRY_ADDR/debian:$DEBIAN_SUITE" </dev/null ||
            die "pushing the Debian image failed"
    fi
}

as_root() {
    setup_host podman crun uidmap debootstrap skopeo umoci docker-registry curl python3 \
        busybox-static gzip tar util-linux
    setup_podman_config
    # shellcheck disable=SC2119 # nothing to read but the script
    check_user_access
    if wants_image debian; then
        debian_build "$cache/debian"
    fi
    if [[ -z "${BENCH_REGISTRY:-}" ]]; then
        trap registry_stop EXIT
        # shellcheck disable=SC2119 # no --htpasswd: an open registry
        registry_start || die "starting the registry failed"
        push_images
        BENCH_REGISTRY=$REGISTRY_ADDR
    fi
    run_as_user BENCH_REGISTRY="$BENCH_REGISTRY" -- --runs "$runs" --images "$images"
}

# ---------------------------------------------------------------------------------------------
# Measurement (as the unprivileged user)

podman_xdg=""
create_after=""
# Per image reference: its number of layers, their compressed bytes, and their bytes as tar.
declare -A layers_of=() size_of=() tar_of=()

cleanup_worker() {
    [[ -z "$podman_xdg" ]] || stop_podman_pause "$podman_xdg"
    remove_work
    # Written out, the freed inodes stop slowing file creation sooner (see settle).
    sync
    registry_stop
}

timed_unit=s timed_digits=3 # a pull takes seconds
stats_digits=3

# Every store and tree of a run stays until all runs are done, and is deleted at exit.  On ext4
# without a journal (as on some VMs) the inode allocator skips, one by one, inodes freed in
# the last minutes; deleting a store between runs made the next run's file creation up to ten
# times slower, and that would have measured the order of the runs rather than the tools.

ctr_pull() { # ctr_pull REF DIR: ctr with a fresh store in DIR
    mkdir -m 0700 "$2" "$2/data" "$2/run"
    sync
    timed env XDG_DATA_HOME="$2/data" XDG_RUNTIME_DIR="$2/run" \
        "$ctr_bin" pull --tls-verify=false -q "$1" || fail_run "ctr pull $1"
}

podman_pull() { # podman_pull REF DIR: Podman with a fresh store (--root, --runroot) in DIR
    mkdir -m 0700 "$2"
    sync
    # The runtime directory stays the same for all runs, so that Podman's pause process (which
    # keeps its user namespace) is started once, by the warm-up, as it is on a used machine.
    timed env XDG_RUNTIME_DIR="$podman_xdg" podman --root "$2/root" --runroot "$2/runroot" \
        --storage-driver overlay --log-level error pull --tls-verify=false -q "$1" ||
        fail_run "podman pull $1"
}

floor_extract() { # floor_extract DIR LAYER...
    local dir=$1 layer
    shift
    for layer in "$@"; do
        gzip -dc "$layer" | tar -x -C "$dir" || return 1
    done
}

floor_pull() { # floor_pull NAME DIR: the layers fetched by fetch_layers, into the empty DIR
    local -a layers
    mapfile -t layers < <(printf '%s\n' "$work/blobs/$1"/*.tar.gz | sort -V)
    mkdir -m 0700 "$2"
    sync
    timed floor_extract "$2" "${layers[@]}" || fail_run "gzip -dc | tar -x of $1"
}

# fetch_layers REF: downloads REF's layers from the registry to $work/blobs/NAME/N.tar.gz
# (bottom layer first) and checks their digests.  Prints "LAYERS COMPRESSED_BYTES TAR_BYTES".
fetch_layers() {
    local ref=$1 name tag dir n=0 digest size total=0 tarbytes=0 line
    name=${ref%%:*}
    tag=${ref#*:}
    dir="$work/blobs/$name"
    mkdir -p "$dir"
    curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
        "http://$BENCH_REGISTRY/v2/$name/manifests/$tag" >"$dir/manifest.json" ||
        die "cannot fetch the manifest of $ref from $BENCH_REGISTRY"
    python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
if "layers" not in m:
    sys.exit("not an image manifest")
for l in m["layers"]:
    if not l["mediaType"].endswith("gzip"):
        sys.exit("layer %s is not gzip" % l["digest"])
    print(l["digest"], l["size"])
' "$dir/manifest.json" >"$dir/layers" || die "cannot read the manifest of $ref"
    while read -r digest size; do
        n=$((n + 1))
        curl -fsSL -o "$dir/$n.tar.gz" "http://$BENCH_REGISTRY/v2/$name/blobs/$digest" ||
            die "cannot fetch layer $digest of $ref"
        [[ "sha256:$(sha256sum "$dir/$n.tar.gz" | cut -d' ' -f1)" == "$digest" ]] ||
            die "layer $digest of $ref does not match its digest"
        total=$((total + size))
        line="$(gzip -dc "$dir/$n.tar.gz" | wc -c)"
        tarbytes=$((tarbytes + line))
    done <"$dir/layers"
    [[ $n -gt 0 ]] || die "$ref has no layers"
    echo "$n $total $tarbytes"
}

as_user() {
    local tool
    [[ -n "${EPOCHREALTIME:-}" ]] || die "needs bash 5 or newer (EPOCHREALTIME)"
    need_ctr
    need_tools podman curl gzip tar python3 unshare sha256sum
    make_work ctr-bench
    podman_xdg="$work/podman-xdg"
    mkdir -m 0700 "$podman_xdg"
    # A copy, so that a rebuild during the runs changes nothing.
    cp "$ctr_bin" "$work/ctr"
    ctr_bin="$work/ctr"

    if [[ -z "${BENCH_REGISTRY:-}" ]]; then
        need_tools skopeo docker-registry
        # shellcheck disable=SC2119 # no --htpasswd: an open registry
        registry_start || die "starting the registry failed"
        push_images
        BENCH_REGISTRY=$REGISTRY_ADDR
    fi

    local ref info samples="$work/samples" run k i d
    : >"$samples"
    for ref in "${image_list[@]}"; do
        info="$(fetch_layers "$ref")" || exit 1
        read -r "layers_of[$ref]" "size_of[$ref]" "tar_of[$ref]" <<<"$info"
    done

    # Room for every run's trees (see ctr_pull): three unpacked copies of each image per run.
    local need=0 avail
    for ref in "${image_list[@]}"; do
        need=$((need + 3 * runs * tar_of[$ref] * 12 / 10))
    done
    avail="$(df -P -B1 "$work" | awk 'NR == 2 { print $4 }')"
    if [[ "$avail" =~ ^[0-9]+$ ]] && ((avail < need + (1 << 30))); then
        die "$work has $((avail >> 20)) MiB free; $runs runs need about $((need >> 20)) MiB (use fewer --runs, or another BENCH_TMPDIR)"
    fi

    # Warm-up, untimed: binaries and libraries into the page cache, Podman's pause process up.
    ctr_pull "$BENCH_REGISTRY/${image_list[0]}" "$work/warm-ctr"
    podman_pull "$BENCH_REGISTRY/${image_list[0]}" "$work/warm-podman"
    settle
    note_busy

    local tools=(ctr podman floor) line
    for ref in "${image_list[@]}"; do
        for ((run = 0; run < runs; run++)); do
            line="$ref run $((run + 1))/$runs:"
            # Rotate the order of the tools from run to run to spread drift and noise.
            for ((k = 0; k < 3; k++)); do
                i=$(((run + k) % 3))
                tool=${tools[$i]}
                d="$work/${ref%%:*}-$tool-$run"
                case "$tool" in
                ctr) ctr_pull "$BENCH_REGISTRY/$ref" "$d" ;;
                podman) podman_pull "$BENCH_REGISTRY/$ref" "$d" ;;
                floor) floor_pull "${ref%%:*}" "$d" ;;
                esac
                echo "$ref $tool $elapsed" >>"$samples"
                line+=" $tool ${elapsed}s"
            done
            log "$line"
        done
    done

    create_after="$(create_probe)"
    report "$samples"
}

# ---------------------------------------------------------------------------------------------
# Report

report() {
    local samples=$1 ref tool med min max
    local -A median
    local podman_version ctr_version
    ctr_version="$("$ctr_bin" --version 2>/dev/null | head -n 1)"
    podman_version="$(podman --version 2>/dev/null | awk '{ print $NF }')"

    echo
    echo "Cold pulls from a loopback registry ($BENCH_REGISTRY, plain HTTP) as $(id -un),"
    echo "$runs runs per tool, interleaved; wall-clock seconds.  ${ctr_version:-ctr ?}; podman $podman_version"
    echo "(overlay, fresh --root each run); floor = gzip -dc | tar -x of the fetched layers."
    echo "$(nproc) CPUs, $busy_before of them busy with other work at the start; creating a file took ${create_us} us"
    echo "at the start and ${create_after} us at the end (in $(dirname "$work"))."
    echo
    printf '%-18s %-7s %8s %8s %8s   %s\n' image tool median min max "image size"
    for ref in "${image_list[@]}"; do
        local first=1 sizes
        sizes="$(awk -v n="${layers_of[$ref]}" -v s="${size_of[$ref]}" -v t="${tar_of[$ref]}" \
            'BEGIN { printf "%d layer%s, %.1f MB gzip, %.1f MB tar", n, n == 1 ? "" : "s", s / 1e6, t / 1e6 }')"
        for tool in ctr podman floor; do
            read -r med min max < <(stats "$samples" "$ref" "$tool") || die "no samples for $ref $tool"
            median[$ref/$tool]=$med
            if ((first)); then
                printf '%-18s %-7s %8s %8s %8s   %s\n' "$ref" "$tool" "$med" "$min" "$max" "$sizes"
                first=0
            else
                printf '%-18s %-7s %8s %8s %8s\n' "" "$tool" "$med" "$min" "$max"
            fi
        done
    done
    echo
    printf '%-18s %-24s %-24s\n' "ratio of medians" podman/ctr ctr/floor
    for ref in "${image_list[@]}"; do
        local pc cf pc_note="" cf_note=""
        pc="$(ratio "${median[$ref/podman]}" "${median[$ref/ctr]}")"
        cf="$(ratio "${median[$ref/ctr]}" "${median[$ref/floor]}")"
        if [[ "${ref%%:*}" == "$TARGET_IMAGE" ]]; then
            pc_note="$(verdict "$pc" '>=' "$TARGET_PODMAN_OVER_CTR")"
            cf_note="$(verdict "$cf" '<=' "$TARGET_CTR_OVER_FLOOR")"
        fi
        printf '%-18s %-24s %-24s\n' "$ref" "${pc}x $pc_note" "${cf}x $cf_note"
    done
}

# ---------------------------------------------------------------------------------------------

if [[ "$(id -u)" == 0 ]]; then
    as_root
else
    as_user
fi
