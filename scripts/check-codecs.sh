#!/usr/bin/env bash
# Checks that the codec choice never changes output: the same image is imported (rootfs -> gzip
# layer) and exported on every installed JDK (17: java.util.zip only; 22+: ISA-L inflate when
# libisal2 is installed) and with the fallback forced (ISULA_INFLATE=java), and every run must give
# the same bytes. The libdeflate gzip encoder (ISULA_DEFLATE=libdeflate) must give one layer on every
# JDK that can run it (22+ with libdeflate0) and a one-line error, not zlib's bytes, on the others.
# Uses the jars of `mvn install` from the local Maven repository (via ./jbang's
# class path). Run by .ci/run; exits 1 on any difference.
#
# Usage: scripts/check-codecs.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# the script itself, built here: no catalog needs registering
./jbang build scripts/isula.java >&2
cp=$(./jbang info classpath scripts/isula.java)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# a rootfs of a few MiB: this repository's sources, fixed owners and times
tar --sort=name --mtime=@1600000000 --owner=0 --group=0 --numeric-owner -cf "$work/rootfs.tar" \
  toolkit/src plugins docs

jdks=()
for d in /usr/lib/jvm/*; do
  [ -x "$d/bin/java" ] && [ ! -L "$d" ] && jdks+=("$d")
done
[ ${#jdks[@]} -gt 0 ] || jdks=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")

status=0
first_layer="" first_export=""
run=0
for jdk in "${jdks[@]}"; do
  for inflate in auto java; do
    run=$((run + 1))
    d="$work/$run"
    mkdir -p "$d"
    ISULA_INFLATE=$inflate "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" isula \
      import -q "$work/rootfs.tar" -o "oci:$d/oci:t" --compress gzip >/dev/null
    ISULA_INFLATE=$inflate "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" isula \
      export -q "oci:$d/oci:t" "$d/out.tar"
    codec=$(ISULA_INFLATE=$inflate "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" isula \
      --version --verbose | sed -n 's/^gzip inflate: //p')
    layer=$(find "$d/oci/blobs" -type f -size +100k -exec sha256sum {} + | cut -c1-16 | sort | tr '\n' ' ')
    export_sum=$(sha256sum <"$d/out.tar" | cut -c1-16)
    echo "${jdk##*/} ISULA_INFLATE=$inflate [$codec]: gzip layer $layer, export $export_sum"
    if [ -z "$first_layer" ]; then
      first_layer=$layer
      first_export=$export_sum
    elif [ "$layer" != "$first_layer" ] || [ "$export_sum" != "$first_export" ]; then
      echo "!! differs from the first run" >&2
      status=1
    fi
  done
done
# the libdeflate encoder: the same layer wherever it runs; where it cannot, exit 1 and say why
first_fast=""
for jdk in "${jdks[@]}"; do
  run=$((run + 1))
  d="$work/$run"
  mkdir -p "$d"
  if ISULA_DEFLATE=libdeflate "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" isula \
    import -q "$work/rootfs.tar" -o "oci:$d/oci:t" --compress gzip >/dev/null 2>"$d/err"; then
    layer=$(find "$d/oci/blobs" -type f -size +100k -exec sha256sum {} + | cut -c1-16 | sort | tr '\n' ' ')
    echo "${jdk##*/} ISULA_DEFLATE=libdeflate: gzip layer $layer"
    if [ "$layer" = "$first_layer" ]; then
      echo "!! libdeflate wrote zlib's layer" >&2
      status=1
    elif [ -z "$first_fast" ]; then
      first_fast=$layer
    elif [ "$layer" != "$first_fast" ]; then
      echo "!! differs from the first libdeflate run" >&2
      status=1
    fi
  else
    rc=$?
    echo "${jdk##*/} ISULA_DEFLATE=libdeflate: exit $rc: $(cat "$d/err")"
    if [ "$rc" != 1 ] || [ "$(wc -l <"$d/err")" != 1 ] || [ -e "$d/oci/index.json" ]; then
      echo "!! expected exit 1, one line of error and no image" >&2
      status=1
    fi
  fi
done
cmp -s "$work/rootfs.tar" "$work/1/out.tar" || echo "(export is a re-tarred rootfs: equal bytes are not expected, equal runs are)"
exit $status
