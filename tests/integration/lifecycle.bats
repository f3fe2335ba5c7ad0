#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The life of a container, as the unprivileged user: create, start, stop (with the escalation
# to SIGKILL), kill, restart, wait, rm (-f, -a), id prefixes, inspect's JSON, many containers
# started at once, and what is left when a monitor or a foreground ctr is killed.

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
    fixtures_build >/dev/null
}

setup() {
    require_tool sqlite3
    store_setup
    load_busybox
}

teardown() {
    store_teardown
}





state_is() { # NAME STATE
    [ "$("$CTR" inspect --format '{{.State.Status}}' "$1" 2>/dev/null)" = "$2" ]
}

rows() {
    sqlite3 "$STORE/ctr.db" 'SELECT count(*) FROM containers'
}

container_dirs() {
    find "$STORE/containers" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# A container's field through inspect --format.
field() { # CONTAINER TEMPLATE
    "$CTR" inspect --format "$2" "$1"
}

# True when container file $2 (a path inside it) exists in the upper dir of container $1.
upper_has() {
    [ -s "$STORE/containers/$1/upper$2" ]
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# A command that traps SIGTERM with exit 7, logs each start to /tmp/starts after its trap is
# set, and then idles.
TRAPPER='trap "exit 7" TERM; echo started >>/tmp/starts; while :; do sleep 0.05; done'

@test "create, start, stop, start again, rm" {
    run "$CTR" create --name lc busybox sh -c "$TRAPPER"
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^[0-9a-f]{64}$ ]] || { echo "create printed '$output'" >&2; false; }
    id=$output
    expect_eq "$(field lc '{{.Id}} {{.State.Status}} {{.State.Running}} {{.State.Pid}}')" "$id created false 0"
    [ -d "$STORE/containers/$id" ]

    run "$CTR" start lc
    [ "$status" -eq 0 ]
    expect_eq "$output" lc
    expect_eq "$(field lc '{{.State.Status}} {{.State.Running}}')" "running true"
    pid=$(field lc '{{.State.Pid}}')
    [ "$pid" -gt 0 ]
    kill -0 "$pid"
    wait_until 10 upper_has "$id" /tmp/starts
    # Starting a running container is no error and changes nothing.
    run "$CTR" start lc
    [ "$status" -eq 0 ]
    expect_eq "$output" lc
    expect_eq "$(field lc '{{.State.Pid}}')" "$pid"

    run "$CTR" stop lc
    [ "$status" -eq 0 ]
    expect_eq "$output" lc
    expect_eq "$(field lc '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}')" "exited false 0 7"
    # Stopping a stopped container is no error.
    run "$CTR" stop lc
    [ "$status" -eq 0 ]
    expect_eq "$output" lc

    run "$CTR" start lc
    [ "$status" -eq 0 ]
    expect_eq "$(field lc '{{.State.Status}}')" running
    # The same container: its files (the log of starts) are kept.
    wait_until 10 eval '[ "$(cat "$STORE/containers/$id/upper/tmp/starts")" = "started"$'"'"'\n'"'"'"started" ]'
    "$CTR" stop lc >/dev/null

    run "$CTR" rm lc
    [ "$status" -eq 0 ]
    expect_eq "$output" lc
    run "$CTR" inspect lc
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no container with name or id 'lc' found"
    [ ! -e "$STORE/containers/$id" ]
}

@test "run -d prints the id; stop sends SIGTERM: 143 under --init" {
    run "$CTR" run -d --init --name d busybox sleep 1000
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^[0-9a-f]{64}$ ]] || { echo "run -d printed '$output'" >&2; false; }
    expect_eq "$(field d '{{.Id}} {{.State.Status}}')" "$output running"
    t0=$(now_ms)
    run "$CTR" stop d
    [ "$status" -eq 0 ]
    expect_eq "$output" d
    (($(now_ms) - t0 < 5000))
    expect_eq "$(field d '{{.State.Status}} {{.State.ExitCode}}')" "exited 143"
}

@test "stop: --stop-signal and --stop-timeout of the container are used" {
    "$CTR" run -d --name sig --stop-signal USR1 busybox sh -c \
        'trap "exit 5" USR1; touch /tmp/ready; while :; do sleep 0.05; done' >/dev/null
    wait_until 10 test -e "$STORE/containers/$(field sig '{{.Id}}')/upper/tmp/ready"
    expect_eq "$(field sig '{{.Config.StopSignal}} {{.Config.StopTimeout}}')" "SIGUSR1 10"
    run "$CTR" stop sig
    [ "$status" -eq 0 ]
    expect_eq "$(field sig '{{.State.ExitCode}}')" 5
    # sleep as PID 1 ignores SIGTERM: the container's own timeout of 1 s, then SIGKILL.
    "$CTR" run -d --name tmo --stop-timeout 1 busybox sleep 1000 >/dev/null
    run "$CTR" stop tmo
    [ "$status" -eq 0 ]
    expect_eq "$output" "ctr: warning: SIGTERM did not stop container 'tmo' in 1 seconds: killing it"$'\n'"tmo"
    expect_eq "$(field tmo '{{.State.ExitCode}}')" 137
}

@test "stop -t N: SIGKILL after N seconds with a warning, exit code 137" {
    "$CTR" run -d --name k busybox sleep 1000 >/dev/null
    pid=$(field k '{{.State.Pid}}')
    run "$CTR" stop -t 1 k
    [ "$status" -eq 0 ]
    expect_eq "$output" "ctr: warning: SIGTERM did not stop container 'k' in 1 seconds: killing it"$'\n'"k"
    expect_eq "$(field k '{{.State.Status}} {{.State.ExitCode}}')" "exited 137"
    exited "$pid"
    "$CTR" run -d --name k0 busybox sleep 1000 >/dev/null
    run "$CTR" stop --time 0 k0
    [ "$status" -eq 0 ]
    expect_eq "$output" "ctr: warning: SIGTERM did not stop container 'k0' in 0 seconds: killing it"$'\n'"k0"
    expect_eq "$(field k0 '{{.State.ExitCode}}')" 137
}

@test "stop -t N: kills after N seconds, not later" {
    "$CTR" run -d --name k busybox sleep 1000 >/dev/null
    t0=$(now_ms)
    run "$CTR" stop -t 1 k
    elapsed=$(($(now_ms) - t0))
    [ "$status" -eq 0 ]
    ((elapsed >= 1000)) || { echo "stop -t 1 returned after $elapsed ms" >&2; false; }
    ((elapsed < 1800)) || { echo "stop -t 1 took $elapsed ms to kill" >&2; false; }
}

@test "kill -s USR1, -s TERM, -s 9; the default is SIGKILL; a stopped container is refused" {
    "$CTR" run -d --name k busybox sh -c \
        'trap "echo usr1 >>/tmp/sigs" USR1; trap "echo term >>/tmp/sigs" TERM; touch /tmp/ready; while :; do sleep 0.05; done' >/dev/null
    id=$(field k '{{.Id}}')
    wait_until 10 test -e "$STORE/containers/$id/upper/tmp/ready"
    run "$CTR" kill -s USR1 k
    [ "$status" -eq 0 ]
    expect_eq "$output" k
    wait_until 10 upper_has "$id" /tmp/sigs
    run "$CTR" kill --signal SIGTERM k
    [ "$status" -eq 0 ]
    wait_until 10 eval '[ "$(cat "$STORE/containers/$id/upper/tmp/sigs")" = "usr1"$'"'"'\n'"'"'"term" ]'
    # Both were trapped: it runs on.
    expect_eq "$(field k '{{.State.Status}}')" running
    run "$CTR" kill -s 9 k
    [ "$status" -eq 0 ]
    expect_eq "$output" k
    run "$CTR" wait k
    expect_eq "$output" 137
    expect_eq "$(field k '{{.State.Status}} {{.State.ExitCode}}')" "exited 137"
    run "$CTR" kill k
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: container 'k' is not running"
    run "$CTR" kill -s BOGUS k
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: kill --signal: unknown signal 'BOGUS': give a name such as 'TERM', 'SIGKILL' or 'RTMIN+3', or a number from 1 to 64"
    "$CTR" start k >/dev/null
    run "$CTR" kill k
    [ "$status" -eq 0 ]
    run "$CTR" wait k
    expect_eq "$output" 137 "exit code after the default signal"
}

@test "restart: a running container gets a new process, an exited one is started" {
    "$CTR" run -d --init --name r busybox sleep 1000 >/dev/null
    pid=$(field r '{{.State.Pid}}')
    run "$CTR" restart r
    [ "$status" -eq 0 ]
    expect_eq "$output" r
    expect_eq "$(field r '{{.State.Status}}')" running
    newpid=$(field r '{{.State.Pid}}')
    [ "$newpid" != "$pid" ]
    exited "$pid"
    kill -0 "$newpid"
    "$CTR" stop r >/dev/null
    run "$CTR" restart -t 0 r
    [ "$status" -eq 0 ]
    expect_eq "$output" r
    expect_eq "$(field r '{{.State.Status}}')" running
}

@test "wait prints the exit codes, one line per container" {
    "$CTR" run -d --name w5 busybox sh -c 'sleep 0.3; exit 5' >/dev/null
    "$CTR" run -d --name w0 busybox true >/dev/null
    run "$CTR" wait w5 w0
    [ "$status" -eq 0 ]
    expect_eq "$output" "5"$'\n'"0"
    expect_eq "$(field w5 '{{.State.Status}}')" exited
    # An exited container: at once.
    run "$CTR" wait w5
    expect_eq "$output" 5
    run "$CTR" wait nosuch
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no container with name or id 'nosuch' found"
}

@test "rm refuses a running container; rm -f kills and removes it" {
    "$CTR" run -d --name r busybox sleep 1000 >/dev/null
    id=$(field r '{{.Id}}')
    pid=$(field r '{{.State.Pid}}')
    run "$CTR" rm r
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: container 'r' is running: stop it first ('ctr stop r') or use 'ctr rm -f'"
    expect_eq "$(field r '{{.State.Status}}')" running
    kill -0 "$pid"
    run "$CTR" rm -f r
    [ "$status" -eq 0 ]
    expect_eq "$output" r
    exited "$pid"
    [ ! -e "$STORE/containers/$id" ]
    run "$CTR" inspect r
    [ "$status" -eq 125 ]
    # A missing container: an error without -f, none with it.
    run "$CTR" rm r
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no container with name or id 'r' found"
    run "$CTR" rm -f r
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
}

@test "rm -a removes every container; running ones need -f" {
    a=$("$CTR" create busybox true)
    "$CTR" run --name b busybox true
    b=$(field b '{{.Id}}')
    run "$CTR" rm -a
    [ "$status" -eq 0 ]
    expect_eq "$(sort <<<"$output")" "$(printf '%s\n' "$a" "$b" | sort)"
    expect_eq "$(rows)" 0 "containers"
    expect_eq "$(container_dirs)" 0 "container directories"
    c=$("$CTR" run -d busybox sleep 1000)
    run "$CTR" rm -a
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: container '$(field "$c" '{{.Name}}')' is running: stop it first ('ctr stop $(field "$c" '{{.Name}}')') or use 'ctr rm -f'"
    expect_eq "$(field "$c" '{{.State.Status}}')" running
    run "$CTR" rm -af
    [ "$status" -eq 0 ]
    expect_eq "$output" "$c"
    expect_eq "$(rows)" 0 "containers"
    expect_eq "$(container_dirs)" 0 "container directories"
}

@test "rm -a without -f removes every container but the running ones, whatever their order" {
    # Podman's behaviour: a running container is reported, the others are removed all the same.
    old=$("$CTR" create busybox true)
    running=$("$CTR" run -d busybox sleep 1000)
    new=$("$CTR" create busybox true)
    run "$CTR" rm -a
    [ "$status" -eq 125 ]
    expect_contains "$output" "ctr: container '$(field "$running" '{{.Name}}')' is running: stop it first"
    expect_eq "$(field "$running" '{{.State.Status}}')" running
    expect_eq "$(rows)" 1 "containers left: the running one"
    run "$CTR" inspect "$old"
    [ "$status" -eq 125 ]
    run "$CTR" inspect "$new"
    [ "$status" -eq 125 ]
}

@test "id prefixes name a container when unique; an ambiguous one is refused" {
    local ids=() id digit n i
    # 17 ids cannot all start with different hex digits.
    for i in $(seq 17); do
        ids+=("$("$CTR" create busybox true)")
        digit=$(printf '%s\n' "${ids[@]}" | cut -c1 | sort | uniq -d | head -n1)
        [ -n "$digit" ] && break
    done
    [ -n "$digit" ]
    n=$(printf '%s\n' "${ids[@]}" | grep -c "^$digit")
    run "$CTR" inspect --format '{{.Id}}' "$digit"
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: '$digit' matches $n containers: give more of the id, or the name"
    run "$CTR" rm "$digit"
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: '$digit' matches $n containers: give more of the id, or the name"
    expect_eq "$(rows)" "${#ids[@]}" "containers after the refused rm"
    # Each id by its shortest unique prefix.
    for id in "${ids[@]}"; do
        for i in $(seq 1 64); do
            [ "$(printf '%s\n' "${ids[@]}" | grep -c "^${id:0:i}")" -eq 1 ] && break
        done
        run "$CTR" inspect --format '{{.Id}}' "${id:0:i}"
        [ "$status" -eq 0 ]
        expect_eq "$output" "$id" "container of prefix ${id:0:i}"
    done
    id=${ids[0]}
    run "$CTR" start "${id:0:12}"
    [ "$status" -eq 0 ]
    run "$CTR" wait "${id:0:12}"
    expect_eq "$output" 0
    run "$CTR" rm "${id:0:12}"
    [ "$status" -eq 0 ]
    expect_eq "$output" "${id:0:12}"
    [ ! -e "$STORE/containers/$id" ]
}

@test "inspect: state, config, mounts, id mappings and namespaces as JSON" {
    require_tool jq
    local n
    mkdir "$T/vol"
    id=$("$CTR" run -d --init --name insp -e FOO=bar -w /work -l tier=test \
        -v "$T/vol:/mnt:ro" --tmpfs /t busybox sleep 1000)
    run "$CTR" inspect insp
    [ "$status" -eq 0 ]
    echo "$output" >"$T/j"
    pid=$(jq -r '.[0].State.Pid' "$T/j")
    jq -e --arg id "$id" --argjson pid "$pid" '
        length == 1 and .[0].Id == $id and .[0].Name == "insp" and
        .[0].State.Status == "running" and .[0].State.Running == true and $pid > 0 and
        .[0].ImageName == "localhost/busybox:latest" and (.[0].Image | startswith("sha256:")) and
        .[0].Path == "sleep" and .[0].Args == ["1000"] and
        .[0].Config.Cmd == ["sleep", "1000"] and .[0].Config.WorkingDir == "/work" and
        .[0].Config.Hostname == ($id | .[0:12]) and .[0].Config.Labels == {"tier": "test"} and
        (.[0].Config.Env | index("FOO=bar")) != null and
        .[0].HostConfig.Init == true and .[0].HostConfig.AutoRemove == false' "$T/j"
    # --init: the pid is the container's init.
    expect_eq "$(cat "/proc/$pid/comm")" ctr-init
    jq -e --arg vol "$T/vol" '.[0].Mounts == [
        {"Type": "bind", "Source": $vol, "Destination": "/mnt", "RW": false, "Options": null},
        {"Type": "tmpfs", "Source": null, "Destination": "/t", "RW": true, "Options": null}]' "$T/j"
    # The maps are the user's own id, then the ranges of /etc/subuid and /etc/subgid.
    expect_eq "$(jq -r '.[0].IDMappings.UidMap | join(" ")' "$T/j")" \
        "0:$(id -u):1 $(awk -F: -v u="$(id -un)" -v n="$(id -u)" '$1 == u || $1 == n { printf "%d:%d:%d ", 1 + s, $2, $3; s += $3 }' /etc/subuid | sed 's/ $//')"
    expect_eq "$(jq -r '.[0].IDMappings.GidMap | join(" ")' "$T/j")" \
        "0:$(id -g):1 $(awk -F: -v u="$(id -un)" -v n="$(id -u)" '$1 == u || $1 == n { printf "%d:%d:%d ", 1 + s, $2, $3; s += $3 }' /etc/subgid | sed 's/ $//')"
    expect_eq "$(cat "/proc/$pid/uid_map" | awk '{ print $1 ":" $2 ":" $3 }' | paste -sd' ')" \
        "$(jq -r '.[0].IDMappings.UidMap | join(" ")' "$T/j")" "the container's real uid_map"
    # Namespaces: its own, not ours.
    for n in user mnt pid uts ipc net cgroup; do
        expect_eq "$(jq -r ".[0].Namespaces.$n" "$T/j")" "/proc/$pid/ns/$n"
        [ "$(readlink "/proc/$pid/ns/$n")" != "$(readlink "/proc/self/ns/$n")" ] ||
            { echo "the container shares our $n namespace" >&2; false; }
    done
    expect_eq "$(jq -r '.[0].GraphDriver.Data.UpperDir' "$T/j")" "$STORE/containers/$id/upper"
    [ -d "$STORE/containers/$id/upper" ]
    # Once stopped: no pid, no namespaces, the exit code.
    "$CTR" stop insp >/dev/null
    run "$CTR" inspect insp
    echo "$output" >"$T/j"
    jq -e '.[0].State.Status == "exited" and .[0].State.Running == false and
        .[0].State.Pid == 0 and .[0].State.ExitCode == 143 and
        ([.[0].Namespaces[]] | unique) == [""]' "$T/j"
    run "$CTR" inspect --format '{{.State.Status}} {{.State.ExitCode}} {{json .Config.Cmd}} {{.HostConfig.Init}}' insp
    [ "$status" -eq 0 ]
    expect_eq "$output" 'exited 143 ["sleep","1000"] true'
}

@test "20 containers started at once all run, and rm -af removes them all" {
    local i
    for i in $(seq 20); do
        "$CTR" run -d --name "c$i" busybox sleep 1000 >"$T/c$i.out" 2>&1 3>&- &
    done
    wait
    for i in $(seq 20); do
        [[ "$(cat "$T/c$i.out")" =~ ^[0-9a-f]{64}$ ]] || { echo "c$i: $(cat "$T/c$i.out")" >&2; false; }
    done
    expect_eq "$(cat "$T"/c*.out | sort -u | wc -l)" 20 "distinct ids"
    expect_eq "$(rows)" 20 "containers"
    expect_eq "$(sqlite3 "$STORE/ctr.db" "SELECT count(*) FROM containers WHERE state = 'running'")" 20 "running containers"
    for i in $(seq 20); do
        expect_eq "$(field "c$i" '{{.State.Status}}')" running "state of c$i"
        field "c$i" '{{.State.Pid}}' >>"$T/pids"
    done
    run "$CTR" rm -af
    [ "$status" -eq 0 ]
    expect_eq "$(sort <<<"$output")" "$(cat "$T"/c*.out | sort)"
    expect_eq "$(rows)" 0 "containers after rm -af"
    expect_eq "$(container_dirs)" 0 "container directories after rm -af"
    while read -r pid; do exited "$pid"; done <"$T/pids"
}

@test "kill -9 of the monitor: the container is exited and rm cleans everything" {
    require_tool ps
    "$CTR" run -d --name m busybox sleep 1000 >/dev/null
    id=$(field m '{{.Id}}')
    pid=$(field m '{{.State.Pid}}')
    monitor=$(ps -o ppid= -p "$pid" | tr -d ' ')
    expect_eq "$(cat "/proc/$monitor/comm")" ctr-monitor
    kill -9 "$monitor"
    wait_until 10 exited "$pid"
    wait_until 10 state_is m exited
    # The exit code was lost with the monitor.
    run "$CTR" wait m
    [ "$status" -eq 0 ]
    expect_eq "$output" -1
    run "$CTR" rm m
    [ "$status" -eq 0 ]
    expect_eq "$output" m
    [ ! -e "$STORE/containers/$id" ]
    expect_eq "$(rows)" 0 "containers"
}

@test "kill -9 of a foreground ctr run: the container dies with it, exited, and rm cleans up" {
    bg "$T/out" "$CTR" run --name fg busybox sleep 1000
    wait_until 10 state_is fg running
    id=$(field fg '{{.Id}}')
    pid=$(field fg '{{.State.Pid}}')
    kill -9 "$BG_PID"
    bg_wait 10
    [ "$BG_STATUS" -eq 137 ]
    wait_until 10 exited "$pid"
    expect_eq "$(field fg '{{.State.Status}}')" exited
    run "$CTR" rm fg
    [ "$status" -eq 0 ]
    expect_eq "$output" fg
    [ ! -e "$STORE/containers/$id" ]
    expect_eq "$(rows)" 0 "containers"
}

@test "run --rm -d: the container removes itself once it exits" {
    run "$CTR" run --rm -d busybox sleep 0.3
    [ "$status" -eq 0 ]
    id=$output
    [[ "$id" =~ ^[0-9a-f]{64}$ ]]
    wait_until 5 eval '! "$CTR" inspect "$id" >/dev/null 2>&1'
    run "$CTR" inspect "$id"
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no container with name or id '$id' found"
    wait_until 5 test ! -e "$STORE/containers/$id"
    expect_eq "$(rows)" 0 "containers"
}

# A --rm -d container removes itself when it exits: that is no error for whoever made it exit
# or waits for it.
@test "stop of a running --rm -d container succeeds, and the container is gone" {
    id=$("$CTR" run --rm -d --init busybox sleep 1000)
    run "$CTR" stop "$id"
    expect_eq "$status $output" "0 $id" "status and output of stop"
    wait_until 5 test ! -e "$STORE/containers/$id"
    expect_eq "$(rows)" 0 "containers"
}

@test "rm -f of a running --rm -d container succeeds" {
    id=$("$CTR" run --rm -d busybox sleep 1000)
    run "$CTR" rm -f "$id"
    expect_eq "$status $output" "0 $id" "status and output of rm -f"
    [ ! -e "$STORE/containers/$id" ]
    expect_eq "$(rows)" 0 "containers"
}

@test "wait for a running --rm -d container prints its exit code" {
    id=$("$CTR" run --rm -d busybox sh -c 'sleep 0.5; exit 3')
    run "$CTR" wait "$id"
    expect_eq "$status $output" "0 3" "status and output of wait"
    wait_until 5 test ! -e "$STORE/containers/$id"
}

@test "start -a runs a created container in the foreground with its output and exit code" {
    "$CTR" create --name a busybox sh -c 'echo hi; cat; exit 3' >/dev/null
    run "$CTR" start -a a
    [ "$status" -eq 3 ]
    expect_eq "$output" hi
    expect_eq "$(field a '{{.State.Status}} {{.State.ExitCode}}')" "exited 3"
    run bash -c 'echo typed | "$CTR" start -ai a'
    [ "$status" -eq 3 ]
    expect_eq "$output" "hi"$'\n'"typed"
}
