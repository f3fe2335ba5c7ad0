#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ctr ps (and ctr container ls/prune), as the unprivileged user, with containers that really
# run: the table, states and exit codes, every filter, -q/-n/-l/--no-trunc, --format json and
# Go templates with Podman's field names and headers.

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
    "$CTR" load -q -i "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
}

teardown() {
    store_teardown
}

# The first line of `ctr ps` output matching NAME at its end.
row_of() {
    grep -E "  $1\$" <<<"$output"
}

@test "ps lists running containers only, with Podman's columns and header" {
    "$CTR" run -d --name up1 busybox sleep 100 >/dev/null
    "$CTR" create --name made busybox true >/dev/null
    run "$CTR" ps
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" =~ ^CONTAINER\ ID\ \ IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
    [[ "${lines[1]}" =~ ^[0-9a-f]{12}\ \ localhost/busybox:latest\ \ sleep\ 100\ +(Less\ than\ a\ second|[0-9]+\ seconds?)\ ago\ +Up\ (Less\ than\ a\ second|[0-9]+\ seconds?)\ +up1$ ]]
    # The columns line up under the header, as Go's tabwriter aligns Podman's.
    local h=${lines[0]} r=${lines[1]}
    local col
    for col in IMAGE COMMAND CREATED STATUS NAMES; do
        local before=${h%%"$col"*}
        [ "${r:${#before}-2:2}" = "  " ]
        [ "${r:${#before}:1}" != " " ]
    done
}

@test "ps -a shows created, running and exited containers newest first, with exit codes" {
    "$CTR" run -d --name first busybox sleep 100 >/dev/null
    run "$CTR" run --name second busybox sh -c 'exit 3'
    [ "$status" -eq 3 ]
    "$CTR" create --name third busybox true >/dev/null
    run "$CTR" ps -a --format '{{.Names}}'
    [ "$status" -eq 0 ]
    expect_eq "$output" "$(printf 'third\nsecond\nfirst')"
    run "$CTR" ps -a
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 4 ]
    [[ "$(row_of second)" =~ \ Exited\ \(3\)\ (Less\ than\ a\ second|[0-9]+\ seconds?)\ ago\ +second$ ]]
    [[ "$(row_of third)" =~ \ Created\ +third$ ]]
    [[ "$(row_of first)" =~ \ Up\ .*\ +first$ ]]
}

@test "ps shows a lost exit code as unknown" {
    local id pid
    id=$("$CTR" run -d --name lost busybox sleep 100)
    # Killing the monitor takes the container with it (PR_SET_PDEATHSIG) and its code is lost.
    pid=$(pgrep -u "$(id -u)" -f "ctr-monitor .* $id " | head -n 1)
    [ -n "$pid" ]
    kill -9 "$pid"
    for _ in $(seq 50); do
        run "$CTR" ps -a --format '{{.State}}'
        [ "$output" = exited ] && break
        sleep 0.1
    done
    run "$CTR" ps -a --format '{{.Status}}|{{.ExitCode}}'
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^Exited\ \(unknown\)\ .*ago\|-1$ ]]
    run "$CTR" ps -a
    [[ "$(row_of lost)" == *"Exited (unknown) "* ]]
}

@test "ps truncates ids and commands as Podman does, --no-trunc shows them whole" {
    local id
    id=$("$CTR" run -d --name long busybox sh -c 'sleep 100; echo aaaaaaaaaaaaaaaaaaaaa')
    run "$CTR" ps
    [ "$status" -eq 0 ]
    [[ "${lines[1]}" == "${id:0:12}  localhost/busybox:latest  sh -c sleep 100; ...  "* ]]
    run "$CTR" ps --no-trunc
    [ "$status" -eq 0 ]
    [[ "${lines[1]}" == "$id  localhost/busybox:latest  sh -c sleep 100; echo aaaaaaaaaaaaaaaaaaaaa  "* ]]
    run "$CTR" ps --format '{{.ID}} {{.Command}} {{.ImageID}}'
    [[ "$output" =~ ^${id:0:12}\ sh\ -c\ sleep\ 100\;\ \.\.\.\ [0-9a-f]{12}$ ]]
    run "$CTR" ps --no-trunc --format '{{.ID}} {{.ImageID}}'
    [[ "$output" =~ ^$id\ [0-9a-f]{64}$ ]]
}

@test "ps -q prints ids; -n and -l pick the newest in any state" {
    local a b c
    a=$("$CTR" run -d busybox sleep 100)
    b=$("$CTR" create busybox true)
    c=$("$CTR" run -d busybox sleep 100)
    run "$CTR" ps -q
    expect_eq "$output" "$(printf '%s\n%s' "${c:0:12}" "${a:0:12}")"
    run "$CTR" ps -aq
    expect_eq "$output" "$(printf '%s\n%s\n%s' "${c:0:12}" "${b:0:12}" "${a:0:12}")"
    run "$CTR" ps -q --no-trunc
    expect_eq "$output" "$(printf '%s\n%s' "$c" "$a")"
    run "$CTR" ps -q -n 2
    expect_eq "$output" "$(printf '%s\n%s' "${c:0:12}" "${b:0:12}")"
    run "$CTR" ps -q --last 5
    [ "${#lines[@]}" -eq 3 ]
    run "$CTR" ps -q -l
    expect_eq "$output" "${c:0:12}"
    run "$CTR" ps --latest --format '{{.ID}}'
    expect_eq "$output" "${c:0:12}"
    # --format wins over --quiet, as in Podman.
    run "$CTR" ps -q -a --format '{{.Names}}-x' -n 1
    [[ "$output" == *-x ]]
}

@test "ps --filter: status, name, id, ancestor, label, exited; same keys OR, different keys AND" {
    local up ex cr img
    up=$("$CTR" run -d --name web-1 --label app=web --label tier=front busybox sleep 100)
    run "$CTR" run --name job-1 --label app=batch busybox sh -c 'exit 2'
    ex=$("$CTR" ps -aq --no-trunc -f name=job-1)
    cr=$("$CTR" create --name web-2 --label app=web busybox true)
    img=$("$CTR" images -q)

    names() {
        run "$CTR" ps "$@" --format '{{.Names}}'
        [ "$status" -eq 0 ]
        [ -z "$output" ] || echo "$output" | sort | tr '\n' ' '
    }
    # A status filter shows every state it names, without -a (as Docker and Podman do).
    expect_eq "$(names -f status=exited)" "job-1 "
    expect_eq "$(names -f status=created)" "web-2 "
    expect_eq "$(names -f status=running)" "web-1 "
    expect_eq "$(names -f status=stopped)" "job-1 "
    expect_eq "$(names -f status=created -f status=exited)" "job-1 web-2 "
    # Names match as an unanchored regular expression.
    expect_eq "$(names -a -f name=web)" "web-1 web-2 "
    expect_eq "$(names -a -f name='^web-[2-9]$')" "web-2 "
    expect_eq "$(names -a -f name=web-1 -f name=job)" "job-1 web-1 "
    expect_eq "$(names -a -f name=nomatch)" ""
    # Ids by prefix.
    expect_eq "$(names -a -f id="${up:0:5}")" "web-1 "
    expect_eq "$(names -a -f id="$ex")" "job-1 "
    expect_eq "$(names -a -f id="${up:0:8}" -f id="${cr:0:8}")" "web-1 web-2 "
    # Ancestors: short name, full name, with tag, id prefix; a wrong tag matches nothing.
    expect_eq "$(names -a -f ancestor=busybox)" "job-1 web-1 web-2 "
    expect_eq "$(names -a -f ancestor=busybox:latest)" "job-1 web-1 web-2 "
    expect_eq "$(names -a -f ancestor=localhost/busybox:latest)" "job-1 web-1 web-2 "
    expect_eq "$(names -a -f ancestor="$img")" "job-1 web-1 web-2 "
    expect_eq "$(names -a -f ancestor=sha256:"$img")" "job-1 web-1 web-2 "
    expect_eq "$(names -a -f ancestor=busybox:1.0)" ""
    expect_eq "$(names -a -f ancestor=alpine)" ""
    # Labels: KEY or KEY=VALUE; every label filter must hold.
    expect_eq "$(names -a -f label=app)" "job-1 web-1 web-2 "
    expect_eq "$(names -a -f label=app=web)" "web-1 web-2 "
    expect_eq "$(names -a -f label=app=web -f label=tier=front)" "web-1 "
    expect_eq "$(names -a -f label=tier)" "web-1 "
    expect_eq "$(names -a -f label=app=we)" ""
    # Exit codes.
    expect_eq "$(names -a -f exited=2)" "job-1 "
    expect_eq "$(names -a -f exited=0)" ""
    # Different keys: all must hold.
    expect_eq "$(names -a -f label=app=web -f status=running)" "web-1 "
    expect_eq "$(names -a -f name=web -f status=exited)" ""
    # Without -a, only running containers pass the other filters.
    expect_eq "$(names -f label=app=web)" "web-1 "
}

@test "ps --filter and option errors are one line naming the mistake" {
    run "$CTR" ps -f foo=bar
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: ps unknown filter 'foo': use status, name, id, ancestor, label or exited: see 'ctr ps --help'"
    run "$CTR" ps -f status
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: ps --filter takes KEY=VALUE, got 'status': see 'ctr ps --help'"
    run "$CTR" ps -f status=sleeping
    [ "$status" -eq 125 ]
    expect_contains "$output" "ctr: ps --filter status='sleeping': use created, running, exited"
    run "$CTR" ps -f 'name=['
    [ "$status" -eq 125 ]
    expect_contains "$output" "ctr: ps --filter name='[': "
    run "$CTR" ps -f exited=x
    [ "$status" -eq 125 ]
    run "$CTR" ps -n x
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: ps --last takes a number from 0 to 2147483647, got 'x': see 'ctr ps --help'"
    run "$CTR" ps -l -n 2
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: ps --last and --latest cannot be used together: see 'ctr ps --help'"
    run "$CTR" ps extra
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: ps takes no arguments, got 'extra': see 'ctr ps --help'"
    run "$CTR" ps --bogus
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: ps unknown option '--bogus': see 'ctr ps --help'"
    run "$CTR" ps --format '{{.Nope}}' -a
    [ "$status" -eq 0 ] # no rows: nothing to evaluate
    "$CTR" create busybox true >/dev/null
    run "$CTR" ps --format '{{.Nope}}' -a
    [ "$status" -eq 125 ]
    expect_contains "$output" "can't evaluate field Nope"
    run "$CTR" ps --format '{{.ID'
    [ "$status" -eq 125 ]
    expect_contains "$output" "ctr: ps --format: template: "
}

@test "ps --help needs no store" {
    run "$CTR" ps --help
    [ "$status" -eq 0 ]
    expect_contains "$output" "Usage: ctr ps [OPTIONS]"
    expect_contains "$output" "--filter KEY=VALUE"
    run "$CTR" help ps
    [ "$status" -eq 0 ]
    expect_contains "$output" "Usage: ctr ps [OPTIONS]"
}

@test "ps --format json has Podman's members" {
    local id
    mkdir "$BATS_TEST_TMPDIR/vol"
    id=$("$CTR" run -d --name j1 --label a=1 --label b=two -v "$BATS_TEST_TMPDIR/vol:/data" \
        busybox sleep 100)
    run "$CTR" run --name j2 busybox sh -c 'exit 7'
    run "$CTR" ps --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq length <<<"$output")" 1
    run "$CTR" ps -a --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq length <<<"$output")" 2
    local j1 j2 now
    j1=$(jq '.[] | select(.Names[0] == "j1")' <<<"$output")
    j2=$(jq '.[] | select(.Names[0] == "j2")' <<<"$output")
    now=$(date +%s)
    expect_eq "$(jq -r .Id <<<"$j1")" "$id"
    expect_eq "$(jq -c .Names <<<"$j1")" '["j1"]'
    expect_eq "$(jq -r .Image <<<"$j1")" localhost/busybox:latest
    expect_eq "$(jq -r .ImageID <<<"$j1")" "$(jq -r '.[0].Id' <<<"$("$CTR" image inspect busybox)")"
    expect_eq "$(jq -c .Command <<<"$j1")" '["sleep","100"]'
    expect_eq "$(jq -r .State <<<"$j1")" running
    [[ "$(jq -r .Status <<<"$j1")" == "Up "* ]]
    expect_eq "$(jq -r .Exited <<<"$j1")" false
    expect_eq "$(jq -r .ExitCode <<<"$j1")" 0
    expect_eq "$(jq -c .Labels <<<"$j1")" '{"a":"1","b":"two"}'
    expect_eq "$(jq -c .Mounts <<<"$j1")" '["/data"]'
    expect_eq "$(jq -c .Ports <<<"$j1")" '[]'
    expect_eq "$(jq -r .AutoRemove <<<"$j1")" false
    [ "$(jq -r .Pid <<<"$j1")" -gt 0 ]
    [ -d "/proc/$(jq -r .Pid <<<"$j1")" ]
    local created started
    created=$(jq -r .Created <<<"$j1")
    started=$(jq -r .StartedAt <<<"$j1")
    [ "$created" -le "$now" ] && [ "$created" -gt $((now - 60)) ]
    [ "$started" -ge "$created" ] && [ "$started" -le "$now" ]
    [[ "$(jq -r .CreatedAt <<<"$j1")" == *" ago" ]]

    expect_eq "$(jq -r .State <<<"$j2")" exited
    expect_eq "$(jq -r .Exited <<<"$j2")" true
    expect_eq "$(jq -r .ExitCode <<<"$j2")" 7
    expect_eq "$(jq -r .Pid <<<"$j2")" 0
    [[ "$(jq -r .Status <<<"$j2")" == "Exited (7) "*" ago" ]]
    [ "$(jq -r .ExitedAt <<<"$j2")" -ge "$(jq -r .StartedAt <<<"$j2")" ]
    expect_eq "$(jq -c .Labels <<<"$j2")" '{}'

    # No containers: an empty array.
    "$CTR" rm -af >/dev/null
    run "$CTR" ps -a --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq -c . <<<"$output")" '[]'
}

@test "ps --format takes Go templates with Podman's field names; 'table' adds a header" {
    local id
    mkdir "$BATS_TEST_TMPDIR/vol"
    id=$("$CTR" run -d --name t1 --label app=web -v "$BATS_TEST_TMPDIR/vol:/data" \
        busybox sleep 100)
    run "$CTR" ps --format '{{.ID}} {{.Names}} {{.Status}}'
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^${id:0:12}\ t1\ Up\ .+$ ]]
    run "$CTR" ps --format '{{.Image}}|{{.State}}|{{.Command}}|{{.Ports}}|{{.Mounts}}|{{.Labels.app}}|{{.ExitCode}}'
    expect_eq "$output" "localhost/busybox:latest|running|sleep 100||[/data]|web|0"
    run "$CTR" ps --format '{{.Pid}} {{.RunningFor}} {{.CreatedAt}}'
    [[ "$output" =~ ^[1-9][0-9]*\ .+\ ago\ [0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}(\.[0-9]+)?\ [-+][0-9]{4}\ .+$ ]]
    run "$CTR" ps --format '{{json .Labels}} {{upper .Names}}'
    expect_eq "$output" '{"app":"web"} T1'

    run "$CTR" ps --format 'table {{.ID}}\t{{.Names}}\t{{.RunningFor}}\t{{.Status}}\t{{.Image}}'
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" =~ ^CONTAINER\ ID\ \ NAMES\ +CREATED\ +STATUS\ +IMAGE$ ]]
    [[ "${lines[1]}" =~ ^${id:0:12}\ \ t1\ +.+\ ago\ +Up\ .+\ +localhost/busybox:latest$ ]]
    run "$CTR" ps --format 'table {{.Names}} {{.State}} {{.ExitCode}} {{.ImageID}} {{.Labels}}'
    expect_eq "${lines[0]}" "NAMES STATE EXIT CODE IMAGE ID LABELS"
    # --noheading drops it; without 'table' there is none.
    run "$CTR" ps --noheading --format 'table {{.Names}}'
    expect_eq "$output" "t1"
    run "$CTR" ps --format '{{.Names}}'
    expect_eq "$output" "t1"
    # 'table' alone is the default table.
    run "$CTR" ps --format table
    [[ "${lines[0]}" =~ ^CONTAINER\ ID\ \ IMAGE\ +COMMAND ]]
    run "$CTR" ps --noheading
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" == "${id:0:12}  "* ]]
}

@test "container ls, list and ps are ctr ps; unknown subcommands are one line" {
    "$CTR" run -d --name c1 busybox sleep 100 >/dev/null
    "$CTR" create --name c2 busybox true >/dev/null
    run "$CTR" ps -a --format '{{.Names}}'
    local want=$output
    local sub
    for sub in ls list ps; do
        run "$CTR" container "$sub" -a --format '{{.Names}}'
        [ "$status" -eq 0 ]
        expect_eq "$output" "$want"
    done
    run "$CTR" container ls
    [ "${#lines[@]}" -eq 2 ]
    run "$CTR" container inspect --format '{{.Name}}' c2
    expect_eq "$output" c2
    run "$CTR" container frob
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: container has no command 'frob': see 'ctr container --help'"
    run "$CTR" container --help
    [ "$status" -eq 0 ]
    expect_contains "$output" "  prune        Remove every container that is not running"
    run "$CTR" container
    [ "$status" -eq 125 ]
}

@test "container prune removes every container that is not running, asking first" {
    local up ex cr
    up=$("$CTR" run -d --name keep busybox sleep 100)
    run "$CTR" run --name gone1 busybox true
    ex=$("$CTR" ps -aq --no-trunc -f name=gone1)
    cr=$("$CTR" create --name gone2 busybox true)
    # Without a terminal it does not ask: it refuses.
    run "$CTR" container prune </dev/null
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: container prune asks before removing, but standard input is not a terminal: use --force"
    [ "$("$CTR" ps -aq | wc -l)" -eq 3 ]
    if command -v script >/dev/null; then
        run script -qec "'$CTR' container prune" /dev/null <<<"n"
        expect_contains "$output" "WARNING! This will remove all non running containers."
        expect_contains "$output" "Are you sure you want to continue? [y/N]"
        [ "$("$CTR" ps -aq | wc -l)" -eq 3 ]
    fi
    run "$CTR" container prune -f
    [ "$status" -eq 0 ]
    expect_eq "$(sort <<<"$output")" "$(printf '%s\n%s\n' "$ex" "$cr" | sort)"
    run "$CTR" ps -aq --no-trunc
    expect_eq "$output" "$up"
    [ ! -e "$XDG_DATA_HOME/ctr/containers/$ex" ]
    [ ! -e "$XDG_DATA_HOME/ctr/containers/$cr" ]
    run "$CTR" container prune --force
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
}

@test "ps lists 1000 containers in every format" {
    # How fast is bench/run.sh's to measure, not a test's.
    local i
    for i in $(seq 1000); do
        "$CTR" create --label n="$i" busybox true >/dev/null
    done
    run "$CTR" ps -a
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1001 ]
    run "$CTR" ps -a --format json
    [ "$status" -eq 0 ]
    expect_eq "$(jq length <<<"$output")" 1000
    run "$CTR" ps -a --format '{{.ID}} {{.Labels}}'
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1000 ]
    expect_eq "$(grep -cE '^[0-9a-f]{12} \{"n":"[0-9]+"\}$' <<<"$output")" 1000
    run "$CTR" ps -a -q
    [ "${#lines[@]}" -eq 1000 ]
    run "$CTR" ps -a -f label=n=500 --format '{{.Labels.n}}'
    expect_eq "$output" 500
}
