#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Print the command line of one Exec*= setting of a systemd unit file, NUL-separated, as
systemd.service(5) says the manager reads it: continuation lines joined, words split on
whitespace with double and single quotes and C escapes, then the specifiers %t, %n, %N and %%
and the "$$" of each word replaced.  Tests run what a unit would run without a systemd.

    unit-exec.py UNIT_FILE KEY RUNTIME_DIR

Only what `ctr generate systemd` writes is understood: another specifier, a "$VAR" or an
Exec prefix such as "-" is an error (exit 2), so the test notices rather than runs something
else.
"""
import os
import sys

WHITESPACE = " \t\n\r"
ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
           "\\": "\\", '"': '"', "'": "'", "s": " "}


def die(msg):
    print("unit-exec.py: " + msg, file=sys.stderr)
    sys.exit(2)


def setting(path, key):
    """The value of KEY in [Service], continuation lines joined as systemd joins them."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    logical, cont = [], None
    for line in lines:
        if cont is not None:
            line = cont + line
            cont = None
        if line.endswith("\\"):
            cont = line[:-1] + " "
            continue
        logical.append(line)
    values = [l.split("=", 1)[1] for l in logical if l.startswith(key + "=")]
    if len(values) != 1:
        die(f"{path} has {len(values)} {key}= settings, not one")
    return values[0]


def unescape(s, i):
    """The C escape at s[i] (a backslash): its text and the index after it."""
    c = s[i + 1]
    if c in ESCAPES:
        return ESCAPES[c], i + 2
    if c == "x":
        return chr(int(s[i + 2:i + 4], 16)), i + 4
    die(f"unknown escape '\\{c}'")


def split(value):
    words, i, n = [], 0, len(value)
    while True:
        while i < n and value[i] in WHITESPACE:
            i += 1
        if i >= n:
            return words
        word = ""
        while i < n and value[i] not in WHITESPACE:
            c = value[i]
            if c in "\"'":
                i += 1
                while i < n and value[i] != c:
                    if value[i] == "\\":
                        text, i = unescape(value, i)
                        word += text
                    else:
                        word += value[i]
                        i += 1
                if i >= n:
                    die("unbalanced quotes")
                i += 1
            elif c == "\\":
                text, i = unescape(value, i)
                word += text
            else:
                word += c
                i += 1
        words.append(word)


def expand(word, unit, runtime_dir):
    out, i = "", 0
    specifiers = {"t": runtime_dir, "n": unit, "N": unit.rsplit(".", 1)[0], "%": "%"}
    while i < len(word):
        c = word[i]
        if c == "%":
            s = word[i + 1:i + 2]
            if s not in specifiers:
                die(f"specifier '%{s}' is not one ctr writes")
            out += specifiers[s]
            i += 2
        elif c == "$":
            if word[i + 1:i + 2] != "$":
                die(f"'$' not doubled in '{word}': systemd would expand a variable")
            out += "$"
            i += 2
        else:
            out += c
            i += 1
    return out


def main():
    if len(sys.argv) != 4:
        die("usage: unit-exec.py UNIT_FILE KEY RUNTIME_DIR")
    path, key, runtime_dir = sys.argv[1:]
    unit = os.path.basename(path)
    argv = [expand(w, unit, runtime_dir) for w in split(setting(path, key))]
    if not argv or not argv[0].startswith("/"):
        die(f"{key}= does not start with an absolute path")
    sys.stdout.write("".join(a + "\0" for a in argv))


main()
