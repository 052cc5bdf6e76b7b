#!/usr/bin/env bash
# Regenerates the real-writer seeds of TarDifferentialFuzzTest (and TarReaderFuzzTest): one small
# archive per tar writer and dialect, of a tree with a long name, a symlink, a hardlink, a UTF-8
# name, an xattr and a sparse file (data after a hole, a hole at the end).
#   golden-tests/src/test/resources/dev/isula/golden/fuzz/make-tar-seeds.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here/TarDifferentialFuzzTestInputs/compareWithCommonsCompress
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t=$work/tree
mkdir -p "$t/dir/$(printf 'l%.0s' {1..110})"
echo hi >"$t/dir/$(printf 'l%.0s' {1..110})/file"
echo caf >"$t/café"
ln -s "dir/$(printf 'l%.0s' {1..110})/file" "$t/link"
ln "$t/café" "$t/hard"
setfattr -n user.seed -v 1 "$t/café" 2>/dev/null || true
python3 - "$t/sparse" <<'PY'
import sys
with open(sys.argv[1], 'wb') as f:
    f.seek(4096); f.write(b'data' * 100); f.seek(12288); f.write(b'more'); f.truncate(20480)
PY
touch -d 2020-01-01 "$t"/* "$t"
gnu() { tar --sort=name --owner=0 --group=0 --numeric-owner -b 1 "$@" -C "$t" .; }
gnu --format=gnu -cf "$out/real-gnu.tar"
gnu --format=oldgnu -cf "$out/real-oldgnu.tar"
gnu --format=posix --xattrs --pax-option=delete=atime,delete=ctime -cf "$out/real-posix.tar"
gnu --format=ustar -cf "$out/real-ustar.tar" --exclude=./dir --exclude=./link
gnu --format=v7 -cf "$out/real-v7.tar" --exclude=./dir --exclude=./link
gnu --format=gnu --sparse -cf "$out/real-gnu-sparse.tar"
for v in 0.0 0.1 1.0; do
  gnu --format=posix --sparse --sparse-version=$v --pax-option=delete=atime,delete=ctime \
    -cf "$out/real-posix-sparse-$v.tar"
done
(cd "$t" && bsdtar -b 1 -cf "$out/real-bsdtar.tar" .)
(cd "$t" && bsdtar -b 1 --format gnutar -cf "$out/real-bsdtar-gnutar.tar" .)
(cd "$t" && busybox tar -cf "$out/real-busybox.tar" .)
python3 - "$t" "$out" <<'PY'
import sys, tarfile
tree, out = sys.argv[1], sys.argv[2]
for name, fmt, extra in [("gnu", tarfile.GNU_FORMAT, {}), ("pax", tarfile.PAX_FORMAT,
        {"pax_headers": {"comment": "global"}}), ("ustar", tarfile.USTAR_FORMAT, {})]:
    with tarfile.open(f"{out}/real-python-{name}.tar", "w", format=fmt, **extra) as tf:
        for member in ["café", "hard", "link", "sparse"]:
            if member != "link" or fmt != tarfile.USTAR_FORMAT:  # ustar: target too long
                tf.add(f"{tree}/{member}", arcname=member)
PY
ls -l "$out"
