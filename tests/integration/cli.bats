#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The command-line frame: dispatch, help, version, global options, and errors.

load helpers

setup() {
    export XDG_DATA_HOME="$BATS_TEST_TMPDIR/data"
    export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
    mkdir -m 0700 "$XDG_RUNTIME_DIR"
}

@test "--help lists the commands from the table with their summaries" {
    run "$CTR" --help
    [ "$status" -eq 0 ]
    expect_contains "$output" "Usage: ctr [OPTIONS] COMMAND"
    expect_contains "$output" "  info         Show what this host and user can run, and what to fix"
    expect_contains "$output" "  version      Show the version of ctr and its libraries"
    expect_contains "$output" "--root DIR"
    expect_contains "$output" "--runroot DIR"
    expect_contains "$output" "--log-level LEVEL"
    expect_contains "$output" "  run          Create a container from an image and start it"
    expect_contains "$output" "  ps           List containers"
    expect_contains "$output" "  port         List a container's published ports"
    expect_contains "$output" "  generate     Generate files that run containers (systemd units)"
}

@test "help needs no storage and creates none" {
    run "$CTR" --help
    [ "$status" -eq 0 ]
    run "$CTR" info --help
    [ "$status" -eq 0 ]
    run "$CTR" help info
    [ "$status" -eq 0 ]
    [ ! -e "$XDG_DATA_HOME" ]
    [ -z "$(ls -A "$XDG_RUNTIME_DIR")" ]
}

@test "help CMD and CMD --help print the same text" {
    run "$CTR" help info
    [ "$status" -eq 0 ]
    local via_help=$output
    run "$CTR" info --help
    [ "$status" -eq 0 ]
    expect_eq "$output" "$via_help"
    expect_contains "$output" "Usage: ctr info [--format json]"
}

@test "no command prints one line and exits 125" {
    run "$CTR"
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no command given: see 'ctr --help'"
}

@test "an unknown command is one line with exit 125" {
    run "$CTR" frobnicate
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: unknown command 'frobnicate': see 'ctr --help'"
    run "$CTR" help frobnicate
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: unknown command 'frobnicate': see 'ctr --help'"
}

@test "an unknown global option is one line with exit 125" {
    run "$CTR" --frobnicate info
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: unknown option '--frobnicate': see 'ctr --help'"
    run "$CTR" -x info
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: unknown option '-x': see 'ctr --help'"
}

@test "an unknown command option names the command" {
    run "$CTR" info --bogus
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: info unknown option '--bogus': see 'ctr info --help'"
    run "$CTR" version --format
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: version option '--format' needs a value: see 'ctr version --help'"
    run "$CTR" info --format yaml
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: info unknown format 'yaml': use 'json' or 'text': see 'ctr info --help'"
    run "$CTR" version extra
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: version takes no arguments, got 'extra': see 'ctr version --help'"
}

@test "a missing global option value is named" {
    run "$CTR" --root
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: option '--root' needs a value: see 'ctr --help'"
    run "$CTR" --log-level loud info
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: invalid log level 'loud': use error, warn, info, debug or trace"
}

@test "--version and version show ctr and its libraries" {
    run "$CTR" --version
    [ "$status" -eq 0 ]
    local long=$output
    run "$CTR" version
    [ "$status" -eq 0 ]
    expect_eq "$output" "$long"
    [[ "${lines[0]}" =~ ^ctr\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
    # Each library's version as the system's packages report it.
    local sqlite_v seccomp_v archive_v curl_v jansson_v cap_v crypto_v
    sqlite_v=$(pkg-config --modversion sqlite3)
    seccomp_v=$(pkg-config --modversion libseccomp)
    archive_v=$(pkg-config --modversion libarchive)
    curl_v=$(pkg-config --modversion libcurl)
    jansson_v=$(pkg-config --modversion jansson)
    cap_v=$(pkg-config --modversion libcap)
    crypto_v=$(pkg-config --modversion libcrypto)
    expect_contains "$output" "sqlite      $sqlite_v"
    expect_contains "$output" "libseccomp  $seccomp_v"
    expect_contains "$output" "libarchive  $archive_v"
    expect_contains "$output" "libcurl     $curl_v"
    expect_contains "$output" "jansson     $jansson_v"
    expect_contains "$output" "libcap      $cap_v"
    expect_contains "$output" "libcrypto   $crypto_v"
}

@test "version --format json is machine-readable" {
    run "$CTR" version --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r '.libraries | keys | join(",")' <<<"$output")" \
        "jansson,libarchive,libcap,libcrypto,libcurl,libseccomp,sqlite"
    [[ "$(jq -r .version <<<"$output")" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "--root and --runroot choose where state goes, relative paths made absolute" {
    cd "$BATS_TEST_TMPDIR"
    run "$CTR" --root rootdir --runroot rundir info --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r .store.root <<<"$output")" "$BATS_TEST_TMPDIR/rootdir"
    expect_eq "$(jq -r .store.runroot <<<"$output")" "$BATS_TEST_TMPDIR/rundir"
    [ -f "$BATS_TEST_TMPDIR/rootdir/ctr.db" ]
    [ ! -e "$XDG_DATA_HOME" ]
}

@test "--log-level debug shows the library's debug lines" {
    run "$CTR" --log-level debug info --format json
    [ "$status" -eq 0 ]
    expect_contains "$output" "ctr: debug: migrated '$XDG_DATA_HOME/ctr/ctr.db' to schema version 1"
}

@test "a write error on stdout is an error, not silent success" {
    run sh -c '"$1" version >/dev/full' sh "$CTR"
    [ "$status" -eq 125 ]
    expect_contains "$output" "ctr: write output: No space left on device"
}
