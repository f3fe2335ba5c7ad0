#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Networking, as the unprivileged user: each installed user-mode helper (pasta, slirp4netns)
# carries real packets through published TCP and UDP ports; none, host, DNS and hosts files;
# host loopback only when asked; port conflicts refused before a start; and no helper process
# outlives its container, however it ends.

load helpers

bats_require_minimum_version 1.5.0

setup_file() {
    fixtures_build
    python3 "$BATS_TEST_DIRNAME/../fixtures/build-images.py" "$(fixtures_dir)" \
        --oci-archive busybox "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
    # busybox's nc has no UDP: a static receiver of one datagram.
    cc -static -O2 -o "$BATS_FILE_TMPDIR/syscall-probe" "$BATS_TEST_DIRNAME/helpers/syscall-probe.c"
}

setup() {
    require_tool curl
    store_setup
    "$CTR" load -q -i "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
    HELPERS=()
    command -v pasta >/dev/null && HELPERS+=(pasta)
    command -v slirp4netns >/dev/null && HELPERS+=(slirp4netns)
    [ "${#HELPERS[@]}" -gt 0 ] || require_tool pasta
}

teardown() {
    if [ -f "$BATS_TEST_TMPDIR/server.pid" ]; then
        kill "$(cat "$BATS_TEST_TMPDIR/server.pid")" 2>/dev/null || true
    fi
    store_teardown
}

# A free TCP (or, with "udp", UDP) port on 127.0.0.1.
free_port() {
    python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "${1:-tcp}"
}

# Live (not zombie) helper processes of this user: pasta runs as passt.avx2 or passt.
helpers_alive() {
    ps -u "$(id -u)" -o stat=,comm= | awk '$1 !~ /^Z/ && $2 ~ /^(pasta|passt|slirp4netns)/' | wc -l
}

# Waits up to 5 s for the helper count to drop to $1.
wait_helpers() {
    local i
    for i in $(seq 50); do
        [ "$(helpers_alive)" -le "$1" ] && return 0
        sleep 0.1
    done
    echo "helpers still alive: $(helpers_alive), expected $1" >&2
    ps -u "$(id -u)" -o pid,stat,args | grep -E 'pasta|passt|slirp' >&2 || true
    return 1
}

# until_ok CMD...: retries CMD for up to 5 s.
until_ok() {
    local i
    for i in $(seq 50); do
        "$@" && return 0
        sleep 0.1
    done
    "$@"
}

@test "a published TCP port reaches busybox httpd, for each helper" {
    local net port
    for net in "${HELPERS[@]}"; do
        port=$(free_port)
        "$CTR" run -d --name "web-$net" --network "$net" -p "$port:80" busybox httpd -f -p 80 -h /var/www >/dev/null
        run until_ok curl -sf "http://127.0.0.1:$port/index.html"
        [ "$status" -eq 0 ]
        expect_eq "$output" "hello from the ctr busybox fixture" "page through $net"
        run "$CTR" port "web-$net"
        expect_eq "$output" "80/tcp -> 0.0.0.0:$port" "ctr port ($net)"
        run "$CTR" ps --format '{{.Names}} {{.Ports}}'
        expect_contains "$output" "web-$net 0.0.0.0:$port->80/tcp"
        "$CTR" rm -f "web-$net" >/dev/null
    done
}

@test "a published UDP port carries a datagram into the container, for each helper" {
    local net port
    for net in "${HELPERS[@]}"; do
        port=$(free_port udp)
        "$CTR" run -d --name "udp-$net" --network "$net" -p "$port:5000/udp" \
            -v "$BATS_FILE_TMPDIR/syscall-probe:/probe:ro" busybox \
            sh -c '/probe udp-recv 5000 > /tmp/got; sleep 1000' >/dev/null
        # Datagrams until one arrives: the listener may start after the first is sent.
        for _ in $(seq 50); do
            python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"ping\n", ("127.0.0.1", int(sys.argv[1])))' "$port"
            run "$CTR" exec "udp-$net" cat /tmp/got
            [[ "$output" == ping* ]] && break
            sleep 0.1
        done
        expect_eq "${output%%$'\n'*}" "ping" "UDP through $net"
        "$CTR" rm -f "udp-$net" >/dev/null
    done
}

@test "two containers publish different ports at once" {
    local a b
    a=$(free_port)
    "$CTR" run -d --name one -p "$a:80" busybox httpd -f -p 80 -h /var/www >/dev/null
    b=$(free_port)
    "$CTR" run -d --name two -p "$b:80" busybox sh -c 'echo two > /tmp/index.html; httpd -f -p 80 -h /tmp' >/dev/null
    run until_ok curl -sf "http://127.0.0.1:$a/index.html"
    expect_eq "$output" "hello from the ctr busybox fixture"
    run until_ok curl -sf "http://127.0.0.1:$b/index.html"
    expect_eq "$output" "two"
}

@test "a host port in use is refused before the container starts; bad -p values are named" {
    local port
    port=$(free_port)
    "$CTR" run -d --name holder -p "$port:80" busybox httpd -f -p 80 -h /var/www >/dev/null
    run "$CTR" run --name second -p "$port:80" busybox true
    [ "$status" -eq 125 ]
    expect_contains "$output" "host port $port/tcp is already in use"
    run "$CTR" inspect second
    [ "$status" -eq 125 ]
    run "$CTR" run --rm -p 8080:x busybox true
    [ "$status" -eq 125 ]
    expect_contains "$output" "'x'"
    run "$CTR" run --rm -p 1-2:3 busybox true
    [ "$status" -eq 125 ]
    run "$CTR" run --rm --network none -p "$(free_port):80" busybox true
    [ "$status" -eq 125 ]
    expect_contains "$output" "-p needs a network helper"
    run "$CTR" run --rm --network bogus busybox true
    [ "$status" -eq 125 ]
    expect_contains "$output" "bogus"
}

@test "--network none has only lo; host shares the user's interfaces" {
    run "$CTR" run --rm --network none busybox ls /sys/class/net
    expect_eq "$output" "lo"
    run "$CTR" run --rm --network host busybox ls /sys/class/net
    expect_eq "$(tr '\n' ' ' <<<"$output")" "$(ls /sys/class/net | tr '\n' ' ')" "interfaces with --network host"
}

# http_get HOST PORT: one HTTP/1.0 request with busybox nc (busybox-static's wget crashes).
http_get() {
    printf 'GET /index.html HTTP/1.0\r\n\r\n' | nc -w 3 "$1" "$2" | tail -n 1
}

@test "the host's loopback is reachable only when asked for" {
    local port
    port=$(free_port)
    mkdir "$BATS_TEST_TMPDIR/www" && echo host-page >"$BATS_TEST_TMPDIR/www/index.html"
    python3 -m http.server --bind 127.0.0.1 --directory "$BATS_TEST_TMPDIR/www" "$port" \
        >/dev/null 2>&1 3>&- &
    echo $! >"$BATS_TEST_TMPDIR/server.pid"
    until_ok curl -sf "http://127.0.0.1:$port/index.html" >/dev/null
    local get
    get="$(declare -f http_get); http_get 10.0.2.2 $port"
    run "$CTR" run --rm --network slirp4netns busybox sh -c "$get"
    [[ "$output" != *host-page* ]]
    run "$CTR" run --rm --network slirp4netns:allow_host_loopback=true busybox sh -c "$get"
    expect_eq "$output" host-page "with allow_host_loopback=true"
    run "$CTR" run --rm --network slirp4netns:allow_host_loopback=true busybox grep host.containers.internal /etc/hosts
    expect_contains "$output" "10.0.2.2"
}

@test "resolv.conf, hosts, --dns, --dns-search, --add-host and --no-hosts" {
    run "$CTR" run --rm --network slirp4netns busybox cat /etc/resolv.conf
    expect_contains "$output" "nameserver 10.0.2.3"
    if command -v pasta >/dev/null; then
        run "$CTR" run --rm --network pasta busybox cat /etc/resolv.conf
        expect_contains "$output" "nameserver 169.254.1.1"
    fi
    run "$CTR" run --rm --dns 192.0.2.53 --dns-search example.test busybox cat /etc/resolv.conf
    expect_eq "$(grep -c nameserver <<<"$output")" 1 "nameservers with --dns"
    expect_contains "$output" "nameserver 192.0.2.53"
    expect_contains "$output" "search example.test"
    run "$CTR" run --rm --hostname box --add-host db.test:192.0.2.9 busybox cat /etc/hosts
    expect_contains "$output" "localhost"
    expect_contains "$output" "box"
    expect_contains "$output" $'192.0.2.9\tdb.test'
    run "$CTR" run --rm --no-hosts busybox sh -c 'cat /etc/hosts 2>&1'
    [[ "$output" != *"127.0.1.1"* ]]
}

@test "no helper outlives its container: exit, stop, rm -f, --rm, kill -9 of the monitor" {
    local net before pid mon
    before=$(helpers_alive)
    for net in "${HELPERS[@]}"; do
        "$CTR" run --rm --network "$net" busybox true
        wait_helpers "$before"
        "$CTR" run -d --name s --network "$net" busybox sleep 100 >/dev/null
        [ "$(helpers_alive)" -eq $((before + 1)) ]
        "$CTR" stop -t 0 s >/dev/null 2>&1
        wait_helpers "$before"
        "$CTR" rm s >/dev/null
        "$CTR" run -d --name f --network "$net" busybox sleep 100 >/dev/null
        "$CTR" rm -f f >/dev/null
        wait_helpers "$before"
        "$CTR" run -d --rm --network "$net" busybox sleep 0.2 >/dev/null
        sleep 0.5
        wait_helpers "$before"
        "$CTR" run -d --name m --network "$net" busybox sleep 100 >/dev/null
        pid=$("$CTR" inspect --format '{{.State.Pid}}' m)
        mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
        kill -9 "$mon"
        wait_helpers "$before"
        run "$CTR" inspect --format '{{.State.Status}}' m
        expect_eq "$output" exited "state after kill -9 of the monitor ($net)"
        "$CTR" rm m >/dev/null
    done
}

# shared_server NAME: a detached container serving "shared-page" on its 127.0.0.1:8080 only.
shared_server() {
    "$CTR" run -d --name "$1" busybox \
        sh -c 'echo shared-page > /tmp/index.html; exec httpd -f -p 127.0.0.1:8080 -h /tmp' >/dev/null
}

# The container names in the store, sorted, on one line.
container_names() {
    "$CTR" ps -a --format '{{.Names}}' | sort | tr '\n' ' '
}

# Live helpers of this test's store: pasta's namespace link (and slirp4netns's API socket)
# are in its runtime directory.  Unlike helpers_alive, not disturbed by whatever else runs
# as this user meanwhile.
store_helpers() {
    ps -u "$(id -u)" -o stat=,args= | awk -v dir="$XDG_RUNTIME_DIR/" \
        '$1 !~ /^Z/ && $2 ~ /(pasta|passt|slirp4netns)/ && index($0, dir)' | wc -l
}

# Waits up to 5 s until no helper of this test's store is left.
wait_no_store_helpers() {
    for _ in $(seq 50); do
        [ "$(store_helpers)" -eq 0 ] && return 0
        sleep 0.1
    done
    echo "helpers of this store still alive: $(store_helpers)" >&2
    return 1
}

@test "--network container: shares the other container's loopback, interfaces, hosts and resolv.conf" {
    local helpers get srv_id netns pid mon
    shared_server srv
    helpers=$(store_helpers)
    srv_id=$("$CTR" inspect --format '{{.Id}}' srv)
    get="$(declare -f http_get); http_get 127.0.0.1 8080 | grep -x shared-page"
    run until_ok "$CTR" run --rm --network container:srv busybox sh -c "$get"
    [ "$status" -eq 0 ]
    expect_eq "$output" shared-page "the page on the shared 127.0.0.1"
    netns=$("$CTR" exec srv readlink /proc/self/ns/net)
    run "$CTR" run --rm --network container:srv busybox readlink /proc/self/ns/net
    expect_eq "$output" "$netns" "network namespace"
    run "$CTR" run --rm --network "container:${srv_id:0:12}" busybox sh -c "awk 'NR > 2 { print \$1 }' /proc/net/dev | sort"
    expect_eq "$output" "$("$CTR" exec srv sh -c "awk 'NR > 2 { print \$1 }' /proc/net/dev | sort")" "interfaces"
    run "$CTR" run --rm --hostname other --network container:srv busybox sh -c 'hostname; cat /etc/hosts'
    expect_eq "${lines[0]}" other "the container's own hostname"
    expect_contains "$output" "${srv_id:0:12} srv"
    expect_contains "$output" "other"
    run "$CTR" run --rm --network container:srv busybox cat /etc/resolv.conf
    expect_eq "$output" "$("$CTR" exec srv cat /etc/resolv.conf)" "resolv.conf"

    # Detached: no helper of its own, exec joins it, inspect names the owner.
    "$CTR" run -d --name joined --network container:srv busybox sleep 100 >/dev/null
    run "$CTR" exec joined readlink /proc/self/ns/net
    expect_eq "$output" "$netns" "network namespace through exec"
    pid=$("$CTR" inspect --format '{{.State.Pid}}' joined)
    mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
    run ps --ppid "$mon" -o comm=
    expect_eq "$output" sleep "the monitor's children (no network helper)"
    expect_eq "$(store_helpers)" "$helpers" "helpers with the joined container running"
    run "$CTR" inspect --format '{{.HostConfig.NetworkMode}} {{.IDMappings.UidMap}}' joined
    expect_eq "$output" "container:$srv_id $("$CTR" inspect --format '{{.IDMappings.UidMap}}' srv)"

    # The namespace outlives its owner while a process is in it, so ctr keeps the owner.
    "$CTR" stop -t 0 srv >/dev/null 2>&1
    run "$CTR" exec joined cat /proc/net/dev
    expect_contains "$output" "lo:"
    run "$CTR" rm srv
    [ "$status" -eq 125 ]
    expect_contains "$output" "container 'srv' is in use: running containers share its network namespace ('joined')"
    "$CTR" rm -f joined >/dev/null
    "$CTR" rm srv >/dev/null
    wait_no_store_helpers
}

@test "--network ns:PATH joins a namespace by path; a missing path or another namespace type is refused" {
    local pid get names
    shared_server srv
    pid=$("$CTR" inspect --format '{{.State.Pid}}' srv)
    get="$(declare -f http_get); http_get 127.0.0.1 8080 | grep -x shared-page"
    run until_ok "$CTR" run --rm --network "ns:/proc/$pid/ns/net" busybox sh -c "$get"
    [ "$status" -eq 0 ]
    expect_eq "$output" shared-page "the page through ns:"
    run "$CTR" run --rm --network "ns:/proc/$pid/ns/net" busybox readlink /proc/self/ns/net
    expect_eq "$output" "$(readlink "/proc/$pid/ns/net")" "network namespace"

    names=$(container_names)
    run "$CTR" run --rm --network ns:/nonexistent busybox true
    [ "$status" -eq 125 ]
    [ "${#lines[@]}" -eq 1 ]
    expect_contains "$output" "open the network namespace '/nonexistent': No such file or directory"
    run "$CTR" run --rm --network ns:/proc/self/ns/mnt busybox true
    [ "$status" -eq 125 ]
    [ "${#lines[@]}" -eq 1 ]
    expect_contains "$output" "'/proc/self/ns/mnt' is a mount namespace, not a network namespace"
    run "$CTR" run -d --network "ns:/proc/$pid/ns/net" -p "$(free_port):80" busybox true
    [ "$status" -eq 125 ]
    [ "${#lines[@]}" -eq 1 ]
    expect_contains "$output" "-p cannot be used with --network 'ns:/proc/$pid/ns/net'"
    expect_eq "$(container_names)" "$names" "containers after the refused runs"
}

@test "--network container: refuses a missing or stopped container, -p and --userns, leaving nothing" {
    local names
    shared_server srv
    "$CTR" create --name stopped busybox true >/dev/null
    names=$(container_names)
    run "$CTR" run --rm --network container:missing busybox true
    [ "$status" -eq 125 ]
    [ "${#lines[@]}" -eq 1 ]
    expect_contains "$output" "--network 'container:missing': no container with name or id 'missing' found"
    run "$CTR" create --network container:missing busybox true
    [ "$status" -eq 125 ]
    run "$CTR" run --network container:stopped busybox true
    [ "$status" -eq 125 ]
    [ "${#lines[@]}" -eq 1 ]
    expect_contains "$output" "container 'stopped' is not running: start it first"
    run "$CTR" run -d --network container:stopped busybox true
    [ "$status" -eq 125 ]
    expect_contains "$output" "container 'stopped' is not running: start it first"
    run "$CTR" run --rm -p "$(free_port):80" --network container:srv busybox true
    [ "$status" -eq 125 ]
    [ "${#lines[@]}" -eq 1 ]
    expect_contains "$output" "-p cannot be used with --network 'container:srv': publish ports on the container that owns the network namespace"
    run "$CTR" run --rm --userns keep-id --network container:srv busybox true
    [ "$status" -eq 125 ]
    [ "${#lines[@]}" -eq 1 ]
    expect_contains "$output" "--userns cannot be used with --network 'container:srv'"
    expect_eq "$(container_names)" "$names" "containers after the refused runs"
    "$CTR" rm -f srv >/dev/null
    wait_no_store_helpers
}

@test "--network container: joins a --userns=keep-id container's namespaces" {
    local get
    "$CTR" run -d --name kid --userns keep-id busybox \
        sh -c 'echo shared-page > /tmp/index.html; exec httpd -f -p 127.0.0.1:8080 -h /tmp' >/dev/null
    get="$(declare -f http_get); http_get 127.0.0.1 8080 | grep -x shared-page"
    run until_ok "$CTR" run --rm --network container:kid busybox sh -c "$get"
    expect_eq "$output" shared-page "the page through a keep-id container's loopback"
    run "$CTR" run --rm --network container:kid busybox sh -c 'readlink /proc/self/ns/user; id -u; stat -c %u /; touch /new && echo written'
    expect_eq "${lines[0]}" "$("$CTR" exec kid readlink /proc/self/ns/user)" "user namespace"
    expect_eq "${lines[1]}" 0 "uid in the container"
    expect_eq "${lines[2]}" 0 "owner of its /"
    expect_eq "${lines[3]}" written
}
