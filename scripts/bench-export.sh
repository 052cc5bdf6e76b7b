#!/usr/bin/env bash
# Benchmark (not a test): how fast `export@isula` flattens a real multi-layer image, measured in
# the same run and with the same repetitions as the floors it is judged against:
#
#   G  cat <gzip layer blobs> | gzip -dc > /dev/null       (the single-core gzip floor)
#   P  cat <gzip layer blobs> | pigz -dc > /dev/null
#   U  umoci unpack --image L:v4 DIR                      (what people use today)
#   Z  cat <zstd layer blobs> | zstd -dc > /dev/null
#   E  ./jbang export@isula -q oci:L:v4 OUT.tar
#   ED ./jbang export@isula -q docker-archive:img.tar OUT.tar
#   EZ ./jbang export@isula -q oci:LZ:v4 OUT.tar
#   EJ java -cp CLASSPATH dev.isula.toolkit.cli.IsulaCli export -q oci:L:v4 OUT.tar (no JBang)
#   E0 / E0J  export of a tiny image, with JBang / plain java (fixed start-up cost)
#
# The reference image (Debian bookworm minbase from mmdebstrap + three umoci edit layers, plus a
# docker-archive copy and a zstd-layer OCI copy) is built once and cached in
# ${ISULA_BENCH_CACHE:-/var/tmp/isula-bench}, keyed by the recipe below; reruns reuse it.
# Scratch output goes to /dev/shm (extraction on disk swings 2-10x between runs).
#
# Usage: scripts/bench-export.sh [--runs N] [--warmup N] [--quick] [--keep] [--rebuild]
#                                [--profile | --no-profile] [--no-interleave] [--wait-idle SECS]
#   --runs N         timed repetitions of every command (default 5; 3 with --quick)
#   --warmup N       untimed warm-up repetitions first (default 1)
#   --quick          reuse whatever cached image exists (even from an older recipe), fewer runs
#   --keep           keep the scratch directory under /dev/shm (outputs, JSON, JFR recordings)
#   --rebuild        rebuild the cached reference image
#   --profile        profile exports under JFR even if all targets pass (default: on a MISS)
#   --no-profile     never profile
#   --no-interleave  one hyperfine call (all runs of G, then of P, ...) instead of N rounds of
#                    one run each; rounds spread drifting machine load evenly over the commands
#   --wait-idle SECS before timing, wait up to SECS for the machine to be idle (< 15 % busy)
# Building the image needs root (owners, device nodes): done through sudo when not root.
# Run scripts/setup.sh once first (the script runs it when export@isula does not resolve).
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) stops the script too
set -E
trap 'printf "[bench] failed (exit %s) at line %s: %s\n" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self="$repo/scripts/$(basename "${BASH_SOURCE[0]}")"
cache=${ISULA_BENCH_CACHE:-/var/tmp/isula-bench}
mirror=${ISULA_BENCH_MIRROR:-}
suite=bookworm
variant=minbase

runs=5
warmup=1
runs_given=0
quick=0
keep=0
rebuild=0
profile=auto
build_only=0
interleave=1
wait_idle=0

# Targets (ratios of mean wall-clock times).
target_gzip=1.30
target_umoci=0.33
target_zstd=1.50

log() { printf '[bench] %s\n' "$*" >&2; }
die() {
  printf '[bench] ERROR: %s\n' "$*" >&2
  exit 1
}
usage() {
  sed -n '2,/^set -euo/p' "$self" | sed -e '$d' -e 's/^# \{0,1\}//'
}

while (($#)); do
  case $1 in
    --runs)
      [ $# -ge 2 ] || die "--runs needs a number"
      runs=$2
      runs_given=1
      shift 2
      ;;
    --runs=*)
      runs=${1#*=}
      runs_given=1
      shift
      ;;
    --warmup)
      [ $# -ge 2 ] || die "--warmup needs a number"
      warmup=$2
      shift 2
      ;;
    --warmup=*)
      warmup=${1#*=}
      shift
      ;;
    --quick)
      quick=1
      shift
      ;;
    --keep)
      keep=1
      shift
      ;;
    --rebuild)
      rebuild=1
      shift
      ;;
    --profile)
      profile=yes
      shift
      ;;
    --no-profile)
      profile=no
      shift
      ;;
    --no-interleave)
      interleave=0
      shift
      ;;
    --wait-idle)
      [ $# -ge 2 ] || die "--wait-idle needs a number of seconds"
      wait_idle=$2
      shift 2
      ;;
    --wait-idle=*)
      wait_idle=${1#*=}
      shift
      ;;
    --build-only) # internal: build the cached image (used through sudo when not root)
      build_only=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown argument: $1"
      ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number, not '$runs'"
[[ $warmup =~ ^[0-9]+$ ]] || die "--warmup wants a number, not '$warmup'"
[[ $wait_idle =~ ^[0-9]+$ ]] || die "--wait-idle wants seconds, not '$wait_idle'"
if ((quick && !runs_given)); then
  runs=3
fi

is_root() { [ "$(id -u)" -eq 0 ]; }
q() { printf '%q' "$1"; }
as_root() {
  if is_root; then
    "$@"
  else
    sudo "$@"
  fi
}

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
ensure_tools() {
  local missing=() pair cmd pkg
  for pair in mmdebstrap:mmdebstrap umoci:umoci skopeo:skopeo hyperfine:hyperfine pigz:pigz \
    zstd:zstd jq:jq setfattr:attr gzip:gzip tar:tar; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "installing with apt-get: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  fi
  command -v java >/dev/null 2>&1 || die "java (17 or newer) is required"
}

# ---------------------------------------------------------------------------------------------
# The reference image. Everything that shapes it lives in the functions hashed into the cache key
# (recipe_key), so changing the recipe rebuilds; the slow mmdebstrap tarball is cached apart.
# ---------------------------------------------------------------------------------------------

# Layer 2: deletions (whiteouts), /etc edits, hardlinks (in-layer and to a lower file), an xattr.
layer2_edits() {
  local r=$1 d
  rm -rf "$r/usr/share/doc"
  for d in "$r"/usr/share/locale/[a-c]*; do
    rm -rf "$d"
  done
  echo 'bench:x:1000:1000:bench user:/home/bench:/bin/sh' >>"$r/etc/passwd"
  echo 'bench:x:1000:' >>"$r/etc/group"
  echo 'bench:*:19000:0:99999:7:::' >>"$r/etc/shadow"
  printf 'isula-toolkit export benchmark image\n' >"$r/etc/motd"
  sed -i 's/^UMASK.*/UMASK 027/' "$r/etc/login.defs"
  printf '127.0.1.1 bench\n' >>"$r/etc/hosts"
  mkdir -p "$r/opt/bench" "$r/usr/local/bin"
  seq 1 200000 >"$r/opt/bench/data"
  ln "$r/opt/bench/data" "$r/opt/bench/link1"
  ln "$r/opt/bench/data" "$r/opt/bench/link2"
  ln "$r/usr/bin/dpkg" "$r/usr/local/bin/dpkg-hardlink"
  printf 'has an xattr\n' >"$r/opt/bench/xattr-file"
  setfattr -n user.bench -v 1 "$r/opt/bench/xattr-file"
  ln -s ../opt/bench/data "$r/usr/local/bench-data"
  mkfifo "$r/opt/bench/fifo"
}

# Layer 3: a directory replaced (rm -rf + mkdir + new files), chmod/chown.
layer3_edits() {
  local r=$1 i
  rm -rf "$r/usr/share/common-licenses"
  mkdir "$r/usr/share/common-licenses"
  for i in 1 2 3 4 5; do
    printf 'replacement license text %s\n' "$i" >"$r/usr/share/common-licenses/LICENSE-$i"
  done
  mkdir -p "$r/home/bench"
  chown 1000:1000 "$r/home/bench"
  chmod 0750 "$r/home/bench"
  chmod 0700 "$r/root"
  chmod 4755 "$r/opt/bench/xattr-file"
  chown 1000:1000 "$r/opt/bench/xattr-file"
  chmod 2775 "$r/var/local"
  chown root:1000 "$r/var/local"
  chmod 0640 "$r/etc/motd"
}

# Layer 4: a few MB of new files; one hardlink's target removed.
layer4_edits() {
  local r=$1
  cp -a "$r/usr/bin" "$r/opt/copy"
  rm "$r/opt/bench/data"
}

edit_layer() { # LAYOUT FROM_TAG TO_TAG EDIT_FUNCTION WORKDIR
  local layout=$1 from=$2 to=$3 edit=$4 work=$5
  rm -rf "$work"
  umoci unpack --image "$layout:$from" "$work" >/dev/null
  "$edit" "$work/rootfs"
  umoci repack --image "$layout:$to" --history.created_by "bench: $edit" "$work" >/dev/null
  rm -rf "$work"
}

# Prints the layer blob paths of LAYOUT:TAG, bottom first.
layer_blobs() { # LAYOUT TAG
  local layout=$1 tag=$2 manifest
  manifest=$(jq -r --arg t "$tag" \
    '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
    "$layout/index.json")
  [ -n "$manifest" ] || die "no tag $tag in $layout"
  jq -r '.layers[].digest' "$layout/blobs/sha256/${manifest#sha256:}" |
    sed "s|^sha256:|$layout/blobs/sha256/|"
}

# Writes layers.tsv: one line per layer with its compressed and uncompressed sizes.
describe_layers() { # OUTDIR
  local out=$1 i=0 gz zs tarb entries wh
  local -a gzl zsl
  mapfile -t gzl < <(layer_blobs "$out/oci" v4)
  mapfile -t zsl < <(layer_blobs "$out/oci-zstd" v4)
  {
    printf 'layer\tdigest\tgzip_bytes\tzstd_bytes\ttar_bytes\tentries\twhiteouts\n'
    for gz in "${gzl[@]}"; do
      zs=${zsl[$i]}
      tarb=$(gzip -dc "$gz" | wc -c)
      entries=$(gzip -dc "$gz" | tar -tf - | wc -l)
      wh=$(gzip -dc "$gz" | tar -tf - | grep -c '\(^\|/\)\.wh\.' || true)
      i=$((i + 1))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$(basename "$gz" | cut -c1-12)" \
        "$(stat -c %s "$gz")" "$(stat -c %s "$zs")" "$tarb" "$entries" "$wh"
    done
  } >"$out/layers.tsv"
}

build_base() { # prints the cached mmdebstrap tarball path
  local arch base part
  arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
  base="$cache/base-$suite-$variant-$arch.tar"
  if [ ! -s "$base" ]; then
    part="$base.part.$$"
    log "building the Debian rootfs: mmdebstrap --variant=$variant $suite (about 40 s)"
    local -a mirror_arg=()
    [ -z "$mirror" ] || mirror_arg=("$mirror")
    if ! mmdebstrap --quiet --format=tar --variant="$variant" "$suite" "$part" \
      "${mirror_arg[@]}" </dev/null >&2; then
      rm -rf "$part"
      die "mmdebstrap could not build the $suite rootfs. Is the Debian mirror reachable" \
        "(${mirror:-http://deb.debian.org/debian}; set ISULA_BENCH_MIRROR to use another)?"
    fi
    mv "$part" "$base"
  fi
  printf '%s\n' "$base"
}

build_tiny() { # OUTDIR: a one-file OCI image (used when samples/hello.tar is absent)
  local out=$1 t
  t=$(mktemp -d)
  mkdir -p "$t/root/etc"
  printf 'tiny\n' >"$t/root/etc/hostname"
  tar -C "$t/root" -cf "$t/layer.tar" etc
  umoci init --layout "$out/tiny"
  umoci new --image "$out/tiny:v1"
  umoci raw add-layer --image "$out/tiny:v1" "$t/layer.tar"
  rm -rf "$t"
}

build_image() { # OUTDIR
  local out=$1 base
  base=$(build_base)
  [ -s "$base" ] || die "no base rootfs tarball"
  log "building the OCI layout: base layer + 3 edit layers (umoci unpack/repack, ~1 min)"
  umoci init --layout "$out/oci"
  umoci new --image "$out/oci:v1"
  umoci raw add-layer --image "$out/oci:v1" \
    --history.created_by "mmdebstrap --variant=$variant $suite" "$base"
  edit_layer "$out/oci" v1 v2 layer2_edits "$out/work"
  edit_layer "$out/oci" v2 v3 layer3_edits "$out/work"
  edit_layer "$out/oci" v3 v4 layer4_edits "$out/work"
  umoci gc --layout "$out/oci"
  log "copying to docker-archive and to a zstd-layer OCI layout (skopeo)"
  skopeo copy --quiet "oci:$out/oci:v4" "docker-archive:$out/img.tar:bench:v4"
  skopeo copy --quiet --dest-compress-format zstd "oci:$out/oci:v4" "oci:$out/oci-zstd:v4"
  build_tiny "$out"
  describe_layers "$out"
  sha256sum "$base" >"$out/base.sha256"
}

recipe_key() {
  local arch
  arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
  printf '%s-%s-%s-%s\n' "$suite" "$variant" "$arch" "$(declare -f layer2_edits layer3_edits \
    layer4_edits edit_layer build_image build_tiny describe_layers | sha256sum | cut -c1-12)"
}

ensure_image() { # prints the image directory
  local key dir tmp newest
  key=$(recipe_key)
  dir="$cache/$key"
  if ((quick)) && [ ! -f "$dir/.complete" ]; then
    newest=""
    if [ -d "$cache" ]; then
      newest=$(find "$cache" -mindepth 2 -maxdepth 2 -name .complete -printf '%T@ %h\n' |
        sort -rn | head -n1 | cut -d' ' -f2-)
    fi
    if [ -n "$newest" ]; then
      log "--quick: reusing $newest (recipe changed since it was built)"
      printf '%s\n' "$newest"
      return
    fi
  fi
  if ((rebuild)) && [ -d "$dir" ]; then
    as_root rm -rf "$dir"
  fi
  if [ ! -f "$dir/.complete" ]; then
    if ! is_root; then
      log "building the reference image needs root (owners, device nodes): using sudo"
      sudo env ISULA_BENCH_CACHE="$cache" ISULA_BENCH_MIRROR="$mirror" "$self" --build-only >&2
      sudo chown -R "$(id -u):$(id -g)" "$dir"
    else
      mkdir -p "$cache"
      tmp="$dir.tmp.$$"
      rm -rf "$tmp"
      mkdir -p "$tmp"
      # shellcheck disable=SC2064 # expand now: $tmp is local
      trap "rm -rf $(q "$tmp")" EXIT # a failed build leaves nothing half-made behind
      build_image "$tmp" >&2
      touch "$tmp/.complete"
      rm -rf "$dir"
      mv "$tmp" "$dir"
      trap - EXIT
    fi
  fi
  printf '%s\n' "$dir"
}

if ((build_only)); then
  is_root || die "--build-only must run as root"
  ensure_tools
  ensure_image >/dev/null
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Profiling helper: top methods of a JFR recording (self = top frame, total = anywhere on stack).
# ---------------------------------------------------------------------------------------------
jfr_hot() { # JFR_BIN RECORDING
  local jfr=$1 rec=$2 json
  json="${rec%.jfr}.json"
  "$jfr" print --json --events jdk.ExecutionSample,jdk.NativeMethodSample "$rec" >"$json"
  jq -r '
    def fname: "\(.method.type.name).\(.method.name)";
    [.recording.events[] | select(.values.stackTrace != null)] as $ev
    | ($ev | length) as $n
    | "samples: \($n) (jdk.ExecutionSample = running Java, jdk.NativeMethodSample = in native code)",
      "by event type and thread:",
      ($ev | group_by([.type, .values.sampledThread.javaName])
        | map({k: "\(.[0].type | sub("jdk."; "")) \(.[0].values.sampledThread.javaName)", c: length})
        | sort_by(-.c) | .[] | "  \(.c)\t\(.k)"),
      "top self frames per thread ([frame type]):",
      ($ev | group_by(.values.sampledThread.javaName) | sort_by(-length) | .[]
        | "  \(.[0].values.sampledThread.javaName): \(length) samples",
          (map(.values.stackTrace.frames[0] | "\(fname) [\(.type)]") | group_by(.)
            | map({m: .[0], c: length}) | sort_by(-.c) | .[:6][] | "    \(.c)\t\(.m)")),
      "top 25 by SELF samples (top frame):",
      ($ev | map(.values.stackTrace.frames[0] | fname) | group_by(.)
        | map({m: .[0], c: length}) | sort_by(-.c) | .[:25][] | "  \(.c)\t\(.m)"),
      "top 30 by TOTAL samples (method anywhere on the stack, counted once per sample):",
      ($ev | map(.values.stackTrace.frames | map(fname) | unique) | flatten | group_by(.)
        | map({m: .[0], c: length}) | sort_by(-.c) | .[:30][] | "  \(.c)\t\(.m)")
  ' "$json"
  # Durations print as ISO-8601 ("PT0.0407S", "PT1M2.5S").
  "$jfr" print --json --events jdk.GarbageCollection "$rec" | jq -r '
    def secs: if type == "number" then . else
      (capture("^PT((?<m>[0-9.]+)M)?((?<s>[0-9.]+)S)?$") // {})
      | ((.m // "0") | tonumber) * 60 + ((.s // "0") | tonumber) end;
    [.recording.events[].values] as $gc
    | "GC: \($gc | length) collections (\($gc | map(.name) | unique | join(", "))),"
      + " total pause \([$gc[].sumOfPauses | secs] | add // 0 | . * 1000 | round) ms"' || true
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
ensure_tools
cd "$repo"

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "java: $(java -version 2>&1 | head -n1)"
echo "tools: $(gzip --version | head -n1); $(pigz --version 2>&1 | head -n1);" \
  "zstd $(zstd --version | grep -o 'v[0-9][0-9.]*' | head -n1); umoci $(umoci --version | awk '{print $3}');" \
  "$(hyperfine --version)"
echo "repo: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?')"

image=$(ensure_image)
oci="$image/oci"
ociz="$image/oci-zstd"
darchive="$image/img.tar"
mapfile -t gz_blobs < <(layer_blobs "$oci" v4)
mapfile -t zst_blobs < <(layer_blobs "$ociz" v4)
if [ -f "$repo/samples/hello.tar" ]; then
  tiny="$repo/samples/hello.tar"
else
  tiny="oci:$image/tiny:v1"
fi

echo
echo "== image $image"
echo "base: $(cut -c1-16 "$image/base.sha256") (mmdebstrap --variant=$variant $suite)"
jq -R -r -s '
  def mib: . / 1048576 * 100 | round / 100 | tostring + " MiB";
  split("\n") | map(select(length > 0) | split("\t")) | .[1:]
  | map({l: .[0], d: .[1], gz: (.[2] | tonumber), zs: (.[3] | tonumber), tar: (.[4] | tonumber),
         n: .[5], wh: .[6]}) as $ls
  | ($ls[] | "layer \(.l) \(.d): gzip \(.gz | mib), zstd \(.zs | mib), tar \(.tar | mib), \(.n) entries, \(.wh) whiteouts"),
    "total:   gzip \([$ls[].gz] | add | mib), zstd \([$ls[].zs] | add | mib), tar \([$ls[].tar] | add | mib)"
' "$image/layers.tsv"
echo "docker-archive: $(du -m "$darchive" | cut -f1) MiB; tiny image: $tiny"

# Our command lines: through JBang, and the same thing on plain java (classpath and JVM options as
# JBang resolves them for the export@isula alias).
jbang="$repo/jbang"
if ! classpath=$("$jbang" info classpath export@isula 2>/dev/null) || [ -z "$classpath" ]; then
  log "export@isula does not resolve: running scripts/setup.sh"
  "$repo/scripts/setup.sh"
  classpath=$("$jbang" info classpath export@isula) || die "export@isula still does not resolve"
fi
tools_json=$("$jbang" info tools export@isula 2>/dev/null)
jdk_home=$(jq -r '.availableJdkPath // empty' <<<"$tools_json")
java_bin="${jdk_home:+$jdk_home/bin/}java"
jfr_bin="${jdk_home:+$jdk_home/bin/}jfr"
mapfile -t jvm_opts < <(jq -r '.runtimeOptions[]?' <<<"$tools_json")
toolkit_jar=$(tr ':' '\n' <<<"$classpath" | grep '/isula-toolkit-[^/]*\.jar$' | head -n1 || true)
echo "toolkit jar: ${toolkit_jar:-?} ($(stat -c %y "$toolkit_jar" 2>/dev/null | cut -c1-19))"
echo "plain java: $java_bin ${jvm_opts[*]} -cp <$(tr ':' '\n' <<<"$classpath" | wc -l) jars>" \
  "dev.isula.toolkit.cli.IsulaCli"

scratch=$(mktemp -d /dev/shm/isula-bench.XXXXXX)
cleanup() {
  if ((keep)); then
    log "scratch kept: $scratch"
  else
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT
out="$scratch/rootfs.tar"
unpacked="$scratch/unpacked"

ej_cmd() { # IMAGE OUT -> the plain-java export command line, shell-quoted
  local s o
  s="$(q "$java_bin")"
  for o in "${jvm_opts[@]}"; do s+=" $(q "$o")"; done
  printf '%s -cp %s dev.isula.toolkit.cli.IsulaCli export -q %s %s' "$s" "$(q "$classpath")" \
    "$(q "$1")" "$(q "$2")"
}
cat_gz=""
for b in "${gz_blobs[@]}"; do cat_gz+=" $(q "$b")"; done
cat_zst=""
for b in "${zst_blobs[@]}"; do cat_zst+=" $(q "$b")"; done

umoci_flags=()
is_root || umoci_flags=(--rootless)

# ---------------------------------------------------------------------------------------------
# Correctness guard: our export vs `umoci raw unpack` of the same image.
# ---------------------------------------------------------------------------------------------
# JBang re-resolves (or recompiles) when these change, e.g. when someone runs mvn install meanwhile.
watched_state() {
  { tr ':' '\n' <<<"$classpath"; printf '%s\n' "$repo/scripts/isula.java" "$repo/jbang-catalog.json"; } |
    xargs -r stat -c '%Y %n' 2>/dev/null | sha256sum
}
watched_before=$(watched_state)

echo
echo "== correctness guard (export vs umoci raw unpack)"
guard_ok=1
"$jbang" export@isula -q "oci:$oci:v4" "$scratch/guard.tar"
umoci raw unpack "${umoci_flags[@]}" --image "$oci:v4" "$scratch/oracle" >/dev/null
tar --quoting-style=literal -tf "$scratch/guard.tar" | sed 's|/$||' | LC_ALL=C sort >"$scratch/ours.list"
(cd "$scratch/oracle" && find . -mindepth 1) | sed 's|^\./||' | LC_ALL=C sort >"$scratch/oracle.list"
n_ours=$(wc -l <"$scratch/ours.list")
n_oracle=$(wc -l <"$scratch/oracle.list")
n_dups=$(uniq -d "$scratch/ours.list" | wc -l)
echo "entries: ours $n_ours, umoci raw unpack $n_oracle (paths below the root)"
if [ "$n_ours" != "$n_oracle" ] || [ "$n_dups" != 0 ] ||
  ! cmp -s "$scratch/ours.list" "$scratch/oracle.list"; then
  guard_ok=0
  {
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!! WARNING: our export does NOT match umoci raw unpack: entry count $n_ours vs $n_oracle,"
    echo "!! $n_dups duplicated names. Figures below time an export that is not (yet) correct."
    echo "!! first differences (< only in ours, > only in umoci):"
    diff "$scratch/ours.list" "$scratch/oracle.list" | grep '^[<>]' | head -n 20 | sed 's/^/!!   /'
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  }
else
  echo "OK: same $n_ours paths, no duplicates"
fi
# The three inputs hold the same layers, so the three exports should be the same bytes.
"$jbang" export@isula -q "docker-archive:$darchive" "$scratch/guard-d.tar"
"$jbang" export@isula -q "oci:$ociz:v4" "$scratch/guard-z.tar"
h_e=$(sha256sum <"$scratch/guard.tar" | cut -c1-16)
h_d=$(sha256sum <"$scratch/guard-d.tar" | cut -c1-16)
h_z=$(sha256sum <"$scratch/guard-z.tar" | cut -c1-16)
echo "output sha256: oci $h_e, docker-archive $h_d, oci zstd $h_z ($(du -m "$scratch/guard.tar" | cut -f1) MiB)"
if [ "$h_e" != "$h_d" ] || [ "$h_e" != "$h_z" ]; then
  guard_ok=0
  echo "!! WARNING: the three exports of the same layers differ (see the hashes above)"
fi
rm -rf "$scratch/oracle" "$scratch"/guard*.tar "$scratch"/*.list

# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------
clk_tck=$(getconf CLK_TCK)
cpu_jiffies() { # prints "busy total" jiffies summed over all CPUs (guest time is inside user)
  awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}
busy_pct() { # SECONDS -> how busy the machine was (percent of all cores) over that time
  local b0 t0 b1 t1
  read -r b0 t0 < <(cpu_jiffies)
  sleep "$1"
  read -r b1 t1 < <(cpu_jiffies)
  awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }'
}
# CPU seconds (user + sys) of this shell's finished children, from a file written by `times`
# (the builtin must run in this shell, not in a $(...) subshell, which has no children).
children_cpu() { # TIMES_OUTPUT_FILE
  awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}

if ((wait_idle > 0)); then
  log "waiting up to ${wait_idle}s for the machine to be idle (< 15 % busy over 3 s)"
  deadline=$((SECONDS + wait_idle))
  while :; do
    b=$(busy_pct 3)
    if ((b < 15)); then
      log "machine idle (${b} % busy)"
      break
    fi
    if ((SECONDS >= deadline)); then
      log "still ${b} % busy after ${wait_idle}s: timing anyway"
      break
    fi
  done
fi

declare -A cmd label
cmd[G]="cat$cat_gz | gzip -dc > /dev/null"
cmd[P]="cat$cat_gz | pigz -dc > /dev/null"
cmd[U]="umoci unpack ${umoci_flags[*]} --image $(q "$oci:v4") $(q "$unpacked") > /dev/null"
cmd[Z]="cat$cat_zst | zstd -dc > /dev/null"
cmd[E]="$(q "$jbang") export@isula -q $(q "oci:$oci:v4") $(q "$out")"
cmd[ED]="$(q "$jbang") export@isula -q $(q "docker-archive:$darchive") $(q "$out")"
cmd[EZ]="$(q "$jbang") export@isula -q $(q "oci:$ociz:v4") $(q "$out")"
cmd[EJ]="$(ej_cmd "oci:$oci:v4" "$out")"
cmd[E0]="$(q "$jbang") export@isula -q $(q "$tiny") $(q "$out")"
cmd[E0J]="$(ej_cmd "$tiny" "$out")"
label[G]="cat gzip layers | gzip -dc"
label[P]="cat gzip layers | pigz -dc"
label[U]="umoci unpack -> /dev/shm"
label[Z]="cat zstd layers | zstd -dc"
label[E]="export@isula oci (gzip layers)"
label[ED]="export@isula docker-archive"
label[EZ]="export@isula oci (zstd layers)"
label[EJ]="plain java export, oci (gzip)"
label[E0]="export@isula tiny image"
label[E0J]="plain java export, tiny image"
names=(G P U Z E ED EZ EJ E0 E0J)
hf=(hyperfine --style basic --prepare "rm -rf $(q "$unpacked") $(q "$out")")
for n in "${names[@]}"; do
  hf+=(-n "$n" "${cmd[$n]}")
done

echo
if ((interleave)); then
  echo "== timing: $warmup warm-up round(s), then $runs rounds; each round runs every command once" \
    "(hyperfine --runs 1)"
else
  echo "== timing: hyperfine --warmup $warmup --runs $runs"
fi
echo "scratch: $scratch; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "IMG=$image"
for n in "${names[@]}"; do
  printf '  %-4s %s\n' "$n" "${cmd[$n]}"
done | sed -E -e 's/-cp [^ ]+/-cp <classpath>/' -e "s|$(q "$image")|\$IMG|g" \
  -e 's|(/blobs/sha256/[0-9a-f]{12})[0-9a-f]{52}|\1…|g'

read -r busy0 total0 < <(cpu_jiffies)
times >"$scratch/times0"
kids0=$(children_cpu "$scratch/times0")
t_start=$SECONDS
if ((interleave)); then
  for ((r = 1; r <= warmup; r++)); do
    log "warm-up round $r/$warmup"
    "${hf[@]}" --runs 1 >/dev/null
  done
  for ((r = 1; r <= runs; r++)); do
    "${hf[@]}" --runs 1 --export-json "$scratch/round-$r.json" >/dev/null
    log "round $r/$runs: $(jq -r '[.results[] | "\(.command) \(.mean * 100 | round / 100)s"] | join(", ")' \
      "$scratch/round-$r.json")"
  done
else
  "${hf[@]}" --warmup "$warmup" --runs "$runs" --export-json "$scratch/round-1.json"
fi
read -r busy1 total1 < <(cpu_jiffies)
times >"$scratch/times1"
kids1=$(children_cpu "$scratch/times1")
elapsed=$((SECONDS - t_start))
# What the rest of the machine used while we timed: all busy CPU time minus our own children's.
others=$(awk -v b="$((busy1 - busy0))" -v hz="$clk_tck" -v k0="$kids0" -v k1="$kids1" \
  -v t="$((total1 - total0))" 'BEGIN { o = b / hz - (k1 - k0); if (o < 0) o = 0
    printf "%.0f", t ? 100 * o / (t / hz) : 0 }')

# Merge the rounds: per command all run times, mean/stddev/min/median, mean user and system CPU.
json="$scratch/results.json"
jq -s '
  [.[].results[]] | group_by(.command) | map(
    (map(.times[]) | sort) as $t | ($t | add / length) as $m | {
      command: .[0].command, times: $t, mean: $m, min: $t[0],
      median: (if ($t | length) % 2 == 1 then $t[($t | length) / 2 | floor]
               else ($t[($t | length) / 2 - 1] + $t[($t | length) / 2]) / 2 end),
      stddev: (if ($t | length) > 1 then
                 ($t | map((. - $m) * (. - $m)) | add / (length - 1) | sqrt) else 0 end),
      user: (map(.user) | add / length), system: (map(.system) | add / length) })
  | {results: .}' "$scratch"/round-*.json >"$json"

declare -A t tmin
for n in "${names[@]}"; do
  read -r mean_s min_s < <(jq -r --arg n "$n" \
    '.results[] | select(.command == $n) | "\(.mean) \(.min)"' "$json")
  t[$n]=$mean_s
  tmin[$n]=$min_s
done

echo
echo "== results ($runs runs each, wall-clock seconds; cpu = user + sys)"
printf '%-4s %-31s %8s %7s %7s %7s\n' name what mean stddev min cpu
for n in "${names[@]}"; do
  jq -r --arg n "$n" --arg l "${label[$n]}" '.results[] | select(.command == $n)
    | [$n, $l, .mean, .stddev, .min, .user + .system] | @tsv' "$json" |
    awk -F'\t' '{ printf "%-4s %-31s %8.3f %7.3f %7.3f %7.3f\n", $1, $2, $3, $4, $5, $6 }'
done
echo "timing took ${elapsed}s; load average after: $(cut -d' ' -f1-3 /proc/loadavg);" \
  "other processes used ${others} % of the machine's CPU meanwhile"
if [ "$watched_before" != "$(watched_state)" ]; then
  echo "!! NOTE: the toolkit jars or scripts/isula.java changed during this benchmark (someone ran" \
    "mvn install?): JBang re-resolves or recompiles then, so some E/ED/EZ/E0 runs include that"
fi
if ((others >= 10)); then
  echo "!! NOTE: the machine was shared (${others} % of its CPU went to other processes): wall" \
    "times are inflated and ratios less reliable; the min-based ratios are the steadier ones"
fi

misses=0
figure() { # NAME OURS BASE OURS_LABEL BASE_LABEL [TARGET]
  local name=$1 a=${t[$2]} b=${t[$3]} am=${tmin[$2]} bm=${tmin[$3]} la=$4 lb=$5 target=${6:-}
  local ratio rmin verdict
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
  rmin=$(awk -v a="$am" -v b="$bm" 'BEGIN { printf "%.2f", a / b }')
  if [ -n "$target" ]; then
    if awk -v r="$ratio" -v x="$target" 'BEGIN { exit !(r <= x) }'; then
      verdict="target <= $target: PASS"
    else
      verdict="target <= $target: MISS"
      misses=$((misses + 1))
    fi
  else
    verdict="(no target)"
  fi
  printf '%s ratio=%s (%s %.2fs, %s %.2fs) %s [min-based ratio=%s]\n' \
    "$name" "$ratio" "$la" "$a" "$lb" "$b" "$verdict" "$rmin"
}

echo
echo "== figures (ratio of mean wall-clock times; same run, same repetitions)"
figure export_vs_gzip E G "ours" "gzip -dc" "$target_gzip"
figure export_vs_umoci E U "ours" "umoci unpack" "$target_umoci"
figure export_zstd_vs_zstd EZ Z "ours zstd" "zstd -dc" "$target_zstd"
figure export_docker_archive_vs_gzip ED G "ours docker-archive" "gzip -dc"
figure export_vs_pigz E P "ours" "pigz -dc"
figure export_nojbang_vs_gzip EJ G "ours plain java" "gzip -dc"
figure jbang_overhead E EJ "jbang" "plain java"
figure startup_tiny_image E0 E0J "jbang" "plain java"
awk -v e="${t[E]}" -v e0="${t[E0]}" -v ej="${t[EJ]}" -v e0j="${t[E0J]}" 'BEGIN {
  printf "jbang_fixed_cost %.2fs (E - EJ = %.2fs; E0 - E0J = %.2fs)\n", (e - ej + e0 - e0j) / 2, e - ej, e0 - e0j
  printf "startup_fixed_cost %.2fs with JBang, %.2fs with plain java (export of the tiny image)\n", e0, e0j }'
echo "-- the same targets net of the fixed start-up (ours minus the tiny-image export; information only):"
net() { # NAME OURS BASE BASE_LABEL TARGET
  awk -v n="$1" -v a="${t[$2]}" -v z="${t[E0]}" -v b="${t[$3]}" -v lb="$4" -v x="$5" 'BEGIN {
    r = (a - z) / b
    printf "%s_net ratio=%.2f (ours %.2fs - start-up %.2fs, %s %.2fs) target <= %s would %s\n",
      n, r, a, z, lb, b, x, (r <= x ? "PASS" : "MISS") }'
}
net export_vs_gzip E G "gzip -dc" "$target_gzip"
net export_vs_umoci E U "umoci unpack" "$target_umoci"
net export_zstd_vs_zstd EZ Z "zstd -dc" "$target_zstd"
echo "targets missed: $misses of 3"
if ((!guard_ok)); then
  echo "!! WARNING: the correctness guard failed (see above); these figures time an incorrect export"
fi

# ---------------------------------------------------------------------------------------------
# Profile (on a MISS, or with --profile): one plain-java export under JFR, sampling every 1 ms.
# ---------------------------------------------------------------------------------------------
profile_one() { # TITLE IMAGE
  local title=$1 img=$2 rec jfc
  rec="$scratch/export-$title.jfr"
  jfc="$scratch/profile-1ms.jfc"
  sed -E -e '/"jdk.ExecutionSample"/,/<\/event>/ s|>[0-9]+ ms<|>1 ms<|' \
    -e '/"jdk.NativeMethodSample"/,/<\/event>/ s|>[0-9]+ ms<|>2 ms<|' \
    "$jdk_home/lib/jfr/profile.jfc" >"$jfc"
  echo
  echo "== profile ($title): plain java export -q $img under JFR (Java samples every 1 ms, native every 2 ms)"
  rm -f "$out"
  local TIMEFORMAT='%R s wall, %U s user, %S s sys (JFR on)'
  {
    time "$java_bin" "${jvm_opts[@]}" "-XX:StartFlightRecording=filename=$rec,settings=$jfc" \
      -cp "$classpath" dev.isula.toolkit.cli.IsulaCli export -q "$img" "$out"
  } 2>&1 | grep -v '\[jfr,startup\]' || true
  jfr_hot "$jfr_bin" "$rec"
}
if [ "$profile" = yes ] || { [ "$profile" = auto ] && ((misses > 0)); }; then
  if [ -z "$jdk_home" ] || [ ! -x "$jfr_bin" ]; then
    echo "!! cannot profile: no jfr tool next to $java_bin"
  else
    profile_one gzip "oci:$oci:v4"
    profile_one zstd "oci:$ociz:v4"
    profile_one docker-archive "docker-archive:$darchive"
  fi
fi
