#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ctr under systemd, as the unprivileged user, with a listener in systemd's place: --sdnotify
# (conmon, container, ignore) and the MAINPID each sends; SIGTERM to a foreground ctr run and
# to the monitor of a detached container (stop signal, SIGKILL after --stop-timeout, nothing
# left behind); --cidfile with --replace and --rm across restarts and crashes; stop and rm
# --cidfile --ignore as a unit's ExecStop and ExecStopPost use them.

# shellcheck disable=SC2016 # the containers' shells expand their own variables

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
    fixtures_build >/dev/null
    # busybox has no systemd-notify: a static sender, bind-mounted into containers.
    cc -static -O2 -o "$BATS_FILE_TMPDIR/sd-notify" "$BATS_TEST_DIRNAME/helpers/sd-notify.c"
}

setup() {
    store_setup
    load_busybox
    NOTIFY=(-v "$BATS_FILE_TMPDIR/sd-notify:/notify:ro")
    # systemd's side of the socket: each datagram a line "SENDER-PID MESSAGE".
    python3 "$BATS_TEST_DIRNAME/helpers/notify-listen.py" "$T/notify.sock" "$T/notify.log" \
        3>&- &
    echo $! >"$T/listener.pid"
    wait_until 10 test -S "$T/notify.sock"
    touch "$T/notify.log"
}

teardown() {
    kill "$(cat "$T/listener.pid")" 2>/dev/null || true
    store_teardown
}

field() { # CONTAINER TEMPLATE
    "$CTR" inspect --format "$2" "$1"
}

state_is() { # NAME STATE
    [ "$(field "$1" '{{.State.Status}}' 2>/dev/null)" = "$2" ]
}

notified() { # PATTERN: a datagram matching it arrived
    grep -q -- "$1" "$T/notify.log"
}

# The unit's cidfile names another container than $1, and it runs.
cid_changed() {
    [ "$(cat "$T/web.cid")" != "$1" ] && state_is web running
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# True when every process named has exited.
pids_gone() {
    local pid
    for pid in "$@"; do
        exited "$pid" || return 1
    done
}

# Nothing of container $1 is left: no row, no directory, no socket directory, no mount.
nothing_left() {
    local id=$1
    run "$CTR" ps -aq
    expect_eq "$output" "" "containers left"
    [ ! -e "$STORE/containers/$id" ] || { echo "its directory is left" >&2; return 1; }
    [ ! -e "$XDG_RUNTIME_DIR/ctr/notify/$id" ] || { echo "its socket directory is left" >&2; return 1; }
    ! grep -q "$id" /proc/self/mountinfo || { echo "a mount of it is left" >&2; return 1; }
}

@test "sdnotify=conmon: a foreground ctr run sends MAINPID (its own pid) and READY=1" {
    bg "$T/out" env NOTIFY_SOCKET="$T/notify.sock" "$CTR" run --init --name fg --sdnotify=conmon \
        busybox sh -c 'echo "env=${NOTIFY_SOCKET:-none}"; sleep 1000'
    wait_until 10 notified READY=1
    expect_eq "$(cat "$T/notify.log")" "$BG_PID MAINPID=$BG_PID READY=1"
    # The pid named is alive, is ctr, and is the process that keeps the container.
    expect_eq "$(cat "/proc/$BG_PID/comm")" ctr
    expect_eq "$(field fg '{{.State.ConmonPid}} {{.Config.SdNotifyMode}}')" "$BG_PID conmon"
    expect_eq "$(ps -o ppid= -p "$(field fg '{{.State.Pid}}')" | tr -d ' ')" "$BG_PID"
    kill -TERM "$BG_PID"
    bg_wait 10
    [ "$BG_STATUS" -eq 143 ]
    # The socket is never passed on in conmon mode.
    expect_eq "$(cat "$T/out")" "env=none"
    expect_eq "$(wc -l <"$T/notify.log")" 1 "datagrams"
}

@test "sdnotify=conmon: run -d names the monitor as MAINPID, which is alive and is ctr-monitor" {
    bg "$T/out" env NOTIFY_SOCKET="$T/notify.sock" "$CTR" run -d --name d --sdnotify=conmon \
        busybox sleep 1000
    bg_wait 10
    [ "$BG_STATUS" -eq 0 ]
    wait_until 5 notified READY=1
    monitor=$(field d '{{.State.ConmonPid}}')
    # Sent by ctr, the unit's main process until it exits, naming its successor.
    expect_eq "$(cat "$T/notify.log")" "$BG_PID MAINPID=$monitor READY=1"
    kill -0 "$monitor"
    expect_eq "$(cat "/proc/$monitor/comm")" ctr-monitor
    expect_eq "$(ps -o ppid= -p "$(field d '{{.State.Pid}}')" | tr -d ' ')" "$monitor"
    # NOTIFY_SOCKET reaches neither the monitor nor the container.
    run grep -c NOTIFY_SOCKET <(tr '\0' '\n' <"/proc/$monitor/environ")
    expect_eq "$output" 0 "NOTIFY_SOCKET in the monitor's environment"
    run "$CTR" exec d sh -c 'echo "${NOTIFY_SOCKET:-none}"'
    expect_eq "$output" none
    "$CTR" rm -f d >/dev/null
}

@test "sdnotify=container: the container's own READY=1 is relayed with ctr as MAINPID" {
    mkdir "$T/ctl"
    bg "$T/out" env NOTIFY_SOCKET="$T/notify.sock" "$CTR" run --init --name c --sdnotify=container \
        --cidfile "$T/cid" "${NOTIFY[@]}" -v "$T/ctl:/ctl" busybox sh -c \
        'echo "env=$NOTIFY_SOCKET"; /notify STATUS=starting
         while [ ! -e /ctl/go ]; do sleep 0.05; done
         /notify READY=1 MAINPID=1 STATUS=serving FDSTORE=1; sleep 1000'
    wait_until 10 notified STATUS=starting
    id=$(cat "$T/cid")
    # ctr itself says nothing: READY=1 is the container's to send.
    sleep 0.3
    expect_eq "$(cat "$T/notify.log")" "$BG_PID STATUS=starting"
    [ -S "$XDG_RUNTIME_DIR/ctr/notify/$id/notify.sock" ]
    touch "$T/ctl/go"
    wait_until 10 notified READY=1
    # MAINPID=1, a pid of the container's namespace, becomes ctr's; FDSTORE without fds goes.
    expect_eq "$(sed -n 2p "$T/notify.log")" "$BG_PID MAINPID=$BG_PID READY=1 STATUS=serving"
    expect_eq "$(cat "/proc/$BG_PID/comm")" ctr
    kill -TERM "$BG_PID"
    bg_wait 10
    [ "$BG_STATUS" -eq 143 ]
    expect_eq "$(cat "$T/out")" "env=/run/notify/notify.sock"
    # The socket's directory goes with the run.
    [ ! -e "$XDG_RUNTIME_DIR/ctr/notify/$id" ]
}

@test "sdnotify=container: run -d hands MAINPID to the monitor, which relays READY=1" {
    mkdir "$T/ctl"
    bg "$T/out" env NOTIFY_SOCKET="$T/notify.sock" "$CTR" run -d --name d "${NOTIFY[@]}" \
        -v "$T/ctl:/ctl" busybox sh -c \
        'while [ ! -e /ctl/go ]; do sleep 0.05; done; /notify READY=1 MAINPID=1; exec sleep 1000'
    bg_wait 10
    [ "$BG_STATUS" -eq 0 ]
    id=$(field d '{{.Id}}')
    monitor=$(field d '{{.State.ConmonPid}}')
    wait_until 5 notified MAINPID
    # Before it exits, ctr makes the monitor the main process: systemd (NotifyAccess=main)
    # hears the READY=1 only from that one.
    expect_eq "$(cat "$T/notify.log")" "$BG_PID MAINPID=$monitor"
    touch "$T/ctl/go"
    wait_until 10 notified READY=1
    expect_eq "$(sed -n 2p "$T/notify.log")" "$monitor MAINPID=$monitor READY=1"
    expect_eq "$(cat "/proc/$monitor/comm")" ctr-monitor
    run grep -c NOTIFY_SOCKET <(tr '\0' '\n' <"/proc/$monitor/environ")
    expect_eq "$output" 0 "NOTIFY_SOCKET in the monitor's environment"
    "$CTR" stop -t 0 d >/dev/null
    # Its exit takes the socket's directory with it.
    wait_until 10 test ! -e "$XDG_RUNTIME_DIR/ctr/notify/$id"
    "$CTR" rm d >/dev/null
}

@test "sdnotify: container is the default, and --read-only keeps the socket reachable" {
    "$CTR" create --name dflt busybox true >/dev/null
    expect_eq "$(field dflt '{{.Config.SdNotifyMode}}')" container
    run env NOTIFY_SOCKET="$T/notify.sock" "$CTR" run --rm --read-only "${NOTIFY[@]}" busybox \
        sh -c '/notify READY=1 STATUS=read-only && touch /run/x /tmp/x /var/tmp/x && echo ok'
    [ "$status" -eq 0 ]
    expect_eq "$output" ok
    wait_until 5 notified READY=1
    expect_contains "$(cat "$T/notify.log")" "READY=1 STATUS=read-only"
}

@test "sdnotify=ignore: nothing is sent, and the container gets no NOTIFY_SOCKET" {
    run env NOTIFY_SOCKET="$T/notify.sock" "$CTR" run --rm --sdnotify=ignore "${NOTIFY[@]}" busybox \
        sh -c 'echo "env=${NOTIFY_SOCKET:-none}"; [ -e /run/notify ] || echo no-socket-dir; /notify READY=1'
    [ "$status" -eq 1 ]
    expect_eq "$output" "env=none"$'\n'"no-socket-dir"$'\n'"sd-notify: NOTIFY_SOCKET is not set"
    run env NOTIFY_SOCKET="$T/notify.sock" "$CTR" run -d --name d --sdnotify=ignore busybox sleep 1000
    [ "$status" -eq 0 ]
    run grep -c NOTIFY_SOCKET <(tr '\0' '\n' <"/proc/$(field d '{{.State.ConmonPid}}')/environ")
    expect_eq "$output" 0 "NOTIFY_SOCKET in the monitor's environment"
    sleep 0.5
    expect_eq "$(cat "$T/notify.log")" "" "datagrams"
    "$CTR" rm -f d >/dev/null
}

@test "sdnotify: without NOTIFY_SOCKET nothing is sent and the container gets no socket" {
    unset NOTIFY_SOCKET
    for mode in container conmon ignore; do
        run "$CTR" run --rm --sdnotify=$mode busybox \
            sh -c 'echo "${NOTIFY_SOCKET:-none}"; [ -e /run/notify ] || echo no-socket-dir'
        [ "$status" -eq 0 ]
        expect_eq "$output" "none"$'\n'"no-socket-dir" "$mode"
    done
    [ ! -e "$XDG_RUNTIME_DIR/ctr/notify" ] || [ -z "$(ls "$XDG_RUNTIME_DIR/ctr/notify")" ]
    expect_eq "$(cat "$T/notify.log")" "" "datagrams"
}

@test "sdnotify: a bad mode is refused in one line; create stores the mode and start follows it" {
    run "$CTR" run --sdnotify=systemd busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: run --sdnotify takes container, conmon or ignore, not 'systemd': see 'ctr run --help'"
    run "$CTR" ps -aq
    expect_eq "$output" ""
    "$CTR" create --name later --sdnotify=conmon busybox sleep 1000 >/dev/null
    expect_eq "$(field later '{{.Config.SdNotifyMode}}')" conmon
    run env NOTIFY_SOCKET="$T/notify.sock" "$CTR" start later
    [ "$status" -eq 0 ]
    wait_until 5 notified READY=1
    monitor=$(field later '{{.State.ConmonPid}}')
    expect_contains "$(cat "$T/notify.log")" " MAINPID=$monitor READY=1"
    expect_eq "$(cat "/proc/$monitor/comm")" ctr-monitor
    "$CTR" rm -f later >/dev/null
}

@test "SIGTERM to a foreground ctr run --rm: SIGKILL after --stop-timeout when ignored; nothing is left" {
    bg "$T/out" "$CTR" run --rm --cidfile "$T/cid" --stop-timeout 2 busybox \
        sh -c 'trap "" TERM; echo ready; while :; do sleep 0.05; done'
    wait_until 10 grep -qx ready "$T/out"
    id=$(cat "$T/cid")
    # What belongs to it: its processes and the network helper, ctr's children.
    kids=$(pgrep -P "$BG_PID" | tr '\n' ' ')
    pid=$(field "$id" '{{.State.Pid}}')
    [ -n "$kids" ]
    t0=$(now_ms)
    kill -TERM "$BG_PID"
    bg_wait 10
    elapsed=$(($(now_ms) - t0))
    [ "$BG_STATUS" -eq 137 ] || { echo "ctr exited $BG_STATUS" >&2; false; }
    ((elapsed >= 1900 && elapsed < 4500)) || { echo "it took $elapsed ms" >&2; false; }
    # shellcheck disable=SC2086 # one pid per word
    pids_gone "$pid" $kids || { ps -o pid,stat,args -p "$pid $kids" >&2; false; }
    nothing_left "$id"
}

@test "SIGTERM to a foreground ctr run: the stop signal (143 under --init, --stop-signal honoured)" {
    bg "$T/out" "$CTR" run --rm --init --cidfile "$T/cid" busybox sleep 1000
    wait_until 10 test -s "$T/cid"
    id=$(cat "$T/cid")
    wait_until 10 state_is "$id" running
    t0=$(now_ms)
    kill -TERM "$BG_PID"
    bg_wait 10
    [ "$BG_STATUS" -eq 143 ]
    (($(now_ms) - t0 < 1500))
    nothing_left "$id"
    # The container's own stop signal, not SIGTERM itself.
    bg "$T/out2" "$CTR" run --stop-signal USR1 --name sig busybox \
        sh -c 'trap "echo got USR1; exit 5" USR1; trap "echo got TERM; exit 6" TERM; echo ready
               while :; do sleep 0.05; done'
    wait_until 10 grep -qx ready "$T/out2"
    kill -TERM "$BG_PID"
    bg_wait 10
    [ "$BG_STATUS" -eq 5 ]
    expect_eq "$(cat "$T/out2")" "ready"$'\n'"got USR1"
    # SIGINT is passed on as it is (a Ctrl-C for an interactive program), with no SIGKILL.
    bg "$T/out3" "$CTR" run --rm --stop-timeout 0 busybox \
        sh -c 'trap "echo got INT" INT; echo ready; while :; do sleep 0.05; done'
    wait_until 10 grep -qx ready "$T/out3"
    kill -INT "$BG_PID"
    wait_until 10 grep -qx "got INT" "$T/out3"
    sleep 0.5
    kill -0 "$BG_PID"
    # SIGTERM, which PID 1 ignores without a trap: SIGKILL at once after a timeout of 0.
    kill -TERM "$BG_PID"
    bg_wait 10
    [ "$BG_STATUS" -eq 137 ]
}

@test "SIGTERM to the monitor of a detached container: stop signal, SIGKILL after --stop-timeout" {
    # KillMode=mixed: systemd sends SIGTERM to the main process alone.
    "$CTR" run -d --rm --name m --cidfile "$T/cid" --stop-timeout 2 busybox \
        sh -c 'trap "" TERM; while :; do sleep 0.05; done' >/dev/null
    id=$(cat "$T/cid")
    monitor=$(field m '{{.State.ConmonPid}}')
    pid=$(field m '{{.State.Pid}}')
    expect_eq "$(cat "/proc/$monitor/comm")" ctr-monitor
    t0=$(now_ms)
    kill -TERM "$monitor"
    wait_until 10 pids_gone "$pid"
    elapsed=$(($(now_ms) - t0))
    ((elapsed >= 1900 && elapsed < 4500)) || { echo "it took $elapsed ms" >&2; false; }
    # --rm is carried out, and the monitor is gone with everything else.
    wait_until 10 pids_gone "$monitor"
    nothing_left "$id"
    # A container that stops on its stop signal exits with its own code.
    "$CTR" run -d --name m2 --stop-signal USR1 busybox \
        sh -c 'trap "exit 5" USR1; touch /tmp/ready; while :; do sleep 0.05; done' >/dev/null
    wait_until 10 test -e "$STORE/containers/$(field m2 '{{.Id}}')/upper/tmp/ready"
    monitor=$(field m2 '{{.State.ConmonPid}}')
    kill -TERM "$monitor"
    # Once the monitor is done, the exit it recorded is there.
    wait_until 10 pids_gone "$monitor"
    expect_eq "$(field m2 '{{.State.ExitCode}}')" 5
}

@test "--cidfile --replace --rm: a unit restarts at any time, also after kill -9 of ctr" {
    unit=(run --replace --rm --cidfile "$T/web.cid" --name web --init busybox sleep 1000)
    bg "$T/out1" "$CTR" "${unit[@]}"
    first=$BG_PID
    wait_until 10 state_is web running
    id1=$(cat "$T/web.cid")
    # Started again while it runs: the new one replaces it, and the cidfile names the new one.
    bg "$T/out2" "$CTR" "${unit[@]}"
    second=$BG_PID
    wait_until 10 cid_changed "$id1"
    id2=$(cat "$T/web.cid")
    bg_wait 10 "$first"
    [ "$BG_STATUS" -eq 137 ]
    expect_eq "$("$CTR" ps -aq --no-trunc)" "$id2"
    # ctr killed outright: the container dies with it, its row and cidfile stay...
    pid2=$(field web '{{.State.Pid}}')
    kill -9 "$second"
    bg_wait 10 "$second"
    wait_until 10 pids_gone "$pid2"
    [ -e "$STORE/containers/$id2" ]
    # ...and the next start still replaces both.
    bg "$T/out3" "$CTR" "${unit[@]}"
    third=$BG_PID
    wait_until 10 cid_changed "$id2"
    id3=$(cat "$T/web.cid")
    expect_eq "$("$CTR" ps -aq --no-trunc)" "$id3"
    [ ! -e "$STORE/containers/$id2" ]
    # ExecStop, then ExecStopPost, as Podman's units have them.
    run "$CTR" stop --ignore -t 10 --cidfile "$T/web.cid"
    [ "$status" -eq 0 ]
    expect_eq "$output" "$id3"
    bg_wait 10 "$third"
    [ "$BG_STATUS" -eq 143 ]
    run "$CTR" rm -f --ignore -t 10 --cidfile "$T/web.cid"
    [ "$status" -eq 0 ]
    [ ! -e "$T/web.cid" ]
    nothing_left "$id3"
    # Twice in a row, each run ending by itself.
    for i in 1 2; do
        run "$CTR" run --replace --rm --cidfile "$T/web.cid" --name web busybox echo "run $i"
        [ "$status" -eq 0 ]
        expect_eq "$output" "run $i"
    done
    run "$CTR" ps -aq
    expect_eq "$output" ""
}

@test "stop and rm --cidfile, --ignore: missing files and containers; rm takes the file" {
    run "$CTR" stop --cidfile "$T/none.cid"
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: --cidfile: open '$T/none.cid': No such file or directory"
    run "$CTR" stop -i --cidfile "$T/none.cid"
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
    run "$CTR" rm --ignore --cidfile "$T/none.cid"
    [ "$status" -eq 0 ]
    run "$CTR" stop
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: stop needs at least one container, --cidfile or --all: see 'ctr stop --help'"
    # A cidfile that names a container removed meanwhile.
    "$CTR" run --name gone --cidfile "$T/gone.cid" busybox true
    "$CTR" rm gone >/dev/null
    id=$(cat "$T/gone.cid")
    run "$CTR" stop --cidfile "$T/gone.cid"
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no container with name or id '$id' found"
    run "$CTR" stop --ignore --cidfile "$T/gone.cid"
    [ "$status" -eq 0 ]
    run "$CTR" rm --ignore --cidfile "$T/gone.cid"
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
    [ ! -e "$T/gone.cid" ]
    # A running one: rm without -f refuses and keeps the file; -f -t stops it gracefully first.
    "$CTR" run -d --name up --cidfile "$T/up.cid" --init busybox sleep 1000 >/dev/null
    run "$CTR" rm --cidfile "$T/up.cid"
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: container 'up' is running: stop it first ('ctr stop up') or use 'ctr rm -f'"
    [ -e "$T/up.cid" ]
    upid=$(cat "$T/up.cid")
    run "$CTR" rm -f -t 5 --cidfile "$T/up.cid"
    [ "$status" -eq 0 ]
    expect_eq "$output" "$upid"
    [ ! -e "$T/up.cid" ]
    run "$CTR" ps -aq
    expect_eq "$output" ""
    # An existing cidfile is refused without --replace, and overwritten with it.
    echo stale >"$T/web.cid"
    run "$CTR" run --name web --cidfile "$T/web.cid" busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: --cidfile '$T/web.cid' exists: remove it, or it names another container (--replace overwrites it)"
    run "$CTR" run --replace --name web --cidfile "$T/web.cid" busybox true
    [ "$status" -eq 0 ]
    expect_eq "$(cat "$T/web.cid")" "$(field web '{{.Id}}')"
}
