#!/usr/bin/env python3
"""Writes a deterministic synthetic OCI image for the scale benchmark (scripts/bench.sh).

    gen-synthetic.py --size-mib 1024 --files 100000 --layers 5 OUT_LAYOUT

The image has LAYERS gzip layers holding FILES regular files with SIZE-MIB of content in total
(plus directories). The bottom layer carries 60 % of the files and bytes, each upper layer an
equal share of the rest; every upper layer also overwrites some lower files, deletes some
(.wh. whiteouts), empties one directory (opaque whiteout) and adds hardlinks, so all of the
flattener's paths run. File sizes follow a fixed mix (many small files, a few large ones); the
contents compress about 2.5:1 like a real rootfs. The same arguments always give the same tar
bytes (the gzip blobs too when pigz is used, which runs with -n).
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile

MTIME = 1700000000
POOL = 64 << 20  # content is sliced from this much deterministic data


def content_pool(seed):
    """Random and text-like 4 KiB chunks, 1 of 3 random: compresses about 2.5:1."""
    rnd = random.Random(seed)
    words = [
        "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 10)))
        for _ in range(4096)
    ]
    out = bytearray()
    while len(out) < POOL:
        if rnd.random() < 1 / 3:
            out += rnd.randbytes(4096)
        else:
            line = []
            n = 0
            while n < 4096:
                w = words[int(rnd.paretovariate(1.2)) % len(words)]
                line.append(w)
                n += len(w) + 1
            out += (" ".join(line)).encode()[:4096]
    return bytes(out[:POOL])


def sizes(rnd, count, total):
    """COUNT file sizes adding up to TOTAL: log-uniform 0..1 MiB, rescaled."""
    raw = [int(2 ** rnd.uniform(0, 20)) for _ in range(count)]
    scale = total / max(1, sum(raw))
    out = [max(0, int(r * scale)) for r in raw]
    out[0] += total - sum(out)
    return out


def add_dir(tar, name, mode=0o755):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = mode
    ti.mtime = MTIME
    tar.addfile(ti)


def add_file(tar, name, data, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    ti.mtime = MTIME
    tar.addfile(ti, io.BytesIO(data))


def add_empty(tar, name):
    ti = tarfile.TarInfo(name)
    ti.mode = 0o644
    ti.mtime = MTIME
    tar.addfile(ti)


def add_link(tar, name, target):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.LNKTYPE
    ti.linkname = target
    ti.mode = 0o644
    ti.mtime = MTIME
    tar.addfile(ti)


def write_layer(path, layer, files, bytes_, pool, rnd, lower):
    """Writes one layer tar; returns the regular files visible once it is applied."""
    dirs = max(1, files // 50)
    names = []
    with open(path, "wb") as f, tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_dir(tar, "data/")
        add_dir(tar, f"data/l{layer}/")
        for d in range(dirs):
            add_dir(tar, f"data/l{layer}/d{d:05d}/")
        gone = set()
        if layer > 0 and lower:
            # changes to the layers below: overwrite, delete, empty a directory, hardlink
            n = max(1, len(lower) // 200)
            for victim in rnd.sample(lower, n):
                add_file(tar, victim, pool[:37 + layer])  # overwritten
            for victim in rnd.sample(lower, n):
                d, b = victim.rsplit("/", 1)
                add_empty(tar, f"{d}/.wh.{b}")
                gone.add(victim)
            opaque = f"data/l{layer - 1}/d00000"
            add_empty(tar, f"{opaque}/.wh..wh..opq")
            gone.update(x for x in lower if x.startswith(opaque + "/"))
            alive = [x for x in lower if x not in gone]
            for i, target in enumerate(rnd.sample(alive, min(10, len(alive)))):
                add_link(tar, f"data/l{layer}/link{i}", target)
        for i, size in enumerate(sizes(rnd, files, bytes_)):
            off = rnd.randrange(0, POOL - size) if size < POOL else 0
            data = pool[off:off + size] if size < POOL else (pool * (size // POOL + 1))[:size]
            name = f"data/l{layer}/d{i % dirs:05d}/f{i:06d}"
            add_file(tar, name, data, 0o755 if i % 17 == 0 else 0o644)
            names.append(name)
    return [x for x in lower if x not in gone] + names


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def gzip_file(src, dst):
    if shutil.which("pigz"):
        with open(dst, "wb") as out:
            subprocess.run(["pigz", "-n", "-6", "-c", src], stdout=out, check=True)
    else:
        with open(src, "rb") as i, gzip.GzipFile(dst, "wb", 6, mtime=0) as o:
            shutil.copyfileobj(i, o, 1 << 20)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size-mib", type=int, default=1024)
    p.add_argument("--files", type=int, default=100000)
    p.add_argument("--layers", type=int, default=5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("out")
    a = p.parse_args()
    total = a.size_mib << 20
    pool = content_pool(a.seed)
    rnd = random.Random(a.seed + 1)
    blobs = os.path.join(a.out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    layers = []
    visible = []
    for layer in range(a.layers):
        share = 0.6 if layer == 0 else 0.4 / max(1, a.layers - 1)
        if a.layers == 1:
            share = 1.0
        tar_path = os.path.join(a.out, f"layer{layer}.tar")
        names = write_layer(tar_path, layer, int(a.files * share), int(total * share), pool, rnd,
                            visible)
        visible = names
        diff_id = sha256_file(tar_path)
        gz = tar_path + ".gz"
        gzip_file(tar_path, gz)
        digest = sha256_file(gz)
        size = os.path.getsize(gz)
        os.replace(gz, os.path.join(blobs, digest))
        os.remove(tar_path)
        layers.append((digest, size, diff_id))
        print(f"layer {layer}: {size >> 20} MiB gzip", file=sys.stderr)

    def blob(obj):
        data = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(data)
        return d, len(data)

    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + l[2] for l in layers]},
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": f"synthetic layer {i}"}
                    for i in range(len(layers))],
    }
    cd, cs = blob(config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + d, "size": s} for d, s, _ in layers],
    }
    md, ms = blob(manifest)
    with open(os.path.join(a.out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": "sha256:" + md, "size": ms,
             "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}, f)


if __name__ == "__main__":
    main()
