# shellcheck shell=bash
#
# Common helpers for ctr's bats integration tests.  In a .bats file:
#
#   load helpers
#
# Provides:
#   CTR                      the ctr binary under test, from $CTR_BINARY
#   fixtures_dir             print the fixture output dir ($CTR_FIXTURES_DIR)
#   fixtures_layout          print the OCI layout dir inside it
#   require_tool NAME        skip the test if NAME is not in PATH, or fail
#                            when $CI is set or CTR_TESTS_MUST_WORK=1
#   expect_eq ACTUAL EXPECTED [WHAT]
#   expect_contains HAYSTACK NEEDLE [WHAT]
#   expect_line FILE LINE    FILE must contain LINE as a whole line
# and everything from ../fixtures/registry.bash (fixtures_build,
# registry_start, registry_push, registry_stop, REGISTRY_ADDR, ...).

_CTR_HELPERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]:-$BATS_TEST_DIRNAME/helpers.bash}")" && pwd)"

# shellcheck source=SCRIPTDIR/../fixtures/registry.bash
source "$_CTR_HELPERS_DIR/../fixtures/registry.bash"

# The ctr binary under test.  Set CTR_BINARY to its path.
CTR="${CTR_BINARY:-}"
export CTR

# Print the directory fixtures_build writes to (it contains "oci" and
# "stamp"): $CTR_FIXTURES_DIR, default ${BATS_RUN_TMPDIR:-/tmp}/ctr-fixtures.
fixtures_dir() {
	_fixtures_outdir
}

# Print the OCI image layout holding the fixture images (busybox, layered).
fixtures_layout() {
	printf '%s/oci\n' "$(_fixtures_outdir)"
}

# True when a missing prerequisite must fail the test instead of skipping it.
_tests_must_work() {
	[[ "${CTR_TESTS_MUST_WORK:-}" == 1 ]] && return 0
	[[ -n "${CI:-}" && "${CI}" != false && "${CI}" != 0 ]]
}

# require_tool NAME: return 0 if NAME is in PATH.  Otherwise fail with a
# message (when $CI is set or CTR_TESTS_MUST_WORK=1) or skip the test.
require_tool() {
	local tool="$1"
	if command -v "$tool" >/dev/null 2>&1; then
		return 0
	fi
	if _tests_must_work; then
		echo "require_tool: '$tool' is not installed (not found in PATH); it is required because CI or CTR_TESTS_MUST_WORK=1 is set" >&2
		return 1
	fi
	skip "$tool is not installed"
}

# expect_eq ACTUAL EXPECTED [WHAT]
expect_eq() {
	if [[ "$1" != "$2" ]]; then
		printf '%s differs\n  expected: %q\n  actual:   %q\n' "${3:-value}" "$2" "$1" >&2
		return 1
	fi
}

# expect_contains HAYSTACK NEEDLE [WHAT]
expect_contains() {
	if [[ "$1" != *"$2"* ]]; then
		printf '%s does not contain %q; it is:\n%s\n' "${3:-output}" "$2" "$1" >&2
		return 1
	fi
}

# expect_line FILE LINE: FILE has LINE as a complete line.
expect_line() {
	if ! grep -qxF -- "$2" "$1"; then
		printf 'no line %q in %s; it has %d lines, starting with:\n' \
			"$2" "$1" "$(wc -l <"$1")" >&2
		head -n 60 "$1" >&2
		return 1
	fi
}

# load_busybox: load the fixture image "busybox" (see ../fixtures/build-images.py) into the
# store ctr uses now (mind XDG_DATA_HOME), as localhost/busybox:latest, so "busybox" names it.
# The fixtures are built and the OCI archive written once per bats file.
load_busybox() {
	local archive="${BATS_FILE_TMPDIR:-${BATS_RUN_TMPDIR:-/tmp}}/busybox.oci.tar" out
	if [[ ! -s "$archive" ]]; then
		fixtures_build >/dev/null || return 1
		if ! "${CTR_PYTHON:-python3}" "$_CTR_FIXTURES_SRC/build-images.py" "$(_fixtures_outdir)" \
			--oci-archive busybox "$archive" >/dev/null; then
			echo "load_busybox: writing the busybox archive $archive failed" >&2
			return 1
		fi
	fi
	if ! out="$("$CTR" load -i "$archive" 2>&1)"; then
		printf 'load_busybox: ctr load -i %s failed:\n%s\n' "$archive" "$out" >&2
		return 1
	fi
}

# Background processes and waiting, for the container tests (they keep $T/bg-pids so their
# teardown can kill what a failed test left running).

# bg OUT CMD...: runs CMD in the background with stdout and stderr to OUT; its pid in BG_PID.
bg() {
	local out=$1
	shift
	"$@" >"$out" 2>&1 3>&- &
	BG_PID=$!
	echo "$BG_PID" >>"$T/bg-pids"
}

# True when process $1 has exited (it is a zombie waiting for us, or gone).
exited() {
	local st
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 0
	[ -z "$st" ] || [ "$st" = Z ]
}

# bg_wait SECONDS [PID]: waits for the background process (default the last one) for at most
# SECONDS, killing it then; its exit status in BG_STATUS.
bg_wait() {
	local pid=${2:-$BG_PID}
	if ! wait_until "$1" exited "$pid"; then
		kill -9 "$pid" 2>/dev/null || true
	fi
	BG_STATUS=0
	wait "$pid" || BG_STATUS=$?
}

# wait_until SECONDS CMD...: runs CMD every 50 ms until it succeeds; fails after SECONDS.
wait_until() {
	local deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	until "$@"; do
		if (($(date +%s%N) / 1000000 >= deadline)); then
			echo "timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}


# store_setup: a private store for one test (XDG_DATA_HOME, XDG_RUNTIME_DIR and
# XDG_CONFIG_HOME under BATS_TEST_TMPDIR); STORE is ctr's root in it, T the test's directory.
store_setup() {
	export XDG_DATA_HOME="$BATS_TEST_TMPDIR/data"
	export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	mkdir -m 0700 "$XDG_RUNTIME_DIR"
	STORE="$XDG_DATA_HOME/ctr"
	T=$BATS_TEST_TMPDIR
}

# store_teardown: kills what bg started and a failed test left running, removes every
# container, then the store (files the containers' other users made belong to subordinate
# ids, hence the user namespace).
store_teardown() {
	local pid
	if [ -f "$BATS_TEST_TMPDIR/bg-pids" ]; then
		while read -r pid; do
			if fixture_is_ours "$pid" "$CTR"; then kill -9 "$pid" 2>/dev/null || true; fi
		done <"$BATS_TEST_TMPDIR/bg-pids"
	fi
	"$CTR" rm -af >/dev/null 2>&1 || true
	unshare -U --map-auto --map-root-user rm -rf "$BATS_TEST_TMPDIR/data" 2>/dev/null || true
}
