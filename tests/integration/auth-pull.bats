#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ctr pull with credentials, and against servers that misbehave:
# - a real registry (docker-registry) demanding HTTP Basic authentication (htpasswd);
# - a real registry demanding Bearer tokens, issued by tests/fixtures/token-server.py;
# - tests/fixtures/faulty-registry.py: wrong bytes for a blob, a redirect to another host,
#   503s before it answers.
# shellcheck disable=SC2016 # the jq programs below name $service, a jq variable

load helpers

USER_NAME=alice
USER_PASS='s3cret pass'
TOKEN_SERVICE=ctr-test-registry
TOKEN_ISSUER=ctr-test-issuer

# wait_for_line FILE PID WHAT: wait (up to 10 s) until PID has written a line to FILE.
wait_for_line() {
	local i
	for ((i = 0; i < 100; i++)); do
		if [[ "$(wc -l <"$1")" -ge 1 ]]; then
			return 0
		fi
		if ! kill -0 "$2" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	echo "$3 did not start; its errors:" >&2
	cat "${1%/*}/err" >&2
	return 1
}

# push_as IMAGE DEST: copy fixture IMAGE to DEST (HOST/REPO:TAG) with the test user's credentials.
push_as() {
	skopeo --insecure-policy copy --quiet --preserve-digests --dest-tls-verify=false \
		--dest-creds "$USER_NAME:$USER_PASS" "oci:$(fixtures_layout):$1" "docker://$2" </dev/null
}

# The token server: a throw-away RSA key and self-signed certificate (the registry trusts it as
# its rootcertbundle), and tokens signed with it.  Sets TOKEN_PID, TOKEN_PORT, TOKEN_LOG.
start_token_server() {
	local dir="$WORK_DIR/token"
	mkdir "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" \
		-days 2 -subj "/CN=ctr test token issuer" >"$dir/openssl.log" 2>&1 ||
		{ cat "$dir/openssl.log" >&2; return 1; }
	export TOKEN_LOG="$dir/log" TOKEN_CERT="$dir/cert.pem"
	: >"$TOKEN_LOG"
	python3 "$_CTR_FIXTURES_SRC/token-server.py" --key "$dir/key.pem" --cert "$dir/cert.pem" \
		--issuer "$TOKEN_ISSUER" --service "$TOKEN_SERVICE" --log "$TOKEN_LOG" \
		--user "$USER_NAME:$USER_PASS" --public public/busybox \
		</dev/null >"$dir/port" 2>"$dir/err" 3>&- &
	export TOKEN_PID=$!
	wait_for_line "$dir/port" "$TOKEN_PID" "the token server"
	TOKEN_PORT="$(cat "$dir/port")"
	export TOKEN_PORT
}

# The faulty registry on 127.0.0.1 and 127.0.0.2.  Sets FAULTY_PID, FAULTY (127.0.0.1:PORT),
# FAULTY_OTHER (127.0.0.2:PORT) and FAULTY_LOG.
start_faulty_registry() {
	local dir="$WORK_DIR/faulty" port other
	mkdir "$dir"
	export FAULTY_LOG="$dir/log"
	: >"$FAULTY_LOG"
	python3 "$_CTR_FIXTURES_SRC/faulty-registry.py" "$(fixtures_layout)" "$FAULTY_LOG" \
		</dev/null >"$dir/ports" 2>"$dir/err" 3>&- &
	export FAULTY_PID=$!
	wait_for_line "$dir/ports" "$FAULTY_PID" "the faulty registry"
	read -r port other <"$dir/ports"
	export FAULTY="127.0.0.1:$port" FAULTY_OTHER="127.0.0.2:$other"
}

setup_file() {
	require_tool docker-registry
	require_tool htpasswd
	require_tool skopeo
	require_tool openssl
	require_tool jq
	require_tool sqlite3
	fixtures_build
	WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ctr-auth-pull.XXXXXX")"
	export WORK_DIR

	# A registry demanding a password.  registry_start sets REGISTRY_*: saved under other names,
	# so that it starts a second one.
	registry_start --htpasswd "$USER_NAME" "$USER_PASS"
	# shellcheck disable=SC2153 # set by registry_start
	export BASIC="$REGISTRY_ADDR" BASIC_DIR="$REGISTRY_DIR" BASIC_PID="$REGISTRY_PID"
	unset REGISTRY_ADDR REGISTRY_DIR REGISTRY_PID
	push_as busybox "$BASIC/busybox:latest"

	# A registry demanding tokens from the token server.
	start_token_server
	registry_start --token "http://127.0.0.1:$TOKEN_PORT/token" "$TOKEN_SERVICE" "$TOKEN_ISSUER" \
		"$TOKEN_CERT"
	export TOKEN="$REGISTRY_ADDR" TOKEN_DIR="$REGISTRY_DIR" TOKEN_REG_PID="$REGISTRY_PID"
	unset REGISTRY_ADDR REGISTRY_DIR REGISTRY_PID
	push_as busybox "$TOKEN/public/busybox:latest"
	push_as busybox "$TOKEN/private/busybox:latest"

	start_faulty_registry
}

teardown_file() {
	local kind pids=() dirs=() i left=""
	fixture_stop "${TOKEN_PID:-}" "${WORK_DIR:-}"
	fixture_stop "${FAULTY_PID:-}" "${WORK_DIR:-}"
	pids+=("${TOKEN_PID:-}" "${FAULTY_PID:-}")
	dirs+=("${WORK_DIR:-}" "${WORK_DIR:-}")
	for kind in BASIC TOKEN; do
		local pid_var="${kind}_PID" dir_var="${kind}_DIR"
		[[ $kind == TOKEN ]] && pid_var=TOKEN_REG_PID
		REGISTRY_PID="${!pid_var:-}" REGISTRY_DIR="${!dir_var:-}"
		pids+=("$REGISTRY_PID")
		dirs+=("$REGISTRY_DIR")
		registry_stop
	done
	# Every server this file started is gone.
	for i in "${!pids[@]}"; do
		if [[ -n "${pids[$i]}" && -n "${dirs[$i]}" ]] && fixture_is_ours "${pids[$i]}" "${dirs[$i]}"; then
			left+=" ${pids[$i]}"
		fi
	done
	if [[ -n "${WORK_DIR:-}" ]]; then
		left+="$(pgrep -f -- "$WORK_DIR" | sed 's/^/ /' | tr -d '\n' || true)"
		rm -rf "$WORK_DIR"
	fi
	if [[ -n "$left" ]]; then
		echo "teardown_file: still running:$left" >&2
		return 1
	fi
}

setup() {
	export HOME="$BATS_TEST_TMPDIR/home"
	export XDG_DATA_HOME="$BATS_TEST_TMPDIR/data"
	export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	mkdir -p "$HOME"
	mkdir -m 0700 "$XDG_RUNTIME_DIR"
	unset REGISTRY_AUTH_FILE
	STORE="$XDG_DATA_HOME/ctr"
	AUTH="$XDG_RUNTIME_DIR/containers/auth.json"
	BUSYBOX_ID="$(fixture_config_digest busybox | sed 's/^sha256://')"
}

# Layer files belong to subordinate ids; only a namespace with the user's mapping removes them.
teardown() {
	unshare -U --map-auto --map-root-user rm -rf "$BATS_TEST_TMPDIR/data" 2>/dev/null || true
}

# The store has no image, no layer (row or directory) and nothing in staging.
expect_nothing_registered() {
	local images
	images="$("$CTR" images -q)"
	expect_eq "$images" "" "images"
	expect_eq "$(sqlite3 "$STORE/ctr.db" 'SELECT count(*) FROM layers')" 0 "layer rows"
	expect_eq "$(sqlite3 "$STORE/ctr.db" 'SELECT count(*) FROM images')" 0 "image rows"
	expect_eq "$(find "$STORE/layers" -mindepth 1 -maxdepth 1 ! -name .staging 2>/dev/null | wc -l)" \
		0 "layer directories"
	expect_eq "$(find "$STORE/layers/.staging" -mindepth 1 2>/dev/null | wc -l)" 0 "staging leftovers"
}

# The image NAME is in the store with the busybox fixture's id.
expect_busybox_as() {
	local ids
	ids="$("$CTR" images -q --no-trunc --filter "reference=$1")"
	expect_eq "$ids" "$BUSYBOX_ID" "id of $1"
}

# How many requests for PATH (exactly) the faulty registry got at HOST.
faulty_gets() {
	awk -v host="$1" -v path="$2" '$1 == host && $2 == path { n++ } END { print n + 0 }' "$FAULTY_LOG"
}

# Token server requests (one JSON object each) matching the jq condition COND, counted.
token_requests() {
	jq -s --arg service "$TOKEN_SERVICE" "[.[] | select($1)] | length" "$TOKEN_LOG"
}

# --- HTTP Basic, against docker-registry with htpasswd ---

@test "basic: a pull without credentials fails and says to run ctr login" {
	run "$CTR" pull -q --tls-verify=false "$BASIC/busybox"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: pull '$BASIC/busybox:latest': manifest 'latest' of 'busybox': authentication required for '$BASIC': run 'ctr login $BASIC'"
	expect_nothing_registered
}

@test "basic: after ctr login the pull uses the stored credentials" {
	run "$CTR" login --tls-verify=false -u "$USER_NAME" --password-stdin "$BASIC" <<<"$USER_PASS"
	[ "$status" -eq 0 ]
	[ -f "$AUTH" ]
	run "$CTR" pull -q --tls-verify=false "$BASIC/busybox"
	[ "$status" -eq 0 ]
	expect_eq "$output" "$BUSYBOX_ID"
	expect_busybox_as "$BASIC/busybox:latest"
}

@test "basic: --creds works without a login and stores nothing" {
	run "$CTR" pull -q --tls-verify=false --creds "$USER_NAME:$USER_PASS" "$BASIC/busybox"
	[ "$status" -eq 0 ]
	expect_eq "$output" "$BUSYBOX_ID"
	expect_busybox_as "$BASIC/busybox:latest"
	[ ! -e "$AUTH" ]
	[ ! -e "$XDG_RUNTIME_DIR/containers" ]
}

@test "basic: --authfile names the file the credentials are read from" {
	local file="$BATS_TEST_TMPDIR/elsewhere/auth.json"
	mkdir -p "$(dirname "$file")"
	run "$CTR" login --tls-verify=false --authfile "$file" -u "$USER_NAME" --password-stdin \
		"$BASIC" <<<"$USER_PASS"
	[ "$status" -eq 0 ]
	[ -f "$file" ] && [ ! -e "$AUTH" ]
	run "$CTR" pull -q --tls-verify=false --authfile "$file" "$BASIC/busybox"
	[ "$status" -eq 0 ] || { echo "pull --authfile failed: $output" >&2; return 1; }
	expect_eq "$output" "$BUSYBOX_ID"
	expect_busybox_as "$BASIC/busybox:latest"
}

@test "basic: wrong --creds fail clearly, even over a good login, and register nothing" {
	run "$CTR" pull -q --tls-verify=false --creds "$USER_NAME:wrong" "$BASIC/busybox"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: pull '$BASIC/busybox:latest': manifest 'latest' of 'busybox': authentication to '$BASIC' failed: the credentials were refused"
	# --creds are what is used, not the credentials ctr login stored.
	"$CTR" login --tls-verify=false -u "$USER_NAME" --password-stdin "$BASIC" <<<"$USER_PASS" >/dev/null
	run "$CTR" pull -q --tls-verify=false --creds "$USER_NAME:wrong" "$BASIC/busybox"
	[ "$status" -eq 125 ]
	expect_contains "$output" "authentication to '$BASIC' failed: the credentials were refused"
	expect_nothing_registered
}

# --- Bearer tokens, against docker-registry with token auth ---

@test "token: an anonymous pull of a public repository goes through the token flow" {
	: >"$TOKEN_LOG"
	run "$CTR" pull -q --tls-verify=false "$TOKEN/public/busybox"
	[ "$status" -eq 0 ]
	expect_eq "$output" "$BUSYBOX_ID"
	expect_busybox_as "$TOKEN/public/busybox:latest"
	# One anonymous token for the repository, granting pull, for the registry's service.
	expect_eq "$(token_requests '.service == $service and .user == "anonymous"
		and .scopes == ["repository:public/busybox:pull"]
		and .granted == [{"type": "repository", "name": "public/busybox", "actions": ["pull"]}]')" \
		1 "anonymous token requests for public/busybox"
	expect_eq "$(token_requests 'true')" 1 "token requests"
}

@test "token: a private repository needs ctr login, and then pulls" {
	: >"$TOKEN_LOG"
	run "$CTR" pull -q --tls-verify=false "$TOKEN/private/busybox"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: pull '$TOKEN/private/busybox:latest': manifest 'latest' of 'private/busybox': authentication required for '$TOKEN': run 'ctr login $TOKEN'"
	expect_nothing_registered
	# The anonymous token was asked for and granted nothing.
	expect_eq "$(token_requests '.service == $service and .user == "anonymous"
		and .scopes == ["repository:private/busybox:pull"] and .granted == []')" 1 \
		"anonymous token requests for private/busybox"

	run "$CTR" login --tls-verify=false -u "$USER_NAME" --password-stdin "$TOKEN" <<<"$USER_PASS"
	[ "$status" -eq 0 ]
	expect_contains "$output" "Login Succeeded!"
	run "$CTR" pull -q --tls-verify=false "$TOKEN/private/busybox"
	[ "$status" -eq 0 ]
	expect_eq "$output" "$BUSYBOX_ID"
	expect_busybox_as "$TOKEN/private/busybox:latest"
	# The token for the pull: the user's credentials, the service, the repository's pull scope.
	expect_eq "$(token_requests '.service == $service and .user == "alice"
		and .scopes == ["repository:private/busybox:pull"]
		and .granted == [{"type": "repository", "name": "private/busybox", "actions": ["pull"]}]')" \
		1 "alice's token requests for private/busybox"
	expect_eq "$(token_requests '.user == "refused"')" 0 "refused token requests"
}

@test "token: a wrong password is refused by the token server, and nothing is stored" {
	: >"$TOKEN_LOG"
	run "$CTR" login --tls-verify=false -u "$USER_NAME" --password-stdin "$TOKEN" <<<"wrong"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: authentication to '$TOKEN' failed: the credentials were refused"
	[ ! -e "$AUTH" ]
	run "$CTR" pull -q --tls-verify=false --creds "$USER_NAME:wrong" "$TOKEN/private/busybox"
	[ "$status" -eq 125 ]
	expect_contains "$output" "authentication to '$TOKEN' failed: the credentials were refused"
	expect_nothing_registered
	expect_eq "$(token_requests '.user == "refused"')" 2 "refused token requests"
}

# --- misbehaving servers: tests/fixtures/faulty-registry.py ---

@test "faulty: wrong bytes for a layer fail the pull, naming the blob, and leave nothing" {
	local layer
	layer="$(fixture_layer_digests busybox | head -n1)"
	run "$CTR" pull -q --tls-verify=false "$FAULTY/badlayer/busybox"
	[ "$status" -eq 125 ]
	expect_contains "$output" "blob '$layer' of 'badlayer/busybox': the registry sent different content (digest mismatch: expected $layer, got sha256:"
	expect_eq "${#lines[@]}" 1 "error lines"
	expect_nothing_registered
	expect_eq "$(faulty_gets 127.0.0.1 "/v2/badlayer/busybox/blobs/$layer")" 1 "layer fetches"
}

@test "faulty: wrong bytes for the config fail the pull, naming the blob, and leave nothing" {
	local config
	config="$(fixture_config_digest busybox)"
	run "$CTR" pull -q --tls-verify=false "$FAULTY/badconfig/busybox"
	[ "$status" -eq 125 ]
	expect_contains "$output" "config '$config': blob '$config' of 'badconfig/busybox': the registry sent different content (digest mismatch: expected $config, got sha256:"
	expect_nothing_registered
	# No layer was even asked for.
	expect_eq "$(faulty_gets 127.0.0.1 "/v2/badconfig/busybox/blobs/$(fixture_layer_digests busybox | head -n1)")" 0 "layer fetches"
}

@test "faulty: a redirect to another host does not receive the credentials" {
	local basic config layer
	basic="Basic_$(printf '%s' alice:s3cret | base64 -w0)"
	config="$(fixture_config_digest busybox)"
	layer="$(fixture_layer_digests busybox | head -n1)"
	run "$CTR" pull -q --tls-verify=false --creds alice:s3cret "$FAULTY/basic/busybox"
	[ "$status" -eq 0 ]
	expect_eq "$output" "$BUSYBOX_ID"
	expect_busybox_as "$FAULTY/basic/busybox:latest"
	# The registry (127.0.0.1) got the credentials with each blob request it redirected...
	expect_line "$FAULTY_LOG" "127.0.0.1 /v2/basic/busybox/blobs/$config auth=$basic"
	expect_line "$FAULTY_LOG" "127.0.0.1 /v2/basic/busybox/blobs/$layer auth=$basic"
	# ...and the other host (127.0.0.2) served both blobs without ever seeing them.
	expect_line "$FAULTY_LOG" "127.0.0.2 /storage/$config auth=-"
	expect_line "$FAULTY_LOG" "127.0.0.2 /storage/$layer auth=-"
	expect_eq "$(grep -c '^127\.0\.0\.2 ' "$FAULTY_LOG")" 2 "requests to 127.0.0.2"
	expect_eq "$(grep '^127\.0\.0\.2 ' "$FAULTY_LOG" | grep -vc ' auth=-$' || true)" 0 \
		"requests to 127.0.0.2 with an Authorization header"
}

@test "faulty: a manifest that fails twice with 503 is retried and the pull succeeds" {
	run "$CTR" pull -q --tls-verify=false "$FAULTY/flaky-manifest-2/busybox"
	[ "$status" -eq 0 ]
	expect_eq "$output" "$BUSYBOX_ID"
	expect_eq "$(faulty_gets 127.0.0.1 /v2/flaky-manifest-2/busybox/manifests/latest)" 3 "manifest requests"
}

@test "faulty: a layer that fails twice with 503 is retried and the pull succeeds" {
	local layer
	layer="$(fixture_layer_digests busybox | head -n1)"
	run "$CTR" pull -q --tls-verify=false "$FAULTY/flaky-layer-2/busybox"
	[ "$status" -eq 0 ]
	expect_eq "$output" "$BUSYBOX_ID"
	expect_busybox_as "$FAULTY/flaky-layer-2/busybox:latest"
	expect_eq "$(faulty_gets 127.0.0.1 "/v2/flaky-layer-2/busybox/blobs/$layer")" 3 "layer requests"
}

@test "faulty: --retry 1 gives up after two attempts and shows the registry's error" {
	run "$CTR" pull -q --tls-verify=false --retry 1 "$FAULTY/flaky-manifest-3/busybox"
	[ "$status" -eq 125 ]
	expect_eq "$output" "ctr: pull '$FAULTY/flaky-manifest-3/busybox:latest': manifest 'latest' of 'flaky-manifest-3/busybox': UNAVAILABLE: the faulty registry is busy (failure 2 of 3) (HTTP 503 from 'http://$FAULTY/v2/flaky-manifest-3/busybox/manifests/latest')"
	expect_eq "$(faulty_gets 127.0.0.1 /v2/flaky-manifest-3/busybox/manifests/latest)" 2 "manifest requests"
	expect_nothing_registered
}

@test "faulty: --retry 0 makes a single attempt" {
	run "$CTR" pull -q --tls-verify=false --retry 0 "$FAULTY/flaky-manifest-1/busybox"
	expect_eq "$(faulty_gets 127.0.0.1 /v2/flaky-manifest-1/busybox/manifests/latest)" 1 "manifest requests"
	[ "$status" -eq 125 ]
	expect_contains "$output" "UNAVAILABLE: the faulty registry is busy (failure 1 of 1) (HTTP 503"
	expect_nothing_registered
}
