#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# `ctr info` must tell the truth about this host: each field is checked against what id,
# /etc/subuid, unshare and mount say independently.

load helpers

setup() {
    require_tool jq
    export XDG_DATA_HOME="$BATS_TEST_TMPDIR/data"
    export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
    mkdir -m 0700 "$XDG_RUNTIME_DIR"
}

info_json() {
    run "$CTR" info --format json
    [ "$status" -eq 0 ]
    echo "$output" >"$BATS_TEST_TMPDIR/info.json"
    jq -e . "$BATS_TEST_TMPDIR/info.json" >/dev/null
}

q() {
    jq -r "$1" "$BATS_TEST_TMPDIR/info.json"
}

# The user's ranges as newuidmap sees them: lines owned by name or by uid, "start count".
ranges_of() {
    awk -F: -v n="$(id -un)" -v u="$(id -u)" \
        'NF == 3 && ($1 == n || $1 == u) { print $2, $3 }' "$1"
}

@test "the user is who id says" {
    info_json
    expect_eq "$(q .user.uid)" "$(id -u)" uid
    expect_eq "$(q .user.gid)" "$(id -g)" gid
    expect_eq "$(q .user.name)" "$(id -un)" name
}

@test "subordinate ranges are those of /etc/subuid and /etc/subgid" {
    info_json
    expect_eq "$(q '.subuid.ranges[] | "\(.start) \(.count)"')" "$(ranges_of /etc/subuid)" subuid
    expect_eq "$(q '.subgid.ranges[] | "\(.start) \(.count)"')" "$(ranges_of /etc/subgid)" subgid
    # The test user has ranges (tests/setup-host.sh gives them), so none is reported missing.
    [ -n "$(ranges_of /etc/subuid)" ]
    expect_eq "$(q '[.problems[].problem | select(test("subordinate"))] | length')" 0
}

@test "user namespaces work exactly when unshare -U works" {
    info_json
    if unshare -U true; then
        expect_eq "$(q .host.userns.ok)" true
    else
        expect_eq "$(q .host.userns.ok)" false
    fi
    expect_eq "$(q .host.userns.max_user_namespaces)" "$(cat /proc/sys/user/max_user_namespaces)"
}

@test "newuidmap and newgidmap are found and really map the user's ranges" {
    info_json
    expect_eq "$(q .host.newuidmap.path)" "$(command -v newuidmap)"
    expect_eq "$(q .host.newgidmap.path)" "$(command -v newgidmap)"
    # util-linux's unshare --map-auto goes through the same setuid helpers and ranges.
    local first
    first=$(ranges_of /etc/subuid | head -n1 | cut -d' ' -f1)
    run unshare -U --map-auto --map-root-user cat /proc/self/uid_map
    [ "$status" -eq 0 ]
    [[ "$output" == *" $first "* ]]
    expect_eq "$(q .host.newuidmap.ok)" true
    expect_eq "$(q .host.newgidmap.ok)" true
}

@test "overlayfs inside a user namespace matches a mount done by hand" {
    info_json
    local d=$BATS_TEST_TMPDIR/ov
    mkdir -p "$d"/{l,u,w,m}
    echo hi >"$d/l/f"
    if unshare -rm sh -c "mount -t overlay overlay -o lowerdir=$d/l,upperdir=$d/u,workdir=$d/w,userxattr $d/m && cat $d/m/f" >/dev/null 2>&1 ||
        unshare -rm sh -c "mount -t overlay overlay -o lowerdir=$d/l,upperdir=$d/u,workdir=$d/w $d/m && cat $d/m/f" >/dev/null 2>&1; then
        expect_eq "$(q .host.overlay.ok)" true
    else
        expect_eq "$(q .host.overlay.ok)" false
    fi
    # The probe cleaned up after itself in the runtime directory.
    expect_eq "$(find "$XDG_RUNTIME_DIR/ctr" -mindepth 1 | wc -l)" 0 "leftovers in the runtime dir"
}

@test "seccomp, cgroups and network helpers are reported as the host has them" {
    info_json
    if grep -q '^Seccomp:' /proc/self/status; then
        expect_eq "$(q .host.seccomp.ok)" true
    fi
    expect_eq "$(q .host.seccomp.libseccomp)" "$(pkg-config --modversion libseccomp)"
    case "$(stat -fc %T /sys/fs/cgroup)" in
    cgroup2fs) expect_eq "$(q .host.cgroup.version)" 2 ;;
    tmpfs) expect_eq "$(q .host.cgroup.version)" 1 ;;
    esac
    local h
    for h in pasta slirp4netns; do
        expect_eq "$(q ".network_helpers[] | select(.name == \"$h\") | .path // \"\"")" \
            "$(command -v "$h" || true)" "$h path"
    done
    expect_eq "$(q .host.kernel.release)" "$(uname -r)"
    expect_eq "$(q .host.kernel.machine)" "$(uname -m)"
}

@test "the store is private and its database migrated" {
    info_json
    expect_eq "$(q .store.root)" "$XDG_DATA_HOME/ctr"
    expect_eq "$(q .store.runroot)" "$XDG_RUNTIME_DIR/ctr"
    expect_eq "$(q .store.database)" "$XDG_DATA_HOME/ctr/ctr.db"
    expect_eq "$(stat -c %a "$XDG_DATA_HOME/ctr")" 700
    expect_eq "$(stat -c %a "$XDG_RUNTIME_DIR/ctr")" 700
    expect_eq "$(stat -c %a "$XDG_DATA_HOME/ctr/ctr.db")" 600
    [ "$(q .store.schema_version)" -ge 1 ]
    expect_eq "$(sqlite3 "$XDG_DATA_HOME/ctr/ctr.db" 'PRAGMA user_version')" "$(q .store.schema_version)"
    expect_eq "$(sqlite3 "$XDG_DATA_HOME/ctr/ctr.db" 'PRAGMA journal_mode')" wal
}

@test "without XDG variables the defaults are ~/.local/share/ctr and a private tmp dir" {
    unset XDG_DATA_HOME XDG_RUNTIME_DIR
    export HOME="$BATS_TEST_TMPDIR/home" TMPDIR="$BATS_TEST_TMPDIR/tmp"
    mkdir -p "$HOME" "$TMPDIR"
    info_json
    expect_eq "$(q .store.root)" "$HOME/.local/share/ctr"
    expect_eq "$(q .store.runroot)" "$TMPDIR/ctr-run-$(id -u)"
    expect_eq "$(stat -c '%a %u' "$TMPDIR/ctr-run-$(id -u)")" "700 $(id -u)"
}

@test "a runtime dir another user can write is refused" {
    unset XDG_RUNTIME_DIR
    export TMPDIR="$BATS_TEST_TMPDIR/tmp"
    mkdir -p "$TMPDIR/ctr-run-$(id -u)"
    chmod 0777 "$TMPDIR/ctr-run-$(id -u)"
    run "$CTR" info
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: runtime directory: directory '$TMPDIR/ctr-run-$(id -u)' is writable by other users (mode 0777): run 'chmod go-w $TMPDIR/ctr-run-$(id -u)'"
}

@test "a root owned by another user is refused" {
    run "$CTR" --root /var info
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: storage root: directory '/var' is owned by uid 0, not by you (uid $(id -u)): remove it, or choose another location"
}

@test "a planted database is refused" {
    mkdir -p "$XDG_DATA_HOME"
    mkdir -m 0700 "$XDG_DATA_HOME/ctr"
    ln -s /etc/passwd "$XDG_DATA_HOME/ctr/ctr.db"
    run "$CTR" info
    [ "$status" -eq 125 ]
    expect_contains "$output" "database '$XDG_DATA_HOME/ctr/ctr.db' is owned by uid 0, not by you"
    expect_eq "$(readlink "$XDG_DATA_HOME/ctr/ctr.db")" /etc/passwd
}

@test "the text report reads well and says what is wrong" {
    run "$CTR" info
    [ "$status" -eq 0 ]
    expect_contains "$output" "user               $(id -un) (uid $(id -u), gid $(id -g))"
    expect_contains "$output" "user namespaces    work"
    expect_contains "$output" "storage root       $XDG_DATA_HOME/ctr"
    expect_contains "$output" "problems:"
}

@test "a user without subordinate ranges is told the usermod command" {
    # Inside a user namespace where this user is root, hide the real files behind empty ones.
    : >"$BATS_TEST_TMPDIR/empty"
    # shellcheck disable=SC2016 # the inner shell expands its own arguments
    run unshare -rm sh -c 'mount --bind "$1" /etc/subuid && mount --bind "$1" /etc/subgid &&
        "$2" --root "$3/r" --runroot "$3/rr" info' sh "$BATS_TEST_TMPDIR/empty" "$CTR" "$BATS_TEST_TMPDIR"
    [ "$status" -eq 0 ]
    expect_contains "$output" "subordinate uids   none in /etc/subuid"
    expect_contains "$output" "no subordinate uid range for user 'root' (uid 0) in /etc/subuid"
    expect_contains "$output" "fix (as root): usermod --add-subuids 100000-165535 root"
    expect_contains "$output" "fix (as root): usermod --add-subgids 100000-165535 root"
}

@test "a malformed /etc/subuid line is named with its line number" {
    printf 'root:100000:65536\nroot:abc:1\n' >"$BATS_TEST_TMPDIR/bad"
    # shellcheck disable=SC2016 # the inner shell expands its own arguments
    run unshare -rm sh -c 'mount --bind "$1" /etc/subuid &&
        "$2" --root "$3/r" --runroot "$3/rr" info --format json' sh "$BATS_TEST_TMPDIR/bad" "$CTR" "$BATS_TEST_TMPDIR"
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r '.subuid.malformed[0] | "\(.line) \(.reason)"' <<<"$output")" "2 start is not a decimal id"
    expect_eq "$(jq -r '.subuid.ranges[0].start' <<<"$output")" 100000
    expect_contains "$output" "/etc/subuid line 2 is malformed (start is not a decimal id) and is ignored"
}
