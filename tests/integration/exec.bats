#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ctr exec into a running container, as the unprivileged user: it sees the container's
# processes and files, gets its environment, user and working directory unless -e/-u/-w say
# otherwise, passes exit codes (126 cannot invoke, 127 not found), stdin with -i, a terminal
# with -t, returns at once with -d, and refuses a container that is not running.

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


# in_terminal COMMAND: runs the shell COMMAND on a terminal of its own (script(1)): $status is
# its exit status, $output and $lines what it printed without the terminal's carriage returns.
in_terminal() {
    run timeout 30 script -qec "$1" /dev/null
    output=${output//$'\r'/}
    mapfile -t lines <<<"$output"
}

# start_sleeper NAME [RUN OPTIONS...]: a detached container NAME whose PID 1 is `sleep 1000`,
# once it wrote /tmp/written; its id in ID.
start_sleeper() {
    local name=$1
    shift
    ID=$("$CTR" run -d --name "$name" "$@" busybox sh -c 'echo data >/tmp/written; exec sleep 1000')
    [[ "$ID" =~ ^[0-9a-f]{64}$ ]] || { echo "ctr run -d printed '$ID'" >&2; return 1; }
    wait_until 10 test -s "$STORE/containers/$ID/upper/tmp/written"
    # sh has exec'd sleep once its /proc/1/comm says so.
    wait_until 10 eval '[ "$(cat "/proc/$("$CTR" inspect --format "{{.State.Pid}}" "$name")/comm")" = sleep ]'
}

@test "exec: sees the container's processes, sleep as PID 1, and its files" {
    start_sleeper e
    run "$CTR" exec e ps -o pid,comm
    [ "$status" -eq 0 ]
    # PID 1 and the exec'd ps; nothing else.
    expect_eq "$(awk 'NR > 1 && $2 != "ps" { print $1, $2 }' <<<"$output")" "1 sleep"
    expect_eq "$(awk 'NR > 1 { n++ } END { print n }' <<<"$output")" 2 "processes"
    run "$CTR" exec e cat /tmp/written
    [ "$status" -eq 0 ]
    expect_eq "$output" data
    # What exec writes is the container's.
    run "$CTR" exec e sh -c 'echo from-exec >/tmp/from-exec'
    [ "$status" -eq 0 ]
    expect_eq "$(cat "$STORE/containers/$ID/upper/tmp/from-exec")" from-exec
    # By id and by id prefix as well.
    run "$CTR" exec "$ID" hostname
    [ "$status" -eq 0 ]
    expect_eq "$output" "${ID:0:12}"
    run "$CTR" exec "${ID:0:10}" hostname
    expect_eq "$output" "${ID:0:12}"
}

@test "exec: the container's environment plus -e (KEY alone from ours)" {
    start_sleeper e -e CENV=from-run -e KEEP=kept
    export CTR_TEST_FROM_HOST=host-value
    run "$CTR" exec e env
    [ "$status" -eq 0 ]
    echo "$output" >"$T/env"
    expect_line "$T/env" "CENV=from-run"
    expect_line "$T/env" "KEEP=kept"
    expect_line "$T/env" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    expect_line "$T/env" "HOME=/root"
    run "$CTR" exec -e XENV=1 -e CENV=over -e CTR_TEST_FROM_HOST e env
    [ "$status" -eq 0 ]
    echo "$output" >"$T/env2"
    expect_line "$T/env2" "XENV=1"
    expect_line "$T/env2" "CENV=over"
    expect_line "$T/env2" "KEEP=kept"
    expect_line "$T/env2" "CTR_TEST_FROM_HOST=host-value"
    run grep -c '^CENV=from-run$' "$T/env2"
    expect_eq "$output" 0 "lines with the overridden value"
}

@test "exec: \$HOSTNAME is the container's hostname, as in its main process" {
    start_sleeper e --hostname myhost
    # In the environment, not only a variable busybox sh sets for itself.
    run "$CTR" exec e env
    [ "$status" -eq 0 ]
    echo "$output" >"$T/env"
    expect_line "$T/env" HOSTNAME=myhost
    run "$CTR" exec e hostname
    expect_eq "$output" myhost
}

@test "exec -u: the container's user by default, else by name, uid or uid:gid" {
    start_sleeper e -u www
    run "$CTR" exec e id
    [ "$status" -eq 0 ]
    expect_eq "$output" "uid=33(www) gid=33(www)"
    run "$CTR" exec -u root e id
    expect_eq "$output" "uid=0(root) gid=0(root)"
    run "$CTR" exec -u 1000:1000 e id
    expect_eq "$output" "uid=1000 gid=1000"
    run "$CTR" exec --user nobody e id
    expect_eq "$output" "uid=65534(nobody) gid=65534(nobody)"
    run "$CTR" exec -u www:nobody e id
    expect_eq "$output" "uid=33(www) gid=65534(nobody)"
    run "$CTR" exec -u bogus e id
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: unable to find user 'bogus': no matching entry in the image's /etc/passwd; give a numeric uid or add the user to the image"
}

@test "exec -w: the container's working directory by default, else -w" {
    start_sleeper e -w /work
    run "$CTR" exec e pwd
    [ "$status" -eq 0 ]
    expect_eq "$output" /work
    run "$CTR" exec -w /tmp e pwd
    expect_eq "$output" /tmp
    run "$CTR" exec --workdir /var/www e cat index.html
    expect_eq "$output" "hello from the ctr busybox fixture"
    run "$CTR" exec -w relative e pwd
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: exec --workdir 'relative' must be an absolute path: see 'ctr exec --help'"
}

@test "exec: the command's exit code is ctr's, 128 + N when killed by signal N" {
    start_sleeper e
    run "$CTR" exec e true
    [ "$status" -eq 0 ]
    run "$CTR" exec e false
    [ "$status" -eq 1 ]
    run "$CTR" exec e sh -c 'echo four; exit 4'
    [ "$status" -eq 4 ]
    expect_eq "$output" four
    # Not the namespace's init, so it can kill itself.
    run "$CTR" exec e sh -c 'kill -9 $$'
    [ "$status" -eq 137 ]
    run "$CTR" exec e sh -c 'kill -TERM $$'
    [ "$status" -eq 143 ]
    # The container goes on.
    run "$CTR" inspect --format '{{.State.Status}}' e
    expect_eq "$output" running
}

@test "exec: 126 for a command that cannot be invoked, 127 for one that does not exist" {
    start_sleeper e
    run "$CTR" exec e /etc/passwd
    [ "$status" -eq 126 ]
    expect_eq "$output" "ctr: '/etc/passwd' cannot be executed: Permission denied"
    run -127 "$CTR" exec e nosuch
    [ "$status" -eq 127 ]
    expect_eq "$output" "ctr: executable file 'nosuch' not found in \$PATH: No such file or directory"
    run -127 "$CTR" exec e /no/such
    [ "$status" -eq 127 ]
    expect_eq "$output" "ctr: executable file '/no/such' not found: No such file or directory"
}

@test "exec -i: stdin reaches the command, binary data intact; without -i it is /dev/null" {
    start_sleeper e
    run bash -c 'printf "one\ntwo\n" | "$CTR" exec -i e sh -c "cat; readlink /proc/self/fd/0"'
    [ "$status" -eq 0 ]
    expect_eq "${lines[0]}" one
    expect_eq "${lines[1]}" two
    [[ "${lines[2]}" =~ ^pipe:\[[0-9]+\]$ ]]
    run bash -c 'echo from-the-host | "$CTR" exec e sh -c "cat; readlink /proc/self/fd/0"'
    [ "$status" -eq 0 ]
    expect_eq "$output" /dev/null
    python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 1024)' >"$T/bytes"
    "$CTR" exec -i e cat <"$T/bytes" >"$T/through-cat"
    cmp "$T/bytes" "$T/through-cat"
    run "$CTR" exec -i e md5sum <"$T/bytes"
    expect_eq "$output" "$(md5sum <"$T/bytes" | cut -d' ' -f1)  -"
}

@test "exec -t: a terminal of the outer terminal's size, and the exit code" {
    require_tool script
    start_sleeper e
    in_terminal "stty rows 21 cols 77; $(printf '%q ' "$CTR" exec -t e \
        sh -c 'tty; stty size; echo "TERM=$TERM"; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; exit 6')"
    [ "$status" -eq 6 ]
    [[ "${lines[0]}" =~ ^/dev/pts/[0-9]+$ ]] || { echo "tty printed '${lines[0]}'" >&2; false; }
    expect_eq "${lines[1]}" "21 77" "stty size"
    expect_eq "${lines[2]}" "TERM=xterm"
    expect_eq "${lines[3]}" all-ttys
    run timeout 30 script -qec "$(printf '%q ' "$CTR" exec -it e sh -c 'read -r x; echo "got <$x>"')" /dev/null <<<"typed words"
    [ "$status" -eq 0 ]
    expect_contains "${output//$'\r'/}" "got <typed words>"
}

@test "exec -d: returns at once and the command runs on" {
    start_sleeper e
    local t0 t1
    t0=$(date +%s%N)
    run "$CTR" exec -d e sh -c 'sleep 1; echo done >/tmp/detached'
    t1=$(date +%s%N)
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
    (((t1 - t0) / 1000000 < 900)) || { echo "exec -d took $(((t1 - t0) / 1000000)) ms" >&2; false; }
    [ ! -e "$STORE/containers/$ID/upper/tmp/detached" ]
    wait_until 10 test -s "$STORE/containers/$ID/upper/tmp/detached"
    expect_eq "$(cat "$STORE/containers/$ID/upper/tmp/detached")" "done"
}

@test "exec: a container that is not running is refused with 125 and a message" {
    "$CTR" create --name created busybox sleep 1000 >/dev/null
    run "$CTR" exec created true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: container 'created' is not running: start it first"
    start_sleeper e
    "$CTR" stop -t 0 e >/dev/null 2>&1
    run "$CTR" inspect --format '{{.State.Status}}' e
    expect_eq "$output" exited
    run "$CTR" exec e true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: container 'e' is not running: start it first"
    run "$CTR" exec nosuch true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no container with name or id 'nosuch' found"
    run "$CTR" exec e
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: exec needs a container and a command: see 'ctr exec --help'"
}
