#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Formats and conventions shared by many commands, as the unprivileged user: --format json
# with Podman's member names, Go templates ({{.Names}}, {{json .}}, 'table' headers, index,
# len) for ps, images and inspect; CTR_ROOT, CTR_RUNROOT and CTR_LOG_LEVEL; and ctr.conf,
# with the command line over the environment over the file.

# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr

load helpers

bats_require_minimum_version 1.5.0

setup_file() {
    fixtures_build
    python3 "$BATS_TEST_DIRNAME/../fixtures/build-images.py" "$(fixtures_dir)" \
        --oci-archive busybox "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
}

setup() {
    require_tool jq
    store_setup
    unset CTR_ROOT CTR_RUNROOT CTR_LOG_LEVEL
    "$CTR" load -q -i "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
    CONF="$XDG_CONFIG_HOME/ctr/ctr.conf"
    mkdir -p "$XDG_CONFIG_HOME/ctr"
}

teardown() {
    rm -f "$CONF"
    store_teardown
}

# True when the JSON object on stdin has every member named in the arguments.
has_members() {
    local obj m
    obj=$(cat)
    for m in "$@"; do
        if [ "$(jq --arg m "$m" 'has($m)' <<<"$obj")" != true ]; then
            echo "no member '$m' in: $obj" >&2
            return 1
        fi
    done
}

@test "ps --format json has Podman's member names" {
    "$CTR" run -d --name up --label org.example.v=1.2 busybox sleep 100 >/dev/null
    run "$CTR" ps --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq length <<<"$output")" 1
    jq '.[0]' <<<"$output" | has_members AutoRemove Command Created CreatedAt Exited ExitedAt \
        ExitCode Id Image ImageID Labels Mounts Names Pid Ports StartedAt State Status
    expect_eq "$(jq -r '.[0].Names[0]' <<<"$output")" up
    expect_eq "$(jq -r '.[0].State' <<<"$output")" running
    expect_eq "$(jq -r '.[0].Labels["org.example.v"]' <<<"$output")" 1.2
    # container ls is ps.
    run "$CTR" container ls --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r '.[0].Names[0]' <<<"$output")" up
}

@test "ps templates: {{.Names}}, {{json .}}, index, and table headers" {
    local id
    id=$("$CTR" run -d --name web --label org.example.v=1.2 busybox sleep 100)
    run "$CTR" ps --format '{{.Names}}'
    [ "$status" -eq 0 ]
    expect_eq "$output" web
    run "$CTR" ps --format '{{.ID}} {{.Names}} {{.State}}'
    expect_eq "$output" "${id:0:12} web running"
    run "$CTR" ps --format '{{json .}}'
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r .Names <<<"$output")" web
    expect_eq "$(jq -r .ID <<<"$output")" "${id:0:12}"
    run "$CTR" ps --format '{{index .Labels "org.example.v"}} {{len .Labels}}'
    expect_eq "$output" "1.2 1"
    run "$CTR" ps --format 'table {{.ID}}\t{{.Names}}'
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" =~ ^CONTAINER\ ID\ +NAMES$ ]]
    [[ "${lines[1]}" =~ ^${id:0:12}\ +web$ ]]
    run "$CTR" ps --format '{{.Nope}}'
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: ps --format: template: can't evaluate field Nope"
}

@test "images --format json has Podman's member names" {
    local digest id
    run "$CTR" images --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq length <<<"$output")" 1
    jq '.[0]' <<<"$output" | has_members Id ParentId RepoTags RepoDigests Size SharedSize \
        VirtualSize Labels Containers Names Digest History Created CreatedAt
    expect_eq "$(jq -r '.[0].Names[0]' <<<"$output")" localhost/busybox:latest
    expect_eq "$(jq -r '.[0].RepoTags[0]' <<<"$output")" localhost/busybox:latest
    digest=$(jq -r '.[0].Digest' <<<"$output")
    [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]
    expect_eq "$(jq -r '.[0].RepoDigests[0]' <<<"$output")" "localhost/busybox@$digest"
    expect_eq "$(jq -r '.[0].Containers' <<<"$output")" 0
    [[ "$(jq -r '.[0].CreatedAt' <<<"$output")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
    id=$(jq -r '.[0].Id' <<<"$output")
    "$CTR" create busybox true >/dev/null
    run "$CTR" images --format json
    expect_eq "$(jq -r '.[0].Containers' <<<"$output")" 1
    # image ls and image list are images.
    run "$CTR" image ls --format json
    expect_eq "$(jq -r '.[0].Id' <<<"$output")" "$id"
    run "$CTR" image list --format json
    expect_eq "$(jq -r '.[0].Id' <<<"$output")" "$id"
}

@test "images templates: fields, {{json .}}, table headers and --noheading" {
    local id
    id=$("$CTR" images -q --no-trunc)
    run "$CTR" images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
    [ "$status" -eq 0 ]
    expect_eq "$output" "localhost/busybox:latest ${id:0:12}"
    "$CTR" tag busybox second:v1
    run "$CTR" images --format '{{.Repository}}:{{.Tag}}'
    expect_eq "$(sort <<<"$output")" "$(printf 'localhost/busybox:latest\nlocalhost/second:v1')"
    run "$CTR" images --no-trunc --format '{{.ID}}' --filter reference=second
    expect_eq "$output" "sha256:$id"
    run "$CTR" images --format '{{json .}}' --filter reference=busybox
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r .Repository <<<"$output")" localhost/busybox
    expect_eq "$(jq -r .Tag <<<"$output")" latest
    expect_eq "$(jq -r .Id <<<"$output")" "$id"
    [[ "$(jq -r .Size <<<"$output")" =~ ^[0-9.]+\ (B|kB|MB)$ ]]
    [[ "$(jq -r .Created <<<"$output")" == *ago ]]
    run "$CTR" images --format 'table {{.ID}}\t{{.Repository}}\t{{.Tag}}\t{{.CreatedSince}}\t{{.Size}}' \
        --filter reference=busybox
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" =~ ^IMAGE\ ID\ +REPOSITORY\ +TAG\ +CREATED\ SINCE\ +SIZE$ ]]
    [[ "${lines[1]}" =~ ^${id:0:12}\ +localhost/busybox\ +latest\ + ]]
    run "$CTR" images --noheading --format 'table {{.Repository}}' --filter reference=busybox
    expect_eq "$output" localhost/busybox
    # 'table' alone, like no --format, is the default table; --noheading drops its header.
    run "$CTR" images --format table
    [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
    run "$CTR" images --noheading --filter reference=busybox
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" == localhost/busybox* ]]
    run "$CTR" images --format '{{.Nope}}'
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: images --format: template: can't evaluate field Nope"
    run "$CTR" images --format '{{range .Names}}{{end}}'
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: images --format: template: 'range' is not supported at offset 2"
}

@test "inspect and image inspect: --format json and templates" {
    local id
    id=$("$CTR" create --name made --label org.example.v=1.2 busybox sleep 1)
    run "$CTR" inspect --format json made
    [ "$status" -eq 0 ]
    jq '.[0]' <<<"$output" | has_members Id Created Path Args State Image ImageName Name Config \
        HostConfig Mounts
    expect_eq "$(jq -r '.[0].State.Status' <<<"$output")" created
    run "$CTR" inspect --format '{{.Name}} {{.State.Status}} {{index .Config.Labels "org.example.v"}}' made
    expect_eq "$output" "made created 1.2"
    run "$CTR" inspect --format '{{json .Config.Cmd}}' made
    expect_eq "$output" '["sleep","1"]'
    run "$CTR" inspect --format '{{json .}}' made
    expect_eq "$(jq -r .Id <<<"$output")" "$id"
    run "$CTR" image inspect --format json busybox
    [ "$status" -eq 0 ]
    jq '.[0]' <<<"$output" | has_members Id Digest RepoTags Created Os Architecture Size Config \
        RootFS
    local arch
    arch=$(jq -r '.[0].Architecture' <<<"$output")
    run "$CTR" image inspect --format '{{.Architecture}} {{len .RepoTags}}' busybox
    [ "$status" -eq 0 ]
    expect_eq "$output" "$arch 1"
    run "$CTR" image inspect --format '{{.Bogus}}' busybox
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: image inspect --format: template: can't evaluate field Bogus"
}

@test "info and version --format json parse" {
    run "$CTR" info --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r .store.root <<<"$output")" "$STORE"
    run "$CTR" version --format json
    [ "$status" -eq 0 ]
    [ "$(jq -r .version <<<"$output")" != null ]
}

@test "CTR_ROOT and CTR_RUNROOT choose the store; --root and --runroot win over them" {
    local env_root="$T/data/env-root" flag_root="$T/data/flag-root"
    local env_run="$XDG_RUNTIME_DIR/env-run" flag_run="$XDG_RUNTIME_DIR/flag-run"
    run env CTR_ROOT="$env_root" CTR_RUNROOT="$env_run" "$CTR" info --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r .store.root <<<"$output")" "$env_root"
    expect_eq "$(jq -r .store.runroot <<<"$output")" "$env_run"
    # A new store: busybox is in the default one only.
    run env CTR_ROOT="$env_root" CTR_RUNROOT="$env_run" "$CTR" images -q
    expect_eq "$output" ""
    run env CTR_ROOT="$env_root" CTR_RUNROOT="$env_run" "$CTR" --root "$flag_root" \
        --runroot "$flag_run" info --format json
    expect_eq "$(jq -r .store.root <<<"$output")" "$flag_root"
    expect_eq "$(jq -r .store.runroot <<<"$output")" "$flag_run"
    # CreateCommand names the store, for a unit that runs it again without this environment.
    env CTR_ROOT="$env_root" CTR_RUNROOT="$env_run" "$CTR" load -q \
        -i "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
    env CTR_ROOT="$env_root" CTR_RUNROOT="$env_run" "$CTR" create --name c busybox true >/dev/null
    run env CTR_ROOT="$env_root" CTR_RUNROOT="$env_run" "$CTR" inspect \
        --format '{{json .Config.CreateCommand}}' c
    expect_eq "$output" "[\"ctr\",\"--root\",\"$env_root\",\"--runroot\",\"$env_run\",\"create\",\"--name\",\"c\",\"busybox\",\"true\"]"
    env CTR_ROOT="$env_root" CTR_RUNROOT="$env_run" "$CTR" rm c >/dev/null
    # Relative, as --root takes it; empty is unset.
    run env -C "$T/data" CTR_ROOT=rel "$CTR" info --format json
    expect_eq "$(jq -r .store.root <<<"$output")" "$T/data/rel"
    run env CTR_ROOT= "$CTR" info --format json
    expect_eq "$(jq -r .store.root <<<"$output")" "$STORE"
}

@test "CTR_LOG_LEVEL sets the log level; --log-level wins over it" {
    # Creating a store migrates its schema, which is logged at debug level.
    run --separate-stderr env CTR_ROOT="$T/data/a" CTR_LOG_LEVEL=debug "$CTR" ps
    [ "$status" -eq 0 ]
    expect_contains "$stderr" "ctr: debug: migrated"
    run --separate-stderr env CTR_ROOT="$T/data/b" CTR_LOG_LEVEL=debug "$CTR" --log-level warn ps
    [ "$status" -eq 0 ]
    expect_eq "$stderr" ""
    run env CTR_LOG_LEVEL=loud "$CTR" ps
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: CTR_LOG_LEVEL: invalid log level 'loud': use error, warn, info, debug or trace"
}

@test "ctr.conf sets root, runroot and log_level under the environment and the flags" {
    cat >"$CONF" <<EOF
# ctr's own settings for this test
root = $T/data/conf-root
runroot = "$XDG_RUNTIME_DIR/conf-run"   # quoted, with a comment
log_level = debug
EOF
    run --separate-stderr "$CTR" info --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r .store.root <<<"$output")" "$T/data/conf-root"
    expect_eq "$(jq -r .store.runroot <<<"$output")" "$XDG_RUNTIME_DIR/conf-run"
    expect_contains "$stderr" "ctr: debug: migrated"
    run --separate-stderr env CTR_ROOT="$T/data/env-root" CTR_LOG_LEVEL=warn "$CTR" info --format json
    expect_eq "$(jq -r .store.root <<<"$output")" "$T/data/env-root"
    expect_eq "$(jq -r .store.runroot <<<"$output")" "$XDG_RUNTIME_DIR/conf-run"
    expect_eq "$stderr" ""
    run --separate-stderr "$CTR" --root "$T/data/flag-root" --log-level error info --format json
    expect_eq "$(jq -r .store.root <<<"$output")" "$T/data/flag-root"
    expect_eq "$stderr" ""
}

@test "ctr.conf sets run's and create's --network and --pull defaults" {
    printf 'network = none\npull = never\n' >"$CONF"
    "$CTR" create --name def busybox true >/dev/null
    run "$CTR" inspect --format '{{.HostConfig.NetworkMode}}' def
    expect_eq "$output" none
    "$CTR" create --name flag --network host busybox true >/dev/null
    run "$CTR" inspect --format '{{.HostConfig.NetworkMode}}' flag
    expect_eq "$output" host
    run "$CTR" run --rm busybox echo local images still run
    [ "$status" -eq 0 ]
    expect_eq "$output" "local images still run"
    run "$CTR" run --rm example.invalid/nothere true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: image 'example.invalid/nothere' is not in local storage and --pull=never: pull it first ('ctr pull example.invalid/nothere')"
}

@test "a bad ctr.conf is one error naming file, line and key, and every command fails" {
    printf '# settings\nroot = /tmp\nrootdir = /srv\n' >"$CONF"
    run "$CTR" ps
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: $CONF:3: unknown key 'rootdir': use root, runroot, log_level, network or pull"
    run "$CTR" --root "$STORE" images
    [ "$status" -eq 125 ]
    [ "${#lines[@]}" -eq 1 ]
    # Help and the version still work, to find out what is wrong.
    run "$CTR" --help
    [ "$status" -eq 0 ]
    run "$CTR" --version
    [ "$status" -eq 0 ]
    printf 'pull = sometimes\n' >"$CONF"
    run "$CTR" ps
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: $CONF:1: 'pull' takes missing, always or never, not 'sometimes'"
    printf '\n[engine]\n' >"$CONF"
    run "$CTR" ps
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: $CONF:2: sections are not supported: ctr.conf has only KEY = VALUE lines"
    printf 'log_level = info\nnetwork = slirp4netns:mtu=x\n' >"$CONF"
    run "$CTR" ps
    [ "$status" -eq 125 ]
    [ "${#lines[@]}" -eq 1 ]
    expect_contains "$output" "ctr: $CONF:2: 'network': invalid --network 'slirp4netns:mtu=x'"
    # XDG_CONFIG_HOME decides where the file is: elsewhere, this one is not read.
    run env XDG_CONFIG_HOME="$T/elsewhere" "$CTR" ps
    [ "$status" -eq 0 ]
}
