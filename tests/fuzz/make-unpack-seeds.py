#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of fuzz-unpack (tests/fuzz/corpus/unpack): small layers, each one
feature or one escape attempt.  Run it from anywhere; the seeds are committed."""
import gzip
import io
import os
import tarfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "unpack")


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link="", uid=0, pax=None):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.linkname, ti.uid, ti.gid, ti.mtime = kind, mode, link, uid, uid, 1600000000
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    if pax:
        ti.pax_headers = pax
    return ti, data


def tar(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data))
    raw = buf.getvalue().rstrip(b"\0")
    # Whole blocks, then the two-block end marker; tarfile's 10 KiB record padding dropped.
    return raw + b"\0" * (-len(raw) % 512) + b"\0" * 1024


SEEDS = {
    "files-dirs": tar([entry("etc/hosts", data=b"127.0.0.1 localhost\n"),
                       entry("ro", tarfile.DIRTYPE, mode=0o555),
                       entry("ro/f", data=b"x", mode=0o4755)]),
    "links": tar([entry("f", data=b"data"), entry("h", tarfile.LNKTYPE, link="f"),
                  entry("s", tarfile.SYMTYPE, link="../../etc/passwd", mode=0o777)]),
    "whiteouts": tar([entry("d/.wh..wh..opq"), entry("d/.wh.gone"), entry(".wh..wh.plnk")]),
    "xattrs": tar([entry("f", data=b"x", pax={"SCHILY.xattr.user.a": "b",
                                              "SCHILY.xattr.user.overlay.opaque": "y",
                                              "SCHILY.xattr.security.capability": "\x01"})]),
    "devices": tar([entry("null", tarfile.CHRTYPE, mode=0o666), entry("p", tarfile.FIFOTYPE)]),
    "gnu-longname": tar([entry("a/" * 60 + "f", data=b"long")], fmt=tarfile.GNU_FORMAT),
    "escape-dotdot": tar([entry("../x", data=b"pwned")]),
    "escape-symlink-parent": tar([entry("evil", tarfile.SYMTYPE, link=".."),
                                  entry("evil/outside/file", data=b"pwned")]),
    "escape-symlink-abs": tar([entry("evil", tarfile.SYMTYPE, link="/"),
                               entry("evil/x", data=b"pwned")]),
    "escape-hardlink": tar([entry("x", tarfile.LNKTYPE, link="../outside/file")]),
    "escape-replace-symlink": tar([entry("evil", tarfile.SYMTYPE, link="../outside/file"),
                                   entry("evil", data=b"replaced")]),
    "escape-whiteout": tar([entry("evil", tarfile.SYMTYPE, link="../outside"),
                            entry("evil/.wh.file")]),
    "replace-dir": tar([entry("d/sub/f", data=b"x"), entry("d", data=b"file now")]),
    "empty": b"\0" * 1024,
}
SEEDS["files-dirs.gz"] = gzip.compress(SEEDS["files-dirs"], mtime=0)
SEEDS["escape-symlink-parent.gz"] = gzip.compress(SEEDS["escape-symlink-parent"], mtime=0)

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    assert len(data) < 4096, name
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
