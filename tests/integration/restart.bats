#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# --restart: the policies as the container's monitor carries them out (on-failure[:N], always,
# unless-stopped, no), what stops them (ctr stop, kill, rm -f, even between two runs), what a
# start by the user resets, the foreground, ctr wait, and inspect's RestartPolicy,
# RestartCount and CreateCommand.

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
    fixtures_build >/dev/null
}

setup() {
    store_setup
    load_busybox
}

teardown() {
    store_teardown
}

field() { # CONTAINER TEMPLATE
    "$CTR" inspect --format "$2" "$1"
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

state_is() { # CONTAINER STATE
    [ "$(field "$1" '{{.State.Status}}')" = "$2" ]
}

count_at_least() { # CONTAINER N
    local n
    n=$(field "$1" '{{.RestartCount}}') || return 1
    ((n >= $2))
}

# The container is exited, with its exit code recorded (its monitor is done).
settled_exited() { # CONTAINER
    [ "$(field "$1" '{{.State.Status}}')" = exited ] && [ -z "$(helpers_of "$1")" ]
}

# The processes working for container $1: its monitor, and the helper that records its exit.
helpers_of() {
    pgrep -u "$(id -u)" -f -- "$STORE $XDG_RUNTIME_DIR/ctr $(field "$1" '{{.Id}}')" || true
}

@test "--restart values are checked: one line naming the mistake, exit 125" {
    run "$CTR" run --restart sometimes busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: run --restart: invalid restart policy 'sometimes': use no, on-failure[:N], always or unless-stopped"
    run "$CTR" create --restart always:3 busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: create --restart: restart policy 'always:3': only on-failure takes a maximum count"
    run "$CTR" run --restart on-failure:x busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: run --restart: restart policy 'on-failure:x': the maximum count must be a number from 0 to 2147483647"
    run "$CTR" run --rm --restart on-failure busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: run --rm and --restart on-failure exclude each other: a container removed when it exits cannot be restarted: see 'ctr run --help'"
    # Nothing was created by any of them.
    expect_eq "$("$CTR" ps -a -q | wc -l)" 0
    # --rm with the default policy, spelled out, is fine.
    run "$CTR" run --rm --restart no busybox true
    [ "$status" -eq 0 ]
}

@test "inspect shows RestartPolicy, RestartCount and the command that created the container" {
    "$CTR" create --name d busybox true >/dev/null
    expect_eq "$(field d '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.RestartCount}}')" "no 0 0"
    "$CTR" create --name u --restart=unless-stopped -e 'A=b c' busybox echo 'hi there' >/dev/null
    expect_eq "$(field u '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}')" "unless-stopped 0"
    expect_eq "$(field u '{{json .Config.CreateCommand}}')" \
        '["ctr","create","--name","u","--restart=unless-stopped","-e","A=b c","busybox","echo","hi there"]'
    "$CTR" --root "$STORE" create --name f --restart on-failure:4 busybox true >/dev/null
    expect_eq "$(field f '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}')" "on-failure 4"
    expect_eq "$(field f '{{json .Config.CreateCommand}}')" \
        "[\"ctr\",\"--root\",\"$STORE\",\"create\",\"--name\",\"f\",\"--restart\",\"on-failure:4\",\"busybox\",\"true\"]"
}

@test "on-failure:2: exit 3 is restarted exactly twice, then the container stays exited" {
    "$CTR" run -d --network none --name of --restart on-failure:2 busybox sh -c 'echo run; exit 3' >/dev/null
    wait_until 20 count_at_least of 2
    wait_until 20 settled_exited of
    expect_eq "$(field of '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}')" "exited 3 2"
    # Three runs in all, each logged.
    expect_eq "$("$CTR" logs of)" "run"$'\n'"run"$'\n'"run"
    # And no fourth: the backoff after the second restart is 400 ms.
    sleep 1.5
    expect_eq "$(field of '{{.State.Status}} {{.RestartCount}}')" "exited 2"
    expect_eq "$("$CTR" logs of | wc -l)" 3
}

@test "on-failure does not restart after exit 0, nor 'no' after a failure" {
    "$CTR" run -d --network none --name ok --restart on-failure busybox true >/dev/null
    "$CTR" run -d --network none --name no --restart no busybox false >/dev/null
    "$CTR" run -d --network none --name default busybox false >/dev/null
    for c in ok no default; do wait_until 10 settled_exited "$c"; done
    sleep 1
    expect_eq "$(field ok '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}')" "exited 0 0"
    expect_eq "$(field no '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}')" "exited 1 0"
    expect_eq "$(field default '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}')" "exited 1 0"
}

@test "always restarts after exit 0; ctr stop stops it for good; ps shows it running again" {
    "$CTR" run -d --network none --name al --restart always busybox sh -c 'echo run; sleep 0.3' >/dev/null
    wait_until 20 count_at_least al 2
    # Restarted: running again (it runs 300 ms of each ~500).
    wait_until 10 state_is al running
    run "$CTR" ps --format '{{.Names}} {{.Status}}'
    expect_contains "$output" "al Up"
    run "$CTR" stop al
    [ "$status" -eq 0 ]
    expect_eq "$output" al
    expect_eq "$(field al '{{.State.Status}}')" exited
    [ -z "$(helpers_of al)" ]
    n=$(field al '{{.RestartCount}}')
    sleep 1.5
    expect_eq "$(field al '{{.State.Status}} {{.RestartCount}}')" "exited $n"
    # unless-stopped is the same.
    "$CTR" run -d --network none --name us --restart unless-stopped busybox true >/dev/null
    wait_until 20 count_at_least us 1
    "$CTR" stop us >/dev/null
    n=$(field us '{{.RestartCount}}')
    sleep 1
    expect_eq "$(field us '{{.State.Status}} {{.RestartCount}}')" "exited $n"
}

@test "kill is a stop by the user; a start forgets it and the count; a crash is restarted" {
    "$CTR" run -d --network none --name k --restart always busybox sleep 1000 >/dev/null
    run "$CTR" kill k
    [ "$status" -eq 0 ]
    wait_until 10 settled_exited k
    sleep 1
    expect_eq "$(field k '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}')" "exited 137 0"
    "$CTR" start k >/dev/null
    pid=$(field k '{{.State.Pid}}')
    # Killed from outside ctr: a crash, which the policy restarts.
    kill -9 "$pid"
    wait_until 10 count_at_least k 1
    wait_until 10 state_is k running
    [ "$(field k '{{.State.Pid}}')" != "$pid" ]
    # ctr restart is a stop and a start by the user: the count starts again.
    "$CTR" restart -t 0 k >/dev/null 2>&1
    expect_eq "$(field k '{{.State.Status}} {{.RestartCount}}')" "running 0"
}

@test "SIGTERM to the monitor (systemd stopping the unit) is a stop: no restart" {
    "$CTR" run -d --network none --name mt --restart always --stop-timeout 2 busybox sleep 1000 >/dev/null
    monitor=$(field mt '{{.State.ConmonPid}}')
    expect_eq "$(cat "/proc/$monitor/comm")" ctr-monitor
    kill -TERM "$monitor"
    wait_until 10 settled_exited mt
    sleep 1
    # sleep as PID 1 has no handler for TERM: SIGKILL after the stop timeout.
    expect_eq "$(field mt '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}')" "exited 137 0"
}

@test "a crash-looping container is stopped at once between two runs, and stays stopped" {
    "$CTR" run -d --network none --name loop --restart always busybox false >/dev/null
    # 100+200+400+800+1600 ms of backoff: the sixth wait is 3.2 s.
    wait_until 30 count_at_least loop 5
    wait_until 10 state_is loop exited
    [ -n "$(helpers_of loop)" ]
    t0=$(now_ms)
    run "$CTR" stop loop
    [ "$status" -eq 0 ]
    elapsed=$(($(now_ms) - t0))
    ((elapsed < 2000)) || { echo "stop between two runs took $elapsed ms" >&2; false; }
    [ -z "$(helpers_of loop)" ]
    n=$(field loop '{{.RestartCount}}')
    sleep 4
    expect_eq "$(field loop '{{.State.Status}} {{.RestartCount}}')" "exited $n"
}

@test "rm -f of a crash-looping container leaves nothing: no row, no files, no process" {
    "$CTR" run -d --network none --name loop --restart always busybox sh -c 'exit 1' >/dev/null
    id=$(field loop '{{.Id}}')
    wait_until 20 count_at_least loop 3
    run "$CTR" rm -f loop
    [ "$status" -eq 0 ]
    expect_eq "$output" loop
    run "$CTR" inspect loop
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no container with name or id 'loop' found"
    [ ! -e "$STORE/containers/$id" ]
    expect_eq "$(pgrep -u "$(id -u)" -f -- "$id" || true)" "" "processes of the removed container"
    sleep 2
    expect_eq "$(pgrep -u "$(id -u)" -f -- "$id" || true)" "" "processes of the removed container"
    expect_eq "$("$CTR" ps -a -q | wc -l)" 0
}

@test "rm -f of an always container that runs: killed and removed, not restarted" {
    "$CTR" run -d --network none --name r --restart always busybox sleep 1000 >/dev/null
    id=$(field r '{{.Id}}')
    run "$CTR" rm -f r
    [ "$status" -eq 0 ]
    [ ! -e "$STORE/containers/$id" ]
    sleep 1
    expect_eq "$(pgrep -u "$(id -u)" -f -- "$id" || true)" ""
    expect_eq "$("$CTR" ps -a -q | wc -l)" 0
}

@test "foreground run: ctr exits with the status, the policy restarts it in the background" {
    run --separate-stderr "$CTR" run --network none --name fg --restart on-failure:1 busybox sh -c 'echo run; exit 4'
    [ "$status" -eq 4 ]
    expect_eq "$output" run
    wait_until 20 count_at_least fg 1
    wait_until 20 settled_exited fg
    expect_eq "$(field fg '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}')" "exited 4 1"
    # The second run was under a monitor: its output is in the log.
    expect_eq "$("$CTR" logs fg)" run
}

@test "wait returns the code of the run that exited, not once the policy gives up" {
    "$CTR" run -d --network none --name w --restart always busybox sh -c 'sleep 0.5; exit 5' >/dev/null
    t0=$(now_ms)
    run "$CTR" wait w
    [ "$status" -eq 0 ]
    expect_eq "$output" 5
    elapsed=$(($(now_ms) - t0))
    ((elapsed < 5000)) || { echo "wait took $elapsed ms" >&2; false; }
    wait_until 10 count_at_least w 1
    "$CTR" rm -f w >/dev/null
}
