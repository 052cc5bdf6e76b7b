"""Writes a tar with Python's tarfile: corpus_tarfile.py KIND OUT.tar PATH... (run in the tree).

KIND is GNU, PAX or USTAR (that format, as is), or a quirk tarfile really writes:
  pax-global        PAX with a global header ('g') before the first entry;
  gnu-longname-nul  GNU, plus one entry whose long name ('L') holds a NUL before its end;
  no-end-marker     GNU, closed without the two zero blocks that end an archive.
Entries are added in sorted order, recursively, with numeric owners only.
"""
import io
import os
import sys
import tarfile

kind = sys.argv[1]
fmt = {"GNU": tarfile.GNU_FORMAT, "PAX": tarfile.PAX_FORMAT, "USTAR": tarfile.USTAR_FORMAT}.get(
    kind, tarfile.PAX_FORMAT if kind == "pax-global" else tarfile.GNU_FORMAT
)
extra = {}
if kind == "pax-global":
    extra["pax_headers"] = {"comment": "a global header from make-corpus.sh"}


def numeric(info):
    info.uname = ""
    info.gname = ""
    return info


def add_all(tar):
    for top in sys.argv[3:]:
        paths = [top]
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            paths += [os.path.join(dirpath, n) for n in sorted(dirnames + filenames)]
        for p in paths:
            tar.add(p, recursive=False, filter=numeric)


with open(sys.argv[2], "wb") as f:
    tar = tarfile.open(fileobj=f, mode="w", format=fmt, encoding="utf-8", **extra)
    add_all(tar)
    if kind == "gnu-longname-nul":
        # GNU tar and Go cut the name at the first NUL: this extracts as base/cut-here
        info = tarfile.TarInfo("base/cut-here\0" + "x" * 120)
        data = b"after the NUL\n"
        info.size = len(data)
        info.mtime = 1577934245
        tar.addfile(numeric(info), io.BytesIO(data))
    if kind == "no-end-marker":
        # every entry is written whole; tar.close() would add the end blocks. (Replacing the file's
        # close instead also stopped the file's own flush, and cut the last entry short.)
        f.flush()
    else:
        tar.close()
