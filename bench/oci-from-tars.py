#!/usr/bin/python3
"""oci-from-tars.py OUT TAR...: an OCI image layout whose layers are the
given (uncompressed) tars, bottom first, each gzip-compressed (gzip -6,
as Docker and Podman push).  Used by bench/pull.sh."""
import hashlib
import json
import os
import shutil
import subprocess
import sys


def sha_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def put(out, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d[7:]), "wb") as f:
        f.write(data)
    return d, len(data)


out, tars = sys.argv[1], sys.argv[2:]
shutil.rmtree(out, ignore_errors=True)
os.makedirs(os.path.join(out, "blobs", "sha256"))
layers, diff_ids = [], []
for t in tars:
    diff_ids.append(sha_file(t))
    gz = os.path.join(out, "layer.tmp")
    with open(gz, "wb") as f:
        subprocess.run(["gzip", "-6", "-n", "-c", t], stdout=f, check=True)
    d = sha_file(gz)
    size = os.path.getsize(gz)
    os.rename(gz, os.path.join(out, "blobs", "sha256", d[7:]))
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d,
                   "size": size})
config = {"created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
          "config": {"Cmd": ["/bin/bash"],
                     "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
          "rootfs": {"type": "layers", "diff_ids": diff_ids}}
cd, cs = put(out, json.dumps(config).encode())
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd,
                       "size": cs},
            "layers": layers}
md, ms = put(out, json.dumps(manifest).encode())
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
         "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, f)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
