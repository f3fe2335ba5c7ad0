#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ctr pull against a real registry (Debian's docker-registry on loopback), as the unprivileged
# user: verified blobs, layers unpacked with the owners the image gives, names, images, rmi.

load helpers

setup_file() {
    fixtures_build
    registry_start
    registry_push busybox layered multi big zstd \
        evil-dotdot evil-symlink evil-hardlink evil-whiteout evil-absolute baduid devnode
}

teardown_file() {
    registry_stop
}

setup() {
    require_tool jq
    export XDG_DATA_HOME="$BATS_TEST_TMPDIR/data"
    export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
    export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
    mkdir -m 0700 "$XDG_RUNTIME_DIR"
    R=$REGISTRY_ADDR
    STORE="$XDG_DATA_HOME/ctr"
}

# The first subordinate uid of this user: container uid N (N >= 1) is host uid FIRST + N - 1.
first_subuid() {
    awk -F: -v n="$(id -un)" -v u="$(id -u)" '($1 == n || $1 == u) { print $2; exit }' /etc/subuid
}

# The diff ids of fixture image NAME (for an index: of PLATFORM, default this host's), in order.
fixture_diff_ids() {
    python3 - "$(fixtures_layout)" "$1" "${2:-}" <<'PY'
import json, os, platform, sys

layout, name, want = sys.argv[1:4]
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
want = want or "linux/" + arch


def blob(digest):
    with open(os.path.join(layout, "blobs", *digest.split(":"))) as f:
        return json.load(f)


with open(os.path.join(layout, "index.json")) as f:
    top = json.load(f)
desc = next(m for m in top["manifests"]
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == name)
doc = blob(desc["digest"])
if "manifests" in doc:
    for m in doc["manifests"]:
        p = m.get("platform", {})
        parts = [p.get("os"), p.get("architecture")] + ([p["variant"]] if p.get("variant") else [])
        if "/".join(parts) == want or "/".join(parts[:2]) == want:
            doc = blob(m["digest"])
            break
print("\n".join(blob(doc["config"]["digest"])["rootfs"]["diff_ids"]))
PY
}

# Layer files belong to subordinate ids; only a namespace with the user's mapping removes them.
teardown() {
    unshare -U --map-auto --map-root-user rm -rf "$BATS_TEST_TMPDIR/data" 2>/dev/null || true
}

# How many blob GETs of repository NAME the registry has answered (its log is key=value lines).
blob_gets() {
    grep 'msg="response completed"' "$REGISTRY_DIR/log" |
        grep -c "http.request.method=GET .*http.request.uri=\"\\?/v2/$1/blobs/" || true
}

layer_dir() {
    echo "$STORE/layers/${1#sha256:}"
}

@test "pull prints the image id, which is the config digest" {
    run "$CTR" pull -q --tls-verify=false "$R/busybox"
    [ "$status" -eq 0 ]
    expect_eq "$output" "$(fixture_config_digest busybox | sed 's/^sha256://')"
}

@test "pull without --tls-verify=false refuses a plain-HTTP registry, and says so" {
    run "$CTR" pull -q "$R/busybox"
    [ "$status" -eq 125 ]
    expect_contains "$output" "pull '$R/busybox:latest'"
    [ -z "$(ls -A "$STORE/layers" 2>/dev/null | grep -v '^\.staging$')" ]
}

@test "a registries.conf insecure entry allows plain HTTP, and search registries resolve short names" {
    mkdir -p "$XDG_CONFIG_HOME/ctr"
    printf 'unqualified-search-registries = ["%s"]\n[[registry]]\nlocation = "%s"\ninsecure = true\n' \
        "$R" "$R" >"$XDG_CONFIG_HOME/ctr/registries.conf"
    run "$CTR" pull busybox
    [ "$status" -eq 0 ]
    expect_contains "$output" "Trying to pull $R/busybox:latest..."
    run "$CTR" images --format json
    expect_eq "$(jq -r '.[0].Names[0]' <<<"$output")" "$R/busybox:latest"
}

@test "the layered image unpacks with its owners, modes, links, xattrs and whiteouts" {
    run "$CTR" pull -q --tls-verify=false "$R/layered"
    [ "$status" -eq 0 ]
    local first l2 l3 l4
    first=$(first_subuid)
    mapfile -t layers < <(fixture_diff_ids layered)
    l2=$(layer_dir "${layers[1]}")
    l3=$(layer_dir "${layers[2]}")
    l4=$(layer_dir "${layers[3]}")
    # Owners: container 33 and 1000 are the user's subordinate ids; container 0 is the user.
    expect_eq "$(stat -c '%u:%g' "$l2/data/owned-33")" "$((first + 32)):$((first + 32))"
    expect_eq "$(stat -c '%u:%g' "$l2/data/owned-1000")" "$((first + 999)):$((first + 999))"
    expect_eq "$(stat -c '%u' "$l2/data/hello.txt")" "$(id -u)"
    # setuid survives the chown; setgid dir too.
    expect_eq "$(stat -c '%a' "$l2/data/setuid")" 4755
    expect_eq "$(stat -c '%a' "$l2/data/setgid-dir")" 2775
    expect_eq "$(stat -c '%Y' "$l2/data/mtime")" 1234567890
    # Hardlinks share an inode; symlinks are stored verbatim.
    expect_eq "$(stat -c '%i' "$l2/data/hl-a")" "$(stat -c '%i' "$l2/data/hl-b")"
    expect_eq "$(readlink "$l2/data/link-abs")" /etc/passwd
    expect_eq "$(readlink "$l2/data/link-rel")" hl-a
    expect_eq "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.ctr.test").decode())' "$l2/data/xattr")" hello
    # The whiteout is an overlayfs whiteout (0/0 char device); the opaque dir carries its xattr.
    expect_eq "$(stat -c '%F %t:%T' "$l3/data/gone")" "character special file 0:0"
    expect_eq "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.overlay.opaque").decode())' "$l3/opq")" y
    [ -f "$l4/data/layer4.txt" ]
}

@test "a second pull fetches no layer again" {
    run "$CTR" pull -q --tls-verify=false "$R/layered"
    [ "$status" -eq 0 ]
    local before after
    before=$(blob_gets layered)
    [ "$before" -ge 5 ] # the first pull fetched the config and four layers
    run "$CTR" pull -q --tls-verify=false "$R/layered"
    [ "$status" -eq 0 ]
    after=$(blob_gets layered)
    # Only the config is fetched again.
    expect_eq "$((after - before))" 1 "blob fetches on the second pull"
}

@test "busybox and layered share their base layer in the store" {
    "$CTR" pull -q --tls-verify=false "$R/busybox" >/dev/null
    "$CTR" pull -q --tls-verify=false "$R/layered" >/dev/null
    expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging | wc -l)" 4
}

@test "an index pulls the host's platform, or the one asked for" {
    run "$CTR" pull -q --tls-verify=false "$R/multi"
    [ "$status" -eq 0 ]
    run "$CTR" image inspect "$R/multi"
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r '.[0].Architecture' <<<"$output")" "$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')"
    run "$CTR" pull -q --tls-verify=false --platform linux/arm/v7 "$R/multi"
    [ "$status" -eq 0 ]
    local dir
    dir=$(layer_dir "$(fixture_diff_ids multi linux/arm/v7 | head -n1)")
    expect_eq "$(cat "$dir/etc/platform")" linux/arm/v7
    run "$CTR" pull -q --tls-verify=false --platform linux/s390x "$R/multi"
    [ "$status" -eq 125 ]
    expect_contains "$output" "no image for linux/s390x"
    expect_contains "$output" "linux/arm64/v8"
}

@test "invalid references and missing images give one clear line" {
    run "$CTR" pull --tls-verify=false "$R/Busy Box"
    [ "$status" -eq 125 ]
    expect_contains "$output" "invalid reference"
    run "$CTR" pull --tls-verify=false "$R/nothere:latest"
    [ "$status" -eq 125 ]
    expect_contains "$output" "pull '$R/nothere:latest'"
    expect_contains "$output" "MANIFEST_UNKNOWN"
    expect_eq "$(grep -c '^ctr: ' <<<"$output")" 1 "error lines"
}

@test "each hostile layer is refused and nothing escapes or stays behind" {
    local img
    for img in evil-dotdot evil-symlink evil-hardlink evil-whiteout; do
        run "$CTR" pull -q --tls-verify=false "$R/$img"
        [ "$status" -eq 125 ] || { echo "$img was accepted: $output"; return 1; }
        # Each names the entry and why: it climbs out, or leads to nothing inside the layer.
        expect_contains "$output" "layer entry '"
        run "$CTR" images -q --filter "reference=*$img*"
        expect_eq "$output" "" "$img left an image"
    done
    [ ! -e "$STORE/escaped" ] && [ ! -e "$STORE/layers/escaped" ] && [ ! -e /tmp/ctr-evil-file ]
    expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging | wc -l)" 0
    expect_eq "$(find "$STORE/layers/.staging" -mindepth 1 | wc -l)" 0
}

@test "an absolute entry stays inside its layer" {
    run "$CTR" pull -q --tls-verify=false "$R/evil-absolute"
    if [ "$status" -eq 0 ]; then
        [ -f "$(layer_dir "$(fixture_diff_ids evil-absolute | head -n1)")/ctr-evil-abs" ]
    else
        expect_contains "$output" "escapes"
    fi
    [ ! -e /ctr-evil-abs ]
}

@test "an owner outside the user's range is refused before unpacking, naming the id" {
    run "$CTR" pull -q --tls-verify=false "$R/baduid"
    [ "$status" -eq 125 ]
    expect_contains "$output" "uid 200000"
    expect_contains "$output" "usermod --add-subuids"
    expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging | wc -l)" 0
}

@test "device nodes are skipped with one warning" {
    run "$CTR" pull -q --tls-verify=false "$R/devnode"
    [ "$status" -eq 0 ]
    expect_contains "$output" "ctr: warning: skipped 2 device node(s)"
    expect_eq "$(grep -c 'warning' <<<"$output")" 1 "warnings"
}

@test "two concurrent pulls of one image make one image and no duplicate layers" {
    "$CTR" pull -q --tls-verify=false "$R/layered" >"$BATS_TEST_TMPDIR/a" 2>&1 &
    local a=$!
    "$CTR" pull -q --tls-verify=false "$R/layered" >"$BATS_TEST_TMPDIR/b" 2>&1 &
    local b=$!
    wait "$a" || { cat "$BATS_TEST_TMPDIR/a"; return 1; }
    wait "$b" || { cat "$BATS_TEST_TMPDIR/b"; return 1; }
    expect_eq "$(cat "$BATS_TEST_TMPDIR/a")" "$(cat "$BATS_TEST_TMPDIR/b")"
    run "$CTR" images -q
    expect_eq "${#lines[@]}" 1
    expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging | wc -l)" 4
    expect_eq "$(sqlite3 "$STORE/ctr.db" 'SELECT count(*) FROM layers')" 4
}

@test "a pull killed at any moment leaves nothing registered, and the next one finishes" {
    local delay
    for delay in 0.05 0.2 0.5; do
        "$CTR" pull -q --jobs 1 --tls-verify=false "$R/big" >/dev/null 2>&1 &
        local pid=$!
        sleep "$delay"
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" || true
        # Whatever was there is either complete and recorded, or not recorded at all.
        local rows images
        rows=$(sqlite3 "$STORE/ctr.db" 'SELECT count(*) FROM layers' 2>/dev/null || echo 0)
        images=$(sqlite3 "$STORE/ctr.db" 'SELECT count(*) FROM images' 2>/dev/null || echo 0)
        [ "$images" -eq 0 ] || [ "$rows" -eq 1 ]
    done
    run "$CTR" pull -q --tls-verify=false "$R/big"
    [ "$status" -eq 0 ]
    expect_eq "$output" "$(fixture_config_digest big | sed 's/^sha256://')"
    expect_eq "$(find "$STORE/layers/.staging" -mindepth 1 | wc -l)" 0 "staging leftovers"
}

@test "images lists names, ids and sizes; -q, --digests, --no-trunc, --format json, filters" {
    "$CTR" pull -q --tls-verify=false "$R/busybox" >/dev/null
    "$CTR" pull -q --tls-verify=false "$R/layered" >/dev/null
    local bb
    bb=$(fixture_config_digest busybox | sed 's/^sha256://')
    run "$CTR" images
    [ "$status" -eq 0 ]
    expect_contains "${lines[0]}" "REPOSITORY"
    expect_contains "$output" "$R/busybox"
    expect_contains "$output" "${bb:0:12}"
    run "$CTR" images -q
    expect_eq "${#lines[@]}" 2
    run "$CTR" images -q --no-trunc --filter reference="$R/busybox"
    expect_eq "$output" "$bb"
    run "$CTR" images --digests
    expect_contains "$output" "$(fixture_manifest_digest busybox)"
    run "$CTR" images --format json
    expect_eq "$(jq length <<<"$output")" 2
    expect_eq "$(jq -r '.[] | select(.Names[0] == "'"$R"'/busybox:latest") | .Id' <<<"$output")" "$bb"
    run "$CTR" images --filter dangling=true -q
    expect_eq "$output" ""
    run "$CTR" images --filter bogus=1
    [ "$status" -eq 125 ]
    expect_contains "$output" "unknown filter 'bogus'"
}

@test "image inspect shows the config" {
    "$CTR" pull -q --tls-verify=false "$R/layered" >/dev/null
    run "$CTR" image inspect "$R/layered"
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r '.[0].Config.Cmd[0]' <<<"$output")" /bin/sh
    expect_eq "$(jq -r '.[0].Config.WorkingDir' <<<"$output")" /data
    expect_eq "$(jq -r '.[0].RootFS.Layers | length' <<<"$output")" 4
    run "$CTR" image inspect nothere
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: image 'nothere' not known: see 'ctr images'"
}

@test "tag adds names; rmi of one name untags, of the last removes image and layers" {
    "$CTR" pull -q --tls-verify=false "$R/busybox" >/dev/null
    run "$CTR" tag "$R/busybox" mybox other.example/x/y:1
    [ "$status" -eq 0 ]
    run "$CTR" images --format json
    expect_eq "$(jq -r '.[0].Names | join(",")' <<<"$output")" "$R/busybox:latest,localhost/mybox:latest,other.example/x/y:1"
    run "$CTR" rmi mybox
    [ "$status" -eq 0 ]
    expect_eq "$output" "Untagged: localhost/mybox:latest"
    run "$CTR" rmi other.example/x/y:1 "$R/busybox"
    [ "$status" -eq 0 ]
    expect_contains "$output" "Deleted: $(fixture_config_digest busybox | sed 's/^sha256://')"
    run "$CTR" images -q
    expect_eq "$output" ""
    expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging | wc -l)" 0 "layers left"
    run "$CTR" rmi nothere
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: image 'nothere' not known: see 'ctr images'"
}

@test "rmi keeps a layer another image still needs; image prune removes dangling images" {
    "$CTR" pull -q --tls-verify=false "$R/busybox" >/dev/null
    "$CTR" pull -q --tls-verify=false "$R/layered" >/dev/null
    "$CTR" rmi "$R/layered" >/dev/null
    expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging | wc -l)" 1
    # Moving busybox's only name to layered leaves busybox dangling; prune removes it.
    "$CTR" pull -q --tls-verify=false "$R/layered" >/dev/null
    "$CTR" tag "$R/layered" "$R/busybox"
    run "$CTR" images --filter dangling=true -q
    expect_eq "$output" "$(fixture_config_digest busybox | sed 's/^sha256://' | cut -c1-12)"
    run "$CTR" image prune
    [ "$status" -eq 0 ]
    run "$CTR" images -q
    expect_eq "${#lines[@]}" 1
}

@test "Ctrl-C at a pull (SIGINT to its process group) leaves nothing half-registered" {
    local delay
    for delay in 0.05 0.3; do
        # Its own process group, as a terminal's foreground job: the unpackers get SIGINT too.
        setsid "$CTR" pull -q --jobs 1 --tls-verify=false "$R/big" >/dev/null 2>&1 &
        local pid=$!
        sleep "$delay"
        kill -INT -- "-$pid" 2>/dev/null || true
        wait "$pid" || true
        local images rows dirs
        images=$(sqlite3 "$STORE/ctr.db" 'SELECT count(*) FROM images' 2>/dev/null || echo 0)
        rows=$(sqlite3 "$STORE/ctr.db" 'SELECT count(*) FROM layers' 2>/dev/null || echo 0)
        dirs=$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging 2>/dev/null | wc -l)
        # An image only with its layer; a recorded layer only with its directory.
        [ "$images" -eq 0 ] || [ "$rows" -eq 1 ]
        [ "$rows" -le "$dirs" ]
    done
    run "$CTR" pull -q --tls-verify=false "$R/big"
    [ "$status" -eq 0 ]
    expect_eq "$(find "$STORE/layers/.staging" -mindepth 1 | wc -l)" 0 "staging leftovers"
    # Only this store's: other test files pull as the same user at the same time.
    expect_eq "$(pgrep -u "$(id -u)" -f "ctr-unpack-layer $STORE/" | wc -l)" 0 "unpackers left running"
}

@test "a pull and an rmi at once neither corrupt nor lose anything" {
    "$CTR" pull -q --tls-verify=false "$R/busybox" >/dev/null
    "$CTR" pull -q --jobs 1 --tls-verify=false "$R/big" >"$BATS_TEST_TMPDIR/pull" 2>&1 &
    local pid=$!
    run "$CTR" rmi "$R/busybox"
    [ "$status" -eq 0 ]
    wait "$pid" || { cat "$BATS_TEST_TMPDIR/pull"; return 1; }
    run "$CTR" images --format json
    expect_eq "$(jq -r '.[].Names[0]' <<<"$output")" "$R/big:latest"
    # busybox's layer may wait for the next collection while the pull held the layers; after
    # one, the store holds exactly big's layer, recorded and on disk.
    run "$CTR" image prune
    [ "$status" -eq 0 ]
    expect_eq "$(sqlite3 "$STORE/ctr.db" 'SELECT diff_id FROM layers')" "$(fixture_diff_ids big)"
    expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging | wc -l)" 1
}

@test "rmi refuses an image a container uses, and -f removes the container first" {
    "$CTR" pull -q --tls-verify=false "$R/busybox" >/dev/null
    local id
    id=$(fixture_config_digest busybox)
    # No command makes containers yet; a row is all a container is to the image store.
    sqlite3 "$STORE/ctr.db" "INSERT INTO containers(id, name, image_id, config, state, created)
        VALUES ('c0ffee', 'user-of-busybox', '$id', '{}', 'exited', 0)"
    run "$CTR" rmi "$R/busybox"
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: image '$R/busybox' is used by 1 container(s): remove them first, or use -f"
    run "$CTR" images -q
    expect_eq "${#lines[@]}" 1
    run "$CTR" rmi -f "$R/busybox"
    [ "$status" -eq 0 ]
    expect_contains "$output" "Removed container: c0ffee"
    expect_contains "$output" "Deleted: ${id#sha256:}"
    expect_eq "$(sqlite3 "$STORE/ctr.db" 'SELECT count(*) FROM containers')" 0
    expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging | wc -l)" 0
}

@test "a zstd-compressed layer is verified and unpacked like a gzip one" {
    run "$CTR" pull -q --tls-verify=false "$R/zstd"
    [ "$status" -eq 0 ]
    expect_eq "$output" "$(fixture_config_digest zstd | sed 's/^sha256://')"
    local l2
    l2=$(layer_dir "$(fixture_diff_ids zstd | sed -n 2p)")
    expect_eq "$(stat -c '%a' "$l2/data/setuid")" 4755
    expect_eq "$(stat -c '%i' "$l2/data/hl-a")" "$(stat -c '%i' "$l2/data/hl-b")"
}
