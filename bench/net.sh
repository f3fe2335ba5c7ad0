#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Network benchmark, all as the same unprivileged user, on the busybox fixture image loaded
# into ctr and into Podman from one OCI archive, through a port published on the host with
# the same user-mode helper (slirp4netns, with its own port forwarding, for both):
#   1. time to first byte: from starting `run -d -p PORT:80 busybox httpd ...` to the first
#      byte of an HTTP answer received by a client on the host that keeps connecting to
#      127.0.0.1:PORT (every millisecond, or with --retry-ms 0 at once); ratio podman/ctr
#      (target >= 5);
#   2. throughput: 1 GiB sent by a client on the host to 127.0.0.1:PORT, received by `dd` in
#      the container, which reports that it got all of it; ratio ctr/podman (target >= 1).
# ctr's default helper, pasta, and Podman's default port forwarder, rootlessport, are measured
# too, as extra lines without a target (Podman 4.3 has no pasta; with a Podman that has, ctr
# and Podman with pasta are compared as well).  Runs are interleaved, after a warm-up of each.
# A benchmark, not a test: a missed target still exits 0; only a failed setup or measurement
# exits non-zero.
#
# Usage: bench/net.sh [--runs N] [--retry-ms MS]
#
# As root it sets the machine up (packages, the user) and re-runs itself as the unprivileged
# user for the measurements.  As that user it needs podman (with crun or runc), slirp4netns,
# pasta (Debian: passt), python3 and unshare installed.  See bench/README.md for the knobs
# (CTR_BINARY, BENCH_USER, BENCH_TMPDIR).
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TARGET_TTFB_PODMAN_OVER_CTR=5
TARGET_TPUT_CTR_OVER_PODMAN=1

TPUT_BYTES=1073741824         # 1 GiB, in the timed transfers
WARMUP_BYTES=67108864         # 64 MiB, in the warm-up transfer of each configuration
# Both tools run the same servers.  httpd answers a GET with /var/www/index.html of the
# fixture.  dd reads to the end in 1 MiB blocks, whole ones only (iflag=fullblock), so
# "1024+0 records in" means exactly 1 GiB arrived, and nothing more; nc runs it once the
# connection is there, its output going back to the client.  (busybox's `wc -c` counts at
# under 500 MB/s here, slower than the helpers.)
HTTP_PORT=80
HTTP_SERVER=(httpd -f -p "$HTTP_PORT" -h /var/www)
SINK_PORT=5000
SINK_SERVER=(nc -l -p "$SINK_PORT" -e sh -c 'echo ready; exec dd bs=1M iflag=fullblock of=/dev/null 2>&1')

runs=5
retry_ms=1        # the client's pause after a failed connection; 0: a tight loop

usage() {
    cat <<'EOF'
Usage: bench/net.sh [--runs N] [--retry-ms MS]

Time to first byte through a published port after `run -d`, and the throughput of a 1 GiB
transfer from the host into a container through a published port, by ctr and by Podman with
the same helper (slirp4netns), as an unprivileged user; also ctr with pasta and Podman with its
default port forwarder (rootlessport).  Prints medians and the ratios podman/ctr (first byte)
and ctr/podman (throughput).

  --runs N        timed runs per configuration, of each measurement (default 5)
  --retry-ms MS   the first-byte client's pause after a refused or closed connection
                  (default 1; 0 retries at once, a tight loop that keeps a CPU busy)
  -h, --help      print this help

Run as root to set everything up (packages, user); the measurements then run as $BENCH_USER
(default ctrtest).  Environment: CTR_BINARY (default build/cmd/ctr in the repository, with
ctr-monitor beside it), BENCH_USER, BENCH_TMPDIR (default /var/tmp: where the private stores
of ctr and Podman go).
EOF
}

# --retry-ms MS, besides parse_args's options.
script_option() {
    take_value --retry-ms "a number" "$@" || return 1
    retry_ms=$value
}

parse_args "$@"
if ! [[ "$retry_ms" =~ ^[0-9]+$ ]]; then
    usage_error "--retry-ms wants a number of milliseconds, not '$retry_ms'"
fi

# ---------------------------------------------------------------------------------------------
# Setup (root only)

as_root() {
    setup_host podman crun runc uidmap slirp4netns passt busybox-static python3 util-linux
    check_user_access --monitor "$repo/tests/fixtures/build-images.py"
    run_as_user -- --runs "$runs" --retry-ms "$retry_ms"
}

# ---------------------------------------------------------------------------------------------
# Measurement (as the unprivileged user)

rundir=""           # XDG_RUNTIME_DIR of ctr and Podman
podman_pasta=0      # 1 if this Podman has --network pasta
podman_pasta_note=""
configs=()          # what is measured, in the order of the report (see run_argv)
argv=()             # set by run_argv

cleanup_worker() {
    set +e
    # Detached containers have monitors, processes and helpers: stop them before their files
    # go.
    stop_containers
    if [[ ${#podman[@]} -gt 0 ]]; then
        "${podman[@]}" rm -a -f -t 0 >/dev/null 2>&1
    fi
    [[ -z "$rundir" ]] || stop_podman_pause "$rundir"
    remove_work
    if [[ -n "$rundir" && -d "$rundir" ]]; then
        remove_tree "$rundir"
    fi
}

# The host side of both measurements, and the free port: $work/client.py.
write_client() {
    cat >"$work/client.py" <<'EOF'
"""The host side of bench/net.sh.

client.py port
    prints a TCP port that is free on the host (bound to port 0, then released)
client.py ttfb PORT PAUSE_MS OUT ERR -- COMMAND...
    starts COMMAND (a `run -d`, its output to OUT and ERR), and at once keeps connecting to
    127.0.0.1:PORT, sending a GET, until a byte of an answer arrives, pausing PAUSE_MS after
    each connection that was refused or closed (0: none); prints the milliseconds
    from just before starting COMMAND to that byte, the milliseconds until COMMAND exited,
    the connection attempts, and the container id COMMAND printed
client.py tput PORT BYTES
    connects to 127.0.0.1:PORT until the server says "ready", sends BYTES zero bytes, shuts
    its side down and reads what dd in the container reports; checks that dd got exactly
    BYTES, and prints the megabytes (10^6 bytes) per second from "ready" to that report
"""
import re
import socket
import subprocess
import sys
import threading
import time

TIMEOUT = 60.0       # for the server to answer, at all
ATTEMPT_TIMEOUT = 5.0
BLOCK = 1 << 20      # dd's bs=1M


def free_port():
    with socket.socket() as s:
        s.bind(("", 0))
        print(s.getsockname()[1])


def ttfb(port, pause, out, err, command):
    request = b"GET / HTTP/1.0\r\n\r\n"
    exited = {}
    attempts = 0
    with open(out, "wb") as o, open(err, "wb") as e:
        t0 = time.monotonic()
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=o, stderr=e)

    def wait():
        proc.wait()
        exited["t"] = time.monotonic()

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    while True:
        if proc.returncode not in (None, 0):
            sys.exit("the command failed (exit status %d) before an answer came" % proc.returncode)
        if time.monotonic() - t0 > TIMEOUT:
            sys.exit("no answer on 127.0.0.1:%d within %d seconds" % (port, TIMEOUT))
        attempts += 1
        s = socket.socket()
        s.settimeout(ATTEMPT_TIMEOUT)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(request)
            first = s.recv(1)
        except OSError:
            # Refused (the helper has not bound the port yet), or reset or closed by the
            # helper (nothing listens in the container yet): again.
            first = b""
        if first:
            t1 = time.monotonic()
            break
        s.close()
        if pause > 0:
            time.sleep(pause)
    answer = first
    while True:
        try:
            more = s.recv(65536)
        except OSError as x:
            sys.exit("reading the answer: %s" % x)
        if not more:
            break
        answer += more
    s.close()
    if not answer.startswith(b"HTTP/1.") or b" 200 " not in answer.split(b"\r\n", 1)[0]:
        sys.exit("unexpected answer: %r" % answer[:200])
    waiter.join(TIMEOUT)
    if "t" not in exited:
        sys.exit("the command did not exit within %d seconds" % TIMEOUT)
    if proc.returncode != 0:
        sys.exit("the command failed (exit status %d)" % proc.returncode)
    with open(out, "rb") as o:
        lines = o.read().decode().split()
    cid = lines[-1] if lines else ""
    print("%.1f %.1f %d %s" % ((t1 - t0) * 1e3, (exited["t"] - t0) * 1e3, attempts, cid))


def tput(port, total):
    t_start = time.monotonic()
    while True:
        if time.monotonic() - t_start > TIMEOUT:
            sys.exit("no 'ready' on 127.0.0.1:%d within %d seconds" % (port, TIMEOUT))
        s = socket.socket()
        s.settimeout(ATTEMPT_TIMEOUT)
        try:
            s.connect(("127.0.0.1", port))
            line = b""
            while not line.endswith(b"\n"):
                more = s.recv(64)
                if not more:
                    break
                line += more
        except OSError:
            line = b""
        if line == b"ready\n":
            break
        s.close()
        time.sleep(0.01)
    s.settimeout(TIMEOUT)
    block = memoryview(bytes(BLOCK))
    t0 = time.monotonic()
    left = total
    while left > 0:
        n = s.send(block[: min(left, BLOCK)])
        left -= n
    s.shutdown(socket.SHUT_WR)
    report = b""
    while True:
        more = s.recv(4096)
        if not more:
            break
        report += more
    t1 = time.monotonic()
    s.close()
    m = re.search(rb"(\d+)\+(\d+) records in", report)
    if not m:
        sys.exit("dd in the container reported %r" % report[:200])
    full, partial = int(m.group(1)), int(m.group(2))
    if total % BLOCK != 0 or full != total // BLOCK or partial != 0:
        sys.exit("sent %d bytes, but dd in the container got %d+%d blocks of %d"
                 % (total, full, partial, BLOCK))
    print("%.1f" % (total / (t1 - t0) / 1e6))


if sys.argv[1] == "port":
    free_port()
elif sys.argv[1] == "ttfb":
    if sys.argv[6] != "--":
        sys.exit("usage: client.py ttfb PORT PAUSE_MS OUT ERR -- COMMAND...")
    ttfb(int(sys.argv[2]), int(sys.argv[3]) / 1e3, sys.argv[4], sys.argv[5], sys.argv[7:])
elif sys.argv[1] == "tput":
    tput(int(sys.argv[2]), int(sys.argv[3]))
else:
    sys.exit("unknown command %r" % sys.argv[1])
EOF
}

free_port() {
    python3 "$work/client.py" port
}

# run_argv CONFIG HOSTPORT CONTAINERPORT: sets $argv to the `run -d` of CONFIG that publishes
# CONTAINERPORT on HOSTPORT (on all the host's addresses); the server's command goes after it.
run_argv() {
    local publish="$2:$3"
    case "$1" in
    ctr-slirp4netns)
        argv=("$work/bin/ctr" run -d --network slirp4netns -p "$publish" "$IMAGE")
        ;;
    podman-slirp4netns)
        argv=("${podman[@]}" run -d --network slirp4netns:port_handler=slirp4netns -p "$publish" "$IMAGE")
        ;;
    ctr-pasta)
        argv=("$work/bin/ctr" run -d --network pasta -p "$publish" "$IMAGE")
        ;;
    podman-pasta)
        argv=("${podman[@]}" run -d --network pasta -p "$publish" "$IMAGE")
        ;;
    podman-rootlessport)
        argv=("${podman[@]}" run -d --network slirp4netns:port_handler=rootlesskit -p "$publish" "$IMAGE")
        ;;
    *)
        die "unknown configuration '$1'"
        ;;
    esac
}

# remove CONFIG ID: the container, stopped at once (SIGKILL), not timed.
remove() {
    case "$1" in
    ctr-*) "$work/bin/ctr" rm -f "$2" >/dev/null 2>"$work/err" || fail_run "ctr rm -f $2" ;;
    podman-*) "${podman[@]}" rm -f -t 0 "$2" >/dev/null 2>"$work/err" || fail_run "podman rm -f $2" ;;
    esac
}

# label CONFIG: what the report calls it.
label() {
    case "$1" in
    ctr-slirp4netns) echo "ctr slirp4netns" ;;
    podman-slirp4netns) echo "podman slirp4netns" ;;
    ctr-pasta) echo "ctr pasta" ;;
    podman-pasta) echo "podman pasta" ;;
    podman-rootlessport) echo "podman rootlessport" ;;
    esac
}

# pasta_podman: whether this Podman, as setup_podman set it up, has pasta ($podman_pasta).
pasta_podman() {
    if "${podman[@]}" run --rm --network=pasta "$IMAGE" true >"$work/out" 2>"$work/err"; then
        podman_pasta=1
    else
        podman_pasta_note="This Podman has no pasta ($(grep -m 1 . "$work/err" | sed 's/^Error: //')), so ctr's pasta line has no Podman to compare with."
    fi
}

# ttfb_once CONFIG: one `run -d` of the HTTP server and the first byte through the published
# port; sets $ttfb_ms, $run_ms and $attempts, and removes the container (not timed).
ttfb_ms="" run_ms="" attempts=""
ttfb_once() {
    local config=$1 port result id
    port="$(free_port)" || die "finding a free port failed"
    run_argv "$config" "$port" "$HTTP_PORT"
    result="$(python3 "$work/client.py" ttfb "$port" "$retry_ms" "$work/out" "$work/run-err" -- \
        "${argv[@]}" "${HTTP_SERVER[@]}" 2>"$work/err")" || {
        sed 's/^/    /' "$work/run-err" >>"$work/err"
        # A container that was started is removed all the same, by the cleanup.
        fail_run "$(label "$config"): the first byte after 'run -d'"
    }
    read -r ttfb_ms run_ms attempts id <<<"$result"
    [[ -n "$id" ]] || die "$(label "$config"): 'run -d' printed no container id"
    remove "$config" "$id"
}

# tput_once CONFIG BYTES: starts the sink (not timed), sends BYTES through the published port;
# sets $mbps, and removes the container.
mbps=""
tput_once() {
    local config=$1 bytes=$2 port id
    port="$(free_port)" || die "finding a free port failed"
    run_argv "$config" "$port" "$SINK_PORT"
    id="$("${argv[@]}" "${SINK_SERVER[@]}" 2>"$work/err")" || fail_run "$(label "$config"): run -d of the sink"
    id="$(tail -n 1 <<<"$id")"
    mbps="$(python3 "$work/client.py" tput "$port" "$bytes" 2>"$work/err")" ||
        fail_run "$(label "$config"): sending $bytes bytes"
    remove "$config" "$id"
}

bench() {
    local samples=$1 n=${#configs[@]} run k config line
    for config in "${configs[@]}"; do
        ttfb_once "$config"
        tput_once "$config" "$WARMUP_BYTES"
    done
    note_busy
    for ((run = 0; run < runs; run++)); do
        line="first byte, run $((run + 1))/$runs:"
        # Rotate the order of the configurations from run to run to spread drift and noise.
        for ((k = 0; k < n; k++)); do
            config=${configs[$(((run + k) % n))]}
            ttfb_once "$config"
            printf 'ttfb %s %s\nrun %s %s\nattempts %s %s\n' "$config" "$ttfb_ms" "$config" "$run_ms" \
                "$config" "$attempts" >>"$samples"
            line+=" $config ${ttfb_ms}ms"
        done
        log "$line"
    done
    for ((run = 0; run < runs; run++)); do
        line="1 GiB, run $((run + 1))/$runs:"
        for ((k = 0; k < n; k++)); do
            config=${configs[$(((run + k) % n))]}
            tput_once "$config" "$TPUT_BYTES"
            echo "tput $config $mbps" >>"$samples"
            line+=" $config ${mbps}MB/s"
        done
        log "$line"
    done
}

as_user() {
    need_ctr
    need_monitor
    need_tools podman slirp4netns pasta python3 unshare
    make_work ctr-bench
    # The runtime directory has a short path of its own: Podman puts slirp4netns's API socket
    # there, as libpod/tmp/ID.net with a 64-digit ID, and a socket's path has at most 107 bytes.
    rundir="$(mktemp -d /tmp/ctr-net.XXXXXX)"
    private_ctr "$rundir"
    write_client

    local archive="$work/busybox.tar" samples="$work/samples"
    : >"$samples"
    load_busybox "$archive"
    setup_podman "$archive"
    pasta_podman
    configs=(ctr-slirp4netns podman-slirp4netns ctr-pasta)
    if ((podman_pasta)); then
        configs+=(podman-pasta)
    fi
    configs+=(podman-rootlessport)

    bench "$samples"
    report "$samples"
}

# ---------------------------------------------------------------------------------------------
# Report

# What each configuration is, for the report.
describe() {
    case "$1" in
    ctr-slirp4netns) echo "--network slirp4netns (ports: slirp4netns's own)" ;;
    podman-slirp4netns) echo "--network slirp4netns:port_handler=slirp4netns" ;;
    ctr-pasta) echo "--network pasta (ctr's default)" ;;
    podman-pasta) echo "--network pasta" ;;
    podman-rootlessport) echo "--network slirp4netns (Podman's default port_handler=rootlesskit)" ;;
    esac
}

report() {
    local samples=$1 config med min max run_med att_med r again
    local -A ttfb tput
    local ctr_version podman_version pasta_version slirp_version
    ctr_version="$("$work/bin/ctr" --version 2>/dev/null | head -n 1)"
    podman_version="$(podman --version 2>/dev/null | awk '{ print $NF }')"
    pasta_version="$(dpkg-query -W -f='${Version}' passt 2>/dev/null || true)"
    [[ -n "$pasta_version" ]] || pasta_version="$(pasta --version 2>/dev/null | head -n 1 | awk '{ print $NF }')"
    slirp_version="$(slirp4netns --version 2>/dev/null | awk '/^slirp4netns version/ { v = $3 } /^libslirp:/ { l = $2 } END { print v " (libslirp " l ")" }')"

    echo
    echo "Networking through a published port, as $(id -un), $runs runs per configuration, interleaved,"
    echo "after a warm-up of each.  ${ctr_version:-ctr ?}; podman $podman_version with $podman_runtime"
    echo "and $podman_store storage (a private store); slirp4netns $slirp_version;"
    echo "passt (pasta) $pasta_version."
    [[ -z "$podman_note" ]] || echo "$podman_note"
    [[ -z "$podman_pasta_note" ]] || echo "$podman_pasta_note"
    echo "$(nproc) CPUs, $busy_before of them busy with other work at the start."
    echo
    for config in "${configs[@]}"; do
        printf '  %-22s %s\n' "$(label "$config")" "$(describe "$config")"
    done

    echo
    if ((retry_ms > 0)); then
        again="${retry_ms} ms after each"
    else
        again="at once after each (a tight loop)"
    fi
    echo "Time to first byte: from starting 'run -d -p PORT:$HTTP_PORT busybox ${HTTP_SERVER[*]}' to the"
    echo "first byte of the answer to a GET, by a client on the host that connects to 127.0.0.1:PORT"
    echo "again $again connection refused or closed; milliseconds.  'run -d': when"
    echo "that command returned (median); tries: connections made until the answer (median)."
    echo
    printf '%-22s %8s %8s %8s %9s %6s\n' configuration median min max "run -d" tries
    for config in "${configs[@]}"; do
        read -r med min max < <(stats "$samples" ttfb "$config") || die "no samples for $config"
        read -r run_med _ _ < <(stats "$samples" run "$config") || die "no samples for $config"
        read -r att_med _ _ < <(stats "$samples" attempts "$config") || die "no samples for $config"
        ttfb[$config]=$med
        printf '%-22s %8s %8s %8s %9s %6.0f\n' "$(label "$config")" "$med" "$min" "$max" "$run_med" "$att_med"
    done
    echo
    r="$(ratio "${ttfb[podman-slirp4netns]}" "${ttfb[ctr-slirp4netns]}")"
    printf '%-34s %s\n' "podman/ctr, slirp4netns" "${r}x $(verdict "$r" '>=' "$TARGET_TTFB_PODMAN_OVER_CTR")"
    if ((podman_pasta)); then
        r="$(ratio "${ttfb[podman-pasta]}" "${ttfb[ctr-pasta]}")"
        printf '%-34s %s\n' "podman/ctr, pasta" "${r}x $(verdict "$r" '>=' "$TARGET_TTFB_PODMAN_OVER_CTR")"
    fi

    echo
    echo "Throughput: $((TPUT_BYTES >> 20)) MiB from a client on the host to 127.0.0.1:PORT, published to"
    echo "'nc -l -p $SINK_PORT' in the container, which runs 'dd bs=1M iflag=fullblock of=/dev/null' on the"
    echo "connection; timed from the server's 'ready' to dd's report that it got all of it (checked);"
    echo "megabytes (10^6 bytes) per second."
    echo
    printf '%-22s %8s %8s %8s\n' configuration median min max
    for config in "${configs[@]}"; do
        read -r med min max < <(stats "$samples" tput "$config") || die "no samples for $config"
        tput[$config]=$med
        printf '%-22s %8s %8s %8s\n' "$(label "$config")" "$med" "$min" "$max"
    done
    echo
    r="$(ratio "${tput[ctr-slirp4netns]}" "${tput[podman-slirp4netns]}")"
    printf '%-34s %s\n' "ctr/podman, slirp4netns" "${r}x $(verdict "$r" '>=' "$TARGET_TPUT_CTR_OVER_PODMAN")"
    if ((podman_pasta)); then
        r="$(ratio "${tput[ctr-pasta]}" "${tput[podman-pasta]}")"
        printf '%-34s %s\n' "ctr/podman, pasta" "${r}x $(verdict "$r" '>=' "$TARGET_TPUT_CTR_OVER_PODMAN")"
    fi
}

# ---------------------------------------------------------------------------------------------

if [[ "$(id -u)" == 0 ]]; then
    as_root
else
    as_user
fi
