#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ctr generate systemd: the unit's lines, the container's options rebuilt and quoted for
# systemd (spaces, '%', '$', quotes), systemd-analyze verify, and the unit's commands run as
# systemd would run them (helpers/unit-exec.py reads them as systemd.service(5) says), since
# there is no systemd manager here.

# '$' in single quotes is what the tests hand to ctr and systemd; STORE is set by
# store_setup; $stderr by bats' run --separate-stderr.
# shellcheck disable=SC2016,SC2153,SC2154

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
    fixtures_build >/dev/null
}

setup() {
    store_setup
    load_busybox
    UNIT_EXEC="$BATS_TEST_DIRNAME/helpers/unit-exec.py"
    cd "$T" || return 1
}

teardown() {
    store_teardown
}

field() { # CONTAINER TEMPLATE
    "$CTR" inspect --format "$2" "$1"
}

# unit_exec UNIT KEY: runs KEY's command line of UNIT as systemd would (%t is
# $XDG_RUNTIME_DIR), stdout and stderr to $output, status to $status.
unit_exec() {
    local -a argv
    mapfile -d '' argv < <("${CTR_PYTHON:-python3}" "$UNIT_EXEC" "$1" "$2" "$XDG_RUNTIME_DIR")
    ((${#argv[@]} > 0)) || { echo "no command line in $2= of $1" >&2; return 1; }
    run "${argv[@]}"
}

logs_are() { # CONTAINER TEXT
    [ "$("$CTR" logs "$1")" = "$2" ]
}

verify() { # UNIT
    run systemd-analyze verify --man=no "$1"
    if [ "$status" -ne 0 ] || [ -n "$output" ]; then
        printf 'systemd-analyze verify %s (status %d):\n%s\n--- the unit:\n' "$1" "$status" "$output" >&2
        cat "$1" >&2
        return 1
    fi
}

@test "generate systemd --new: the unit's lines, and the create options quoted for systemd" {
    require_tool systemd-analyze
    mkdir "$T/srv"
    "$CTR" create --name web -p 8080:80 -e 'GREETING=hello world' -e 'PCT=100%' -e 'D=$HOME' \
        -v "$T/srv:/srv:ro" --network slirp4netns --restart always -it --label=a=b \
        busybox httpd -f -p 80 >/dev/null
    run --separate-stderr "$CTR" generate systemd --new web
    [ "$status" -eq 0 ]
    echo "$output" >web.service
    ctr=$(readlink -f "$CTR")
    store="--root $STORE --runroot $XDG_RUNTIME_DIR/ctr"
    for line in \
        '# container-web.service' \
        '[Unit]' \
        'Description=ctr container web' \
        'Wants=network-online.target' \
        'After=network-online.target' \
        "RequiresMountsFor=$STORE $XDG_RUNTIME_DIR/ctr" \
        '[Service]' \
        'Restart=on-failure' \
        'TimeoutStopSec=70' \
        "ExecStart=$ctr $store run \\" \
        $'\t--cidfile=%t/%N.cid \\' \
        $'\t--replace \\' \
        $'\t--rm \\' \
        $'\t--sdnotify=conmon \\' \
        $'\t-d \\' \
        $'\t--name web \\' \
        $'\t-p 8080:80 \\' \
        $'\t-e "GREETING=hello world" \\' \
        $'\t-e PCT=100%% \\' \
        $'\t-e D=$$HOME \\' \
        $'\t-v '"$T/srv:/srv:ro \\" \
        $'\t--network slirp4netns \\' \
        $'\t--label=a=b \\' \
        $'\tbusybox httpd -f -p 80' \
        "ExecStop=$ctr $store stop --ignore -t 10 --cidfile=%t/%N.cid" \
        "ExecStopPost=$ctr $store rm -f --ignore -t 10 --cidfile=%t/%N.cid" \
        'Type=notify' \
        'NotifyAccess=all' \
        'KillMode=mixed' \
        'SuccessExitStatus=143' \
        '[Install]' \
        'WantedBy=default.target'; do
        expect_line web.service "$line"
    done
    # What the unit sets itself, or what has no place under systemd, is not passed on.
    run ! grep -E -- '--restart|-it|--interactive|--tty|^	-t ' web.service
    expect_eq "$(grep -c -- '--name' web.service)" 1
    verify web.service
}

@test "generate systemd: '%', '\$', quotes, backslashes and spaces survive systemd's parsing" {
    require_tool systemd-analyze
    "$CTR" create --name q -e 'P=50% off' -e 'V=$USER ${HOME}' -e "S=it's \"quoted\" \\ back" \
        -e 'T=a	tab' --network none --entrypoint /bin/sh busybox \
        -c 'echo "$P|$V|$S|$T"; printf "%s\n" "$1"; exec sleep 1000' sh '%t;$1' >/dev/null
    "$CTR" generate systemd --new -t 1 q >container-q.service
    verify container-q.service
    expect_line container-q.service $'\t-e "P=50%% off" \\'
    expect_line container-q.service $'\t-e "V=$$USER $${HOME}" \\'
    expect_line container-q.service $'\t-e "S=it\'s \\"quoted\\" \\\\ back" \\'
    expect_line container-q.service $'\t-e "T=a\\ttab" \\'
    expect_line container-q.service $'\tbusybox -c "echo \\"$$P|$$V|$$S|$$T\\"; printf \\"%%s\\\\n\\" \\"$$1\\"; exec sleep 1000" sh %%t;$$1'
    # Read back as systemd reads it, the command line runs the same container, and it says so.
    unit_exec container-q.service ExecStart
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^[0-9a-f]{64}$ ]] || { echo "ExecStart printed: $output" >&2; false; }
    expect_eq "$(cat "$XDG_RUNTIME_DIR/container-q.cid")" "$output"
    want="50% off|\$USER \${HOME}|it's \"quoted\" \\ back|a	tab"$'\n''%t;$1'
    wait_until 10 logs_are q "$want" || expect_eq "$("$CTR" logs q)" "$want"
    unit_exec container-q.service ExecStopPost
    [ "$status" -eq 0 ]
}

@test "the --new unit's ExecStart, ExecStop and ExecStopPost run the container and clean up" {
    mkdir "$T/srv" && echo 'it works' >"$T/srv/index.html"
    "$CTR" create --name web --network none -e 'GREETING=hello world' -v "$T/srv:/srv:ro" \
        busybox httpd -f -h /srv >/dev/null
    old=$(field web '{{.Id}}')
    "$CTR" generate systemd --new -t 3 web >container-web.service
    unit_exec container-web.service ExecStart
    [ "$status" -eq 0 ]
    id=$output
    # --replace: a new container of the same name took the created one's place.
    [ "$id" != "$old" ]
    expect_eq "$(field web '{{.Id}} {{.State.Status}}')" "$id running"
    expect_eq "$(cat "$XDG_RUNTIME_DIR/container-web.cid")" "$id"
    expect_eq "$("$CTR" exec web sh -c 'echo "$GREETING"')" "hello world"
    expect_eq "$("$CTR" exec web cat /srv/index.html)" "it works"
    expect_eq "$(field web '{{.HostConfig.AutoRemove}} {{.Config.StopTimeout}}')" "true 10"
    unit_exec container-web.service ExecStop
    [ "$status" -eq 0 ]
    # --rm: the container removed itself when it stopped.
    run "$CTR" inspect web
    [ "$status" -eq 125 ]
    unit_exec container-web.service ExecStopPost
    [ "$status" -eq 0 ]
    [ ! -e "$XDG_RUNTIME_DIR/container-web.cid" ]
    [ ! -e "$STORE/containers/$id" ]
    # And again, as at the next start of the unit.
    unit_exec container-web.service ExecStart
    [ "$status" -eq 0 ]
    expect_eq "$(field web '{{.State.Status}}')" running
    unit_exec container-web.service ExecStopPost
    [ "$status" -eq 0 ]
    expect_eq "$("$CTR" ps -a -q | wc -l)" 0
}

@test "generate systemd without --new: start and stop the container that exists" {
    require_tool systemd-analyze
    "$CTR" create --name old --network none --stop-signal INT busybox sleep 1000 >/dev/null
    run --separate-stderr "$CTR" generate systemd --restart-policy always --restart-sec 5 \
        --stop-timeout 7 --no-header old
    [ "$status" -eq 0 ]
    echo "$output" >container-old.service
    ctr=$(readlink -f "$CTR")
    store="--root $STORE --runroot $XDG_RUNTIME_DIR/ctr"
    for line in 'Restart=always' 'RestartSec=5' 'TimeoutStopSec=67' \
        "ExecStart=$ctr $store start old" "ExecStop=$ctr $store stop -t 7 old" \
        "ExecStopPost=$ctr $store stop -t 7 old" 'Type=forking' 'SuccessExitStatus=130' \
        'KillMode=mixed' 'WantedBy=default.target'; do
        expect_line container-old.service "$line"
    done
    expect_eq "$(head -n 1 container-old.service)" '[Unit]'
    verify container-old.service
    unit_exec container-old.service ExecStart
    [ "$status" -eq 0 ]
    expect_eq "$(field old '{{.State.Status}}')" running
    unit_exec container-old.service ExecStop
    [ "$status" -eq 0 ]
    expect_eq "$(field old '{{.State.Status}} {{.State.ExitCode}}')" "exited 137"
    unit_exec container-old.service ExecStopPost
    [ "$status" -eq 0 ]
}

@test "generate systemd --files writes container-NAME.service in the current directory" {
    "$CTR" create --name f busybox true >/dev/null
    run "$CTR" generate systemd --files --new f
    [ "$status" -eq 0 ]
    expect_eq "$output" "$T/container-f.service"
    expect_line container-f.service 'Type=notify'
    expect_eq "$(stat -c %a container-f.service)" 644
    # A second time replaces it.
    run "$CTR" generate systemd -f f
    [ "$status" -eq 0 ]
    expect_line container-f.service 'Type=forking'
}

@test "generate systemd: errors and warnings" {
    run "$CTR" generate systemd nosuch
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: no container with name or id 'nosuch' found"
    run "$CTR" generate systemd
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: generate systemd needs a container: see 'ctr generate systemd --help'"
    "$CTR" create --name r --restart always busybox true >/dev/null
    run "$CTR" generate systemd --restart-policy sometimes r
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: generate systemd --restart-policy 'sometimes' is not one of systemd's: no, on-success, on-failure, on-abnormal, on-watchdog, on-abort, always: see 'ctr generate systemd --help'"
    run "$CTR" generate
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: generate needs a command: see 'ctr generate --help'"
    # Its own restart policy would fight systemd's: said, and left out with --new.
    run --separate-stderr "$CTR" generate systemd r
    [ "$status" -eq 0 ]
    expect_eq "$stderr" "ctr: warning: container 'r' has --restart always: its monitor would restart it behind systemd's back; create it again without --restart, or use --new (which leaves it out)"
    run --separate-stderr "$CTR" generate systemd --new r
    [ "$status" -eq 0 ]
    expect_eq "$stderr" ""
    # A container whose create command was not stored (an older ctr made it).
    id=$(field r '{{.Id}}')
    sqlite3 "$STORE/ctr.db" "UPDATE containers SET config = json_remove(config, '\$.create_command') WHERE id = '$id'"
    run "$CTR" generate systemd --new r
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: container 'r' has no stored create command (an older ctr made it): create it again, or generate the unit without --new"
}
