#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The container's root filesystem, as the unprivileged user: an overlay of the image's layers,
# and the two fallbacks for a kernel that refuses one in a user namespace (fuse-overlayfs, then
# a copy), each showing the same files, owners, modes, hardlinks, whiteouts and opaque
# directories as the 4-layer "layered" fixture defines, and each leaving nothing behind.

load helpers

bats_require_minimum_version 1.5.0

setup_file() {
    fixtures_build
    python3 "$BATS_TEST_DIRNAME/../fixtures/build-images.py" "$(fixtures_dir)" \
        --oci-archive layered "$BATS_FILE_TMPDIR/layered.tar" >/dev/null
}

setup() {
    store_setup
    "$CTR" load -q -i "$BATS_FILE_TMPDIR/layered.tar" >/dev/null
}

teardown() {
    store_teardown
}

# What the layered image must look like inside, whatever mounted it.
check_layered_view() {
    local mode=$1
    run --separate-stderr "$CTR" run --name "view-$mode" layered sh -c '
        cd /data && ls -a | tr "\n" " "; echo
        cat hello.txt
        ls -a /opq | tr "\n" " "; echo
        ls -ln owned-33 | awk "{print \$3\":\"\$4}"
        ls -ld setgid-dir | cut -c1-10
        ls -l setuid | cut -c1-10
        [ "$(stat -c %i hl-a)" = "$(stat -c %i hl-b)" ] && echo hardlinked
        readlink link-abs
        stat -c %Y mtime
        echo changed > hello.txt && cat hello.txt'
    [ "$status" -eq 0 ]
    expect_eq "${lines[0]}" ". .. dir-1000 hello.txt hl-a hl-b layer4.txt link-abs link-rel mtime owned-1000 owned-33 setgid-dir setuid xattr " "/data"
    expect_eq "${lines[1]}" "hello from layer 3" "the upper layer's hello.txt"
    expect_eq "${lines[2]}" ". .. c " "the opaque /opq"
    expect_eq "${lines[3]}" "33:33" "owner of owned-33"
    expect_eq "${lines[4]}" "drwxrwsr-x" "setgid-dir"
    expect_eq "${lines[5]}" "-rwsr-xr-x" "setuid"
    expect_eq "${lines[6]}" "hardlinked"
    expect_eq "${lines[7]}" "/etc/passwd" "link-abs"
    expect_eq "${lines[8]}" "1234567890" "mtime"
    expect_eq "${lines[9]}" "changed" "a write"
}

# The container's write lands in its own directory, and the image's layers are untouched.
check_layers_untouched() {
    run grep -rl "^changed$" "$STORE/layers"
    [ "$status" -ne 0 ]
    run --separate-stderr "$CTR" run --rm layered cat /data/hello.txt
    expect_eq "$output" "hello from layer 3" "a new container's hello.txt"
}

# Removing the container leaves no directory and no mount.
check_removed() {
    local id
    id=$("$CTR" inspect --format '{{.Id}}' "view-$1")
    run "$CTR" rm "view-$1"
    [ "$status" -eq 0 ]
    [ ! -e "$STORE/containers/$id" ]
    ! grep -q "$id" /proc/self/mountinfo
    # No fuse-overlayfs process survives its container.
    ! pgrep -u "$(id -u)" -f "fuse-overlayfs.*$id"
}

@test "overlayfs: the layers stack as the image defines them" {
    run "$CTR" run --rm layered sh -c 'mount | grep " on / "'
    [ "$status" -eq 0 ]
    expect_contains "$output" "overlay on / type overlay"
    expect_contains "$output" "userxattr"
    check_layered_view overlay
    check_layers_untouched
    check_removed overlay
}

@test "copy fallback: same view, a warning naming the cost, copied once" {
    export CTR_OVERLAY_FALLBACK=copy
    check_layered_view copy
    run "$CTR" create --name again layered true
    run "$CTR" start -a again
    [ "$status" -eq 0 ]
    expect_contains "$output" "ctr: warning: the kernel refused an overlay mount in the user namespace"
    expect_contains "$output" "fuse-overlayfs is not installed: the image's layers were copied into the container, which costs the image's size in disk space and copy time for each container"
    # A second start reuses the copy, without copying again or warning again.
    run "$CTR" start -a again
    [ "$status" -eq 0 ]
    expect_eq "$output" "" "the second start's output"
    "$CTR" rm again >/dev/null
    check_layers_untouched
    check_removed copy
}

@test "fuse-overlayfs fallback: same view, a warning, no process left" {
    require_tool fuse-overlayfs
    export CTR_OVERLAY_FALLBACK=fuse
    run --separate-stderr "$CTR" run --rm layered sh -c 'mount | grep " on / "'
    [ "$status" -eq 0 ]
    expect_contains "$output" "fuse-overlayfs on / type fuse.fuse-overlayfs"
    expect_contains "$stderr" "ctr: warning: the kernel refused an overlay mount in the user namespace (Operation not permitted): using fuse-overlayfs, whose file access is slower"
    check_layered_view fuse
    check_layers_untouched
    check_removed fuse
}

@test "an unknown fallback is refused before anything starts" {
    CTR_OVERLAY_FALLBACK=vfs run "$CTR" run --name bad layered true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: CTR_OVERLAY_FALLBACK='vfs': use 'fuse' or 'copy' (or unset it)"
    run "$CTR" inspect bad
    [ "$status" -eq 125 ]
    run ls "$STORE/containers"
    expect_eq "$output" "" "containers left"
}
