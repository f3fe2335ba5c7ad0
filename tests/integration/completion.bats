#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Shell completion: `ctr completion bash|zsh|fish` and the copies in completions/, the
# `ctr __complete` protocol, bash's completion function driven through COMP_WORDS/COMP_CWORD
# (and COMP_LINE/COMP_POINT where readline splits at '=' and ':'), with real containers in
# each state; zsh and fish syntax, fish's `complete -C`, and TAB typed into bash and zsh
# running in tmux.

load helpers

bats_require_minimum_version 1.5.0

COMPLETIONS="$BATS_TEST_DIRNAME/../../completions"

setup_file() {
    fixtures_build
    python3 "$BATS_TEST_DIRNAME/../fixtures/build-images.py" "$(fixtures_dir)" \
        --oci-archive busybox "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
    # The scripts run the `ctr` they find on PATH.
    mkdir -p "$BATS_FILE_TMPDIR/bin"
    ln -sf "$CTR" "$BATS_FILE_TMPDIR/bin/ctr"
}

setup() {
    store_setup
    export PATH="$BATS_FILE_TMPDIR/bin:$PATH"
    # shellcheck source=../../completions/ctr.bash
    source "$COMPLETIONS/ctr.bash"
}

teardown() {
    if [ -S "$T/tmux.sock" ]; then
        tmux -S "$T/tmux.sock" kill-server 2>/dev/null || true
    fi
    store_teardown
}

load_image() {
    "$CTR" load -q -i "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
}

# comp WORD...: what bash's _ctr puts in COMPREPLY for `ctr WORD...`, the last word being
# the one under the cursor; one a line, sorted.
comp() {
    local COMP_WORDS=(ctr "$@") COMP_CWORD=$# COMPREPLY=()
    _ctr ctr
    printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
}

# comp_line LINE: the same for a line as typed, cursor at its end, which readline splits
# at '=' and ':' (COMP_WORDS then holds '=' and ':' as words of their own).
comp_line() {
    local COMP_LINE=$1 COMP_POINT=${#1} COMP_WORDS=() COMP_CWORD=0 COMPREPLY=()
    _ctr ctr
    printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
}

# The script for SHELL as `ctr completion SHELL` prints it, and its copy in completions/.
script_copy() {
    case $1 in
    bash) echo "$COMPLETIONS/ctr.bash" ;;
    zsh) echo "$COMPLETIONS/_ctr" ;;
    fish) echo "$COMPLETIONS/ctr.fish" ;;
    esac
}

@test "completion prints each shell's script, byte for byte the copy in completions/" {
    local shell
    for shell in bash zsh fish; do
        "$CTR" completion "$shell" >"$T/$shell"
        if ! cmp "$T/$shell" "$(script_copy "$shell")"; then
            echo "completions/ is out of date: ctr completion $shell > $(script_copy "$shell")" >&2
            diff -u "$(script_copy "$shell")" "$T/$shell" >&2 || true
            return 1
        fi
    done
}

@test "completion needs a known shell, and says so in one line" {
    run "$CTR" completion tcsh
    [ "$status" -eq 125 ]
    expect_eq "$output" "ctr: completion takes bash, zsh or fish, not 'tcsh': see 'ctr completion --help'"
    run "$CTR" completion
    [ "$status" -eq 125 ]
    expect_contains "$output" "needs a shell: bash, zsh or fish"
    run "$CTR" completion --help
    [ "$status" -eq 0 ]
    expect_contains "$output" "Usage: ctr completion bash|zsh|fish"
}

@test "the scripts pass bash -n, zsh -n and fish -n" {
    require_tool zsh
    require_tool fish
    "$CTR" completion bash >"$T/ctr.bash"
    "$CTR" completion zsh >"$T/_ctr"
    "$CTR" completion fish >"$T/ctr.fish"
    bash -n "$T/ctr.bash"
    zsh -n "$T/_ctr"
    fish -n "$T/ctr.fish"
}

@test "__complete answers candidates and a directive, and is not a command in help" {
    run "$CTR" __complete st
    [ "$status" -eq 0 ]
    expect_eq "$output" "$(printf 'start\tStart created or exited containers\nstop\tStop running containers\n:0')"
    run "$CTR" __complete run --env-file ''
    expect_eq "$output" ":1"
    run "$CTR" __complete --root ''
    expect_eq "$output" ":2"
    run "$CTR" --help
    [[ "$output" != *__complete* ]]
    expect_contains "$output" "  completion   Print the shell completion script"
    # Nothing to complete after an unknown command; nothing on stderr ever.
    run --separate-stderr "$CTR" __complete frobnicate ''
    [ "$status" -eq 0 ]
    expect_eq "$output" ":0"
    expect_eq "$stderr" ""
}

@test "without a store completion offers no containers, creates nothing and stays silent" {
    run --separate-stderr "$CTR" __complete stop ''
    [ "$status" -eq 0 ]
    expect_eq "$output" ":0"
    expect_eq "$stderr" ""
    run --separate-stderr "$CTR" __complete rmi ''
    expect_eq "$output" ":0"
    [ ! -e "$XDG_DATA_HOME" ]
    [ -z "$(ls -A "$XDG_RUNTIME_DIR")" ]
}

@test "bash: command names, and the subcommands of container and image" {
    expect_eq "$(comp st)" "$(printf 'start\nstop')"
    expect_eq "$(comp comp)" "completion"
    expect_eq "$(comp container l)" "$(printf 'list\nlogs\nls')"
    expect_eq "$(comp image p)" "$(printf 'prune\npull')"
    expect_eq "$(comp help ver)" "version"
    expect_eq "$(comp completion '')" "$(printf 'bash\nfish\nzsh')"
}

@test "bash: options, long and short, global ones before the command" {
    expect_eq "$(comp run --net)" "$(printf -- '--net\n--network')"
    expect_eq "$(comp stop --ti)" "$(printf -- '--time\n--timeout')"
    local out
    out=$(comp stop -)
    grep -qx -- --all <<<"$out"
    grep -qx -- -a <<<"$out"
    grep -qx -- -t <<<"$out"
    expect_eq "$(comp --ro)" "--root"
    expect_eq "$(comp --log-level '')" "$(printf 'debug\nerror\ninfo\ntrace\nwarn')"
    # Options end at the first operand (getopt's '+'), as ctr parses them.
    expect_eq "$(comp rm web --fo)" ""
}

@test "bash: --network modes, also after '=' and 'container:'" {
    load_image
    "$CTR" run -d --network=none --name web busybox sleep 100 >/dev/null
    "$CTR" create --name idle busybox true >/dev/null
    expect_eq "$(comp run --network '')" \
        "$(printf 'container:\nhost\nnone\nns:\npasta\nslirp4netns\nslirp4netns:')"
    expect_eq "$(comp create --net n)" "$(printf 'none\nns:')"
    # Readline replaces only the part after the last '=' or ':'.
    expect_eq "$(comp_line 'ctr run --network=co')" "container:"
    expect_eq "$(comp_line 'ctr run --network=container:')" "web"
    expect_eq "$(comp_line 'ctr run --network container:w')" "web"
    expect_eq "$(comp_line 'ctr run --network=slirp4netns:mtu=1500,allow')" \
        "1500,allow_host_loopback=true"
}

@test "bash: start offers created and exited containers, stop and exec running ones" {
    load_image
    "$CTR" run -d --network=none --name up busybox sleep 100 >/dev/null
    "$CTR" create --name made busybox true >/dev/null
    "$CTR" run --network=none --name done busybox true >/dev/null
    expect_eq "$(comp start '')" "$(printf 'done\nmade')"
    expect_eq "$(comp stop '')" "up"
    expect_eq "$(comp exec '')" "up"
    expect_eq "$(comp exec -it '')" "up"
    expect_eq "$(comp kill -s KILL '')" "up"
    expect_eq "$(comp rm '')" "$(printf 'done\nmade\nup')"
    expect_eq "$(comp logs m)" "made"
    expect_eq "$(comp container start '')" "$(printf 'done\nmade')"
    # Ids once three hex digits are typed, as `ctr ps` shows them.
    local id
    id=$("$CTR" ps -a -q --filter name=made)
    expect_eq "$(comp start "${id:0:4}")" "${id:0:12}"
    # After the container of exec (and the image of run), the command: files, no options.
    mkdir "$T/dir"
    : >"$T/dir/file1"
    expect_eq "$(comp exec up "$T/dir/fi")" "$T/dir/file1"
    expect_eq "$(comp run busybox "$T/dir/fi")" "$T/dir/file1"
    expect_eq "$(comp run busybox --net)" ""
}

@test "bash: images by name, short name and id" {
    load_image
    local id
    expect_eq "$(comp rmi '')" "localhost/busybox:latest"
    expect_eq "$(comp rmi busy)" "busybox:latest"
    expect_eq "$(comp run --rm busy)" "busybox:latest"
    # Readline replaces what follows the ':'.
    expect_eq "$(comp_line 'ctr rmi localhost/busybox:la')" "latest"
    id=$("$CTR" images -q | head -n 1)
    expect_eq "$(comp image inspect "${id:0:3}")" "${id:0:12}"
}

@test "bash: --format offers json, table and the command's fields" {
    local out
    out=$(comp ps --format '')
    expect_contains "$out" "json"
    expect_contains "$out" "{{.Names}}"
    expect_eq "$(comp ps --format '{{.Na')" "{{.Names}}"
    expect_eq "$(comp_line "ctr ps --format '{{.ID}} {{.Sta")" \
        "$(printf '{{.ID}} {{.StartedAt}}\n{{.ID}} {{.State}}\n{{.ID}} {{.Status}}')"
    expect_eq "$(comp images --format '{{.Repos')" "{{.Repository}}"
}

@test "bash: signals for kill -s and --stop-signal, in the case typed" {
    local out
    out=$(comp kill -s '')
    expect_contains "$out" "SIGTERM"
    expect_contains "$out" "SIGKILL"
    expect_eq "$(comp kill -s SIGTE)" "SIGTERM"
    expect_eq "$(comp kill -s TE)" "TERM"
    expect_eq "$(comp kill --signal te)" "term"
    expect_eq "$(comp_line 'ctr run --stop-signal=SIGHU')" "SIGHUP"
}

@test "bash: capabilities for --cap-add and --cap-drop, also in a list" {
    local out
    out=$(comp run --cap-add '')
    expect_contains "$out" "CAP_NET_ADMIN"
    expect_contains "$out" "ALL"
    expect_eq "$(comp run --cap-add CAP_NET_A)" "CAP_NET_ADMIN"
    expect_eq "$(comp create --cap-drop net_ad)" "net_admin"
    expect_eq "$(comp run --cap-add CAP_CHOWN,CAP_SYS_TI)" "CAP_CHOWN,CAP_SYS_TIME"
}

@test "--root on the line is the store completion reads, read-only" {
    load_image
    "$CTR" create --name here busybox true >/dev/null
    local db="$STORE/ctr.db" before after
    before=$(cat "$db" "$db-wal" 2>/dev/null | sha256sum)
    expect_eq "$(comp --root "$STORE" start '')" "here"
    expect_eq "$(comp --root "$T/elsewhere" start '')" ""
    expect_eq "$(comp "--root=$STORE" start h)" "here"
    [ ! -e "$T/elsewhere" ]
    after=$(cat "$db" "$db-wal" 2>/dev/null | sha256sum)
    expect_eq "$after" "$before" "the database after completion"
}

@test "completion reads the store ctr.conf names, and offers nothing when the file is bad" {
    load_image
    "$CTR" create --name here busybox true >/dev/null
    expect_eq "$(comp start '')" "here"
    mkdir -p "$XDG_CONFIG_HOME/ctr"
    printf 'root = "%s"\n' "$T/elsewhere" >"$XDG_CONFIG_HOME/ctr/ctr.conf"
    expect_eq "$(comp start '')" ""
    [ ! -e "$T/elsewhere" ]
    expect_eq "$(comp --root "$STORE" start '')" "here"
    printf 'bogus = 1\n' >"$XDG_CONFIG_HOME/ctr/ctr.conf"
    run "$CTR" __complete start ''
    [ "$status" -eq 0 ]
    expect_eq "$output" ":0"
}

@test "every command and subcommand completes its options" {
    local cmd sub out
    for cmd in $("$CTR" __complete '' | cut -f1 | grep -v '^:'); do
        # `ctr help --help` is `ctr help`: it takes a command name, and no options.
        [ "$cmd" != help ] || continue
        out=$("$CTR" __complete "$cmd" --he)
        expect_contains "$out" "--help" "ctr __complete $cmd --he"
    done
    for cmd in container image; do
        for sub in $("$CTR" __complete "$cmd" '' | cut -f1 | grep -v '^:'); do
            out=$("$CTR" __complete "$cmd" "$sub" --he)
            expect_contains "$out" "--help" "ctr __complete $cmd $sub --he"
        done
    done
}

@test "fish: complete -C offers the commands and containers" {
    require_tool fish
    load_image
    "$CTR" create --name made busybox true >/dev/null
    run fish --no-config -c "source '$COMPLETIONS/ctr.fish'; complete -C'ctr sto'"
    [ "$status" -eq 0 ]
    expect_eq "$output" "$(printf 'stop\tStop running containers')"
    run fish --no-config -c "source '$COMPLETIONS/ctr.fish'; complete -C'ctr start '"
    expect_eq "$output" "$(printf 'made\tcreated, localhost/busybox:latest')"
    run fish --no-config -c "source '$COMPLETIONS/ctr.fish'; complete -C'ctr run --network=co'"
    expect_eq "$output" "$(printf -- '--network=container:\tthe network namespace of a running container')"
}

# tmux_type SHELL-COMMAND KEYS...: starts SHELL-COMMAND in a new tmux session (80x24), types
# KEYS, and waits until the screen shows "start" and "stop" (the candidates of `ctr st`).
tmux_screen_has() {
    local screen
    screen=$(tmux -S "$T/tmux.sock" capture-pane -p -t t)
    [[ "$screen" == *"$1"* && "$screen" == *"$2"* ]]
}

@test "bash in tmux: TAB TAB after 'ctr st' lists start and stop" {
    require_tool tmux
    cat >"$T/bashrc" <<EOF
PS1='\$ '
source '$COMPLETIONS/ctr.bash'
EOF
    tmux -S "$T/tmux.sock" new-session -d -s t -x 100 -y 20 \
        env PATH="$PATH" HOME="$T" TERM=xterm bash --noprofile --rcfile "$T/bashrc" -i
    wait_until 10 tmux_screen_has '$' '$'
    tmux -S "$T/tmux.sock" send-keys -t t 'ctr st' Tab Tab
    if ! wait_until 10 tmux_screen_has 'start' 'stop'; then
        tmux -S "$T/tmux.sock" capture-pane -p -t t >&2
        return 1
    fi
    run tmux -S "$T/tmux.sock" capture-pane -p -t t
    [[ "$output" =~ start\ +stop ]]
}

@test "zsh in tmux: TAB after 'ctr st' lists start and stop with compinit" {
    require_tool tmux
    require_tool zsh
    mkdir "$T/zfunc"
    "$CTR" completion zsh >"$T/zfunc/_ctr"
    cat >"$T/.zshrc" <<EOF
PS1='%% '
fpath=('$T/zfunc' \$fpath)
autoload -Uz compinit && compinit -u -d '$T/zcompdump'
EOF
    tmux -S "$T/tmux.sock" new-session -d -s t -x 100 -y 20 \
        env PATH="$PATH" HOME="$T" ZDOTDIR="$T" TERM=xterm zsh -i
    wait_until 10 tmux_screen_has '%' '%'
    tmux -S "$T/tmux.sock" send-keys -t t 'ctr st' Tab
    if ! wait_until 10 tmux_screen_has 'start  -- Start' 'stop   -- Stop'; then
        tmux -S "$T/tmux.sock" capture-pane -p -t t >&2
        return 1
    fi
}
