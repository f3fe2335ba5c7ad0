#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ctr logs, as the unprivileged user, with detached containers that really run: stdout and
# stderr kept apart and byte-exact, --tail, -t, --since/--until, -f until the container stops,
# and the monitor's rotation of ctr.log into ctr.log.1.

# shellcheck disable=SC2016 # the containers' shells expand their own variables
# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr

load helpers

bats_require_minimum_version 1.5.0

setup_file() {
    fixtures_build
    python3 "$BATS_TEST_DIRNAME/../fixtures/build-images.py" "$(fixtures_dir)" \
        --oci-archive busybox "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
}

setup() {
    store_setup
    "$CTR" load -q -i "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
}

teardown() {
    local pid
    for pid in ${FOLLOWERS:-}; do
        kill "$pid" 2>/dev/null || true
    done
    store_teardown
}

# Waits up to 20 s for container $1 to exit.
wait_exited() {
    for _ in $(seq 200); do
        [ "$("$CTR" inspect --format '{{.State.Status}}' "$1")" = exited ] && return 0
        sleep 0.1
    done
    echo "container $1 did not exit" >&2
    return 1
}

# Waits up to 20 s for `ctr logs $1` to print a line $2.
wait_line() {
    for _ in $(seq 200); do
        "$CTR" logs "$1" 2>/dev/null | grep -qxF -- "$2" && return 0
        sleep 0.1
    done
    echo "no line '$2' in the log of $1" >&2
    return 1
}

# The log file of container $1.
log_file() {
    printf '%s/ctr/containers/%s/ctr.log\n' "$XDG_DATA_HOME" "$("$CTR" inspect --format '{{.Id}}' "$1")"
}

@test "logs writes the container's stdout to stdout and its stderr to stderr" {
    # The monitor reads two pipes: a pause between writes keeps their order in the log.
    "$CTR" run -d --name io busybox sh -c '
        echo out1; sleep 0.2; echo err1 >&2; sleep 0.2
        echo out2; sleep 0.2; echo err2 >&2' >/dev/null
    wait_exited io
    run --separate-stderr "$CTR" logs io
    [ "$status" -eq 0 ]
    expect_eq "$output" "$(printf 'out1\nout2')"
    expect_eq "$stderr" "$(printf 'err1\nerr2')"
    "$CTR" logs io >"$T/out" 2>"$T/err"
    printf 'out1\nout2\n' | cmp - "$T/out"
    printf 'err1\nerr2\n' | cmp - "$T/err"
    # Both on one stream keep the container's order.
    run "$CTR" logs io
    expect_eq "$output" "$(printf 'out1\nerr1\nout2\nerr2')"
}

@test "logs is byte-exact: NUL and other bytes, long lines, output without a final newline" {
    "$CTR" run -d --name bin busybox sh -c '
        printf "err\x00\xfe" >&2; sleep 0.2; printf "\n" >&2; sleep 0.2
        printf "a\x00b\x01\xff\tz\r\n"
        printf "\x00\x00\n"
        printf "\n"
        head -c 40000 /dev/zero | tr "\0" x; echo
        printf "no newline"' >/dev/null
    wait_exited bin
    "$CTR" logs bin >"$T/out" 2>"$T/err"
    {
        printf 'a\x00b\x01\xff\tz\r\n\x00\x00\n\n'
        head -c 40000 /dev/zero | tr '\0' x
        echo
        printf 'no newline'
    } >"$T/want-out"
    printf 'err\x00\xfe\n' >"$T/want-err"
    cmp "$T/want-out" "$T/out"
    cmp "$T/want-err" "$T/err"
    # The 40000-byte line was logged in 16 KiB parts (P, P, F), the last bytes as P; --tail
    # counts the parts of a line as one.
    "$CTR" logs --tail 2 bin >"$T/tail" 2>/dev/null
    { head -c 40000 /dev/zero | tr '\0' x; echo; printf 'no newline'; } | cmp - "$T/tail"
    [ "$(grep -a -c ' stdout P ' "$(log_file bin)")" -eq 3 ]
}

@test "logs --tail prints the last N lines of both streams" {
    "$CTR" run -d --name tl busybox sh -c '
        for i in 1 2 3 4 5; do echo "line $i"; done
        sleep 0.2; echo oops >&2; sleep 0.2; echo "line 6"' >/dev/null
    wait_exited tl
    run "$CTR" logs --tail 3 tl
    [ "$status" -eq 0 ]
    expect_eq "$output" "$(printf 'line 5\noops\nline 6')"
    run --separate-stderr "$CTR" logs --tail 2 tl
    expect_eq "$output" "line 6"
    expect_eq "$stderr" "oops"
    run "$CTR" logs -n 1 tl
    expect_eq "$output" "line 6"
    run "$CTR" logs --tail 0 tl
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
    run "$CTR" logs --tail 100 tl
    [ "${#lines[@]}" -eq 7 ]
    run "$CTR" logs --tail -1 tl
    [ "${#lines[@]}" -eq 7 ]
    run "$CTR" logs --tail x tl
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: logs --tail takes a number from 0 to 2147483647, got 'x': see 'ctr logs --help'"
}

@test "logs -t starts each line with its RFC 3339 time" {
    "$CTR" run -d --name ts busybox sh -c 'echo one; echo two >&2; printf "three"' >/dev/null
    wait_exited ts
    run --separate-stderr "$CTR" logs -t ts
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    local re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z '
    [[ "${lines[0]}" =~ ${re}one$ ]]
    [[ "${lines[1]}" =~ ${re}three$ ]]
    [[ "$stderr" =~ ${re}two$ ]]
    # The times are the ones in the log file.
    expect_eq "${lines[0]}" "$(sed -n 's/ stdout F / /p' "$(log_file ts)" | head -n 1)"
    run "$CTR" logs --timestamps --tail 1 ts
    [[ "$output" =~ ${re}three$ ]]
}

@test "logs --since and --until take RFC 3339 times, unix seconds and durations" {
    "$CTR" run -d --name tm busybox sh -c 'echo first; sleep 4; echo second' >/dev/null
    wait_line tm first
    sleep 2
    local mid
    mid=$(date +%s)
    wait_line tm second
    wait_exited tm
    local t1 t2
    t1=$("$CTR" logs -t tm | sed -n 's/ first$//p')
    t2=$("$CTR" logs -t tm | sed -n 's/ second$//p')
    [ -n "$t1" ] && [ -n "$t2" ]

    run "$CTR" logs --since "$t2" tm
    expect_eq "$output" second
    run "$CTR" logs --until "$t2" tm
    expect_eq "$output" first
    run "$CTR" logs --since "$t1" --until "$t2" tm
    expect_eq "$output" first
    run "$CTR" logs --since "$mid" tm
    expect_eq "$output" second
    run "$CTR" logs --until "$mid" tm
    expect_eq "$output" first
    run "$CTR" logs --since "$mid.5" tm
    expect_eq "$output" second
    # The same instant with an offset.
    run "$CTR" logs --since "$(date -u -d "@$mid" +%Y-%m-%dT%H:%M:%S)+00:00" tm
    expect_eq "$output" second
    # Durations count back from now.
    run "$CTR" logs --since 1h tm
    expect_eq "$output" "$(printf 'first\nsecond')"
    run "$CTR" logs --since 1h30m5s tm
    [ "${#lines[@]}" -eq 2 ]
    run "$CTR" logs --until 1h tm
    expect_eq "$output" ""
    run "$CTR" logs --since 0.5ms tm
    expect_eq "$output" ""
    run "$CTR" logs --since 2099-01-01 tm
    expect_eq "$output" ""
    run "$CTR" logs --since 1970-01-02 tm
    [ "${#lines[@]}" -eq 2 ]
    run "$CTR" logs --since yesterday tm
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: logs --since takes an RFC 3339 time, unix seconds or a duration such as '10m', got 'yesterday': see 'ctr logs --help'"
    run "$CTR" logs --until 5x tm
    [ "$status" -eq 125 ]
}

@test "logs -f follows a running container until ctr stop, then exits 0" {
    "$CTR" run -d --name fl busybox sh -c '
        trap "echo bye; echo bye-err >&2; exit 0" TERM
        i=0
        while :; do echo "tick $i"; i=$((i + 1)); sleep 0.2; done' >/dev/null
    wait_line fl "tick 0"
    "$CTR" logs -f fl >"$T/out" 2>"$T/err" 3>&- &
    local follower=$!
    FOLLOWERS=$follower
    # New lines arrive while it follows.
    for _ in $(seq 100); do
        grep -qxF "tick 5" "$T/out" && break
        sleep 0.1
    done
    grep -qxF "tick 5" "$T/out"
    kill -0 "$follower"
    "$CTR" stop fl >/dev/null
    local rc=0
    for _ in $(seq 100); do
        kill -0 "$follower" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$follower" 2>/dev/null; then
        echo "logs -f still runs after the container stopped" >&2
        return 1
    fi
    wait "$follower" || rc=$?
    [ "$rc" -eq 0 ]
    # Everything, once: the same as what logs prints afterwards.
    expect_eq "$(tail -n 1 "$T/out")" bye
    expect_eq "$(cat "$T/err")" bye-err
    "$CTR" logs fl 2>/dev/null | cmp - "$T/out"
    [ "$(grep -c '^tick 0$' "$T/out")" -eq 1 ]
}

@test "logs -f on an exited container prints its log and exits; --tail applies first" {
    "$CTR" run -d --name done1 busybox sh -c 'echo a; echo b; echo c' >/dev/null
    wait_exited done1
    run timeout 10 "$CTR" logs -f done1
    [ "$status" -eq 0 ]
    expect_eq "$output" "$(printf 'a\nb\nc')"
    run timeout 10 "$CTR" logs -f --tail 1 done1
    [ "$status" -eq 0 ]
    expect_eq "$output" c
}

@test "logs -f --tail 0 prints only new output" {
    "$CTR" run -d --name nw busybox sh -c 'echo old; sleep 2; echo new' >/dev/null
    wait_line nw old
    run timeout 20 "$CTR" logs -f --tail 0 nw
    [ "$status" -eq 0 ]
    expect_eq "$output" new
}

@test "logs survives rotation: ctr.log.1 then ctr.log, and -f reads every line across rotations" {
    "$CTR" run -d --name rot busybox sh -c 'yes | head -c 9000000; echo END' >/dev/null
    # Follow from the start: every one of the 4.5 million lines, across the rotations.
    run timeout 120 bash -c '"$CTR" logs -f rot | sort | uniq -c'
    [ "$status" -eq 0 ]
    expect_eq "$(echo "$output" | awk '{$1=$1; print}')" "$(printf '1 END\n4500000 y')"
    wait_exited rot
    local log
    log=$(log_file rot)
    [ -s "$log.1" ]
    [ "$(stat -c %s "$log.1")" -le $((8 * 1024 * 1024)) ]
    # What is kept: all of ctr.log.1, then ctr.log, ending with the last line.
    run "$CTR" logs rot
    [ "$status" -eq 0 ]
    expect_eq "${lines[-1]}" END
    expect_eq "$(printf '%s\n' "${lines[@]}" | sort -u | tr '\n' ' ')" "END y "
    expect_eq "${#lines[@]}" "$(cat "$log.1" "$log" | wc -l)"
    run "$CTR" logs --tail 3 rot
    expect_eq "$output" "$(printf 'y\ny\nEND')"
}

@test "logs skips damaged lines" {
    "$CTR" run -d --name dmg busybox sh -c 'echo good1; echo good2' >/dev/null
    wait_exited dmg
    local log
    log=$(log_file dmg)
    {
        echo "garbage without fields"
        echo "2026-13-01T00:00:00Z stdout F bad month"
        echo "2026-01-01T00:00:00Z stdin F bad stream"
        echo "2026-01-01T00:00:00Z stdout X bad flag"
        echo "2026-01-01T00:00:00.5Z stdout F good3"
        printf '2026-01-01T00:00:00Z stdout F cut off'
    } >>"$log"
    run "$CTR" logs dmg
    [ "$status" -eq 0 ]
    expect_eq "$output" "$(printf 'good1\ngood2\ngood3')"
}

@test "logs of a container run in the foreground prints nothing" {
    run "$CTR" run --name fg busybox echo hello
    [ "$status" -eq 0 ]
    expect_eq "$output" hello
    run "$CTR" logs fg
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
    run timeout 10 "$CTR" logs -f fg
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
    "$CTR" create --name never busybox true >/dev/null
    run timeout 10 "$CTR" logs -f never
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
}

@test "logs usage errors and a missing container are one line" {
    run "$CTR" logs
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: logs needs a container: see 'ctr logs --help'"
    run "$CTR" logs a b
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: logs takes one container, got 2: see 'ctr logs --help'"
    run "$CTR" logs nosuch
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no container with name or id 'nosuch' found"
    run "$CTR" logs --bogus x
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: logs unknown option '--bogus': see 'ctr logs --help'"
    run "$CTR" logs --help
    [ "$status" -eq 0 ]
    expect_contains "$output" "Usage: ctr logs [OPTIONS] CONTAINER"
}

@test "container logs is ctr logs" {
    "$CTR" run -d --name cl busybox sh -c 'echo via-container' >/dev/null
    wait_exited cl
    run "$CTR" container logs cl
    [ "$status" -eq 0 ]
    expect_eq "$output" via-container
}
