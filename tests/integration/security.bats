#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Least privilege, proven from the outside, as the unprivileged user: the default capability
# set, seccomp, no_new_privs, masked and read-only paths, only fds 0-2, and the controls that
# change them (--cap-add/--cap-drop, --privileged, --security-opt, --userns, --uidmap,
# --read-only).  Each promise is attacked from inside a real container.

load helpers

bats_require_minimum_version 1.5.0

# Podman's eleven: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
# NET_BIND_SERVICE SYS_CHROOT SETFCAP.
DEFAULT_CAPS=00000000800405fb

setup_file() {
    fixtures_build
    python3 "$BATS_TEST_DIRNAME/../fixtures/build-images.py" "$(fixtures_dir)" \
        --oci-archive busybox "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
    # A static probe of single syscalls: the busybox image has no libc to link against.
    cc -static -O2 -o "$BATS_FILE_TMPDIR/syscall-probe" "$BATS_TEST_DIRNAME/helpers/syscall-probe.c"
}

setup() {
    require_tool jq
    store_setup
    "$CTR" load -q -i "$BATS_FILE_TMPDIR/busybox.tar" >/dev/null
    PROBE=(-v "$BATS_FILE_TMPDIR/syscall-probe:/probe:ro")
}

teardown() {
    store_teardown
}

# cap_of FIELD: that line of /proc/1/status in the last $output.
cap_of() {
    awk -v f="$1:" '$1 == f { print $2 }' <<<"$output"
}

# The first subordinate uid of this user (the id that container uid 1 maps to).
first_subuid() {
    awk -F: -v u="$(id -un)" '$1 == u { print $2; exit }' /etc/subuid
}

@test "the default capability set is exactly Podman's eleven, and nothing is inheritable" {
    run "$CTR" run --rm busybox grep Cap /proc/1/status
    [ "$status" -eq 0 ]
    expect_eq "$(cap_of CapBnd)" "$DEFAULT_CAPS" CapBnd
    expect_eq "$(cap_of CapPrm)" "$DEFAULT_CAPS" CapPrm
    expect_eq "$(cap_of CapEff)" "$DEFAULT_CAPS" CapEff
    expect_eq "$(cap_of CapInh)" 0000000000000000 CapInh
    expect_eq "$(cap_of CapAmb)" 0000000000000000 CapAmb
}

@test "a non-root --user starts with no effective or permitted capabilities" {
    run "$CTR" run --rm --user 1000 busybox grep Cap /proc/self/status
    [ "$status" -eq 0 ]
    expect_eq "$(cap_of CapPrm)" 0000000000000000 CapPrm
    expect_eq "$(cap_of CapEff)" 0000000000000000 CapEff
    expect_eq "$(cap_of CapBnd)" "$DEFAULT_CAPS" CapBnd
}

@test "--cap-add NET_ADMIN allows what the default refuses; --cap-drop ALL leaves nothing" {
    # Debian's kernel has the dummy driver as a module, which a user namespace cannot load;
    # veth is built in everywhere.  Either proves CAP_NET_ADMIN.
    local type="dummy" add=(ip link add d0 type dummy)
    if ! unshare -rn ip link add d0 type dummy 2>/dev/null; then
        type=veth add=(ip link add d0 type veth peer name d1)
        echo "# this kernel cannot make a dummy link in a user namespace; using veth" >&3
    fi
    run "$CTR" run --rm busybox "${add[@]}"
    [ "$status" -ne 0 ]
    expect_contains "$output" "Operation not permitted"
    run "$CTR" run --rm --cap-add NET_ADMIN busybox sh -c "${add[*]} && ip link show d0"
    [ "$status" -eq 0 ]
    expect_contains "$output" "d0"
    run "$CTR" run --rm --cap-add cap_net_admin busybox "${add[@]}"
    [ "$status" -eq 0 ]
    run "$CTR" run --rm --cap-drop ALL busybox grep Cap /proc/1/status
    [ "$status" -eq 0 ]
    expect_eq "$(cap_of CapBnd)" 0000000000000000 CapBnd
    expect_eq "$(cap_of CapEff)" 0000000000000000 CapEff
    run "$CTR" run --rm --cap-drop all --cap-add CHOWN busybox grep CapEff /proc/1/status
    expect_eq "$(cap_of CapEff)" 0000000000000001 "CapEff with only CHOWN"
    run "$CTR" run --rm --cap-add NOT_A_CAP busybox true
    [ "$status" -eq 125 ]
    expect_contains "$output" "NOT_A_CAP"
    : "$type"
}

@test "--privileged has every capability, no seccomp, no masks, and the host's devices" {
    local all
    all=$(printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)))
    run "$CTR" run --rm --privileged busybox sh -c 'grep -E "CapEff|Seccomp:" /proc/1/status; ls /dev'
    [ "$status" -eq 0 ]
    expect_eq "$(cap_of CapEff)" "$all" CapEff
    expect_eq "$(awk '$1 == "Seccomp:" { print $2 }' <<<"$output")" 0 Seccomp
    expect_contains "$output" "loop-control"
    run "$CTR" run --rm --privileged busybox sh -c 'mount | grep -c "/proc/timer_list" || true'
    expect_eq "$output" 0 "masks under --privileged"
    # Still confined by the user namespace: root inside cannot write the host's files.
    run "$CTR" run --rm --privileged -v /etc:/mnt busybox sh -c 'echo x >> /mnt/shadow'
    [ "$status" -ne 0 ]
    expect_contains "$output" "Permission denied"
}

@test "root inside cannot change the host's /etc bound at /mnt" {
    local before after
    before=$(stat -c '%s %Y' /etc/shadow)
    run "$CTR" run --rm -v /etc:/mnt busybox sh -c 'id -u; echo x >> /mnt/shadow'
    [ "$status" -ne 0 ]
    expect_eq "${lines[0]}" 0 "id -u"
    expect_contains "$output" "Permission denied"
    after=$(stat -c '%s %Y' /etc/shadow)
    expect_eq "$after" "$before" "/etc/shadow size and mtime"
}

@test "processes show on the host as the user, subordinate ids, or the --uidmap ids" {
    local sub pid
    sub=$(first_subuid)
    "$CTR" run -d --name u0 busybox sleep 100 >/dev/null
    "$CTR" run -d --name u1000 --user 1000 busybox sleep 100 >/dev/null
    "$CTR" run -d --name umap --uidmap 0:2000:1000 --gidmap 0:2000:1000 busybox sleep 100 >/dev/null
    pid=$("$CTR" inspect --format '{{.State.Pid}}' u0)
    expect_eq "$(ps -o uid= -p "$pid" | tr -d ' ')" "$(id -u)" "uid of root's sleep"
    pid=$("$CTR" inspect --format '{{.State.Pid}}' u1000)
    expect_eq "$(ps -o uid= -p "$pid" | tr -d ' ')" "$((sub + 999))" "uid of user 1000's sleep"
    pid=$("$CTR" inspect --format '{{.State.Pid}}' umap)
    expect_eq "$(ps -o uid= -p "$pid" | tr -d ' ')" "$((sub + 1999))" "uid under --uidmap 0:2000:1000"
    run "$CTR" inspect --format '{{json .IDMappings.UidMap}}' umap
    expect_eq "$output" "[\"0:$((sub + 1999)):1000\"]" UidMap
}

@test "--userns=keep-id keeps the user's uid inside, so bind-mounted files keep their owner" {
    mkdir "$BATS_TEST_TMPDIR/mine" && touch "$BATS_TEST_TMPDIR/mine/f"
    run "$CTR" run --rm --userns=keep-id -v "$BATS_TEST_TMPDIR/mine:/mine" busybox \
        sh -c 'id -u; id -g; stat -c "%u:%g" /mine/f'
    [ "$status" -eq 0 ]
    expect_eq "${lines[0]}" "$(id -u)" "uid inside"
    expect_eq "${lines[1]}" "$(id -g)" "gid inside"
    expect_eq "${lines[2]}" "$(id -u):$(id -g)" "owner of the bound file"
    run "$CTR" run --rm --userns=keep-id:uid=100,gid=200 busybox sh -c 'id -u; id -g'
    expect_eq "$output" $'100\n200' "keep-id:uid=100,gid=200"
}

@test "--userns=nomap leaves the user's own uid out; host and impossible maps are refused" {
    run "$CTR" run --rm --userns=nomap busybox cat /proc/self/uid_map
    [ "$status" -eq 0 ]
    [[ "$output" != *" $(id -u) "* ]]
    run "$CTR" run --rm --userns=host busybox true
    [ "$status" -eq 125 ]
    expect_contains "$output" "--userns=host"
    run "$CTR" run --name toobig --uidmap 0:0:1000000 --gidmap 0:0:1000 busybox true
    [ "$status" -eq 125 ]
    expect_contains "$output" "needs"
    expect_contains "$output" "you have only"
    run "$CTR" inspect toobig
    [ "$status" -eq 125 ]
}

@test "a Docker-format profile that refuses socket makes nc fail with EPERM" {
    cat >"$BATS_TEST_TMPDIR/nosocket.json" <<'EOF'
{
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
        {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
    ]
}
EOF
    run "$CTR" run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/nosocket.json" busybox nc -l -p 555
    [ "$status" -ne 0 ]
    expect_contains "$output" "Operation not permitted"
    run "$CTR" create --name prof --security-opt "seccomp=$BATS_TEST_TMPDIR/nosocket.json" busybox true
    run "$CTR" inspect --format '{{.SeccompProfile}}' prof
    expect_eq "$output" "$BATS_TEST_TMPDIR/nosocket.json" "inspect's SeccompProfile"
    echo '{"defaultAction": "SCMP_ACT_BOGUS"}' >"$BATS_TEST_TMPDIR/bad.json"
    run "$CTR" run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/bad.json" busybox true
    [ "$status" -eq 125 ]
    expect_contains "$output" "SCMP_ACT_BOGUS"
}

@test "the default seccomp profile refuses keyctl, unshare -U, mount, bpf; unconfined allows them" {
    local what
    for what in keyctl unshare-user mount bpf vsock; do
        run "$CTR" run --rm "${PROBE[@]}" busybox /probe "$what"
        expect_eq "$output" "$what EPERM" "$what under the default profile"
    done
    run "$CTR" run --rm "${PROBE[@]}" busybox /probe clone3
    expect_eq "$output" "clone3 ENOSYS" "clone3 (libcs fall back to clone)"
    run "$CTR" run --rm "${PROBE[@]}" busybox /probe socket
    expect_eq "$output" "socket ok" "an ordinary socket"
    # Unconfined, the kernel decides: keyrings and nested user namespaces are allowed.
    run "$CTR" run --rm --security-opt seccomp=unconfined "${PROBE[@]}" busybox /probe keyctl
    expect_eq "$output" "keyctl ok" "keyctl unconfined"
    run "$CTR" run --rm --security-opt seccomp=unconfined "${PROBE[@]}" busybox /probe unshare-user
    expect_eq "$output" "unshare-user ok" "unshare -U unconfined"
    run "$CTR" run --rm --security-opt seccomp=unconfined --cap-add SYS_ADMIN "${PROBE[@]}" busybox /probe mount
    expect_eq "$output" "mount ok" "mount unconfined with CAP_SYS_ADMIN"
}

@test "kernel interfaces without a namespace are masked or read-only" {
    run "$CTR" run --rm busybox sh -c '
        for f in /proc/kcore /proc/keys /proc/timer_list; do
            printf "%s %s\n" "$f" "$(head -c 64 "$f" 2>/dev/null | wc -c)"
        done
        (echo 1 > /proc/sys/kernel/domainname) 2>/dev/null && echo sys-writable || echo sys-refused
        (echo h > /proc/sysrq-trigger) 2>/dev/null && echo sysrq-writable || echo sysrq-refused
        ls /sys/firmware | wc -l'
    [ "$status" -eq 0 ]
    expect_eq "${lines[0]}" "/proc/kcore 0"
    expect_eq "${lines[1]}" "/proc/keys 0"
    expect_eq "${lines[2]}" "/proc/timer_list 0"
    expect_eq "${lines[3]}" sys-refused "a write to /proc/sys"
    expect_eq "${lines[4]}" sysrq-refused "a write to /proc/sysrq-trigger"
    expect_eq "${lines[5]}" 0 "entries in /sys/firmware"
    # Unmasked: nothing is mounted over the path any more.
    run "$CTR" run --rm --security-opt unmask=/proc/keys busybox sh -c 'grep -c " /proc/keys " /proc/self/mountinfo; grep -c " /proc/timer_list " /proc/self/mountinfo'
    expect_eq "$output" $'0\n1' "mounts over /proc/keys and /proc/timer_list with unmask=/proc/keys"
    run "$CTR" run --rm --security-opt unmask=ALL busybox sh -c 'grep -cE " /proc/(keys|timer_list|sys) " /proc/self/mountinfo'
    expect_eq "$output" 0 "masks with unmask=ALL"
    run "$CTR" run --rm --security-opt mask=/etc/hostname busybox sh -c 'wc -c < /etc/hostname'
    expect_eq "$output" 0 "a --security-opt mask"
    run "$CTR" run --rm busybox sh -c 'ls /dev | grep -cE "^(mem|kmem|sd.*|vd.*)$" || true'
    expect_eq "$output" 0 "host block and memory devices"
}

@test "--read-only: the root refuses writes while volumes and /tmp accept them" {
    mkdir "$BATS_TEST_TMPDIR/vol"
    run "$CTR" run --rm --read-only -v "$BATS_TEST_TMPDIR/vol:/vol" busybox sh -c '
        touch /x; echo "root $?"; touch /vol/y; echo "vol $?"; touch /tmp/z; echo "tmp $?"'
    expect_contains "$output" "Read-only file system"
    expect_contains "$output" "root 1"
    expect_contains "$output" "vol 0"
    expect_contains "$output" "tmp 0"
    [ -e "$BATS_TEST_TMPDIR/vol/y" ]
    run "$CTR" run --rm --read-only --read-only-tmpfs=false busybox sh -c 'touch /tmp/z'
    [ "$status" -ne 0 ]
    expect_contains "$output" "Read-only file system"
}

@test "no_new_privs and seccomp are on, and only fds 0, 1 and 2 reach the process" {
    run "$CTR" run --rm busybox sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; ls /proc/self/fd | tr "\n" " "'
    [ "$status" -eq 0 ]
    expect_eq "${lines[0]}" $'NoNewPrivs:\t1'
    expect_eq "${lines[1]}" $'Seccomp:\t2'
    expect_eq "${lines[2]}" "0 1 2 3 " "open fds (3 is ls's own)"
    run "$CTR" run --rm --security-opt no-new-privileges=false busybox grep NoNewPrivs /proc/self/status
    expect_eq "$output" $'NoNewPrivs:\t0'
    # exec'd processes get the same confinement.
    "$CTR" run -d --name ex busybox sleep 100 >/dev/null
    run "$CTR" exec ex sh -c 'grep -E "^(NoNewPrivs|Seccomp|CapEff):" /proc/self/status'
    expect_eq "$output" $'CapEff:\t'"$DEFAULT_CAPS"$'\nNoNewPrivs:\t1\nSeccomp:\t2'
}

@test "the container cannot reach ctr's binary through /proc/1/exe of --init" {
    local before
    before=$(sha256sum <"$CTR")
    # PID 1 runs from a sealed in-memory copy of ctr-monitor: nothing on the host to reach, and
    # the copy itself cannot be written.
    run "$CTR" run --rm --init busybox sh -c 'readlink /proc/1/exe; (echo x >> /proc/1/exe) 2>&1; (echo x > /proc/1/exe) 2>&1; true'
    [ "$status" -eq 0 ]
    expect_eq "${lines[0]}" "/memfd:ctr-init (deleted)" "/proc/1/exe of ctr-init"
    [[ "${lines[1]}" == *"Text file busy"* || "${lines[1]}" == *"Operation not permitted"* || "${lines[1]}" == *"Permission denied"* ]]
    [[ "${lines[2]}" == *"Text file busy"* || "${lines[2]}" == *"Operation not permitted"* || "${lines[2]}" == *"Permission denied"* ]]
    expect_eq "$(sha256sum <"$CTR")" "$before" "ctr's binary"
    # Without --init PID 1 is the command itself.
    run "$CTR" run --rm busybox readlink /proc/1/exe
    expect_eq "$output" "/bin/busybox"
}

@test "inspect shows capabilities, seccomp, masks, no_new_privs and id maps" {
    "$CTR" create --name insp --cap-add NET_ADMIN --cap-drop KILL --read-only busybox true >/dev/null
    run "$CTR" inspect insp
    [ "$status" -eq 0 ]
    expect_eq "$(jq -r '.[0].EffectiveCaps | index("CAP_NET_ADMIN") != null' <<<"$output")" true
    expect_eq "$(jq -r '.[0].EffectiveCaps | index("CAP_KILL")' <<<"$output")" null
    expect_eq "$(jq -r '.[0].SeccompProfile' <<<"$output")" "builtin:default"
    expect_eq "$(jq -r '.[0].NoNewPrivileges' <<<"$output")" true
    expect_eq "$(jq -r '.[0].HostConfig.ReadonlyRootfs' <<<"$output")" true
    expect_eq "$(jq -r '.[0].HostConfig.MaskedPaths | index("/proc/kcore") != null' <<<"$output")" true
    expect_eq "$(jq -r '.[0].HostConfig.CapAdd[0]' <<<"$output")" CAP_NET_ADMIN
    expect_eq "$(jq -r '.[0].IDMappings.UidMap[0]' <<<"$output")" "0:$(id -u):1"
}

@test "AppArmor and SELinux options are applied where enabled and refused clearly elsewhere" {
    if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
        run "$CTR" run --rm --security-opt apparmor=ctr-no-such-profile busybox true
        [ "$status" -eq 125 ]
        expect_contains "$output" "ctr-no-such-profile"
    else
        echo "# AppArmor is not enabled on this kernel: checking that it is refused" >&3
        run "$CTR" run --rm --security-opt apparmor=someprofile busybox true
        [ "$status" -eq 125 ]
        expect_eq "$output" "ctr: --security-opt apparmor=someprofile: AppArmor is not enabled on this kernel, so the profile cannot be applied; drop the option"
    fi
    if [ -e /sys/fs/selinux/enforce ]; then
        echo "# SELinux is enabled: label=disable must work" >&3
    else
        run "$CTR" run --rm --security-opt label=type:container_t busybox true
        [ "$status" -eq 125 ]
        expect_eq "$output" "ctr: --security-opt label=type:container_t: SELinux is not enabled on this kernel, so the label cannot be applied; drop the option"
    fi
    run "$CTR" run --rm --security-opt label=disable busybox true
    [ "$status" -eq 0 ]
    run "$CTR" run --rm --security-opt frobnicate=1 busybox true
    [ "$status" -eq 125 ]
    expect_contains "$output" "unknown --security-opt 'frobnicate=1'"
}

@test "ctr run --help and ctr-run(1) state the security defaults and every option" {
    # The page the build renders (man/ctr-run.1.md and the option table), as a reader sees it.
    local page="${CTR_BUILD_DIR:?CTR_BUILD_DIR names the build tree}/man/ctr-run.1" opt text
    require_tool mandoc
    [ -f "$page" ] || { echo "no $page: build the 'man' target" >&2; false; }
    text=$(mandoc -T ascii -O width=1000 "$page" | sed 's/.\x08//g')
    run "$CTR" run --help
    [ "$status" -eq 0 ]
    expect_contains "$output" "the eleven capabilities Podman grants, a seccomp allow-list"
    for opt in $(grep -oE -- '--[a-z][a-z-]+' <<<"$output" | sort -u); do
        grep -qF -- "$opt" <<<"$text" || { echo "ctr-run(1) lacks $opt" >&2; false; }
    done
    grep -q '^\.It Sy Capabilities$' "$page"
    grep -qF 'CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE, SETFCAP' <<<"$text"
    grep -qF '/proc/kcore, /proc/keys' <<<"$text"
    grep -qF 'clone3 with ENOSYS' <<<"$text"
}
