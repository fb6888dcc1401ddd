#!/usr/bin/env python3
"""Write a small multi-layer OCI image layout for the registry tests.

make-oci-layout.py OUT [--arch A]... [--compress gzip|zstd] [--tag T] [--extra TEXT]
                   [--drop-diff-id]

Layers: 1) a busybox rootfs (bin/busybox and links), 2) /d/x, /one and
/arch (the platform), 3) a whiteout of /bin/cat and /d/y.  With several
--arch, OUT's index.json lists one manifest per platform (a multi-platform
image that `skopeo copy --all` pushes as an index).  --extra adds a
fourth layer with /extra containing TEXT (images that share the first
three layers but differ).
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile

BUSYBOX_LINKS = ["sh", "ls", "cat", "echo", "true", "mkdir", "rm", "test", "sleep", "head"]


def tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, data in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if kind == "dir":
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                t.addfile(ti)
            elif kind == "link":
                ti.type = tarfile.SYMTYPE
                ti.linkname = data
                t.addfile(ti)
            else:
                ti.mode = 0o755 if kind == "exe" else 0o644
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, capture_output=True,
                          check=True).stdout


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put_blob(out, data):
    d = sha(data)
    path = os.path.join(out, "blobs", "sha256", d[7:])
    with open(path, "wb") as f:
        f.write(data)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--arch", action="append")
    ap.add_argument("--compress", default="gzip")
    ap.add_argument("--tag", default="latest")
    ap.add_argument("--extra")
    ap.add_argument("--drop-diff-id", action="store_true",
                    help="a malformed image: the config lists one diffID too few")
    a = ap.parse_args()
    arches = a.arch or ["amd64"]
    shutil.rmtree(a.out, ignore_errors=True)
    os.makedirs(os.path.join(a.out, "blobs", "sha256"))
    with open("/bin/busybox", "rb") as f:
        bb = f.read()
    base = [("bin", "dir", None), ("bin/busybox", "exe", bb)]
    base += [("bin/" + n, "link", "busybox") for n in BUSYBOX_LINKS]
    base += [("etc", "dir", None), ("etc/passwd", "file", b"root:x:0:0:root:/root:/bin/sh\n"),
             ("etc/group", "file", b"root:x:0:\n"), ("tmp", "dir", None)]
    manifests = []
    for arch in arches:
        layers = [tar_bytes(base),
                  tar_bytes([("d", "dir", None), ("d/x", "file", b"x\n"),
                             ("one", "file", b"one\n"), ("arch", "file", arch.encode() + b"\n")]),
                  tar_bytes([("bin/.wh.cat", "file", b""), ("d", "dir", None),
                             ("d/y", "file", b"y\n")])]
        if a.extra:
            layers.append(tar_bytes([("extra", "file", a.extra.encode() + b"\n")]))
        descs, diff_ids = [], []
        for raw in layers:
            comp = compress(raw, a.compress)
            mt = "application/vnd.oci.image.layer.v1.tar+" + ("gzip" if a.compress == "gzip"
                                                              else "zstd")
            descs.append({"mediaType": mt, "digest": put_blob(a.out, comp), "size": len(comp)})
            diff_ids.append(sha(raw))
        config = {
            "created": "2023-11-14T22:13:20Z",
            "architecture": arch, "os": "linux",
            "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers",
                       "diff_ids": diff_ids[:-1] if a.drop_diff_id else diff_ids},
            "history": [{"created_by": "layer %d" % i} for i in range(len(layers))],
        }
        cb = json.dumps(config, sort_keys=True).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": put_blob(a.out, cb), "size": len(cb)},
            "layers": descs,
        }
        mb = json.dumps(manifest, sort_keys=True).encode()
        manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "digest": put_blob(a.out, mb), "size": len(mb),
                          "platform": {"architecture": arch, "os": "linux"}})
    if len(manifests) == 1:
        top = dict(manifests[0])
        del top["platform"]
    else:
        ib = json.dumps({"schemaVersion": 2,
                         "mediaType": "application/vnd.oci.image.index.v1+json",
                         "manifests": manifests}, sort_keys=True).encode()
        top = {"mediaType": "application/vnd.oci.image.index.v1+json",
               "digest": put_blob(a.out, ib), "size": len(ib)}
    top["annotations"] = {"org.opencontainers.image.ref.name": a.tag}
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [top]}, f)
    with open(os.path.join(a.out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


if __name__ == "__main__":
    main()
