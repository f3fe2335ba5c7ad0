#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The manual pages in the build tree (man/README.md): every command the CLI lists has its page,
# every option it accepts is in that page's OPTIONS (and nothing else is), and every page is
# clean under `mandoc -T lint`.  The pages are made from the same tables as the CLI, so this
# checks the renderer and the prose as much as the tables.

load helpers

setup_file() {
	MAN_DIR="${CTR_BUILD_DIR:?CTR_BUILD_DIR names the build tree}/man"
	export MAN_DIR
}

setup() {
	require_tool mandoc
	# --help needs no store, but a stray one must not land in the test user's home.
	export XDG_DATA_HOME="$BATS_TEST_TMPDIR/data"
	export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	mkdir -m 0700 "$XDG_RUNTIME_DIR"
	if ! ls "$MAN_DIR"/ctr.1 >/dev/null 2>&1; then
		echo "no rendered pages in $MAN_DIR: build the 'man' target" >&2
		return 1
	fi
}

# render PAGE: the page as text, without overstrike and without line wrapping.
render() {
	mandoc -T ascii -O width=1000 "$1" | sed 's/.\x08//g'
}

# The option heads of a --help text, one per line: "-t, --time N", "--tls-verify[=BOOL]".
help_options() {
	grep -E -- '^  (-[^-], |    )--[a-z0-9]' | sed -E 's/^ +//; s/  .*//' | sort
}

# The option heads of a rendered page's OPTIONS section, in the same form.
page_options() {
	render "$1" | awk '/^[A-Z]/ { in_options = ($0 == "OPTIONS") } in_options' |
		grep -E -- '^     -' | sed -E 's/^ +//; s/  .*//' | sort
}

# The page a --help text documents, from its usage line: "Usage: ctr image prune [-a]" is
# ctr-image-prune, "Usage: ctr [OPTIONS] COMMAND" is ctr.
usage_page() {
	local page=ctr word words
	read -r -a words <<<"$(head -n 1 <<<"$1")"
	[ "${words[0]}" = Usage: ] && [ "${words[1]}" = ctr ] || return 1
	for word in "${words[@]:2}"; do
		[[ "$word" =~ ^[a-z][a-z-]*$ ]] || break
		page+="-$word"
	done
	printf '%s\n' "$page"
}

# The commands a --help text lists.
help_commands() {
	awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'
}

# Every command line whose options a page documents: "", "run", "image prune", ...
all_commands() {
	local cmd sub help
	echo ""
	for cmd in $("$CTR" --help | help_commands); do
		echo "$cmd"
		help=$("$CTR" "$cmd" --help)
		# `ctr help --help` is ctr's own help: its commands are not help's.
		[ "$(usage_page "$help")" = "ctr-$cmd" ] || continue
		for sub in $(help_commands <<<"$help"); do
			echo "$cmd $sub"
		done
	done
}

@test "every command and subcommand in --help has its page" {
	local cmd help page missing=""
	while read -r cmd; do
		# shellcheck disable=SC2086 # "image prune" is two words
		help=$("$CTR" $cmd --help)
		page=$(usage_page "$help") || { echo "'ctr $cmd --help' has no usage line" >&2; return 1; }
		[ -f "$MAN_DIR/$page.1" ] || missing+=" $page(1) for 'ctr $cmd'"
	done < <(all_commands)
	[ -z "$missing" ] || { echo "missing pages:$missing" >&2; return 1; }
	# The configuration files ctr reads have theirs.
	for page in ctr.conf.5 ctr-registries.conf.5 ctr-auth.json.5; do
		[ -f "$MAN_DIR/$page" ] || { echo "missing $page" >&2; return 1; }
	done
}

@test "every option a command accepts is in its page's OPTIONS, and no other" {
	local cmd help page want have failed=0
	while read -r cmd; do
		# shellcheck disable=SC2086
		help=$("$CTR" $cmd --help)
		page=$(usage_page "$help")
		want=$(help_options <<<"$help")
		have=$(page_options "$MAN_DIR/$page.1")
		if [ "$want" != "$have" ]; then
			echo "'ctr $cmd --help' and $page(1) differ (< help, > page):" >&2
			diff <(echo "$want") <(echo "$have") >&2 || true
			failed=1
		fi
	done < <(all_commands)
	[ "$failed" = 0 ]
	# The check sees options at all: ctr(1) has the global ones, ctr-run(1) its sections.
	page_options "$MAN_DIR/ctr.1" | grep -qx -- '--root DIR'
	page_options "$MAN_DIR/ctr-run.1" | grep -qx -- '-p, --publish \[IP:\]\[HOSTPORT:\]PORT\[/tcp|/udp\]'
	page_options "$MAN_DIR/ctr-run.1" | grep -qx -- '--cap-add CAP'
}

@test "every page is clean under mandoc -T lint" {
	local out
	# Linted where they sit side by side, as once installed, so that references from one page
	# to another resolve; messages of every level go to stdout (stderr only has mandoc's notes
	# about the host's own mandoc.db).
	out=$(cd "$MAN_DIR" && mandoc -T lint ./*.[1-8] 2>/dev/null) || true
	expect_eq "$out" "" "mandoc -T lint"
	# And it would say so: a broken page is reported.
	printf '.Dd x\n.Dt BAD 1\n.Os\n.Sh NAME\n.Xr\n' >"$BATS_TEST_TMPDIR/bad.1"
	out=$(mandoc -T lint "$BATS_TEST_TMPDIR/bad.1" 2>/dev/null) || true
	[ -n "$out" ]
}

@test "pages say what ctr(1) and ctr-run(1) must say" {
	local text cmd
	text=$(render "$MAN_DIR/ctr.1")
	# ctr(1) lists every command with its summary, and the files and environment it reads.
	for cmd in $("$CTR" --help | help_commands); do
		grep -qE "^     $cmd( |\$)" <<<"$text" || { echo "ctr(1) does not list $cmd" >&2; return 1; }
	done
	expect_contains "$text" "ENVIRONMENT"
	expect_contains "$text" "REGISTRY_AUTH_FILE"
	expect_contains "$text" "FILES"
	expect_contains "$text" "ctr.conf(5)"
	text=$(render "$MAN_DIR/ctr-run.1")
	expect_contains "$text" "SECURITY DEFAULTS"
	expect_contains "$text" "EXIT STATUS"
	expect_contains "$text" "EXAMPLES"
	# An alias has no page of its own: its parent's page points at the command it runs.
	text=$(render "$MAN_DIR/ctr-container.1")
	expect_contains "$text" "see ctr-ps(1)"
	[ ! -e "$MAN_DIR/ctr-container-ls.1" ]
}
