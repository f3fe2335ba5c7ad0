# SPDX-License-Identifier: Apache-2.0
"""Writes an OCI archive (ARG 1) of a one-layer image whose files all belong to root: the
host's busybox as /bin/busybox with sh, cat and id.  A user without subordinate ranges can
load only such an image (the busybox fixture has a 33:33 file)."""
import hashlib, io, json, platform, sys, tarfile
out = sys.argv[1]
def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data
lb = io.BytesIO()
with tarfile.open(fileobj=lb, mode="w", format=tarfile.PAX_FORMAT) as t:
    def add(name, **kw):
        ti = tarfile.TarInfo(name); ti.uid = ti.gid = 0; ti.mtime = 0
        for k, v in kw.items(): setattr(ti, k, v)
        return ti
    t.addfile(add("bin", type=tarfile.DIRTYPE, mode=0o755))
    data = open("/bin/busybox", "rb").read()
    t.addfile(add("bin/busybox", size=len(data), mode=0o755), io.BytesIO(data))
    for a in ("sh", "cat", "id"):
        t.addfile(add("bin/" + a, type=tarfile.SYMTYPE, linkname="busybox"))
layer_digest, layer = blob(lb.getvalue())
config = json.dumps({"architecture": {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine()), "os": "linux",
    "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
    "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}).encode()
config_digest, _ = blob(config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": len(layer)}]}).encode()
manifest_digest, _ = blob(manifest)
index = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": manifest_digest, "size": len(manifest),
    "annotations": {"org.opencontainers.image.ref.name": "rootonly"}}]}).encode()
with tarfile.open(out, "w") as t:
    def put(name, data):
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644; t.addfile(ti, io.BytesIO(data))
    put("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
    put("index.json", index)
    for d, data in ((layer_digest, layer), (config_digest, config), (manifest_digest, manifest)):
        put("blobs/sha256/" + d[7:], data)
