#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ctr login and ctr logout against a real registry that demands a password (htpasswd).

load helpers

setup_file() {
	require_tool docker-registry
	require_tool htpasswd
	registry_start --htpasswd alice 's3cret pass'
}

teardown_file() {
	registry_stop
}

setup() {
	export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	mkdir -m 0700 "$XDG_RUNTIME_DIR"
	unset REGISTRY_AUTH_FILE
	AUTH="$XDG_RUNTIME_DIR/containers/auth.json"
}

# The "auth" value auth.json must hold for USER and PASS.
auth_of() {
	printf '%s:%s' "$1" "$2" | base64 -w0
}

@test "login checks the password with the registry and stores it 0600" {
	run "$CTR" login --tls-verify=false -u alice -p 's3cret pass' "$REGISTRY_ADDR"
	[ "$status" -eq 0 ]
	expect_contains "$output" "Login Succeeded!"
	expect_contains "$output" "warning: a password given with -p is visible to other users"
	expect_eq "$(stat -c %a "$AUTH")" 600 "auth.json mode"
	expect_eq "$(stat -c %a "$XDG_RUNTIME_DIR/containers")" 700 "auth.json directory mode"
	expect_eq "$(jq -r --arg h "$REGISTRY_ADDR" '.auths[$h].auth' "$AUTH")" \
		"$(auth_of alice 's3cret pass')" "stored auth"
	run "$CTR" login --get-login "$REGISTRY_ADDR"
	[ "$status" -eq 0 ]
	expect_eq "$output" alice
}

@test "a wrong password is refused and nothing is stored" {
	run "$CTR" login --tls-verify=false -u alice --password-stdin "$REGISTRY_ADDR" <<<"wrong"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: authentication to '$REGISTRY_ADDR' failed: the credentials were refused"
	[ ! -e "$AUTH" ]
}

@test "--password-stdin reads the password, and needs a user name" {
	run "$CTR" login --tls-verify=false -u alice --password-stdin "$REGISTRY_ADDR" <<<"s3cret pass"
	[ "$status" -eq 0 ]
	expect_eq "$output" "Login Succeeded!"
	expect_eq "$(jq -r --arg h "$REGISTRY_ADDR" '.auths[$h].auth' "$AUTH")" \
		"$(auth_of alice 's3cret pass')" "stored auth"
	run "$CTR" login --tls-verify=false --password-stdin "$REGISTRY_ADDR" <<<"s3cret pass"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: login needs a user name: use -u USER"
}

@test "without a terminal, login needs -p or --password-stdin" {
	run "$CTR" login --tls-verify=false -u alice "$REGISTRY_ADDR" </dev/null
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: login needs a password: use --password-stdin, or run it in a terminal"
	[ ! -e "$AUTH" ]
}

@test "--authfile stores there and keeps the other entries and keys" {
	local file="$BATS_TEST_TMPDIR/sub/dir/auth.json"
	mkdir -p "$(dirname "$file")"
	printf '{"auths": {"other.example": {"auth": "%s"}}, "credHelpers": {"x": "y"}}\n' \
		"$(auth_of bob pw)" >"$file"
	run "$CTR" login --tls-verify=false --authfile "$file" -u alice --password-stdin \
		"$REGISTRY_ADDR" <<<"s3cret pass"
	[ "$status" -eq 0 ]
	[ ! -e "$AUTH" ]
	expect_eq "$(stat -c %a "$file")" 600 "auth file mode"
	expect_eq "$(jq -r '.auths["other.example"].auth' "$file")" "$(auth_of bob pw)" "other entry"
	expect_eq "$(jq -r '.credHelpers.x' "$file")" y "unknown key"
	run "$CTR" login --authfile "$file" --get-login "$REGISTRY_ADDR"
	[ "$status" -eq 0 ]
	expect_eq "$output" alice
	# REGISTRY_AUTH_FILE is the default --authfile, as for Podman.
	REGISTRY_AUTH_FILE="$file" run "$CTR" logout "$REGISTRY_ADDR"
	[ "$status" -eq 0 ]
	expect_eq "$(jq -r --arg h "$REGISTRY_ADDR" '.auths[$h]' "$file")" null "removed entry"
	expect_eq "$(jq -r '.auths["other.example"].auth' "$file")" "$(auth_of bob pw)" "other entry"
}

@test "logout removes the credentials; a second logout says there are none" {
	run "$CTR" login --tls-verify=false -u alice -p 's3cret pass' "$REGISTRY_ADDR"
	[ "$status" -eq 0 ]
	run "$CTR" logout "$REGISTRY_ADDR"
	[ "$status" -eq 0 ]
	expect_eq "$output" "Removed login credentials for $REGISTRY_ADDR"
	expect_eq "$(jq -r --arg h "$REGISTRY_ADDR" '.auths[$h]' "$AUTH")" null "entry after logout"
	run "$CTR" logout "$REGISTRY_ADDR"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: not logged into '$REGISTRY_ADDR'"
	run "$CTR" login --get-login "$REGISTRY_ADDR"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: not logged into '$REGISTRY_ADDR'"
}

@test "logout --all empties the auth file" {
	run "$CTR" login --tls-verify=false -u alice -p 's3cret pass' "$REGISTRY_ADDR"
	[ "$status" -eq 0 ]
	run "$CTR" logout --all
	[ "$status" -eq 0 ]
	expect_eq "$output" "Removed login credentials for all registries"
	expect_eq "$(jq -c .auths "$AUTH")" "{}" "auths after logout --all"
}

@test "a registry marked insecure in registries.conf needs no --tls-verify=false" {
	run "$CTR" login -u alice -p 's3cret pass' "$REGISTRY_ADDR"
	[ "$status" -eq 125 ]
	expect_contains "$output" "ctr: login to '$REGISTRY_ADDR': GET 'https://$REGISTRY_ADDR/v2/'"
	mkdir -p "$XDG_CONFIG_HOME/ctr"
	printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REGISTRY_ADDR" \
		>"$XDG_CONFIG_HOME/ctr/registries.conf"
	run "$CTR" login -u alice -p 's3cret pass' "$REGISTRY_ADDR"
	[ "$status" -eq 0 ]
	expect_contains "$output" "Login Succeeded!"
}

@test "login to a registry that does not answer is a clear error" {
	local port
	port="$(_registry_free_port)"
	run "$CTR" login --tls-verify=false -u alice --password-stdin "127.0.0.1:$port" <<<"pw"
	[ "$status" -eq 125 ]
	expect_contains "$output" "ctr: login to '127.0.0.1:$port': GET 'http://127.0.0.1:$port/v2/': Couldn't connect to server"
	[ ! -e "$AUTH" ]
}

@test "login and logout usage errors are one line" {
	run "$CTR" login
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: login needs exactly one registry, got 0 arguments: see 'ctr login --help'"
	run "$CTR" login --bogus "$REGISTRY_ADDR"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: login unknown option '--bogus': see 'ctr login --help'"
	run "$CTR" login --tls-verify=maybe "$REGISTRY_ADDR"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: login --tls-verify takes 'true' or 'false', got 'maybe': see 'ctr login --help'"
	run "$CTR" login -p x --password-stdin "$REGISTRY_ADDR"
	[ "$status" -eq 125 ]
	expect_contains "$output" "ctr: login takes -p or --password-stdin, not both"
	run "$CTR" login "$REGISTRY_ADDR/some/repo"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: login takes a registry host, not a repository: '$REGISTRY_ADDR/some/repo': see 'ctr login --help'"
	run "$CTR" logout
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: logout needs exactly one registry, got 0 arguments: see 'ctr logout --help'"
	run "$CTR" logout --all "$REGISTRY_ADDR"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: logout takes no registry with --all: see 'ctr logout --help'"
	run "$CTR" login --help
	[ "$status" -eq 0 ]
	expect_contains "$output" "Usage: ctr login [OPTIONS] REGISTRY"
}
