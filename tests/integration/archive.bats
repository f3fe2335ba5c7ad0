#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ctr save and ctr load, as the unprivileged user: round trips through both archive formats
# keep every file, owner, mode, xattr and whiteout; skopeo (and podman, when installed) read
# what ctr writes and ctr reads what they write; hostile archives are refused and leave nothing.

load helpers

setup_file() {
    fixtures_build
    registry_start
    registry_push busybox layered
}

teardown_file() {
    registry_stop
}

setup() {
    require_tool jq
    require_tool skopeo
    export XDG_DATA_HOME="$BATS_TEST_TMPDIR/data"
    export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
    export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
    mkdir -m 0700 "$XDG_RUNTIME_DIR"
    R=$REGISTRY_ADDR
    STORE="$XDG_DATA_HOME/ctr"
    T=$BATS_TEST_TMPDIR
}

teardown() {
    # Rootless podman 4 starts a pause process per user (its pid file under /tmp is not
    # reliable across concurrent runs): stop the ones this test started.
    local pid
    if [ -f "$BATS_TEST_TMPDIR/pause-before" ]; then
        for pid in $(pgrep -u "$(id -u)" -x catatonit); do
            grep -qx "$pid" "$BATS_TEST_TMPDIR/pause-before" || kill "$pid" 2>/dev/null || true
        done
    fi
    unshare -U --map-auto --map-root-user rm -rf "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/podman" 2>/dev/null || true
}

skopeo_copy() {
    skopeo --insecure-policy copy --quiet "$@" </dev/null
}

# What a layer directory holds: one sorted line per entry with its type and mode, owner, mtime,
# content hash or link target, hardlink group and user.* xattrs.  Read inside a user namespace
# with the user's mapping, since the files belong to subordinate ids and some are 0600.
layer_listing() {
    unshare -U --map-auto --map-root-user python3 - "$1" <<'PY'
import hashlib, os, stat, sys

root = sys.argv[1]
first = {}
lines = []
for dirpath, dirs, files in os.walk(root):
    for name in sorted(dirs + files):
        path = os.path.join(dirpath, name)
        rel = os.path.relpath(path, root)
        st = os.lstat(path)
        rec = [rel, oct(st.st_mode), "%d:%d" % (st.st_uid, st.st_gid)]
        if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
            rec.append("whiteout")  # made when unpacked: its time is the unpack's
        else:
            rec.append(str(int(st.st_mtime)))
        if stat.S_ISLNK(st.st_mode):
            rec.append("-> " + os.readlink(path))
        elif stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                rec.append(hashlib.sha256(f.read()).hexdigest()[:16])
            if st.st_nlink > 1:
                rec.append("inode-of " + first.setdefault((st.st_dev, st.st_ino), rel))
        try:
            names = sorted(n for n in os.listxattr(path, follow_symlinks=False)
                           if n.startswith("user."))
        except OSError:
            names = []
        for n in names:
            rec.append("%s=%s" % (n, os.getxattr(path, n, follow_symlinks=False).decode()))
        lines.append(" ".join(rec))
print("\n".join(sorted(lines)))
PY
}

# The diff ids of a local image, base layer first.
image_diff_ids() {
    "$CTR" image inspect "$1" | jq -r '.[0].RootFS.Layers[]'
}

# Lists every layer of image $1 into $2.N (N from 1).
list_layers() {
    local i=1 d
    for d in $(image_diff_ids "$1"); do
        layer_listing "$STORE/layers/${d#sha256:}" >"$2.$i"
        i=$((i + 1))
    done
    [ "$i" -eq 5 ] # layered has four layers
}

expect_same_layers() {
    local i
    for i in 1 2 3 4; do
        if ! diff -u "$1.$i" "$2.$i" >&2; then
            echo "layer $i differs after the round trip" >&2
            return 1
        fi
    done
}

expect_nothing_left() {
    run "$CTR" images -q
    expect_eq "$output" "" "images after a refused load"
    expect_eq "$(find "$STORE/layers/.staging" -mindepth 1 2>/dev/null | wc -l)" 0 "staging leftovers"
}

round_trip() { # FORMAT
    "$CTR" pull -q --tls-verify=false "$R/layered" >/dev/null
    list_layers "$R/layered" "$T/pulled"
    # The listing sees what matters: owners, xattrs, hardlinks, whiteouts, the opaque marker.
    grep -q '^data/owned-1000 0o100640 1000:1000 ' "$T/pulled.2"
    grep -q '^data/xattr .* user.ctr.test=hello$' "$T/pulled.2"
    grep -q '^data/hl-b .* inode-of data/hl-a$' "$T/pulled.2"
    grep -q '^data/gone 0o20000 0:0 whiteout$' "$T/pulled.3"
    grep -q '^opq .* user.overlay.opaque=y$' "$T/pulled.3"
    run "$CTR" save --format "$1" -o "$T/out.tar" "$R/layered"
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
    run "$CTR" rmi "$R/layered"
    [ "$status" -eq 0 ]
    expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging | wc -l)" 0 "layers after rmi"
    run "$CTR" load -i "$T/out.tar"
    [ "$status" -eq 0 ]
    expect_eq "$output" "Loaded image: $R/layered:latest"
    list_layers "$R/layered" "$T/loaded"
    expect_same_layers "$T/pulled" "$T/loaded"
    run "$CTR" image inspect "$R/layered"
    expect_eq "$(jq -r '.[0].Config.WorkingDir' <<<"$output")" /data
}

@test "docker-archive: save, rmi, load keeps the name and every file, owner, mode, xattr and whiteout" {
    round_trip docker-archive
    # The layer tars are uncompressed, so their digests are the diff ids.
    tar -xOf "$T/out.tar" manifest.json | jq -e '.[0].RepoTags == ["'"$R"'/layered:latest"]'
}

@test "oci-archive: save, rmi, load keeps the name and every file, owner, mode, xattr and whiteout" {
    round_trip oci-archive
    tar -xOf "$T/out.tar" index.json |
        jq -e '.manifests[0].annotations["org.opencontainers.image.ref.name"] == "'"$R"'/layered:latest"'
}

@test "save is reproducible: saving a loaded archive gives the same bytes" {
    "$CTR" pull -q --tls-verify=false "$R/layered" >/dev/null
    "$CTR" save -o "$T/a.tar" "$R/layered"
    "$CTR" rmi "$R/layered" >/dev/null
    "$CTR" load -i "$T/a.tar" >/dev/null
    "$CTR" save -o "$T/b.tar" "$R/layered"
    cmp "$T/a.tar" "$T/b.tar"
    # Loading again finds every layer in the store and unpacks none.
    local before
    before=$(find "$STORE/layers" -mindepth 1 -maxdepth 1 | wc -l)
    run "$CTR" load -i "$T/b.tar"
    [ "$status" -eq 0 ]
    expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 | wc -l)" "$before"
}

@test "load reads skopeo's oci-archive (a bare tag is a localhost name) and docker-archive" {
    skopeo_copy "oci:$(fixtures_layout):layered" "oci-archive:$T/sk.oci.tar:layered"
    skopeo_copy "oci:$(fixtures_layout):layered" "docker-archive:$T/sk.docker.tar:layered:v1"
    run "$CTR" load -i "$T/sk.oci.tar"
    [ "$status" -eq 0 ]
    expect_eq "$output" "Loaded image: localhost/layered:latest"
    # The OCI archive keeps the image's digests: its id is the fixture's config digest.
    run "$CTR" images -q --no-trunc
    expect_eq "$output" "$(fixture_config_digest layered | sed 's/^sha256://')"
    run "$CTR" load -i "$T/sk.docker.tar"
    [ "$status" -eq 0 ]
    expect_eq "$output" "Loaded image: docker.io/library/layered:v1"
    # The same layers, the same image.
    run "$CTR" images -q
    expect_eq "${#lines[@]}" 1
    expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging | wc -l)" 4
}

@test "load reads a gzip-compressed archive, and from standard input" {
    skopeo_copy "oci:$(fixtures_layout):busybox" "docker-archive:$T/bb.tar:busybox:1"
    gzip -c "$T/bb.tar" >"$T/bb.tar.gz"
    run "$CTR" load -q -i "$T/bb.tar.gz"
    [ "$status" -eq 0 ]
    expect_eq "$output" "Loaded image: docker.io/library/busybox:1"
    "$CTR" rmi busybox:1 >/dev/null
    run bash -c 'cat "$1" | "$CTR" load' _ "$T/bb.tar.gz"
    [ "$status" -eq 0 ]
    expect_eq "$output" "Loaded image: docker.io/library/busybox:1"
    # The copy of the stream in the runtime directory is gone.
    expect_eq "$(find "$XDG_RUNTIME_DIR" -type f -name '*load*' | wc -l)" 0
}

@test "skopeo reads and verifies what ctr saves, in both formats" {
    "$CTR" pull -q --tls-verify=false "$R/layered" >/dev/null
    "$CTR" save -o "$T/d.tar" "$R/layered"
    "$CTR" save --format oci-archive -o "$T/o.tar" "$R/layered"
    run skopeo inspect "docker-archive:$T/d.tar"
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r '.Layers | length' <<<"$output")" 4
    expect_eq "$(jq -r '.Architecture' <<<"$output")" "$("$CTR" image inspect "$R/layered" | jq -r '.[0].Architecture')"
    run skopeo inspect "oci-archive:$T/o.tar"
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r '.Layers | length' <<<"$output")" 4
    # A copy checks every blob against its digest.
    skopeo_copy "docker-archive:$T/d.tar" "oci:$T/from-docker:x"
    skopeo_copy "oci-archive:$T/o.tar" "oci:$T/from-oci:x"
}

@test "save to standard output; by id, an image gets no name and loads as sha256:ID" {
    "$CTR" pull -q --tls-verify=false "$R/busybox" >/dev/null
    "$CTR" pull -q --tls-verify=false "$R/layered" >/dev/null
    local id
    id=$("$CTR" images -q --no-trunc --filter "reference=$R/busybox")
    "$CTR" save "$id" >"$T/byid.tar"
    tar -xOf "$T/byid.tar" manifest.json | jq -e '.[0].RepoTags == []'
    # Two images in one docker-archive.
    "$CTR" save -o "$T/two.tar" "$R/busybox" "$R/layered"
    "$CTR" rmi -a >/dev/null
    run "$CTR" load -i "$T/byid.tar"
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^"Loaded image: sha256:"[0-9a-f]{64}$ ]]
    run "$CTR" images --filter dangling=true -q
    expect_eq "${#lines[@]}" 1
    run "$CTR" load -i "$T/two.tar"
    [ "$status" -eq 0 ]
    expect_eq "$output" "Loaded image: $R/busybox:latest
Loaded image: $R/layered:latest"
}

@test "usage errors: save without a name or with an unknown format, load of a missing file" {
    run "$CTR" save -o "$T/x.tar"
    [ "$status" -eq 125 ]
    expect_contains "$output" "needs an image to save"
    run "$CTR" save --format zip -o "$T/x.tar" busybox
    [ "$status" -eq 125 ]
    expect_contains "$output" "unknown format 'zip'"
    run "$CTR" save -o "$T/x.tar" nothere
    [ "$status" -eq 125 ]
    expect_contains "$output" "image 'nothere' not known"
    [ ! -e "$T/x.tar" ]
    run "$CTR" load -i "$T/nothere.tar"
    [ "$status" -eq 125 ]
    expect_contains "$output" "open '$T/nothere.tar'"
    echo '{}' >"$T/not-a-tar"
    run "$CTR" load -i "$T/not-a-tar"
    [ "$status" -eq 125 ]
    expect_contains "$output" "not a tar archive"
}

@test "a failed save leaves no file, and an existing file as it was" {
    "$CTR" pull -q --tls-verify=false "$R/layered" >/dev/null
    echo old >"$T/out.tar"
    # A layer directory vanishing behind ctr's back makes the tar helper fail mid-save.
    local d
    d=$(image_diff_ids "$R/layered" | sed -n 2p)
    unshare -U --map-auto --map-root-user rm -rf "$STORE/layers/${d#sha256:}"
    run "$CTR" save -o "$T/out.tar" "$R/layered"
    [ "$status" -eq 125 ]
    expect_contains "$output" "layer '$d'"
    expect_eq "$(cat "$T/out.tar")" old
    run "$CTR" save -o "$T/new.tar" "$R/layered"
    [ "$status" -eq 125 ]
    expect_eq "$(ls -A "$T" | grep -c -e new.tar -e ctr-save)" 0 "files left by a failed save"
}

# hostile ARCHIVE-KIND OUT: writes a hostile variant of skopeo's archives of "layered".
hostile() {
    python3 - "$1" "$2" "$T/sk.oci.tar" "$T/sk.docker.tar" <<'PY'
import io, json, sys, tarfile

kind, out, oci, docker = sys.argv[1:5]


def members(path):
    with tarfile.open(path) as t:
        return [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]


def write(entries):
    with tarfile.open(out, "w") as t:
        for m, data in entries:
            t.addfile(m, io.BytesIO(data) if data is not None else None)


if kind == "dotdot":
    entries = members(docker)
    evil = tarfile.TarInfo("../x")
    evil.size = 1
    write([(evil, b"x")] + entries)
elif kind == "blob":
    # Flip one byte of the largest blob (a layer): same size, other digest.
    entries = members(oci)
    big = max((e for e in entries if e[1] is not None), key=lambda e: len(e[1]))
    i = entries.index(big)
    data = bytearray(big[1])
    data[len(data) // 2] ^= 0xFF
    entries[i] = (big[0], bytes(data))
    write(entries)
elif kind == "diffid":
    # Swap in another valid tar for the last layer: the manifest has no digest to catch it.
    entries = members(docker)
    manifest = json.loads(next(d for m, d in entries if m.name == "manifest.json"))
    target = manifest[0]["Layers"][-1]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("planted")
        info.size = 7
        t.addfile(info, io.BytesIO(b"planted"))
    for i, (m, d) in enumerate(entries):
        if m.name == target:
            m.size = len(buf.getvalue())
            entries[i] = (m, buf.getvalue())
    write(entries)
PY
}

@test "hostile archives are refused with a clear message, and nothing is registered or left" {
    skopeo_copy "oci:$(fixtures_layout):layered" "oci-archive:$T/sk.oci.tar:layered"
    skopeo_copy "oci:$(fixtures_layout):layered" "docker-archive:$T/sk.docker.tar:layered:v1"

    hostile dotdot "$T/dotdot.tar"
    run "$CTR" load -i "$T/dotdot.tar"
    [ "$status" -eq 125 ]
    expect_contains "$output" "archive member '../x' has a '..' in its name"
    expect_nothing_left

    hostile blob "$T/blob.tar"
    run "$CTR" load -i "$T/blob.tar"
    [ "$status" -eq 125 ]
    expect_contains "$output" "digest mismatch"
    expect_nothing_left

    hostile diffid "$T/diffid.tar"
    run "$CTR" load -i "$T/diffid.tar"
    [ "$status" -eq 125 ]
    expect_contains "$output" "but the image config says"
    expect_nothing_left

    head -c "$(($(stat -c %s "$T/sk.oci.tar") / 2))" "$T/sk.oci.tar" >"$T/truncated.tar"
    run "$CTR" load -i "$T/truncated.tar"
    [ "$status" -eq 125 ]
    expect_contains "$output" "load '$T/truncated.tar': read the archive: "
    expect_contains "$output" "runcated"
    expect_nothing_left
    # What was refused never reached the disk outside the store.
    [ ! -e "$T/x" ] && [ ! -e "$STORE/x" ] && [ ! -e "$STORE/layers/x" ]
}

@test "podman loads what ctr saves, and ctr loads what podman saves" {
    require_tool podman
    pgrep -u "$(id -u)" -x catatonit >"$BATS_TEST_TMPDIR/pause-before" || true
    local P=(podman --root "$T/podman/root" --runroot "$T/podman/run" --storage-driver vfs
        --tmpdir "$T/podman/tmp")
    mkdir -p "$T/podman/tmp"
    "$CTR" pull -q --tls-verify=false "$R/layered" >/dev/null
    "$CTR" save -o "$T/c.docker.tar" "$R/layered"
    "$CTR" save --format oci-archive -o "$T/c.oci.tar" "$R/layered"
    run "${P[@]}" load -i "$T/c.docker.tar"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    expect_contains "$output" "Loaded image: $R/layered:latest"
    run "${P[@]}" load -i "$T/c.oci.tar"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    "${P[@]}" tag "$R/layered:latest" localhost/from-podman:1
    "${P[@]}" save -o "$T/p.docker.tar" localhost/from-podman:1
    "${P[@]}" save --format oci-archive -o "$T/p.oci.tar" localhost/from-podman:1
    run "$CTR" load -i "$T/p.docker.tar"
    [ "$status" -eq 0 ]
    expect_eq "$output" "Loaded image: localhost/from-podman:1"
    run "$CTR" load -i "$T/p.oci.tar"
    [ "$status" -eq 0 ]
    expect_eq "$output" "Loaded image: localhost/from-podman:1"
    list_layers "$R/layered" "$T/mine"
    list_layers localhost/from-podman:1 "$T/podmans"
    expect_same_layers "$T/mine" "$T/podmans"
}
