#!/usr/bin/env bats
#
# Checks the test fixtures themselves: the locally built OCI images
# (tests/fixtures/build-images.py) and the loopback registry
# (tests/fixtures/registry.bash).  Does not use ctr.

load helpers

FIXTURE_TOOLS=(python3 docker-registry skopeo curl jq)
FIXTURE_IMAGES=(baduid big busybox devnode evil-absolute evil-dotdot evil-hardlink
	evil-symlink evil-whiteout layered multi zstd)

setup_file() {
	local t
	for t in "${FIXTURE_TOOLS[@]}"; do
		# Missing tools are reported (skip or fail) by setup() per test.
		command -v "$t" >/dev/null 2>&1 || return 0
	done
	fixtures_build
	registry_start
	registry_push "${FIXTURE_IMAGES[@]}"
}

teardown_file() {
	registry_stop
}

setup() {
	local t
	for t in "${FIXTURE_TOOLS[@]}"; do
		require_tool "$t"
	done
	WORK="$BATS_TEST_TMPDIR"
}

# GOARCH name of the host, independent of build-images.py's own table.
host_goarch() {
	case "$(uname -m)" in
	x86_64) echo amd64 ;;
	aarch64 | arm64) echo arm64 ;;
	armv6l | armv7l) echo arm ;;
	i?86) echo 386 ;;
	*) uname -m ;;
	esac
}

OCI_ACCEPT="application/vnd.oci.image.manifest.v1+json"
OCI_INDEX="application/vnd.oci.image.index.v1+json"

# fetch_image NAME DIR: download NAME:latest's manifest, config and layers
# from the registry into DIR (manifest.json, config.json, layer-N for N=1..).
fetch_image() {
	local name="$1" dir="$2" i=1 digest
	mkdir -p "$dir"
	curl -fsS -H "Accept: $OCI_ACCEPT" -o "$dir/manifest.json" \
		"http://$REGISTRY_ADDR/v2/$name/manifests/latest"
	digest="$(jq -r .config.digest "$dir/manifest.json")"
	curl -fsS -o "$dir/config.json" "http://$REGISTRY_ADDR/v2/$name/blobs/$digest"
	for digest in $(jq -r '.layers[].digest' "$dir/manifest.json"); do
		curl -fsS -o "$dir/layer-$i" "http://$REGISTRY_ADDR/v2/$name/blobs/$digest"
		i=$((i + 1))
	done
}

# list_layers DIR N: print one line per tar entry of DIR/layer-1..N:
#   L<n> <type> <name> <mode> <uid>:<gid> <mtime>[ -> <linkname>]
# plus "L<n> xattr <name> <key>=<value>" for every SCHILY.xattr.* header.
list_layers() {
	python3 - "$1" "$2" <<'EOF'
import sys, tarfile
d, n = sys.argv[1], int(sys.argv[2])
kinds = {tarfile.REGTYPE: "file", tarfile.DIRTYPE: "dir",
         tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}
for i in range(1, n + 1):
    with tarfile.open("%s/layer-%d" % (d, i), "r:*") as tar:
        for m in tar:
            name = m.name + "/" if m.isdir() else m.name
            line = "L%d %s %s %04o %d:%d %d" % (
                i, kinds.get(m.type, "other"), name, m.mode, m.uid, m.gid,
                int(m.mtime))
            if m.issym() or m.islnk():
                line += " -> " + m.linkname
            print(line)
            for k, v in sorted(m.pax_headers.items()):
                if k.startswith("SCHILY.xattr."):
                    print("L%d xattr %s %s=%s" % (i, name, k[len("SCHILY.xattr."):], v))
EOF
}

@test "registry: /v2/ answers 200 with the registry/2.0 API header" {
	run curl -sS -D - -o /dev/null "http://$REGISTRY_ADDR/v2/"
	expect_eq "$status" 0 "curl exit status"
	expect_contains "${lines[0]}" "HTTP/1.1 200" "status line"
	expect_contains "$output" "Docker-Distribution-Api-Version: registry/2.0" "headers"
	[[ "$REGISTRY_ADDR" == 127.0.0.1:* ]]
}

@test "registry: catalog lists exactly the fixture images" {
	run curl -fsS "http://$REGISTRY_ADDR/v2/_catalog"
	expect_eq "$(jq -c '.repositories' <<<"$output")" \
		'["baduid","big","busybox","devnode","evil-absolute","evil-dotdot","evil-hardlink","evil-symlink","evil-whiteout","layered","multi","zstd"]' \
		"catalog"
	expect_eq "$(jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' \
		"$(fixtures_layout)/index.json" | sort | paste -sd' ')" "${FIXTURE_IMAGES[*]}" \
		"ref names in the layout"
	run curl -fsS "http://$REGISTRY_ADDR/v2/layered/tags/list"
	expect_eq "$(jq -c '.tags' <<<"$output")" '["latest"]' "layered tags"
}

@test "skopeo inspect: busybox is linux/<host arch>, one layer, Cmd /bin/sh" {
	run skopeo inspect --tls-verify=false "docker://$REGISTRY_ADDR/busybox:latest"
	expect_eq "$status" 0 "skopeo inspect status: $output"
	expect_eq "$(jq -r .Architecture <<<"$output")" "$(host_goarch)" "Architecture"
	expect_eq "$(jq -r .Os <<<"$output")" linux "Os"
	expect_eq "$(jq -r '.Layers | length' <<<"$output")" 1 "layer count"
	expect_eq "$(jq -r '.Env | join(" ")' <<<"$output")" \
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "Env"

	run skopeo inspect --config --tls-verify=false "docker://$REGISTRY_ADDR/busybox:latest"
	expect_eq "$status" 0 "skopeo inspect --config status: $output"
	expect_eq "$(jq -c .config.Cmd <<<"$output")" '["/bin/sh"]' "Cmd"
	expect_eq "$(jq -r '.rootfs.diff_ids | length' <<<"$output")" 1 "diff_ids count"
	expect_eq "$(jq -r '.history | length' <<<"$output")" 1 "history length"
}

@test "skopeo inspect: layered has 4 layers, the last one uncompressed" {
	run skopeo inspect --raw --tls-verify=false "docker://$REGISTRY_ADDR/layered:latest"
	expect_eq "$status" 0 "skopeo inspect --raw status: $output"
	expect_eq "$(jq -r .mediaType <<<"$output")" "application/vnd.oci.image.manifest.v1+json" "manifest mediaType"
	expect_eq "$(jq -r '.layers | length' <<<"$output")" 4 "layer count"
	expect_eq "$(jq -r '[.layers[].mediaType] | join(" ")' <<<"$output")" \
		"application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar" \
		"layer media types"

	run skopeo inspect --config --tls-verify=false "docker://$REGISTRY_ADDR/layered:latest"
	expect_eq "$status" 0 "skopeo inspect --config status: $output"
	expect_eq "$(jq -r .architecture <<<"$output")" "$(host_goarch)" "architecture"
	expect_eq "$(jq -r .os <<<"$output")" linux "os"
	expect_eq "$(jq -c .config.Cmd <<<"$output")" '["/bin/sh"]' "Cmd"
	expect_eq "$(jq -r .config.WorkingDir <<<"$output")" /data "WorkingDir"
	expect_eq "$(jq -r '.config.Labels["ctr.test.fixture"]' <<<"$output")" layered "label"
	expect_eq "$(jq -r '.rootfs.diff_ids | length' <<<"$output")" 4 "diff_ids count"
	expect_eq "$(jq -r '.history | length' <<<"$output")" 4 "history length"
}

@test "registry serves the layout's manifests unchanged, busybox layer shared" {
	local layout name want got
	layout="$(fixtures_layout)"
	for name in "${FIXTURE_IMAGES[@]}"; do
		want="$(jq -r --arg n "$name" \
			'.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | .digest' \
			"$layout/index.json")"
		expect_eq "$(fixture_manifest_digest "$name")" "$want" "fixture_manifest_digest $name"
		got="$(curl -fsS -o /dev/null -D - -H "Accept: $OCI_ACCEPT, $OCI_INDEX" \
			"http://$REGISTRY_ADDR/v2/$name/manifests/latest" |
			tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')"
		expect_eq "$got" "$want" "$name manifest digest"
	done
	fetch_image busybox "$WORK/bb"
	fetch_image layered "$WORK/ly"
	expect_eq "$(jq -r '.layers[0].digest' "$WORK/ly/manifest.json")" \
		"$(jq -r '.layers[0].digest' "$WORK/bb/manifest.json")" "base layer of layered"
}

@test "every blob hashes to its digest and diff_ids match the uncompressed layers" {
	local d="$WORK/ly" i digest want got
	fetch_image layered "$d"
	expect_eq "sha256:$(sha256sum "$d/config.json" | cut -d' ' -f1)" \
		"$(jq -r .config.digest "$d/manifest.json")" "config digest"
	expect_eq "$(stat -c %s "$d/config.json")" "$(jq -r .config.size "$d/manifest.json")" "config size"
	for i in 1 2 3 4; do
		digest="$(jq -r ".layers[$((i - 1))].digest" "$d/manifest.json")"
		expect_eq "sha256:$(sha256sum "$d/layer-$i" | cut -d' ' -f1)" "$digest" "layer $i digest"
		expect_eq "$(stat -c %s "$d/layer-$i")" \
			"$(jq -r ".layers[$((i - 1))].size" "$d/manifest.json")" "layer $i size"
		want="$(jq -r ".rootfs.diff_ids[$((i - 1))]" "$d/config.json")"
		if ((i < 4)); then
			# gzip magic, then the uncompressed digest
			expect_eq "$(head -c 2 "$d/layer-$i" | od -An -tx1 | tr -d ' ')" 1f8b "layer $i magic"
			got="sha256:$(gzip -dc "$d/layer-$i" | sha256sum | cut -d' ' -f1)"
		else
			expect_eq "$(tar -tf "$d/layer-$i" | head -1)" data/ "layer 4 is a plain tar"
			got="$digest"
		fi
		expect_eq "$got" "$want" "diff_id of layer $i"
	done
}

@test "layered: layers carry whiteouts, opaque dir, links, owners, modes, xattr, mtime" {
	local d="$WORK/ly" l="$WORK/ly/list"
	fetch_image layered "$d"
	list_layers "$d" 4 | grep -v '^L1 ' >"$l"

	# layer 2
	expect_line "$l" "L2 dir data/ 0755 0:0 1704067200"
	expect_line "$l" "L2 file data/gone 0644 0:0 1704067200"
	expect_line "$l" "L2 file data/hl-a 0644 0:0 1704067200"
	expect_line "$l" "L2 hardlink data/hl-b 0644 0:0 1704067200 -> data/hl-a"
	expect_line "$l" "L2 symlink data/link-rel 0777 0:0 1704067200 -> hl-a"
	expect_line "$l" "L2 symlink data/link-abs 0777 0:0 1704067200 -> /etc/passwd"
	expect_line "$l" "L2 file data/owned-33 0644 33:33 1704067200"
	expect_line "$l" "L2 file data/owned-1000 0640 1000:1000 1704067200"
	expect_line "$l" "L2 dir data/dir-1000/ 0750 1000:1000 1704067200"
	expect_line "$l" "L2 file data/dir-1000/file 0600 1000:1000 1704067200"
	expect_line "$l" "L2 file data/setuid 4755 0:0 1704067200"
	expect_line "$l" "L2 dir data/setgid-dir/ 2775 0:33 1704067200"
	expect_line "$l" "L2 file data/xattr 0644 0:0 1704067200"
	expect_line "$l" "L2 xattr data/xattr user.ctr.test=hello"
	expect_line "$l" "L2 file data/mtime 0644 0:0 1234567890"
	expect_line "$l" "L2 file opq/a 0644 0:0 1704067200"
	expect_line "$l" "L2 file opq/b 0644 0:0 1704067200"
	# layer 3
	expect_line "$l" "L3 file data/.wh.gone 0644 0:0 1704067200"
	expect_line "$l" "L3 file data/hello.txt 0644 0:0 1704067200"
	expect_line "$l" "L3 file opq/.wh..wh..opq 0644 0:0 1704067200"
	expect_line "$l" "L3 file opq/c 0644 0:0 1704067200"
	# layer 4 (uncompressed)
	expect_line "$l" "L4 file data/layer4.txt 0644 0:0 1704067200"

	# exact entry counts and order: directories come before their contents
	expect_eq "$(grep -v ' xattr ' "$l" | grep '^L2 ' | cut -d' ' -f3 | paste -sd' ')" \
		"data/ data/dir-1000/ data/dir-1000/file data/gone data/hello.txt data/hl-a data/hl-b data/link-abs data/link-rel data/mtime data/owned-1000 data/owned-33 data/setgid-dir/ data/setuid data/xattr opq/ opq/a opq/b" \
		"layer 2 entries"
	expect_eq "$(grep '^L3 ' "$l" | cut -d' ' -f3 | paste -sd' ')" \
		"data/ data/.wh.gone data/hello.txt opq/ opq/.wh..wh..opq opq/c" "layer 3 entries"
	expect_eq "$(grep '^L4 ' "$l" | cut -d' ' -f3 | paste -sd' ')" "data/ data/layer4.txt" "layer 4 entries"
	# the only xattr is the one on data/xattr
	expect_eq "$(grep -c ' xattr ' "$l")" 1 "xattr count"
	# hard link target is stored before the link, file contents are right
	run tar -xOzf "$d/layer-2" data/hl-a
	expect_eq "$output" "hardlinked content" "data/hl-a content"
	run tar -xOzf "$d/layer-3" data/hello.txt
	expect_eq "$output" "hello from layer 3" "layer 3 data/hello.txt"
}

@test "busybox: layer has the binary, applet symlinks and the /etc files" {
	local d="$WORK/bb" l="$WORK/bb/list" applets
	fetch_image busybox "$d"
	list_layers "$d" 1 >"$l"

	expect_line "$l" "L1 dir bin/ 0755 0:0 1704067200"
	expect_line "$l" "L1 file bin/busybox 0755 0:0 1704067200"
	expect_line "$l" "L1 symlink bin/sh 0777 0:0 1704067200 -> busybox"
	expect_line "$l" "L1 symlink bin/ls 0777 0:0 1704067200 -> busybox"
	expect_line "$l" "L1 dir tmp/ 1777 0:0 1704067200"
	expect_line "$l" "L1 dir root/ 0700 0:0 1704067200"
	expect_line "$l" "L1 dir proc/ 0555 0:0 1704067200"
	expect_line "$l" "L1 dir sys/ 0555 0:0 1704067200"
	expect_line "$l" "L1 dir dev/ 0755 0:0 1704067200"
	expect_line "$l" "L1 file etc/passwd 0644 0:0 1704067200"
	expect_line "$l" "L1 file etc/group 0644 0:0 1704067200"
	expect_line "$l" "L1 file var/www/index.html 0644 33:33 1704067200"
	# one symlink per applet
	applets="$(/bin/busybox --list | grep -cvx busybox)"
	expect_eq "$(grep -c '^L1 symlink bin/.* -> busybox$' "$l")" "$applets" "applet symlinks"
	# the binary is the host's busybox
	expect_eq "$(tar -xOzf "$d/layer-1" bin/busybox | sha256sum)" \
		"$(sha256sum </bin/busybox)" "bin/busybox checksum"
	run tar -xOzf "$d/layer-1" etc/passwd
	expect_eq "$output" $'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false' "etc/passwd"
	run tar -xOzf "$d/layer-1" etc/group
	expect_eq "$output" $'root:x:0:\nwww:x:33:\nnobody:x:65534:' "etc/group"
}

@test "fixture build: second run is a cache hit and changes nothing" {
	local index before after t0 t1
	index="$(fixtures_layout)/index.json"
	before="$(sha256sum "$index") $(stat -c '%i %Y' "$index") $(cat "$(fixtures_dir)/stamp")"
	t0="$(date +%s%N)"
	run fixtures_build
	t1="$(date +%s%N)"
	expect_eq "$status" 0 "fixtures_build status: $output"
	expect_contains "$output" "build-images: up to date: $(fixtures_dir)"
	after="$(sha256sum "$index") $(stat -c '%i %Y' "$index") $(cat "$(fixtures_dir)/stamp")"
	expect_eq "$after" "$before" "index.json digest, inode, mtime and stamp"
	# a cache hit only hashes two files: well under 2 s even on a slow box
	((t1 - t0 < 2000000000)) || {
		echo "cache hit took $(((t1 - t0) / 1000000)) ms" >&2
		false
	}
}

@test "fixture build: deterministic and atomic (fresh dir gives identical digests)" {
	local fresh="$WORK/fresh"
	CTR_FIXTURES_DIR="$fresh" run fixtures_build
	expect_eq "$status" 0 "fixtures_build status: $output"
	expect_contains "$output" "build-images: built $fresh"
	expect_eq "$(sha256sum <"$fresh/oci/index.json")" \
		"$(sha256sum <"$(fixtures_layout)/index.json")" "index.json of a second build"
	expect_eq "$(find "$fresh/oci/blobs/sha256" -type f -printf '%f\n' | sort | paste -sd' ')" \
		"$(find "$(fixtures_layout)/blobs/sha256" -type f -printf '%f\n' | sort | paste -sd' ')" \
		"blob set"
	expect_eq "$(cat "$fresh/oci/oci-layout")" '{"imageLayoutVersion":"1.0.0"}' "oci-layout"
	# nothing but the result and its lock file is left next to it
	expect_eq "$(find "$WORK" -mindepth 1 -maxdepth 1 -name '*fresh*' -printf '%f\n' | sort | paste -sd' ')" \
		"fresh fresh.lock" "leftovers"
}

@test "fixture_config_digest and fixture_layer_digests agree with the registry" {
	local name
	for name in busybox layered big; do
		fetch_image "$name" "$WORK/$name"
		expect_eq "$(fixture_config_digest "$name")" \
			"$(jq -r .config.digest "$WORK/$name/manifest.json")" "$name config digest"
		expect_eq "$(fixture_layer_digests "$name" | paste -sd' ')" \
			"$(jq -r '.layers[].digest' "$WORK/$name/manifest.json" | paste -sd' ')" \
			"$name layer digests"
	done
	expect_eq "$(fixture_layer_digests layered | wc -l)" 4 "layered: one line per layer"
	run fixture_config_digest no-such-image
	expect_eq "$status" 1 "status for an unknown image"
	expect_contains "$output" "no image 'no-such-image'"
}

@test "multi: registry serves an OCI index of 3 platforms and an attestation" {
	local d="$WORK/multi" digest plat want i
	mkdir -p "$d"
	run curl -fsS -D "$d/headers" -H "Accept: $OCI_INDEX" -o "$d/index.json" \
		"http://$REGISTRY_ADDR/v2/multi/manifests/latest"
	expect_eq "$status" 0 "curl status: $output"
	expect_contains "$(tr -d '\r' <"$d/headers")" "Content-Type: $OCI_INDEX" "headers"
	expect_contains "$(tr -d '\r' <"$d/headers")" \
		"Docker-Content-Digest: $(fixture_manifest_digest multi)" "headers"
	expect_eq "$(jq -r .mediaType "$d/index.json")" "$OCI_INDEX" "index mediaType"
	expect_eq "$(jq -r '.manifests | length' "$d/index.json")" 4 "index entries"
	expect_eq "$(jq -r '[.manifests[].platform | [.os, .architecture, .variant // empty] | join("/")] | join(" ")' \
		"$d/index.json")" "linux/amd64 linux/arm64/v8 linux/arm/v7 unknown/unknown" "platforms"

	# the attestation entry points at the linux/amd64 manifest
	expect_eq "$(jq -r '.manifests[3].annotations["vnd.docker.reference.type"]' "$d/index.json")" \
		attestation-manifest "attestation annotation"
	expect_eq "$(jq -r '.manifests[3].annotations["vnd.docker.reference.digest"]' "$d/index.json")" \
		"$(fixture_manifest_digest multi linux/amd64)" "attestation subject"
	expect_eq "$(jq -r '[.manifests[0:3][] | has("annotations")] | any' "$d/index.json")" false \
		"annotations on platform manifests"

	# each platform manifest, its config and its /etc/platform
	i=0
	for plat in linux/amd64 linux/arm64/v8 linux/arm/v7; do
		digest="$(jq -r ".manifests[$i].digest" "$d/index.json")"
		expect_eq "$digest" "$(fixture_manifest_digest multi "$plat")" "$plat manifest digest"
		curl -fsS -H "Accept: $OCI_ACCEPT" -o "$d/m$i" \
			"http://$REGISTRY_ADDR/v2/multi/manifests/$digest"
		expect_eq "$(jq -r .config.digest "$d/m$i")" "$(fixture_config_digest multi "$plat")" \
			"$plat config digest"
		expect_eq "$(jq -r '.layers | length' "$d/m$i")" 1 "$plat layer count"
		curl -fsS -o "$d/c$i" "http://$REGISTRY_ADDR/v2/multi/blobs/$(jq -r .config.digest "$d/m$i")"
		expect_eq "$(jq -r '[.os, .architecture, .variant // empty] | join("/")' "$d/c$i")" "$plat" \
			"$plat config os/architecture/variant"
		curl -fsS -o "$d/l$i" "http://$REGISTRY_ADDR/v2/multi/blobs/$(jq -r '.layers[0].digest' "$d/m$i")"
		expect_eq "$(tar -tzf "$d/l$i" | paste -sd' ')" "etc/ etc/platform" "$plat layer entries"
		expect_eq "$(tar -xOzf "$d/l$i" etc/platform)" "$plat" "$plat /etc/platform"
		i=$((i + 1))
	done

	# the attestation manifest: unknown/unknown config, one in-toto layer
	digest="$(jq -r '.manifests[3].digest' "$d/index.json")"
	curl -fsS -H "Accept: $OCI_ACCEPT" -o "$d/att" "http://$REGISTRY_ADDR/v2/multi/manifests/$digest"
	expect_eq "$(jq -r '[.layers[].mediaType] | join(" ")' "$d/att")" application/vnd.in-toto+json \
		"attestation layer mediaType"
	curl -fsS -o "$d/att-layer" "http://$REGISTRY_ADDR/v2/multi/blobs/$(jq -r '.layers[0].digest' "$d/att")"
	expect_eq "$(jq -r '.subject[0].digest.sha256' "$d/att-layer")" \
		"$(fixture_manifest_digest multi linux/amd64 | cut -d: -f2)" "in-toto subject"

	# the host's platform is what the helpers pick by default
	case "$(host_goarch)" in
	amd64) want=linux/amd64 ;;
	arm64) want=linux/arm64/v8 ;;
	arm) want=linux/arm/v7 ;;
	*) want="" ;;
	esac
	if [[ -n "$want" ]]; then
		expect_eq "$(fixture_config_digest multi)" "$(fixture_config_digest multi "$want")" \
			"fixture_config_digest multi on this host"
		expect_eq "$(fixture_layer_digests multi)" "$(fixture_layer_digests multi "$want")" \
			"fixture_layer_digests multi on this host"
	fi
}

# raw_entries FILE: one line per entry of the (gzip) tar FILE, with the name
# exactly as stored:  <type> <name> <mode> <uid>:<gid>[ -> <link>][ dev M,m]
raw_entries() {
	python3 - "$1" <<'EOF'
import sys, tarfile
kinds = {tarfile.REGTYPE: "file", tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink",
         tarfile.LNKTYPE: "hardlink", tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block",
         tarfile.FIFOTYPE: "fifo"}
with tarfile.open(sys.argv[1], "r:gz") as tar:
    for m in tar:
        line = "%s %s %04o %d:%d" % (kinds.get(m.type, "other"), m.name, m.mode, m.uid, m.gid)
        if m.issym() or m.islnk():
            line += " -> " + m.linkname
        if m.ischr() or m.isblk():
            line += " dev %d,%d" % (m.devmajor, m.devminor)
        print(line)
EOF
}

# expect_hostile NAME EXPECTED-LINE...: NAME:latest has one gzip layer whose
# entries are exactly the given lines, in order.
expect_hostile() {
	local name="$1" d="$WORK/$1"
	shift
	fetch_image "$name" "$d"
	expect_eq "$(jq -r '[.layers[].mediaType] | join(" ")' "$d/manifest.json")" \
		"application/vnd.oci.image.layer.v1.tar+gzip" "$name layer media types"
	expect_eq "$(jq -r '[.os, .architecture] | join("/")' "$d/config.json")" \
		"linux/$(host_goarch)" "$name platform"
	expect_eq "sha256:$(gzip -dc "$d/layer-1" | sha256sum | cut -d' ' -f1)" \
		"$(jq -r '.rootfs.diff_ids[0]' "$d/config.json")" "$name diff_id"
	expect_eq "$(raw_entries "$d/layer-1")" "$(printf '%s\n' "$@")" "$name entries"
}

@test "evil-dotdot: entries climbing out with .." {
	expect_hostile evil-dotdot \
		"file ../escaped 0644 0:0" \
		"dir a 0755 0:0" \
		"file a/../../escaped2 0644 0:0"
}

@test "evil-symlink: files written through symlinks that lead to /tmp" {
	local up
	up="$(printf '../%.0s' {1..24})"
	expect_hostile evil-symlink \
		"symlink link 0777 0:0 -> ${up}tmp" \
		"file link/ctr-evil-file 0644 0:0" \
		"symlink link-abs 0777 0:0 -> /tmp" \
		"file link-abs/ctr-evil-file-abs 0644 0:0"
}

@test "evil-hardlink: hardlinks to /etc/passwd, relative, absolute, via a symlink" {
	expect_hostile evil-hardlink \
		"hardlink hl 0644 0:0 -> ../../../../etc/passwd" \
		"hardlink hl-abs 0644 0:0 -> /etc/passwd" \
		"symlink etc-link 0777 0:0 -> /etc" \
		"hardlink hl-via-symlink 0644 0:0 -> etc-link/passwd"
}

@test "evil-whiteout: whiteouts naming entries outside the layer" {
	expect_hostile evil-whiteout \
		"file ../.wh.victim 0644 0:0" \
		"dir dir 0755 0:0" \
		"file dir/../../.wh.victim2 0644 0:0" \
		"file dir/.wh... 0644 0:0"
}

@test "evil-absolute: one entry with an absolute name" {
	expect_hostile evil-absolute "file /ctr-evil-abs 0644 0:0"
}

@test "baduid: one file owned by uid 200000" {
	expect_hostile baduid "file file-200000 0644 200000:0"
}

@test "devnode: two character devices and a normal file" {
	expect_hostile devnode \
		"dir dev 0755 0:0" \
		"char dev/null-copy 0666 0:0 dev 1,3" \
		"char dev/zero-copy 0666 0:0 dev 1,5" \
		"file hello.txt 0644 0:0"
	run tar -xOzf "$WORK/devnode/layer-1" hello.txt
	expect_eq "$output" "a normal file next to device nodes" "hello.txt"
}

@test "big: one gzip layer of 30 MiB random data that does not compress" {
	local d="$WORK/big" size
	fetch_image big "$d"
	size="$(stat -c %s "$d/layer-1")"
	expect_eq "$size" "$(jq -r '.layers[0].size' "$d/manifest.json")" "layer size in the manifest"
	expect_eq "sha256:$(sha256sum "$d/layer-1" | cut -d' ' -f1)" \
		"$(jq -r '.layers[0].digest' "$d/manifest.json")" "layer digest"
	((size >= 31457280 && size < 32 * 1024 * 1024)) || {
		echo "big layer is $size bytes, expected 30-32 MiB" >&2
		false
	}
	expect_eq "$(tar -tvzf "$d/layer-1" | awk '{print $3, $6}' | paste -sd' ')" \
		"0 big/ 10485760 big/part-0 10485760 big/part-1 10485760 big/part-2" "entries and sizes"
	expect_eq "sha256:$(gzip -dc "$d/layer-1" | sha256sum | cut -d' ' -f1)" \
		"$(jq -r '.rootfs.diff_ids[0]' "$d/config.json")" "diff_id"
}

@test "--oci-archive writes one image as an OCI archive others can read" {
	require_tool skopeo
	local out="$BATS_TEST_TMPDIR/bb.tar"
	run python3 "$BATS_TEST_DIRNAME/../fixtures/build-images.py" "$(fixtures_dir)" --oci-archive busybox "$out"
	[ "$status" -eq 0 ]
	expect_eq "$(stat -c %a "$out")" 644
	# Two directories, oci-layout, index.json, manifest, config, one layer.
	expect_eq "$(tar tf "$out" | wc -l)" 7
	run skopeo inspect --config "oci-archive:$out"
	[ "$status" -eq 0 ]
	expect_eq "$(jq -r '.config.Cmd[0]' <<<"$output")" /bin/sh
}

@test "zstd: the second layer is zstd-compressed and decompresses to its diff id" {
	require_tool zstd
	local layout digest
	layout=$(fixtures_layout)
	digest=$(fixture_layer_digests zstd | sed -n 2p)
	run python3 - "$layout" zstd <<'PY'
import json, os, sys
layout, name = sys.argv[1:3]
def blob(d):
    return json.load(open(os.path.join(layout, "blobs", *d.split(":"))))
top = json.load(open(os.path.join(layout, "index.json")))
m = blob(next(x for x in top["manifests"]
              if x["annotations"]["org.opencontainers.image.ref.name"] == name)["digest"])
print(m["layers"][1]["mediaType"])
print(blob(m["config"]["digest"])["rootfs"]["diff_ids"][1])
PY
	[ "$status" -eq 0 ]
	expect_eq "${lines[0]}" application/vnd.oci.image.layer.v1.tar+zstd
	expect_eq "sha256:$(zstd -dc "$layout/blobs/sha256/${digest#sha256:}" | sha256sum | cut -d' ' -f1)" "${lines[1]}"
}
