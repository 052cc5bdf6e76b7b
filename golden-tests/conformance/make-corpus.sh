#!/usr/bin/env bash
# Builds the tar conformance corpus: one tree made to exercise every tar feature, archived by real
# writers (GNU tar in each format and sparse flavour, bsdtar, busybox tar, Python's tarfile).
# Usage: make-corpus.sh OUTDIR   (as root: devices, owners and security.capability need it)
# Writes OUTDIR/tree (the source tree), OUTDIR/archives/*.tar and OUTDIR/index.tsv with one line
# per archive: archive, writer, format, groups archived, groups left out and why.
# Every mtime is fixed, so archives are the same from run to run, except the ctime and atime that
# GNU tar (gnu/oldgnu with --xattrs) and bsdtar (pax) put in their PAX headers.
# The tree is split into top-level groups so that a writer that cannot represent a feature
# (ustar and v7 limits, a writer without xattrs) leaves out that group, and the index says so.
set -euo pipefail

out=${1:?usage: make-corpus.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
mkdir -p "$out"
out=$(cd "$out" && pwd)
tree=$out/tree
arch=$out/archives
rm -rf "$tree" "$arch" "$out/dups"
mkdir -p "$tree" "$arch"

# ---- the tree ----
fixed='2020-01-02 03:04:05 UTC'
cd "$tree"

# base: plain files, directories, hardlinks, short symlinks, UTF-8 names, special modes
mkdir -p base/dir/sub base/utf8 base/modes
printf 'hello, conformance\n' >base/dir/file.txt
printf 'inner\n' >base/dir/sub/inner.txt
: >base/dir/empty
ln base/dir/file.txt base/dir/hardlink
ln -s file.txt base/dir/symlink
ln -s ../dir/sub base/dir/dirlink
printf 'grüße\n' >'base/utf8/grüße-日本語.txt'
mkdir 'base/utf8/ディレクトリ'
printf 'x\n' >'base/utf8/ディレクトリ/ü'
printf '#!/bin/sh\n' >base/modes/setuid && chmod 4755 base/modes/setuid
printf '#!/bin/sh\n' >base/modes/setgid && chmod 2755 base/modes/setgid
mkdir base/modes/sticky && chmod 1777 base/modes/sticky
printf 'ro\n' >base/modes/readonly && chmod 0444 base/modes/readonly
chown 1000:1000 base/dir/file.txt

# long: names over 100 and over 255 bytes, long link targets, a hardlink with a long name
seg100=$(printf 'n%.0s' $(seq 1 99))
seg120=$(printf 'm%.0s' $(seq 1 120))
mkdir -p "long/$seg120" "long/$seg100/$seg100/$seg100"
printf 'over 100\n' >"long/$seg120/file-over-100"
printf 'over 255\n' >"long/$seg100/$seg100/$seg100/file-over-255"
ln -s "$seg100/$seg100/$seg100/file-over-255" long/symlink-target-over-255
ln -s "$seg120/file-over-100" long/symlink-target-over-100
ln "long/$seg100/$seg100/$seg100/file-over-255" long/hardlink-to-long
ln "long/$seg120/file-over-100" "long/$seg100/$seg100/$seg100/hardlink-long-to-long"

# sparse: data after an 8 MiB hole, another hole, data at the very end
mkdir sparse
printf 'head' >sparse/holes
{ yes "data past the hole" || true; } | head -c 4096 | dd of=sparse/holes bs=4096 count=1 seek=2048 conv=notrunc status=none
truncate -s 12M sparse/holes
printf 'tail' | dd of=sparse/holes bs=1 seek=$((12 * 1024 * 1024)) conv=notrunc status=none

# xattr: user.* attributes and a file capability (security.capability)
mkdir xattr
printf 'attrs\n' >xattr/user
setfattr -n user.comment -v 'a comment' xattr/user
setfattr -n user.empty xattr/user
setfattr -n user.binary -v 0x00ff10 xattr/user
printf 'cap\n' >xattr/capability
setcap cap_net_raw+ep xattr/capability

# dev: devices and a fifo
mkdir dev
mknod dev/char c 1 3
mknod dev/block b 7 0
mkfifo dev/fifo

# owners: uid and gid above 2,097,151 (the largest 7-digit octal)
mkdir owners
printf 'big ids\n' >owners/big
chown 3000000:4000000 owners/big
chown 2097152:2097152 owners

# times: before 1970 and after 2242 (beyond 11 octal digits)
mkdir times
printf 'old\n' >times/before-1970
printf 'future\n' >times/after-2242

find . -mindepth 1 -exec touch -h -d "$fixed" {} +
touch -d '1960-06-01 00:00:00 UTC' times/before-1970
touch -d '2300-01-01 00:00:00 UTC' times/after-2242

cd "$out"
all='base long sparse xattr dev owners times'
printf 'archive\twriter\tformat\tincluded\texcluded\n' >index.tsv

# archive NAME WRITER FORMAT "GROUPS" "EXCLUDED (group: reason; ...)" COMMAND...
# The command runs in the tree and gets the groups as its last arguments.
archive() {
  local name=$1 writer=$2 format=$3 groups=$4 excluded=$5
  shift 5
  (cd "$tree" && "$@" $groups)
  printf '%s\t%s\t%s\t%s\t%s\n' "$name.tar" "$writer" "$format" "$groups" "${excluded:--}" >>index.tsv
}

gnu=(tar --sort=name)
pax=(--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)
nolong='long: names and link targets over 100 bytes; owners: ids over 2097151; times: mtimes outside 1970..2242; xattr: no extended attributes'

# GNU tar: --sparse is refused for ustar and v7 ("GNU features wanted on incompatible archive
# format"), and --sparse-version only changes posix archives (gnu and oldgnu always write old GNU
# sparse headers), so the sparse versions are made for posix only. With --xattrs, gnu and oldgnu
# archives carry the attributes in PAX 'x' headers, as GNU tar writes them.
xat=(--xattrs --xattrs-include='*')
for f in gnu oldgnu; do
  archive "gnutar-$f" gnutar "$f" "$all" '' "${gnu[@]}" --format=$f "${xat[@]}" -cf "$arch/gnutar-$f.tar"
  archive "gnutar-$f-sparse" gnutar "$f --sparse" "$all" '' \
    "${gnu[@]}" --format=$f "${xat[@]}" --sparse -cf "$arch/gnutar-$f-sparse.tar"
done
archive gnutar-posix gnutar posix "$all" '' "${gnu[@]}" --format=posix "${pax[@]}" "${xat[@]}" -cf "$arch/gnutar-posix.tar"
archive gnutar-posix-sparse gnutar 'posix --sparse' "$all" '' \
  "${gnu[@]}" --format=posix "${pax[@]}" "${xat[@]}" --sparse -cf "$arch/gnutar-posix-sparse.tar"
for v in 0.0 0.1 1.0; do
  archive "gnutar-posix-sparse-$v" gnutar "posix --sparse-version=$v" "$all" '' \
    "${gnu[@]}" --format=posix "${pax[@]}" "${xat[@]}" --sparse --sparse-version=$v -cf "$arch/gnutar-posix-sparse-$v.tar"
done
archive gnutar-ustar gnutar ustar 'base sparse dev' "$nolong" "${gnu[@]}" --format=ustar -cf "$arch/gnutar-ustar.tar"
archive gnutar-v7 gnutar v7 'base sparse' "$nolong; dev: v7 has no device or fifo entries" \
  "${gnu[@]}" --format=v7 -cf "$arch/gnutar-v7.tar"

# bsdtar: writes sparse entries by itself for files with holes (pax), xattrs in pax
bsd=(bsdtar --numeric-owner)
archive bsdtar-default bsdtar default "$all" '' "${bsd[@]}" -cf "$arch/bsdtar-default.tar"
archive bsdtar-pax bsdtar pax "$all" '' "${bsd[@]}" --format=pax -cf "$arch/bsdtar-pax.tar"
archive bsdtar-ustar bsdtar ustar 'base sparse dev' "$nolong" "${bsd[@]}" --format=ustar -cf "$arch/bsdtar-ustar.tar"
archive bsdtar-gnutar bsdtar gnutar 'base long sparse dev owners times' \
  'xattr: no extended attributes in gnutar format; times: written clamped to 1970..2242' \
  "${bsd[@]}" --format=gnutar -cf "$arch/bsdtar-gnutar.tar"

# busybox tar: ustar with GNU long-name (L/K) extensions
archive busybox busybox 'ustar+L/K' 'base long sparse dev owners times' \
  'xattr: no extended attributes; times: before-1970 written as 1970' \
  busybox tar -cf "$arch/busybox.tar"

# Python tarfile
for f in GNU PAX USTAR; do
  lower=$(echo $f | tr A-Z a-z)
  case $f in
    USTAR) groups='base sparse dev'; excluded="$nolong" ;;
    *) groups='base long sparse dev owners times'; excluded='xattr: tarfile does not read extended attributes' ;;
  esac
  archive "python-$lower" python-tarfile "$f" "$groups" "$excluded" \
    "$python" "$here/corpus_tarfile.py" "$f" "$arch/python-$lower.tar"
done

# Quirks real writers produce, each in an archive of its own:
# a path written twice (tar -cf x.tar a a, then tar -rf appending a changed copy)
mkdir -p "$out/dups/dup/dir"
printf 'first\n' >"$out/dups/dup/file"
printf 'in dir\n' >"$out/dups/dup/dir/kept"
touch -d "$fixed" "$out/dups/dup" "$out/dups/dup/file" "$out/dups/dup/dir" "$out/dups/dup/dir/kept"
tar --format=gnu -C "$out/dups" -cf "$arch/gnutar-duplicates.tar" dup dup/file
printf 'second, longer\n' >"$out/dups/dup/file"
chmod 0600 "$out/dups/dup/file"
ln "$out/dups/dup/file" "$out/dups/dup/link"
touch -d "$fixed" "$out/dups/dup/file"
tar --format=gnu -C "$out/dups" -rf "$arch/gnutar-duplicates.tar" dup/file dup/link dup/dir
printf '%s\t%s\t%s\t%s\t%s\n' gnutar-duplicates.tar gnutar 'gnu -cf a a, then -rf' dup \
  'only dup/: each path written twice or three times' >>index.tsv
for q in pax-global gnu-longname-nul no-end-marker; do
  archive "python-$q" python-tarfile "$q" base 'only base: the archive is about one quirk' \
    "$python" "$here/corpus_tarfile.py" "$q" "$arch/python-$q.tar"
done

ls "$arch" | wc -l | xargs printf '%s archives in %s\n' >&2 "$arch" 
