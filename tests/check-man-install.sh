#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `cmake --install` into a DESTDIR installs every manual page the build rendered, each into
# man/manSECTION and unchanged.  Run by ctest as the build tree's owner: cmake --install writes
# install_manifest.txt into the build tree.
#   check-man-install.sh CMAKE BUILD_DIR
set -eu

cmake=${1:?usage: check-man-install.sh CMAKE BUILD_DIR}
build=${2:?usage: check-man-install.sh CMAKE BUILD_DIR}
dest=$(mktemp -d "${TMPDIR:-/tmp}/ctr-man-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT

DESTDIR=$dest "$cmake" --install "$build" --prefix /usr >"$dest.log" 2>&1 || {
    cat "$dest.log" >&2
    rm -f "$dest.log"
    echo "check-man-install: cmake --install failed" >&2
    exit 1
}
rm -f "$dest.log"

n=0
for page in "$build"/man/*.[1-8]; do
    [ -f "$page" ] || continue
    name=${page##*/}
    section=${name##*.}
    installed=$dest/usr/share/man/man$section/$name
    if ! cmp -s "$page" "$installed"; then
        echo "check-man-install: $name is not installed as $installed" >&2
        exit 1
    fi
    n=$((n + 1))
done
# ctr(1), a page per command and the configuration files: far more than a handful.
if [ "$n" -lt 20 ]; then
    echo "check-man-install: only $n pages in $build/man: is the 'man' target built?" >&2
    exit 1
fi
extra=$(find "$dest/usr/share/man" -type f | while read -r f; do
    [ -f "$build/man/${f##*/}" ] || echo "$f"
done)
if [ -n "$extra" ]; then
    echo "check-man-install: installed pages the build did not render: $extra" >&2
    exit 1
fi
echo "check-man-install: $n pages installed"
