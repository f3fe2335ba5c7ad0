#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ctr run in the foreground, as the unprivileged user: output, exit codes (125 ctr's own error,
# 126 cannot invoke, 127 not found, 128+N killed by signal N), stdin, signals, terminals, --init,
# environment, user, working directory, hostname, names, --cidfile, --rm, volumes, tmpfs,
# id mapping and the container's mounts.

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

# in_terminal COMMAND: runs the shell COMMAND on a terminal of its own (script(1)): $status is
# its exit status, $output and $lines what it printed without the terminal's carriage returns.
in_terminal() {
    run timeout 30 script -qec "$1" /dev/null
    output=${output//$'\r'/}
    mapfile -t lines <<<"$output"
}

# The first id of the user's subordinate range in FILE (/etc/subuid or /etc/subgid).
subid_start() {
    awk -F: -v u="$(id -un)" -v n="$(id -u)" '($1 == u || $1 == n) { print $2; exit }' "$1"
}

@test "run: the command's output, its stdout and stderr apart, and exit 0" {
    run "$CTR" run busybox echo hello world
    [ "$status" -eq 0 ]
    expect_eq "$output" "hello world"
    "$CTR" run busybox sh -c 'echo to-stdout; echo to-stderr >&2' >"$T/out" 2>"$T/err"
    expect_eq "$(cat "$T/out")" to-stdout "stdout"
    expect_eq "$(cat "$T/err")" to-stderr "stderr"
}

@test "run: the command's exit codes 0, 1 and 3 are ctr's" {
    run "$CTR" run busybox true
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
    run "$CTR" run busybox false
    [ "$status" -eq 1 ]
    expect_eq "$output" ""
    run "$CTR" run busybox sh -c 'echo three; exit 3'
    [ "$status" -eq 3 ]
    expect_eq "$output" "three"
}

@test "run: ctr's own errors exit 125 with a message and leave no container" {
    run "$CTR" run --bogus busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: run unknown option '--bogus': see 'ctr run --help'"
    run "$CTR" run
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: run needs an image to run: see 'ctr run --help'"
    run "$CTR" run --pull=never nosuchimage true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: image 'nosuchimage' is not in local storage and --pull=never: pull it first ('ctr pull nosuchimage')"
    run "$CTR" run -v "$T/nonexistent:/x" busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: volume source '$T/nonexistent': No such file or directory"
    run "$CTR" run -u nosuchuser busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: unable to find user 'nosuchuser': no matching entry in the image's /etc/passwd; give a numeric uid or add the user to the image"
    run "$CTR" run --env-file "$T/no-env-file" busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: --env-file '$T/no-env-file': open '$T/no-env-file': No such file or directory"
    run "$CTR" run -w relative busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: run --workdir 'relative' must be an absolute path: see 'ctr run --help'"
    run "$CTR" run --name 'bad name' busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: invalid container name 'bad name': use letters, digits, '_', '.' and '-', starting with a letter or digit"
    expect_eq "$(rows)" 0 "containers after the failures"
    expect_eq "$(container_dirs)" 0 "container directories after the failures"
}

@test "run: 126 for a command that cannot be invoked" {
    run "$CTR" run busybox /etc/passwd
    [ "$status" -eq 126 ]
    expect_eq "$output" "ctr: '/etc/passwd' cannot be executed: Permission denied"
    run "$CTR" run busybox /tmp
    [ "$status" -eq 126 ]
    expect_eq "$output" "ctr: '/tmp' cannot be executed: Permission denied"
}

@test "run: 127 for a command that does not exist" {
    run -127 "$CTR" run busybox nosuch
    [ "$status" -eq 127 ]
    expect_eq "$output" "ctr: executable file 'nosuch' not found in \$PATH: No such file or directory"
    run -127 "$CTR" run busybox /no/such
    [ "$status" -eq 127 ]
    expect_eq "$output" "ctr: executable file '/no/such' not found: No such file or directory"
}

@test "run: a failed start leaves no row and no directory" {
    run -127 "$CTR" run --name f127 busybox nosuch
    [ "$status" -eq 127 ]
    run "$CTR" run --name f126 busybox /etc/passwd
    [ "$status" -eq 126 ]
    run "$CTR" run --name f125 -w /etc/passwd busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: enter the working directory '/etc/passwd': Not a directory"
    for name in f125 f126 f127; do
        run "$CTR" inspect "$name"
        [ "$status" -eq 125 ]
        expect_eq "$output" "ctr: no container with name or id '$name' found"
    done
    expect_eq "$(rows)" 0 "containers"
    expect_eq "$(container_dirs)" 0 "container directories"
}

@test "run: killed by a signal, ctr exits 128 + the signal (137 for SIGKILL, 143 for SIGTERM)" {
    # The kernel protects a pid namespace's init from its own signals, so the shell that
    # kills itself runs under --init (as PID 2).
    run "$CTR" run --init busybox sh -c 'kill -9 $$'
    [ "$status" -eq 137 ]
    expect_eq "$output" ""
    run "$CTR" run --init busybox sh -c 'kill -TERM $$'
    [ "$status" -eq 143 ]
    expect_eq "$output" ""
    # From outside, SIGKILL reaches the container's PID 1 itself.
    bg "$T/out" "$CTR" run --name victim busybox sleep 1000
    wait_until 10 state_is victim running
    kill -9 "$("$CTR" inspect --format '{{.State.Pid}}' victim)"
    bg_wait 10
    [ "$BG_STATUS" -eq 137 ]
    expect_eq "$(cat "$T/out")" ""
    run "$CTR" inspect --format '{{.State.Status}} {{.State.ExitCode}}' victim
    expect_eq "$output" "exited 137"
}

@test "run -i: stdin reaches the command; binary data stays intact both ways" {
    run bash -c 'printf "one\ntwo\n" | "$CTR" run -i busybox sh -c "cat; readlink /proc/self/fd/0"'
    [ "$status" -eq 0 ]
    expect_eq "${lines[0]}" one
    expect_eq "${lines[1]}" two
    [[ "${lines[2]}" =~ ^pipe:\[[0-9]+\]$ ]]
    python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 1024)' >"$T/bytes"
    "$CTR" run -i busybox cat <"$T/bytes" >"$T/through-cat"
    cmp "$T/bytes" "$T/through-cat"
    # Each direction alone: what the container reads, and what it writes.
    run "$CTR" run -i busybox md5sum <"$T/bytes"
    [ "$status" -eq 0 ]
    expect_eq "$output" "$(md5sum <"$T/bytes" | cut -d' ' -f1)  -"
    "$CTR" run -v "$T/bytes:/bytes:ro" busybox cat /bytes >"$T/out-only"
    cmp "$T/bytes" "$T/out-only"
}

@test "run without -i: the command's stdin is /dev/null" {
    run bash -c 'echo from-the-host | "$CTR" run busybox sh -c "cat; readlink /proc/self/fd/0"'
    [ "$status" -eq 0 ]
    expect_eq "$output" "/dev/null"
}

@test "run: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to ctr reach the container" {
    local sig
    for sig in INT TERM HUP QUIT USR1 USR2; do
        bg "$T/out.$sig" "$CTR" run busybox sh -c \
            "trap 'echo caught $sig; exit 42' $sig; echo ready; while :; do sleep 0.05; done"
        wait_until 10 grep -qx ready "$T/out.$sig"
        kill -s "$sig" "$BG_PID"
        bg_wait 10
        [ "$BG_STATUS" -eq 42 ] || { echo "SIG$sig: ctr exited $BG_STATUS" >&2; false; }
        expect_eq "$(cat "$T/out.$sig")" "ready"$'\n'"caught $sig" "output for SIG$sig"
    done
}

@test "run -t: the command gets a terminal of the outer terminal's size, and its exit code" {
    require_tool script
    in_terminal "stty rows 33 cols 101; $(printf '%q ' "$CTR" run -t busybox \
        sh -c 'tty; stty size; echo "TERM=$TERM"; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; exit 5')"
    [ "$status" -eq 5 ]
    [[ "${lines[0]}" =~ ^/dev/pts/[0-9]+$ ]] || { echo "tty printed '${lines[0]}'" >&2; false; }
    expect_eq "${lines[1]}" "33 101" "stty size"
    expect_eq "${lines[2]}" "TERM=xterm"
    expect_eq "${lines[3]}" "all-ttys"
}

@test "run -t: a window size change of the outer terminal reaches the container" {
    require_tool script
    mkdir "$T/ctl"
    # ctr runs in the background of the script's shell, on its terminal; the size changes once
    # the container printed the first one, and it prints the second after that.
    in_terminal "stty rows 10 cols 50; $(printf '%q ' "$CTR" run -t -v "$T/ctl:/ctl" busybox \
        sh -c 'stty size; touch /ctl/first; while [ ! -e /ctl/go ]; do sleep 0.05; done; stty size') </dev/tty &
        i=0; while [ ! -e \"$T/ctl/first\" ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
        stty rows 44 cols 123; touch \"$T/ctl/go\"; wait \$!"
    [ "$status" -eq 0 ]
    expect_eq "$output" "10 50"$'\n'"44 123" "the sizes before and after the change"
}

@test "run -it: input typed on the terminal reaches the command" {
    require_tool script
    run timeout 30 script -qec "$(printf '%q ' "$CTR" run -it busybox sh -c 'read -r x; echo "got <$x>"')" /dev/null <<<"typed words"
    [ "$status" -eq 0 ]
    expect_contains "${output//$'\r'/}" "got <typed words>"
}

@test "run -it: Ctrl-C typed on the terminal interrupts the container" {
    require_tool script
    mkdir "$T/ctl"
    cmd=$(printf '%q ' "$CTR" run -it -v "$T/ctl:/ctl" busybox \
        sh -c 'trap "echo caught INT; exit 3" INT; touch /ctl/ready; while :; do sleep 0.05; done')
    # ^C once the trap is set.
    run bash -c '(for i in $(seq 200); do [ -e "$1/ready" ] && break; sleep 0.05; done; printf "\003") |
        timeout 30 script -qec "$2" /dev/null' _ "$T/ctl" "$cmd"
    [ "$status" -eq 3 ]
    expect_contains "${output//$'\r'/}" "caught INT"
}

@test "run --init: ctr-init is PID 1 and the command PID 2" {
    run "$CTR" run --init busybox ps -o pid,comm
    [ "$status" -eq 0 ]
    # PID 1's name is "memfd:ctr-init" from its exec until it renames itself "ctr-init".
    expect_eq "$(awk 'NR > 1 { sub(/^memfd:/, "", $2); print $1, $2 }' <<<"$output")" "1 ctr-init"$'\n'"2 ps"
    run "$CTR" run busybox ps -o pid,comm
    [ "$status" -eq 0 ]
    expect_eq "$(awk 'NR > 1 { print $1, $2 }' <<<"$output")" "1 ps"
}

# True when a process of container $1 is a zombie sleep.
has_zombie() {
    "$CTR" exec "$1" ps -o stat,comm | grep -qx 'Z *sleep'
}

@test "run --init: orphans are reaped, where a plain PID 1 leaves zombies" {
    local with without
    with=$("$CTR" run -d --init busybox sh -c '(sleep 0.1 &); exec sleep 1000')
    without=$("$CTR" run -d busybox sh -c '(sleep 0.1 &); exec sleep 1000')
    # Without an init, the orphaned sleep stays a zombie under PID 1 (sleep, which never waits).
    wait_until 5 has_zombie "$without"
    sleep 0.2
    run "$CTR" exec "$with" ps -o pid,stat,comm
    [ "$status" -eq 0 ]
    expect_eq "$(awk 'NR > 1 && $3 != "ps" { print $1, $2, $3 }' <<<"$output")" "1 S ctr-init"$'\n'"2 S sleep"
}

@test "run --init: signals sent to ctr reach the command through the init" {
    bg "$T/out" "$CTR" run --init busybox sh -c \
        "trap 'echo caught TERM; exit 7' TERM; echo ready; while :; do sleep 0.05; done"
    wait_until 10 grep -qx ready "$T/out"
    kill -TERM "$BG_PID"
    bg_wait 10
    [ "$BG_STATUS" -eq 7 ]
    expect_eq "$(cat "$T/out")" "ready"$'\n'"caught TERM"
    # Without a trap the command dies of it: 128 + 15.
    bg "$T/out2" "$CTR" run --init --name plain busybox sleep 1000
    wait_until 10 state_is plain running
    sleep 0.1
    kill -TERM "$BG_PID"
    bg_wait 10
    [ "$BG_STATUS" -eq 143 ]
    expect_eq "$(cat "$T/out2")" ""
}

@test "run -e: KEY=VALUE, KEY alone from our environment, the image's Env kept" {
    unset CTR_TEST_UNSET
    export CTR_TEST_FROM_HOST=host-value
    run "$CTR" run -e A=1 -e 'B=x=y z' -e CTR_TEST_FROM_HOST -e CTR_TEST_UNSET --env EMPTY= busybox env
    [ "$status" -eq 0 ]
    echo "$output" >"$T/env"
    expect_line "$T/env" "A=1"
    expect_line "$T/env" "B=x=y z"
    expect_line "$T/env" "CTR_TEST_FROM_HOST=host-value"
    expect_line "$T/env" "EMPTY="
    expect_line "$T/env" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    expect_line "$T/env" "HOME=/root"
    run grep -c '^CTR_TEST_UNSET' "$T/env"
    expect_eq "$output" 0 "lines for a KEY unset in our environment"
    # -e overrides the image's Env; the last -e wins.
    run "$CTR" run -e PATH=/bin -e A=1 -e A=2 busybox sh -c 'echo "$PATH $A"'
    [ "$status" -eq 0 ]
    expect_eq "$output" "/bin 2"
}

@test "run --env-file: comments and blank lines skipped, KEY alone from our environment, -e wins" {
    export CTR_TEST_FROM_HOST=host-value
    printf '%s\n' '# a comment' 'A=1' '' 'B=two words' 'CTR_TEST_FROM_HOST' '  # indented comment' \
        'C=from-file' >"$T/env-file"
    run "$CTR" run --env-file "$T/env-file" -e C=from-option busybox env
    [ "$status" -eq 0 ]
    echo "$output" >"$T/env"
    expect_line "$T/env" "A=1"
    expect_line "$T/env" "B=two words"
    expect_line "$T/env" "CTR_TEST_FROM_HOST=host-value"
    expect_line "$T/env" "C=from-option"
    expect_line "$T/env" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    run grep -c -e '#' -e '^$' "$T/env"
    expect_eq "$output" 0 "comment or empty lines in the environment"
}

@test "run --entrypoint: replaces the image's entrypoint and drops its Cmd" {
    # The image's Cmd is /bin/sh: were it kept, echo would print it.
    run "$CTR" run --entrypoint echo busybox
    [ "$status" -eq 0 ]
    expect_eq "$output" ""
    run "$CTR" run --entrypoint echo busybox one two
    [ "$status" -eq 0 ]
    expect_eq "$output" "one two"
}

@test "run -w: the working directory, created when missing" {
    run "$CTR" run -w /tmp busybox pwd
    [ "$status" -eq 0 ]
    expect_eq "$output" /tmp
    run "$CTR" run -w /new/deeper/dir busybox sh -c 'pwd; ls -ld /new/deeper/dir | cut -c1-10'
    [ "$status" -eq 0 ]
    expect_eq "$output" "/new/deeper/dir"$'\n'"drwxr-xr-x"
    run "$CTR" run busybox pwd
    expect_eq "$output" /
}

@test "run -u: by name, uid, uid:gid and name:group from the image's /etc/passwd and /etc/group" {
    local u
    declare -A want=(
        [root]="uid=0(root) gid=0(root)"
        [www]="uid=33(www) gid=33(www)"
        [33]="uid=33(www) gid=33(www)"
        [1000]="uid=1000 gid=0(root)"
        [1000:1000]="uid=1000 gid=1000"
        [www:nobody]="uid=33(www) gid=65534(nobody)"
        [33:65534]="uid=33(www) gid=65534(nobody)"
        [nobody]="uid=65534(nobody) gid=65534(nobody)"
    )
    for u in "${!want[@]}"; do
        run "$CTR" run -u "$u" busybox id
        [ "$status" -eq 0 ]
        expect_eq "$output" "${want[$u]}" "id for -u $u"
    done
    run "$CTR" run -u www busybox sh -c 'echo "$HOME"'
    expect_eq "$output" /var/www "HOME of www"
}

@test "run -u: the supplementary groups of the user's /etc/group memberships" {
    # The fixture's /etc/group lists no members: bind-mount one that does.
    printf '%s\n' 'root:x:0:' 'www:x:33:' 'staff:x:50:www,root' 'audio:x:63:www' \
        'nobody:x:65534:' >"$T/group"
    chmod 0644 "$T/group"
    run "$CTR" run -v "$T/group:/etc/group:ro" -u www busybox id
    [ "$status" -eq 0 ]
    expect_eq "$output" "uid=33(www) gid=33(www) groups=50(staff),63(audio)"
    run "$CTR" run -v "$T/group:/etc/group:ro" busybox id
    expect_eq "$output" "uid=0(root) gid=0(root) groups=50(staff)"
    run "$CTR" run -v "$T/group:/etc/group:ro" -u nobody busybox id
    expect_eq "$output" "uid=65534(nobody) gid=65534(nobody)"
}

@test "run --hostname: hostname, /etc/hostname, \$HOSTNAME and /etc/hosts" {
    run "$CTR" run --hostname myhost --name hn busybox sh -c 'hostname; cat /etc/hostname; env | sed -n "s/^HOSTNAME=//p"; cat /etc/hosts'
    [ "$status" -eq 0 ]
    expect_eq "${lines[0]}" myhost "hostname"
    expect_eq "${lines[1]}" myhost "/etc/hostname"
    expect_eq "${lines[2]}" myhost "\$HOSTNAME"
    echo "$output" >"$T/out"
    expect_line "$T/out" $'127.0.0.1\tlocalhost localhost.localdomain'
    expect_line "$T/out" $'::1\tlocalhost localhost.localdomain'
    expect_line "$T/out" $'127.0.1.1\tmyhost hn'
}

@test "run: the default hostname is the short id, in /etc/hosts with the name and localhost" {
    run "$CTR" run --name dflt busybox sh -c 'hostname; cat /etc/hosts'
    [ "$status" -eq 0 ]
    short=$("$CTR" inspect --format '{{.Id}}' dflt | cut -c1-12)
    [ ${#short} -eq 12 ]
    expect_eq "${lines[0]}" "$short" "hostname"
    echo "$output" >"$T/out"
    expect_line "$T/out" $'127.0.0.1\tlocalhost localhost.localdomain'
    expect_line "$T/out" $'127.0.1.1\t'"$short dflt"
}

@test "run --name: a name is unique; --replace replaces its container" {
    run "$CTR" run --name web busybox echo first
    [ "$status" -eq 0 ]
    old=$("$CTR" inspect --format '{{.Id}}' web)
    run "$CTR" run --name web busybox echo second
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: the container name 'web' is already in use by ${old:0:12}: remove it ('ctr rm web') or use --replace"
    expect_eq "$(rows)" 1 "containers after the refused run"
    run "$CTR" run --name web --replace busybox echo replaced
    [ "$status" -eq 0 ]
    expect_eq "$output" replaced
    new=$("$CTR" inspect --format '{{.Id}}' web)
    [ "$new" != "$old" ]
    run "$CTR" inspect "$old"
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no container with name or id '$old' found"
    [ ! -e "$STORE/containers/$old" ]
    expect_eq "$(rows)" 1 "containers after --replace"
    run "$CTR" run --replace busybox true
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: run --replace needs --name: it replaces the container of that name: see 'ctr run --help'"
}

@test "run --cidfile: the id is written; an existing file is refused" {
    run "$CTR" run --name c1 --cidfile "$T/cid" busybox true
    [ "$status" -eq 0 ]
    expect_eq "$(cat "$T/cid")" "$("$CTR" inspect --format '{{.Id}}' c1)"
    [[ "$(cat "$T/cid")" =~ ^[0-9a-f]{64}$ ]]
    cp "$T/cid" "$T/cid.before"
    run "$CTR" run --name c2 --cidfile "$T/cid" busybox echo never
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: --cidfile '$T/cid' exists: remove it, or it names another container (--replace overwrites it)"
    cmp "$T/cid" "$T/cid.before"
    run "$CTR" inspect c2
    [ "$status" -eq 125 ]
    expect_eq "$(rows)" 1 "containers"
    expect_eq "$(container_dirs)" 1 "container directories"
}

@test "run --rm: no row, no directory and no mount remain" {
    mkdir "$T/ctl"
    bg "$T/out" "$CTR" run --rm --name gone --cidfile "$T/cid" -v "$T/ctl:/ctl" busybox \
        sh -c 'echo ready; while [ ! -e /ctl/go ]; do sleep 0.05; done; echo bye; exit 3'
    wait_until 10 grep -qx ready "$T/out"
    id=$(cat "$T/cid")
    pid=$("$CTR" inspect --format '{{.State.Pid}}' gone)
    # While it runs, its mounts name its directory...
    grep -q "$id" "/proc/$pid/mountinfo"
    [ -d "$STORE/containers/$id" ]
    touch "$T/ctl/go"
    bg_wait 10
    [ "$BG_STATUS" -eq 3 ]
    expect_eq "$(cat "$T/out")" "ready"$'\n'"bye"
    # ... and then nothing is left.
    run "$CTR" inspect gone
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no container with name or id 'gone' found"
    run "$CTR" inspect "$id"
    [ "$status" -eq 125 ]
    [ ! -e "$STORE/containers/$id" ]
    expect_eq "$(container_dirs)" 0 "container directories"
    expect_eq "$(rows)" 0 "containers"
    expect_eq "$(grep -l "$id" /proc/self/mountinfo /proc/[0-9]*/mountinfo 2>/dev/null)" "" "mount tables naming the container"
}

@test "run -v: a read-write and a read-only bind mount" {
    mkdir "$T/vol"
    echo from-host >"$T/vol/in"
    run "$CTR" run -v "$T/vol:/mnt" busybox sh -c 'cat /mnt/in; echo from-container >/mnt/out'
    [ "$status" -eq 0 ]
    expect_eq "$output" from-host
    expect_eq "$(cat "$T/vol/out")" from-container
    # The container's root is us on the host.
    expect_eq "$(stat -c %u:%g "$T/vol/out")" "$(id -u):$(id -g)"
    run "$CTR" run -v "$T/vol:/mnt:ro" busybox sh -c 'cat /mnt/in; echo x >/mnt/out2'
    [ "$status" -eq 1 ]
    expect_eq "$output" "from-host"$'\n'"sh: can't create /mnt/out2: Read-only file system"
    [ ! -e "$T/vol/out2" ]
    run "$CTR" run -v "$T/vol/in:/etc/motd:ro" busybox cat /etc/motd
    [ "$status" -eq 0 ]
    expect_eq "$output" from-host
}

@test "run --tmpfs: a private tmpfs, rw,nosuid,nodev,noexec by default, options taken" {
    run "$CTR" run --name tm --tmpfs /scratch busybox sh -c \
        'awk "\$2 == \"/scratch\" { print \$3, \$4 }" /proc/mounts; echo data >/scratch/f; cat /scratch/f'
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" =~ ^tmpfs\ rw,nosuid,nodev,noexec, ]] || { echo "mount: ${lines[0]}" >&2; false; }
    expect_eq "${lines[1]}" data
    id=$("$CTR" inspect --format '{{.Id}}' tm)
    [ ! -e "$STORE/containers/$id/upper/scratch/f" ]
    run "$CTR" run --tmpfs /scratch:size=1m busybox sh -c 'awk "\$2 == \"/scratch\" { print \$4 }" /proc/mounts'
    [ "$status" -eq 0 ]
    expect_contains "$output" "size=1024k"
}

@test "run: image files of uid 33 are 33:33 inside and the subordinate ids on the host" {
    local uid0 gid0
    run "$CTR" run --name own busybox sh -c 'touch /f && chown 33:33 /f && ls -ln /var/www/index.html /f'
    [ "$status" -eq 0 ]
    expect_eq "$(awk '{ print $3 ":" $4, $NF }' <<<"$output")" "33:33 /f"$'\n'"33:33 /var/www/index.html"
    id=$("$CTR" inspect --format '{{.Id}}' own)
    uid0=$(subid_start /etc/subuid)
    gid0=$(subid_start /etc/subgid)
    # Container id 1 is the first subordinate id; 33 is 32 above it.
    expect_eq "$(stat -c %u:%g "$STORE/containers/$id/upper/f")" "$((uid0 + 32)):$((gid0 + 32))"
}

@test "run: the container's root is the user on the host" {
    require_tool ps
    run "$CTR" run busybox id
    [ "$status" -eq 0 ]
    expect_eq "$output" "uid=0(root) gid=0(root)"
    id=$("$CTR" run -d busybox sleep 1000)
    pid=$("$CTR" inspect --format '{{.State.Pid}}' "$id")
    expect_eq "$(ps -o comm= -p "$pid")" sleep
    expect_eq "$(ps -o uid= -p "$pid" | tr -d ' ')" "$(id -u)" "the host uid of the container's sleep"
}

@test "run: the container's processes start with umask 0022, not ctr's own" {
    run "$CTR" run busybox sh -c 'umask; touch /tmp/f; mkdir /tmp/d; stat -c "%a %n" /tmp/f /tmp/d'
    [ "$status" -eq 0 ]
    expect_eq "$output" "0022"$'\n'"644 /tmp/f"$'\n'"755 /tmp/d"
}

@test "run: /proc, a read-only /sys, /dev with its devices, /dev/pts, /dev/shm and /dev/mqueue" {
    run "$CTR" run busybox cat /proc/mounts
    [ "$status" -eq 0 ]
    awk '{ print $2, $3 }' <<<"$output" >"$T/mounts"
    expect_line "$T/mounts" "/ overlay"
    expect_line "$T/mounts" "/proc proc"
    expect_line "$T/mounts" "/sys sysfs"
    expect_line "$T/mounts" "/dev tmpfs"
    expect_line "$T/mounts" "/dev/pts devpts"
    expect_line "$T/mounts" "/dev/shm tmpfs"
    expect_line "$T/mounts" "/dev/mqueue mqueue"
    expect_eq "$(awk '$2 == "/sys" { split($4, o, ","); print o[1] }' <<<"$output")" ro "/sys options"
    run "$CTR" run busybox mkdir /sys/ctr-test
    [ "$status" -eq 1 ]
    expect_eq "$output" "mkdir: can't create directory '/sys/ctr-test': Read-only file system"
    run "$CTR" run busybox stat -c '%F %t,%T %n' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty
    [ "$status" -eq 0 ]
    expect_eq "$output" "character special file 1,3 /dev/null
character special file 1,5 /dev/zero
character special file 1,7 /dev/full
character special file 1,8 /dev/random
character special file 1,9 /dev/urandom
character special file 5,0 /dev/tty"
    run "$CTR" run busybox sh -c 'echo x >/dev/null && head -c 4 /dev/zero | od -An -tx1 && head -c 16 /dev/urandom | wc -c && echo x >/dev/full'
    [ "$status" -eq 1 ]
    expect_eq "$output" " 00 00 00 00"$'\n'"16"$'\n'"sh: write error: No space left on device"
    run "$CTR" run busybox sh -c 'echo shm >/dev/shm/f && cat /dev/shm/f'
    [ "$status" -eq 0 ]
    expect_eq "$output" shm
}

@test "a user without subordinate ranges gets a single-id map and one warning" {
    require_tool setpriv
    local home="$T/noranges"
    python3 "$BATS_TEST_DIRNAME/helpers/root-only-image.py" "$T/rootonly.tar"
    : >"$T/empty"
    mkdir -p "$home"
    # uid 1000 of that namespace is another user for the test's own 0700 directories.
    local d="$T"
    while [ "$d" != "/" ] && [ -O "$d" ]; do chmod o+x "$d"; d=$(dirname "$d"); done
    # In a user namespace of our own, empty /etc/subuid and /etc/subgid are bound over the
    # real ones, and ctr runs as uid 1000 there: a user with no ranges at all.
    run --separate-stderr unshare -U -m --map-auto --map-root-user sh -c '
        mount --bind "$1/empty" /etc/subuid && mount --bind "$1/empty" /etc/subgid &&
        mkdir -p "$2/data" "$2/run" && chown -R 1000:1000 "$2" && chmod 700 "$2/run" &&
        exec setpriv --reuid=1000 --regid=1000 --clear-groups env HOME="$2" \
            XDG_DATA_HOME="$2/data" XDG_RUNTIME_DIR="$2/run" sh -c "
                \"\$0\" load -q -i \"\$1\" >/dev/null &&
                \"\$0\" run --rm --network none rootonly sh -c \"id -u; cat /proc/self/uid_map\"
            " "$3" "$4"' _ "$T" "$home" "$CTR" "$T/rootonly.tar"
    [ "$status" -eq 0 ] || { echo "status $status: $output / $stderr" >&2; false; }
    expect_eq "${lines[0]}" 0 "id -u inside"
    expect_eq "$(echo ${lines[1]})" "0 1000 1" "the uid map"
    expect_eq "${#lines[@]}" 2 "lines of output"
    expect_eq "$stderr" "ctr: warning: you have no subordinate id ranges: the container gets only your own id, as root (see 'ctr info')"
    unshare -U --map-auto --map-root-user rm -rf "$home"
}
