#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Prepares a Debian 12 machine, as root, to build ctr and run its tests: installs the Debian
# packages, creates the unprivileged test user with subordinate id ranges, and makes
# /dev/net/tun usable for user-mode networking.  Idempotent; says what it changed.
set -eu

if [ "$(id -u)" != 0 ]; then
    echo "setup-host.sh: run as root (it installs packages and creates a user)" >&2
    exit 1
fi

user=${CTR_TEST_USER:-ctrtest}

# Build: compiler, cmake, pkg-config and the six libraries.  Run: newuidmap/newgidmap (uidmap),
# network helpers.  Tests: bats, jq, sqlite3, a real registry, skopeo, busybox for images,
# htpasswd (apache2-utils) for a registry that demands a login, podman for the archive round
# trips (rootless, vfs storage), fuse-overlayfs for the fallback when overlayfs is refused.
# Fitting the user's world: mandoc (man pages are linted), bash-completion, zsh, fish and tmux
# (completion, interactively too), socat and systemd (sd_notify, systemd-analyze verify).
packages="build-essential cmake pkg-config clang-format
    libarchive-dev libcurl4-openssl-dev libjansson-dev libseccomp-dev libcap-dev libsqlite3-dev libssl-dev
    uidmap passt slirp4netns iproute2 util-linux procps
    bats jq curl sqlite3 python3 docker-registry skopeo busybox-static zstd ca-certificates
    apache2-utils podman fuse-overlayfs
    mandoc bash-completion zsh fish tmux socat systemd"

missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup-host.sh: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if ! id "$user" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$user"
    echo "setup-host.sh: created user '$user'"
fi
# 65536 ids each, as Podman's users get; the first free block at or above 100000.
for kind in uid gid; do
    file=/etc/sub$kind
    touch "$file"
    if ! grep -q "^$user:" "$file"; then
        start=100000
        while awk -F: -v s="$start" 'NF == 3 && $2 < s + 65536 && $2 + $3 > s { f = 1 } END { exit !f }' "$file"; do
            start=$((start + 65536))
        done
        usermod "--add-sub${kind}s" "$start-$((start + 65535))" "$user"
        echo "setup-host.sh: gave '$user' sub${kind}s $start-$((start + 65535))"
    fi
done

# Debian's knob for unprivileged user namespaces (present on older kernels only).
if [ -f /proc/sys/kernel/unprivileged_userns_clone ] &&
    [ "$(cat /proc/sys/kernel/unprivileged_userns_clone)" = 0 ]; then
    sysctl -qw kernel.unprivileged_userns_clone=1
    echo "setup-host.sh: enabled unprivileged user namespaces"
fi

# pasta and slirp4netns open /dev/net/tun inside the container's user namespace.
if [ ! -c /dev/net/tun ]; then
    mkdir -p /dev/net
    mknod -m 0666 /dev/net/tun c 10 200
    echo "setup-host.sh: created /dev/net/tun"
elif [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
    chmod 0666 /dev/net/tun
    echo "setup-host.sh: made /dev/net/tun usable by users"
fi
# fuse-overlayfs opens /dev/fuse in the container's user namespace; udev makes it 0666 on a
# normal Debian system, a container or minimal VM may not have run udev.
if [ -c /dev/fuse ] && [ "$(stat -c %a /dev/fuse)" != 666 ]; then
    chmod 0666 /dev/fuse
    echo "setup-host.sh: made /dev/fuse usable by users"
fi
echo "setup-host.sh: ready (test user '$user')"
