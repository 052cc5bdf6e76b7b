#!/usr/bin/env bash
# Benchmark (not a test): export, export --split, import and convert timed against the real tools
# they are judged by, in the same run and with the same repetitions, as users type the commands
# (`./jbang NAME@isula ...`), each also on plain java (no JBang) so start-up cost stays visible.
# Prints one line per figure, `NAME ratio=X.XX (...)`, with the absolute times, then start-up and
# scale numbers, and at the end the table of issue 14 (one line per row, then the same as a
# markdown table for docs/performance.md). Rows of that table (ratio of mean wall-clock times):
#
#   1 export_vs_igzip   ./jbang export@isula oci:L(gzip) OUT   vs  cat layers | igzip -dc    <= 1.5
#   2 export_vs_umoci_raw  the same                            vs  umoci raw unpack          <= 0.33
#   3 export_zstd       ./jbang export@isula oci:L(zstd) OUT   vs  cat layers | zstd -dc     <= 2.5
#   4 import_vs_umoci_add_layer  ./jbang import@isula ROOTFS -o oci:D:t --compress gzip
#                        vs  umoci raw add-layer ROOTFS (into a fresh `umoci init` + `umoci new`
#                        layout, made untimed)  <= 1.0, and our layer no larger than gzip -6's
#  4b import_libdeflate_vs_umoci_add_layer  the same with ISULA_DEFLATE=libdeflate (the encoder
#                        the user chooses; zlib stays the default)  vs  the same  <= 1.0, size too
#   5 convert           ./jbang convert@isula oci:L docker-archive:OUT  vs  skopeo copy      <= 0.8
#   6 help_vs_java_version  ./jbang export@isula --help        vs  java -version             <= 2.5
#   7 isula_help_vs_java_version  isula export --help (the command scripts/install-isula-command.sh
#                        installs; installed first when missing)  vs  java -version        <= 2.5
#   8 tiny_export_vs_java_version  ./jbang export@isula samples/hello.tar OUT
#                        vs  java -version  <= 3
#   9 scale_export_vs_igzip  ./jbang export@isula of the largest synthetic image, -Xmx96m
#                        vs  cat its layers | igzip -dc (one run each, /usr/bin/time)  <= 1.5
#                        plus peak RSS
# 10a store_export_vs_podman_save  ./jbang export@isula containers-storage:[overlay@G+R]IMG OUT
#                                    vs  podman save -o X IMG && export@isula docker-archive:X
# 10b store_export_vs_skopeo_copy  the same        vs  skopeo copy containers-storage:... oci:
#                      (information; the reference image podman-loaded into a store of its own)
# `java -version` is the java that runs our commands. Further figures (targets of issue 5):
#
#   export_gzip        ./jbang export@isula oci:L(gzip) OUT      vs  cat layers | gzip -dc   <= 1.3
#   export_vs_umoci    the same                                   vs  umoci unpack   (information)
#   import_gzip        ./jbang import@isula ROOTFS -o oci:D:t --compress gzip
#                                                        vs  pigz -p2 -6 -c ROOTFS  <= 1.1
#   import_gzip_vs_gzip6   the same                      vs  gzip -6 -c ROOTFS      <= 0.5
#   import_zstd        ... --compress zstd               vs  zstd -3 -T2 -c ROOTFS  <= 1.3
#   split_dir          ./jbang export@isula --split --rootfs-format dir oci:L DIR
#                                                        vs  umoci unpack           <= 0.5
#
# Start-up: `export@isula --help` and the export of a tiny image, through the launcher (cached
# resolution + AppCDS), through JBang's own JVM (ISULA_JBANG_FAST=0), with JBang's own --cds, and
# on plain java with and without the launcher's AppCDS archive. Scale: a synthetic image (scripts/bench/gen-synthetic.py: 5 gzip
# layers, 100,000 files per GiB) of 256 MiB and 1 GiB is exported and imported with -Xmx96m
# (JAVA_TOOL_OPTIONS); time per GiB and peak RSS (/usr/bin/time -v) are printed, and an
# OutOfMemoryError fails the run.
#
# The reference image (Debian bookworm minbase from mmdebstrap + three umoci edit layers, plus a
# docker-archive, an oci-archive and a zstd-layer OCI copy) and the synthetic images are built
# once and cached in ${ISULA_BENCH_CACHE:-/var/tmp/isula-bench}; reruns reuse them. Scratch output
# goes to /dev/shm (extraction on disk swings 2-10x between runs). Missing tools are installed
# with apt-get.
#
# Usage: scripts/bench.sh [--only GROUPS] [--runs N] [--warmup N] [--quick] [--keep] [--rebuild]
#                         [--profile | --no-profile] [--no-interleave] [--wait-idle SECS]
#                         [--scale-sizes "256 1024"] [--scale-runs N] [--heap 96m]
#   --only GROUPS    comma-separated: export,split,import,convert,registry,storage,startup,scale
#                    (default: all)
#   --runs N         timed repetitions of every command (default 5; 3 with --quick)
#   --warmup N       untimed warm-up repetitions first (default 1)
#   --quick          reuse whatever cached image exists (even from an older recipe), fewer runs
#   --keep           keep the scratch directory under /dev/shm (outputs, JSON, JFR recordings)
#   --rebuild        rebuild the cached reference image
#   --profile        profile our commands under JFR even if all targets pass (default: on a MISS)
#   --no-profile     never profile
#   --no-interleave  one hyperfine call (all runs of one command, then the next) instead of N
#                    rounds of one run each; rounds spread drifting machine load over the commands
#   --wait-idle SECS before timing, wait up to SECS for the machine to be idle (< 15 % busy)
#   --scale-sizes S  synthetic image sizes in MiB for the scale group (default "256 1024")
#   --scale-runs N   repetitions of each scale measurement (default 1)
#   --heap SIZE      -Xmx for the scale group (default 96m)
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
only=export,split,import,convert,registry,storage,startup,scale
scale_sizes="256 1024"
scale_runs=1
heap=96m

usage() {
  sed -n '2,/^set -euo/p' "$self" | sed -e '$d' -e 's/^# \{0,1\}//'
}
# shellcheck source=bench/lib.sh
. "$repo/scripts/bench/lib.sh"

need() { [ $# -ge 2 ] || die "$1 needs a value"; }
while (($#)); do
  case $1 in
    --runs) need "$@"; runs=$2; runs_given=1; shift 2 ;;
    --runs=*) runs=${1#*=}; runs_given=1; shift ;;
    --warmup) need "$@"; warmup=$2; shift 2 ;;
    --warmup=*) warmup=${1#*=}; shift ;;
    --only) need "$@"; only=$2; shift 2 ;;
    --only=*) only=${1#*=}; shift ;;
    --scale-sizes) need "$@"; scale_sizes=$2; shift 2 ;;
    --scale-sizes=*) scale_sizes=${1#*=}; shift ;;
    --scale-runs) need "$@"; scale_runs=$2; shift 2 ;;
    --scale-runs=*) scale_runs=${1#*=}; shift ;;
    --heap) need "$@"; heap=$2; shift 2 ;;
    --heap=*) heap=${1#*=}; shift ;;
    --quick) quick=1; shift ;;
    --keep) keep=1; shift ;;
    --rebuild) rebuild=1; shift ;;
    --profile) profile=yes; shift ;;
    --no-profile) profile=no; shift ;;
    --no-interleave) interleave=0; shift ;;
    --wait-idle) need "$@"; wait_idle=$2; shift 2 ;;
    --wait-idle=*) wait_idle=${1#*=}; shift ;;
    --build-only) build_only=1; shift ;; # internal: build the cached image (through sudo)
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number, not '$runs'"
[[ $warmup =~ ^[0-9]+$ ]] || die "--warmup wants a number, not '$warmup'"
[[ $wait_idle =~ ^[0-9]+$ ]] || die "--wait-idle wants seconds, not '$wait_idle'"
[[ $scale_runs =~ ^[1-9][0-9]*$ ]] || die "--scale-runs wants a positive number"
[[ $heap =~ ^[0-9]+[kmgKMG]?$ ]] || die "--heap wants a size like 96m, not '$heap'"
for s in $scale_sizes; do [[ $s =~ ^[1-9][0-9]*$ ]] || die "--scale-sizes wants MiB numbers"; done
declare -A group=()
IFS=, read -r -a only_list <<<"$only"
for g in "${only_list[@]}"; do
  case $g in
    export | split | import | convert | registry | storage | startup | scale) group[$g]=1 ;;
    *) die "unknown group '$g' (export, split, import, convert, registry, storage, startup, scale)" ;;
  esac
done
on() { [ -n "${group[$1]:-}" ]; }
if ((quick && !runs_given)); then
  runs=3
fi

if ((build_only)); then
  is_root || die "--build-only must run as root"
  ensure_tools
  ensure_image >/dev/null
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Set-up: machine, image, our command lines
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
  "skopeo $(skopeo --version | awk '{print $3}'); $(hyperfine --version)"
echo "repo: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?'); groups: $only"

image=$(ensure_image)
oci="$image/oci"
ociz="$image/oci-zstd"
darchive="$image/img.tar"
# An oci-archive of the same image (not part of the recipe key: made from the layout).
ociarchive="$image/oci-archive.tar"
if [ ! -s "$ociarchive" ]; then
  tar -C "$oci" --sort=name -cf "$ociarchive.tmp.$$" . && mv "$ociarchive.tmp.$$" "$ociarchive"
fi
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
echo "docker-archive: $(du -m "$darchive" | cut -f1) MiB; oci-archive: $(du -m "$ociarchive" | cut -f1) MiB; tiny image: $tiny"

# Our command lines: through JBang (./jbang NAME@isula, as users type them), and the same thing on
# plain java (class path and JVM options as JBang resolves them for the alias).
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
main_class=$(jq -r '.mainClass // "isula"' <<<"$tools_json")
toolkit_jar=$(tr ':' '\n' <<<"$classpath" | grep '/isula-toolkit-[^/]*\.jar$' | head -n1 || true)
echo "toolkit jar: ${toolkit_jar:-?} ($(stat -c %y "$toolkit_jar" 2>/dev/null | cut -c1-19))"
echo "plain java: $java_bin ${jvm_opts[*]} -cp <$(tr ':' '\n' <<<"$classpath" | wc -l) jars> $main_class"
convert_ok=0
if "$jbang" convert@isula --help >/dev/null 2>&1; then
  convert_ok=1
fi

scratch=$(mktemp -d /dev/shm/isula-bench.XXXXXX)
cleanup() {
  if ((keep)); then
    log "scratch kept: $scratch"
  else
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT
o="$scratch/o" # every timed command writes below here; removed before each run

# The registry figure: a local Distribution registry (Debian's docker-registry) on a free loopback
# port, with the reference image pushed once by skopeo; stopped on exit.
registry_pid=""
registry=""
if on registry; then
  if ! command -v docker-registry >/dev/null 2>&1; then
    log "installing with apt-get: docker-registry"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >&2
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$scratch/registry-data"
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\nlog:\n  level: error\n' \
    "$scratch/registry-data" "$port" >"$scratch/registry.yml"
  docker-registry serve "$scratch/registry.yml" >"$scratch/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  registry="127.0.0.1:$port"
  skopeo copy -q --dest-tls-verify=false "oci:$oci:v4" "docker://$registry/bench/ref:v4" ||
    die "could not push the reference image to the local registry (see $scratch/registry.log)"
  log "local registry on $registry holds bench/ref:v4"
fi
stop_registry() {
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
}
trap 'stop_registry; cleanup' EXIT

java_cmd() { # ARGS... -> the plain-java command line (isula ARGS), shell-quoted
  local s a
  s="$(q "$java_bin")"
  for a in "${jvm_opts[@]}"; do s+=" $(q "$a")"; done
  s+=" -cp $(q "$classpath") $main_class"
  for a in "$@"; do s+=" $(q "$a")"; done
  printf '%s' "$s"
}
jbang_cmd() { # ALIAS ARGS... -> ./jbang ALIAS ARGS..., shell-quoted
  local s a
  s="$(q "$jbang")"
  for a in "$@"; do s+=" $(q "$a")"; done
  printf '%s' "$s"
}
cat_gz=""
for b in "${gz_blobs[@]}"; do cat_gz+=" $(q "$b")"; done
cat_zst=""
for b in "${zst_blobs[@]}"; do cat_zst+=" $(q "$b")"; done
umoci_flags=()
is_root || umoci_flags=(--rootless)

# JBang re-resolves (or recompiles) when these change, e.g. when someone runs mvn install meanwhile.
watched_state() {
  { tr ':' '\n' <<<"$classpath"; printf '%s\n' "$repo/scripts/isula.java" "$repo/jbang-catalog.json"; } |
    xargs -r stat -c '%Y %n' 2>/dev/null | sha256sum
}
watched_before=$(watched_state)

# ---------------------------------------------------------------------------------------------
# Correctness guard: our export vs `umoci raw unpack`; the same layers from every input give the
# same bytes. The export is also the rootfs the import figures read.
# ---------------------------------------------------------------------------------------------
echo
echo "== correctness guard (export vs umoci raw unpack)"
guard_ok=1
rootfs_tar="$scratch/rootfs.tar"
"$jbang" export@isula -q "oci:$oci:v4" "$rootfs_tar"
umoci raw unpack "${umoci_flags[@]}" --image "$oci:v4" "$scratch/oracle" >/dev/null
tar --quoting-style=literal -tf "$rootfs_tar" | sed 's|/$||' | LC_ALL=C sort >"$scratch/ours.list"
(cd "$scratch/oracle" && find . -mindepth 1) | sed 's|^\./||' | LC_ALL=C sort >"$scratch/oracle.list"
n_ours=$(wc -l <"$scratch/ours.list")
n_oracle=$(wc -l <"$scratch/oracle.list")
n_dups=$(uniq -d "$scratch/ours.list" | wc -l)
echo "entries: ours $n_ours, umoci raw unpack $n_oracle (paths below the root)"
if [ "$n_ours" != "$n_oracle" ] || [ "$n_dups" != 0 ] ||
  ! cmp -s "$scratch/ours.list" "$scratch/oracle.list"; then
  guard_ok=0
  echo "!! WARNING: our export does NOT match umoci raw unpack ($n_ours vs $n_oracle entries," \
    "$n_dups duplicated); first differences (< only in ours, > only in umoci):"
  diff "$scratch/ours.list" "$scratch/oracle.list" | grep '^[<>]' | head -n 20 | sed 's/^/!!   /'
else
  echo "OK: same $n_ours paths, no duplicates"
fi
"$jbang" export@isula -q "docker-archive:$darchive" "$scratch/guard-d.tar"
"$jbang" export@isula -q "oci:$ociz:v4" "$scratch/guard-z.tar"
"$jbang" export@isula -q "oci-archive:$ociarchive:v4" "$scratch/guard-a.tar"
"$(dirname "$java_bin")/java" "${jvm_opts[@]}" -cp "$classpath" "$main_class" export -q "oci:$oci:v4" "$scratch/guard-j.tar"
declare -A h=()
for k in "$rootfs_tar" "$scratch"/guard-{d,z,a,j}.tar; do
  h[$k]=$(sha256sum <"$k" | cut -c1-16)
done
echo "output sha256: oci ${h[$rootfs_tar]}, docker-archive ${h[$scratch/guard-d.tar]}," \
  "oci zstd ${h[$scratch/guard-z.tar]}, oci-archive ${h[$scratch/guard-a.tar]}," \
  "plain java ${h[$scratch/guard-j.tar]} ($(du -m "$rootfs_tar" | cut -f1) MiB)"
for k in "${!h[@]}"; do
  if [ "${h[$k]}" != "${h[$rootfs_tar]}" ]; then
    guard_ok=0
    echo "!! WARNING: exports of the same layers differ: $k"
  fi
done
rm -rf "$scratch/oracle" "$scratch"/guard*.tar "$scratch"/*.list
if on split; then
  "$jbang" export@isula -q --split --rootfs-format dir "oci:$oci:v4" "$scratch/guard-split"
  n_split=$( (cd "$scratch/guard-split/rootfs" && find . -mindepth 1) | wc -l)
  echo "split: $n_split paths in rootfs/ (export: $n_ours)"
  [ "$n_split" = "$n_ours" ] || { guard_ok=0; echo "!! WARNING: split rootfs has $n_split paths, not $n_ours"; }
  rm -rf "$scratch/guard-split"
fi
# Row 4's sizes: the gzip layer our import writes, the one `umoci raw add-layer` writes and
# `gzip -6` of the same tar (bytes; made once, untimed).
size_ours="" size_umoci="" size_gz6="" size_fast=""
if on import; then
  "$jbang" import@isula -q "$rootfs_tar" -o "oci:$scratch/sz-ours:t" --compress gzip >/dev/null
  ISULA_DEFLATE=libdeflate "$jbang" import@isula -q "$rootfs_tar" -o "oci:$scratch/sz-fast:t" \
    --compress gzip >/dev/null
  size_fast=$(layer_blobs "$scratch/sz-fast" t | xargs stat -c %s | awk '{ s += $1 } END { print s }')
  umoci init --layout "$scratch/sz-umoci"
  umoci new --image "$scratch/sz-umoci:t"
  umoci raw add-layer --image "$scratch/sz-umoci:t" "$rootfs_tar" >/dev/null
  size_ours=$(layer_blobs "$scratch/sz-ours" t | xargs stat -c %s | awk '{ s += $1 } END { print s }')
  size_umoci=$(layer_blobs "$scratch/sz-umoci" t | xargs stat -c %s | awk '{ s += $1 } END { print s }')
  size_gz6=$(gzip -6 -c "$rootfs_tar" | wc -c)
  echo "gzip layer of rootfs.tar ($(stat -c %s "$rootfs_tar") bytes): import@isula $size_ours," \
    "umoci raw add-layer $size_umoci, gzip -6 $size_gz6 bytes;" \
    "ISULA_DEFLATE=libdeflate import@isula $size_fast"
  rm -rf "$scratch/sz-ours" "$scratch/sz-umoci" "$scratch/sz-fast"
fi
# The plain `isula` command as scripts/install-isula-command.sh installs it (JBang's app installer),
# installed first when it is not there; its directory goes first on PATH (it calls `jbang`).
isula_cmd=""
if on startup; then
  isula_dir="${JBANG_DIR:-$HOME/.jbang}/bin"
  if [ ! -x "$isula_dir/isula" ]; then
    log "no $isula_dir/isula: running scripts/install-isula-command.sh"
    "$repo/scripts/install-isula-command.sh" >/dev/null 2>&1 ||
      log "scripts/install-isula-command.sh failed: row 7 (isula export --help) is not measured"
  fi
  if [ -x "$isula_dir/isula" ] && PATH="$isula_dir:$PATH" "$isula_dir/isula" export --help >/dev/null 2>&1; then
    isula_cmd="PATH=$(q "$isula_dir"):\$PATH $(q "$isula_dir/isula")"
    echo "installed command: $isula_dir/isula"
  else
    echo "!! installed command $isula_dir/isula does not run: row 7 is not measured"
  fi
fi
# The AppCDS archive the launcher made for this class path (for the plain-java-with-CDS line).
app_jsa=$(ls -t "${JBANG_DIR:-$HOME/.jbang}"/cache/isula-launcher/app-*.jsa 2>/dev/null | head -n1 || true)

# ---------------------------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------------------------
declare -A cmd=() label=() prep=()
names=()
fresh="rm -rf $(q "$o") && mkdir -p $(q "$o")"
add() { # NAME LABEL COMMAND [PREPARE]: PREPARE runs untimed before each run (default: empty $o)
  names+=("$1")
  label[$1]=$2
  cmd[$1]=$3
  prep[$1]=${4:-$fresh}
}
if on export || on split; then
  add U "umoci unpack -> /dev/shm" \
    "umoci unpack ${umoci_flags[*]} --image $(q "$oci:v4") $(q "$o/unpacked") > /dev/null"
fi
if on export; then
  add UR "umoci raw unpack -> /dev/shm" \
    "umoci raw unpack ${umoci_flags[*]} --image $(q "$oci:v4") $(q "$o/raw") > /dev/null"
  add G "cat gzip layers | gzip -dc" "cat$cat_gz | gzip -dc > /dev/null"
  add IG "cat gzip layers | igzip -dc" "cat$cat_gz | igzip -dc > /dev/null"
  add P "cat gzip layers | pigz -dc" "cat$cat_gz | pigz -dc > /dev/null"
  add Z "cat zstd layers | zstd -dc" "cat$cat_zst | zstd -dc > /dev/null"
  add E "export@isula oci (gzip)" "$(jbang_cmd export@isula -q "oci:$oci:v4" "$o/rootfs.tar")"
  add EJ "plain java export oci (gzip)" "$(java_cmd export -q "oci:$oci:v4" "$o/rootfs.tar")"
  add EZ "export@isula oci (zstd)" "$(jbang_cmd export@isula -q "oci:$ociz:v4" "$o/rootfs.tar")"
  add EZJ "plain java export oci (zstd)" "$(java_cmd export -q "oci:$ociz:v4" "$o/rootfs.tar")"
  add ED "export@isula docker-archive" "$(jbang_cmd export@isula -q "docker-archive:$darchive" "$o/rootfs.tar")"
fi
if on split; then
  add S "export@isula --split (dir)" \
    "$(jbang_cmd export@isula -q --split --rootfs-format dir "oci:$oci:v4" "$o/split")"
  add SJ "plain java export --split" \
    "$(java_cmd export -q --split --rootfs-format dir "oci:$oci:v4" "$o/split")"
fi
if on import; then
  add PZ "pigz -p2 -6 -c rootfs.tar" "pigz -p2 -6 -c $(q "$rootfs_tar") > /dev/null"
  add GZ6 "gzip -6 -c rootfs.tar" "gzip -6 -c $(q "$rootfs_tar") > /dev/null"
  add ZC "zstd -3 -T2 -c rootfs.tar" "zstd -q -3 -T2 -c $(q "$rootfs_tar") > /dev/null"
  add UA "umoci raw add-layer rootfs.tar" \
    "umoci raw add-layer --image $(q "$o/ua:t") $(q "$rootfs_tar") > /dev/null" \
    "$fresh && umoci init --layout $(q "$o/ua") && umoci new --image $(q "$o/ua:t")"
  add I "import@isula --compress gzip" \
    "$(jbang_cmd import@isula -q "$rootfs_tar" -o "oci:$o/imported:t" --compress gzip) > /dev/null"
  add IL "import@isula --compress gzip, ISULA_DEFLATE=libdeflate" \
    "env ISULA_DEFLATE=libdeflate $(jbang_cmd import@isula -q "$rootfs_tar" -o "oci:$o/imported:t" --compress gzip) > /dev/null"
  add IJ "plain java import gzip" \
    "$(java_cmd import -q "$rootfs_tar" -o "oci:$o/imported:t" --compress gzip) > /dev/null"
  add IZ "import@isula --compress zstd" \
    "$(jbang_cmd import@isula -q "$rootfs_tar" -o "oci:$o/imported:t" --compress zstd) > /dev/null"
  add IZJ "plain java import zstd" \
    "$(java_cmd import -q "$rootfs_tar" -o "oci:$o/imported:t" --compress zstd) > /dev/null"
fi
if on convert; then
  add SK "skopeo copy oci: docker-archive:" \
    "skopeo copy -q $(q "oci:$oci:v4") $(q "docker-archive:$o/converted.tar:bench:v4")"
  if ((convert_ok)); then
    add C "convert@isula oci -> docker-archive" \
      "$(jbang_cmd convert@isula -q "oci:$oci:v4" "docker-archive:$o/converted.tar:bench:v4")"
    add CJ "plain java convert" \
      "$(java_cmd convert -q "oci:$oci:v4" "docker-archive:$o/converted.tar:bench:v4")"
  fi
fi
if on registry && [ -n "$registry" ]; then
  add RX "export@isula docker:// (pull+export)" \
    "$(jbang_cmd export@isula -q --tls-verify=false "docker://$registry/bench/ref:v4" "$o/registry.tar")"
  add RS "skopeo copy docker:// oci: + export@isula" \
    "skopeo copy -q --src-tls-verify=false $(q "docker://$registry/bench/ref:v4") $(q "oci:$o/pulled:v4") && $(jbang_cmd export@isula -q "oci:$o/pulled:v4" "$o/registry2.tar")"
fi
# containers-storage: the reference image podman-loaded into an overlay store of its own under the
# scratch directory (removed with it); exporting straight from the store against podman save plus
# our export of the archive, and against skopeo copy containers-storage: oci: (the copy alone).
add_storage_commands() {
  if ! is_root || ! command -v podman >/dev/null 2>&1; then
    log "storage figures need root and podman: skipped"
    return 0
  fi
  local d="$scratch/cs" env loaded ref
  storage_env=""
  mkdir -p "$d"
  printf '[storage]\ndriver = "overlay"\nrunroot = "%s"\ngraphroot = "%s"\n' "$d/r" "$d/g" >"$d/storage.conf"
  printf '[engine]\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\ntmp_dir = "%s"\nlock_type = "file"\n[network]\nnetwork_config_dir = "%s"\n' \
    "$d/e" "$d/n" >"$d/containers.conf"
  env="CONTAINERS_STORAGE_CONF=$(q "$d/storage.conf") CONTAINERS_CONF=$(q "$d/containers.conf")"
  loaded=$(eval "$env podman load -q -i $(q "$darchive")" | sed -n 's/^Loaded image: //p' | head -n1)
  [ -n "$loaded" ] || die "podman load of $darchive printed no image name"
  ref="containers-storage:[overlay@$d/g+$d/r]$loaded"
  storage_env=$env
  trap 'stop_storage; stop_registry; cleanup' EXIT
  add CS "export@isula containers-storage:" "$(jbang_cmd export@isula -q "$ref" "$o/rootfs.tar")"
  add CSP "podman save + export@isula archive" \
    "$env podman save -q -o $(q "$o/saved.tar") $(q "$loaded") && $(jbang_cmd export@isula -q "docker-archive:$o/saved.tar" "$o/rootfs.tar")"
  add CSK "skopeo copy containers-storage: oci:" "skopeo copy -q $(q "$ref") $(q "oci:$o/copied:v4")"
}
# podman's overlay driver leaves its home bind-mounted on itself: unmount before the scratch goes
stop_storage() {
  [ -n "${storage_env:-}" ] || return 0
  eval "$storage_env podman rmi -a -f" >/dev/null 2>&1 || true
  if mountpoint -q "$scratch/cs/g/overlay"; then
    umount "$scratch/cs/g/overlay" || true
  fi
}
if on storage; then
  add_storage_commands
fi
if on startup; then
  add JV "java -version" "$(q "$java_bin") -version 2> /dev/null"
  add H "export@isula --help" "$(jbang_cmd export@isula --help) > /dev/null"
  if [ -n "$isula_cmd" ]; then
    add HI "isula export --help (installed)" "$isula_cmd export --help > /dev/null"
  fi
  add HN "export@isula --help, JBang JVM" "ISULA_JBANG_FAST=0 $(jbang_cmd export@isula --help) > /dev/null"
  add HJ "plain java export --help" "$(java_cmd export --help) > /dev/null"
  add E0 "export@isula tiny image" "$(jbang_cmd export@isula -q "$tiny" "$o/tiny.tar")"
  add E0N "export@isula tiny, JBang JVM" "ISULA_JBANG_FAST=0 $(jbang_cmd export@isula -q "$tiny" "$o/tiny.tar")"
  add E0K "jbang --cds export@isula tiny" \
    "ISULA_JBANG_FAST=0 $(jbang_cmd --cds export@isula -q "$tiny" "$o/tiny.tar") > /dev/null"
  add E0J "plain java tiny export" "$(java_cmd export -q "$tiny" "$o/tiny.tar")"
  if [ -n "$app_jsa" ]; then
    add E0C "plain java tiny export + AppCDS" \
      "$(java_cmd export -q "$tiny" "$o/tiny.tar" | sed "s|^\([^ ]*\) |\1 -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off -XX:SharedArchiveFile=$(q "$app_jsa") |")"
  fi
fi

# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------
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

declare -A t=() tmin=()
others=0
if ((${#names[@]})); then
  hf=(hyperfine --style basic)
  for n in "${names[@]}"; do # one --prepare per command, in the order of the commands
    hf+=(--prepare "${prep[$n]}")
  done
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
    -e "s|$scratch|\$SCRATCH|g" -e 's|(/blobs/sha256/[0-9a-f]{12})[0-9a-f]{52}|\1…|g' \
    -e 's|SharedArchiveFile=[^ ]*/|SharedArchiveFile=…/|'

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
  # What the rest of the machine used while we timed: all busy CPU time minus our children's.
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
  for n in "${names[@]}"; do
    read -r mean_s min_s < <(jq -r --arg n "$n" \
      '.results[] | select(.command == $n) | "\(.mean) \(.min)"' "$json")
    t[$n]=$mean_s
    tmin[$n]=$min_s
  done

  echo
  echo "== results ($runs runs each, wall-clock seconds; cpu = user + sys)"
  printf '%-4s %-36s %8s %7s %7s %7s %7s\n' name what mean stddev min median cpu
  for n in "${names[@]}"; do
    jq -r --arg n "$n" --arg l "${label[$n]}" '.results[] | select(.command == $n)
      | [$n, $l, .mean, .stddev, .min, .median, .user + .system] | @tsv' "$json" |
      awk -F'\t' '{ printf "%-4s %-36s %8.3f %7.3f %7.3f %7.3f %7.3f\n", $1, $2, $3, $4, $5, $6, $7 }'
  done
  echo "timing took ${elapsed}s; load average after: $(cut -d' ' -f1-3 /proc/loadavg);" \
    "other processes used ${others} % of the machine's CPU meanwhile"
  if [ "$watched_before" != "$(watched_state)" ]; then
    echo "!! NOTE: the toolkit jars or scripts/isula.java changed during this benchmark (someone ran" \
      "mvn install?): the launcher re-resolved and rebuilt its CDS archive in some runs"
  fi
  if ((others >= 10)); then
    echo "!! NOTE: the machine was shared (${others} % of its CPU went to other processes): wall" \
      "times are inflated and ratios less reliable; the min-based ratios are the steadier ones"
  fi
fi

# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------
misses=0
missed=()
fig_ratio=""
figure() { # NAME OURS BASE [TARGET]: one line; sets fig_ratio (empty when not measured)
  local name=$1 a=$2 b=$3 target=${4:-} ratio rmin verdict
  fig_ratio=""
  [ -n "${t[$a]:-}" ] && [ -n "${t[$b]:-}" ] || return 0
  ratio=$(awk -v a="${t[$a]}" -v b="${t[$b]}" 'BEGIN { printf "%.2f", a / b }')
  rmin=$(awk -v a="${tmin[$a]}" -v b="${tmin[$b]}" 'BEGIN { printf "%.2f", a / b }')
  fig_ratio=$ratio
  if [ -n "$target" ]; then
    if le "$ratio" "$target"; then
      verdict="target <= $target: PASS"
    else
      verdict="target <= $target: MISS"
      misses=$((misses + 1))
      missed+=("$name")
    fi
  else
    verdict="(information)"
  fi
  printf '%s ratio=%s (%s: %s %.3fs / %s: %s %.3fs) %s [min-based ratio=%s]\n' \
    "$name" "$ratio" "$a" "${label[$a]}" "${t[$a]}" "$b" "${label[$b]}" "${t[$b]}" "$verdict" "$rmin"
}

le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; } # A <= B (decimal numbers)
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1000000 }'; }

# The rows of issue 14's table, in its order: ID, group that measures it, what, peer or floor,
# target. row_ours/row_peer/row_ratio/row_met are filled by the figures below (or stay "not
# measured"); the table is printed at the very end.
row_ids=(1 2 3 4 4b 5 6 7 8 9 10a 10b)
declare -A row_group=(
  [1]=export [2]=export [3]=export [4]=import [4b]=import [5]=convert [6]=startup [7]=startup [8]=startup
  [9]=scale [10a]=storage [10b]=storage)
declare -A row_work=(
  [1]="export, gzip layers" [2]="export, gzip layers" [3]="export, zstd layers"
  [4]="import → gzip layer" [4b]="import → gzip layer, \`ISULA_DEFLATE=libdeflate\`"
  [5]="convert oci → docker-archive"
  [6]="\`./jbang export@isula --help\`" [7]="\`isula export --help\` (installed command)"
  [8]="tiny export (\`samples/hello.tar\`) through \`./jbang\`"
  [9]="export, synthetic image, -Xmx$heap" [10a]="export from containers-storage"
  [10b]="export from containers-storage")
declare -A row_peer_name=(
  [1]="\`cat layers | igzip -dc\`" [2]="\`umoci raw unpack\`" [3]="\`cat layers | zstd -dc\`"
  [4]="\`umoci raw add-layer\`" [4b]="\`umoci raw add-layer\`" [5]="\`skopeo copy\`" [6]="\`java -version\`"
  [7]="\`java -version\`" [8]="\`java -version\`" [9]="igzip floor"
  [10a]="\`podman save\` + our export of the archive" [10b]="\`skopeo copy containers-storage: oci:\`")
declare -A row_target=([1]=1.5 [2]=0.33 [3]=2.5 [4]=1.0 [4b]=1.0 [5]=0.8 [6]=2.5 [7]=2.5 [8]=3 [9]=1.5
  [10a]="" [10b]="")
declare -A row_ours=() row_peer=() row_ratio=() row_met=()
for id in "${row_ids[@]}"; do
  row_ours[$id]="not measured"
  row_peer[$id]=${row_peer_name[$id]}
  row_ratio[$id]="—"
  row_met[$id]="—"
  if ! on "${row_group[$id]}"; then
    row_ours[$id]="not measured (group ${row_group[$id]} not run)"
  fi
done
row_record() { # ID OURS_SECS PEER_SECS RATIO [OURS_EXTRA] [PEER_EXTRA] [EXTRA_OK=1|0]
  local id=$1 a=$2 b=$3 ratio=$4 ours_extra=${5:-} peer_extra=${6:-} extra_ok=${7:-1} target
  target=${row_target[$id]}
  row_ours[$id]=$(printf '%.3f s%s' "$a" "${ours_extra:+, $ours_extra}")
  row_peer[$id]=$(printf '%s %.3f s%s' "${row_peer_name[$id]}" "$b" "${peer_extra:+, $peer_extra}")
  row_ratio[$id]="$ratio×"
  if [ -z "$target" ]; then
    row_met[$id]="(information)"
  elif le "$ratio" "$target" && ((extra_ok)); then
    row_met[$id]=yes
  else
    row_met[$id]=NO
  fi
}
row() { # ID NAME OURS BASE: the figure line, recorded as row ID of the table
  local id=$1 name=$2 a=$3 b=$4
  figure "$name" "$a" "$b" "${row_target[$id]}"
  [ -n "$fig_ratio" ] || return 0
  row_record "$id" "${t[$a]}" "${t[$b]}" "$fig_ratio"
}

# Rows 4 and 4b: the time against `umoci raw add-layer`, then the layer's size against gzip -6's
# (part of the target).
import_row() { # ID NAME OURS OURS_LAYER_BYTES
  local id=$1 name=$2 a=$3 size=$4 size_ok=0 what verdict
  row "$id" "$name" "$a" UA
  [ -n "${row_ratio[$id]#—}" ] && [ -n "$size" ] || return 0
  ((size > size_gz6)) || size_ok=1
  row_record "$id" "${t[$a]}" "${t[UA]}" "$fig_ratio" "layer $(mb "$size")" \
    "layer $(mb "$size_umoci"); \`gzip -6\` $(mb "$size_gz6")" "$size_ok"
  what="${name%_vs_umoci_add_layer}_layer_size"
  verdict="<= gzip -6 $size_gz6 bytes: PASS"
  if ! ((size_ok)); then
    verdict="> gzip -6 $size_gz6 bytes: MISS"
    misses=$((misses + 1))
    missed+=("$what")
  fi
  echo "$what ours $size bytes $verdict (umoci raw add-layer $size_umoci)"
}

if ((${#names[@]})); then
  echo
  echo "== figures (ratio of mean wall-clock times; same run, same repetitions)"
  echo "-- the rows of issue 14's table:"
  row 1 export_vs_igzip E IG
  row 2 export_vs_umoci_raw E UR
  row 3 export_zstd EZ Z
  import_row 4 import_vs_umoci_add_layer I "$size_ours"
  import_row 4b import_libdeflate_vs_umoci_add_layer IL "$size_fast"
  if on convert; then
    if ((convert_ok)); then
      row 5 convert C SK
    else
      echo "convert: not available (./jbang convert@isula does not resolve yet)"
      row_ours[5]="not measured (convert@isula does not resolve)"
    fi
  fi
  row 6 help_vs_java_version H JV
  row 7 isula_help_vs_java_version HI JV
  row 8 tiny_export_vs_java_version E0 JV
  row 10a store_export_vs_podman_save CS CSP
  row 10b store_export_vs_skopeo_copy CS CSK
  echo "-- more (targets of issue 5):"
  figure export_gzip E G 1.30
  figure export_vs_umoci E U
  figure import_gzip I PZ 1.10
  figure import_gzip_vs_gzip6 I GZ6 0.50
  figure import_zstd IZ ZC 1.30
  figure split_dir S U 0.50
  figure registry_export RX RS
  echo "-- the same on plain java (no JBang, no CDS):"
  figure export_gzip_java EJ G
  figure export_vs_umoci_java EJ U
  figure export_zstd_java EZJ Z
  figure import_gzip_java IJ PZ
  figure import_gzip_vs_gzip6_java IJ GZ6
  figure import_zstd_java IZJ ZC
  figure convert_java CJ SK
  figure split_dir_java SJ U
  echo "-- more:"
  figure export_docker_archive_vs_gzip ED G
  figure export_vs_pigz E P
  figure launcher_vs_plain_java E EJ
  if on startup; then
    echo
    echo "== start-up (mean / min seconds)"
    for n in JV H HI HN HJ E0 E0N E0K E0J E0C; do
      [ -n "${t[$n]:-}" ] || continue
      printf 'startup_%s %.3fs min %.3fs  (%s)\n' "$n" "${t[$n]}" "${tmin[$n]}" "${label[$n]}"
    done
    figure startup_launcher_vs_jbang_jvm E0 E0N
    figure startup_jbang_cds_vs_jbang_jvm E0K E0N
    figure startup_launcher_vs_plain_java E0 E0J
    figure startup_appcds_vs_plain_java E0C E0J
  fi
  echo "targets missed: $misses${missed[*]:+ (${missed[*]})}"
fi
if ((!guard_ok)); then
  echo "!! WARNING: the correctness guard failed (see above); these figures time an incorrect export"
fi

# ---------------------------------------------------------------------------------------------
# Scale: a synthetic image of 256 MiB and 1 GiB (100,000 files per GiB, 5 layers) exported and
# imported through the launcher with a small heap; time per GiB and peak RSS.
# ---------------------------------------------------------------------------------------------
scale_fail=0
declare -A scale_t=() scale_n=() scale_rss=() scale_layout=()
big=0
ensure_synthetic() { # MIB -> prints the OCI layout
  local mib=$1 files key dir tmp
  files=$((mib * 100000 / 1024))
  key=$(cat "$repo/scripts/bench/gen-synthetic.py" | sha256sum | cut -c1-12)
  dir="$cache/synthetic-$key-${mib}m"
  if [ ! -f "$dir/.complete" ]; then
    log "generating the synthetic image: $mib MiB, $files files, 5 layers (cached in $dir)"
    tmp="$dir.tmp.$$"
    rm -rf "$tmp"
    python3 "$repo/scripts/bench/gen-synthetic.py" --size-mib "$mib" --files "$files" --layers 5 "$tmp" >&2
    touch "$tmp/.complete"
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  printf '%s\n' "$dir"
}
scale_run() { # TITLE MIB BYTES|@FILE COMMAND... : prints one line; fails loudly on OOM
  local title=$1 mib=$2 bytes=$3 rc=0 secs rss err
  shift 3
  err="$scratch/scale.err"
  JAVA_TOOL_OPTIONS="-Xmx$heap -XX:+ExitOnOutOfMemoryError" \
    /usr/bin/time -v -o "$scratch/scale.time" "$@" >/dev/null 2>"$err" || rc=$?
  # (the "Picked up JAVA_TOOL_OPTIONS: ... -XX:+ExitOnOutOfMemoryError" line names it too)
  if ((rc != 0)) || grep -v 'Picked up JAVA_TOOL_OPTIONS' "$err" | grep -q 'OutOfMemoryError' ||
    compgen -G "$repo/*.hprof" >/dev/null || compgen -G "$PWD/*.hprof" >/dev/null; then
    echo "!! FAIL: $title of the $mib MiB image exited $rc with -Xmx$heap (OutOfMemoryError?):"
    { grep -v 'Picked up JAVA_TOOL_OPTIONS' "$err" || true; } | head -n 5 | sed 's/^/!!   /'
    scale_fail=1
    return 0
  fi
  case $bytes in
    @*) bytes=$(stat -c %s "${bytes#@}") ;;
  esac
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0
    for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$scratch/scale.time")
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$scratch/scale.time")
  awk -v t="$title" -v m="$mib" -v s="$secs" -v b="$bytes" -v r="$rss" -v h="$heap" 'BEGIN {
    printf "scale_%s_%dm time=%.2fs per_gib=%.2fs/GiB peak_rss=%sMiB (-Xmx%s; %.0f MiB of tar)\n",
      t, m, s, s / (b / 1073741824), r, h, b / 1048576 }'
  printf '%s %s %s %s\n' "$title" "$mib" "$secs" "$bytes" >>"$scratch/scale.tsv"
  scale_t[$title,$mib]=$(awk -v a="${scale_t[$title,$mib]:-0}" -v s="$secs" 'BEGIN { print a + s }')
  scale_n[$title,$mib]=$((${scale_n[$title,$mib]:-0} + 1))
  ((rss <= ${scale_rss[$title,$mib]:-0})) || scale_rss[$title,$mib]=$rss
}
scale_floor() { # MIB LAYOUT: `cat layers | igzip -dc` of the synthetic image, timed like the export
  local mib=$1 layout=$2 secs
  local -a blobs
  mapfile -t blobs < <(layer_blobs "$layout" v1)
  /usr/bin/time -f %e -o "$scratch/floor.time" sh -c 'cat "$@" | igzip -dc > /dev/null' sh "${blobs[@]}"
  secs=$(tail -n1 "$scratch/floor.time")
  printf 'scale_igzip_floor_%dm time=%.2fs (cat %d layers | igzip -dc)\n' "$mib" "$secs" "${#blobs[@]}"
  scale_t[floor,$mib]=$(awk -v a="${scale_t[floor,$mib]:-0}" -v s="$secs" 'BEGIN { print a + s }')
  scale_n[floor,$mib]=$((${scale_n[floor,$mib]:-0} + 1))
}
if on scale; then
  echo
  echo "== scale: synthetic images (5 gzip layers, 100,000 files per GiB), -Xmx$heap via" \
    "JAVA_TOOL_OPTIONS, ./jbang as users type it; /usr/bin/time -v for peak RSS"
  : >"$scratch/scale.tsv"
  for mib in $scale_sizes; do
    syn=$(ensure_synthetic "$mib")
    scale_layout[$mib]=$syn
    echo "synthetic $mib MiB: $(du -sm "$syn" | cut -f1) MiB of gzip layers," \
      "$(find "$syn/blobs" -type f | wc -l) blobs"
    for ((r = 1; r <= scale_runs; r++)); do
      rm -rf "$o" && mkdir -p "$o"
      scale_floor "$mib" "$syn"
      scale_run export "$mib" "@$o/syn.tar" "$jbang" export@isula -q "oci:$syn:v1" "$o/syn.tar"
      [ -s "$o/syn.tar" ] || continue
      bytes=$(stat -c %s "$o/syn.tar")
      scale_run import_gzip "$mib" "$bytes" \
        "$jbang" import@isula -q "$o/syn.tar" -o "oci:$o/imp:t" --compress gzip
      rm -rf "$o/imp"
      scale_run import_zstd "$mib" "$bytes" \
        "$jbang" import@isula -q "$o/syn.tar" -o "oci:$o/imp:t" --compress zstd
      rm -rf "$o"
    done
  done
  # Per operation: mean time per GiB at each size, and how it grows (1.00 = linear in size).
  sort -k1,1 -k2,2n "$scratch/scale.tsv" | awk '
    { k = $1 SUBSEP $2; if (!(k in c)) { sizes[$1] = sizes[$1] " " $2 }; s[k] += $3; b[k] = $4; c[k]++
      if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
    END {
      for (i = 1; i <= n; i++) {
        op = order[i]; m = split(sizes[op], sz, " "); line = "scale_per_gib_" op ":"
        for (j = 1; j <= m; j++) {
          k = op SUBSEP sz[j]; pg[j] = (s[k] / c[k]) / (b[k] / 1073741824)
          line = line sprintf(" %s MiB %.2f s/GiB;", sz[j], pg[j])
        }
        if (m > 1) line = line sprintf(" growth ratio %.2f (1.00 = linear)", pg[m] / pg[1])
        print line
      }
    }'
  # Row 9: the export of the largest size against its igzip floor (mean of --scale-runs runs).
  big=0
  for mib in $scale_sizes; do ((mib <= big)) || big=$mib; done
  if [ -n "${scale_n[export,$big]:-}" ] && [ -n "${scale_n[floor,$big]:-}" ]; then
    a=$(awk -v s="${scale_t[export,$big]}" -v n="${scale_n[export,$big]}" 'BEGIN { print s / n }')
    b=$(awk -v s="${scale_t[floor,$big]}" -v n="${scale_n[floor,$big]}" 'BEGIN { print s / n }')
    r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
    files=$((big * 100000 / 1024))
    row_work[9]="export, $big MiB / $((files / 1000))k files, \`-Xmx$heap\`"
    row_record 9 "$a" "$b" "$r" "peak RSS ${scale_rss[export,$big]} MiB"
    if [ "${row_met[9]}" = yes ]; then
      verdict="target <= ${row_target[9]}: PASS"
    else
      verdict="target <= ${row_target[9]}: MISS"
      misses=$((misses + 1))
      missed+=(scale_export_vs_igzip)
    fi
    printf 'scale_export_vs_igzip ratio=%s (export %d MiB %.2fs, peak RSS %s MiB / igzip floor %.2fs) %s\n' \
      "$r" "$big" "$a" "${scale_rss[export,$big]}" "$b" "$verdict"
  fi
  if ((scale_fail)); then
    echo "!! FAIL: a scale run failed with -Xmx$heap (see above)"
  fi
fi

# ---------------------------------------------------------------------------------------------
# Profile (on a MISS, or with --profile): the plain-java command of each figure under JFR,
# sampling every 1 ms (Java) / 2 ms (native).
# ---------------------------------------------------------------------------------------------
declare -A prof_args=(
  [export_gzip]="export -q oci:$oci:v4 $o/rootfs.tar"
  [export_vs_igzip]="export -q oci:$oci:v4 $o/rootfs.tar"
  [export_vs_umoci_raw]="export -q oci:$oci:v4 $o/rootfs.tar"
  [import_vs_umoci_add_layer]="import -q $rootfs_tar -o oci:$o/imported:t --compress gzip"
  [import_layer_size]="import -q $rootfs_tar -o oci:$o/imported:t --compress gzip"
  [export_vs_umoci]="export -q oci:$oci:v4 $o/rootfs.tar"
  [export_zstd]="export -q oci:$ociz:v4 $o/rootfs.tar"
  [import_gzip]="import -q $rootfs_tar -o oci:$o/imported:t --compress gzip"
  [import_gzip_vs_gzip6]="import -q $rootfs_tar -o oci:$o/imported:t --compress gzip"
  [import_zstd]="import -q $rootfs_tar -o oci:$o/imported:t --compress zstd"
  [convert]="convert -q oci:$oci:v4 docker-archive:$o/converted.tar:bench:v4"
  [split_dir]="export -q --split --rootfs-format dir oci:$oci:v4 $o/split"
)
declare -A prof_jvm=() # extra JVM options of a profile
if [ -n "${scale_layout[$big]:-}" ]; then
  prof_args[scale_export_vs_igzip]="export -q oci:${scale_layout[$big]}:v1 $o/syn.tar"
  prof_jvm[scale_export_vs_igzip]="-Xmx$heap"
fi
profile_one() { # TITLE ARGS...
  local title=$1 rec jfc
  shift
  rec="$scratch/$title.jfr"
  jfc="$scratch/profile-1ms.jfc"
  sed -E -e '/"jdk.ExecutionSample"/,/<\/event>/ s|>[0-9]+ ms<|>1 ms<|' \
    -e '/"jdk.NativeMethodSample"/,/<\/event>/ s|>[0-9]+ ms<|>2 ms<|' \
    "$jdk_home/lib/jfr/profile.jfc" >"$jfc"
  echo
  echo "== profile ($title): plain java ${prof_jvm[$title]:+${prof_jvm[$title]} }$* under JFR" | sed -e "s|$scratch|\$SCRATCH|g" -e "s|$image|\$IMG|g"
  rm -rf "$o" && mkdir -p "$o"
  local TIMEFORMAT='%R s wall, %U s user, %S s sys (JFR on)'
  {
    # shellcheck disable=SC2086 # prof_jvm holds options without spaces
    time "$java_bin" "${jvm_opts[@]}" ${prof_jvm[$title]:-} "-XX:StartFlightRecording=filename=$rec,settings=$jfc" \
      -cp "$classpath" "$main_class" "$@" >/dev/null
  } 2>&1 | grep -v '\[jfr,startup\]' || true
  jfr_hot "$jfr_bin" "$rec"
}
to_profile=()
if [ "$profile" = yes ]; then
  for f in export_gzip:E export_zstd:EZ import_gzip:I import_zstd:IZ convert:C split_dir:S; do
    [ -z "${t[${f#*:}]:-}" ] || to_profile+=("${f%:*}")
  done
  [ -z "${prof_args[scale_export_vs_igzip]:-}" ] || to_profile+=(scale_export_vs_igzip)
elif [ "$profile" = auto ]; then
  to_profile=("${missed[@]}")
fi
declare -A profiled=()
for f in "${to_profile[@]}"; do
  a=${prof_args[$f]:-}
  [ -n "$a" ] || continue
  [ -z "${profiled[$a]:-}" ] || continue
  profiled[$a]=1
  if [ -z "$jdk_home" ] || [ ! -x "$jfr_bin" ]; then
    echo "!! cannot profile: no jfr tool next to $java_bin"
    break
  fi
  # shellcheck disable=SC2086 # the argument strings hold no spaces inside arguments
  profile_one "$f" $a
done
rm -rf "$o"

# ---------------------------------------------------------------------------------------------
# Issue 14's table: one line per row, then the same as markdown (for docs/performance.md).
# ---------------------------------------------------------------------------------------------
echo
echo "== issue 14 table (mean wall-clock seconds, same run; ratio = ours / peer or floor)"
for id in "${row_ids[@]}"; do
  target="—"
  [ -z "${row_target[$id]}" ] || target="<= ${row_target[$id]}×"
  case $id in 4 | 4b) target+=", layer <= gzip -6's" ;; esac
  printf 'row %-3s %s | ours %s | %s | ratio %s | target %s | met: %s\n' "$id" "${row_work[$id]}" \
    "${row_ours[$id]}" "${row_peer[$id]}" "${row_ratio[$id]}" "$target" "${row_met[$id]}" | tr -d '`'
done
echo
echo "markdown ($(date -u +%Y-%m-%d), $(nproc) cores, $runs runs; load average $(cut -d' ' -f1-3 /proc/loadavg);" \
  "other processes used ${others} % of the CPU while timing):"
echo
echo "| # | work | ours | peer / floor | ratio | target | met |"
echo "|---|---|---|---|---|---|---|"
for id in "${row_ids[@]}"; do
  target="—"
  [ -z "${row_target[$id]}" ] || target="≤ ${row_target[$id]}×"
  case $id in 4 | 4b) target+=", layer ≤ \`gzip -6\`'s" ;; esac
  [ "$id" != 9 ] || target+=", memory as now"
  peer=${row_peer[$id]//|/\\|} # a | inside a cell ends it
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$id" "${row_work[$id]}" "${row_ours[$id]}" \
    "$peer" "${row_ratio[$id]}" "$target" "${row_met[$id]}"
done
n_met=0 n_missed=0 n_unmeasured=0
for id in "${row_ids[@]}"; do
  case ${row_met[$id]} in
    yes) n_met=$((n_met + 1)) ;;
    NO) n_missed=$((n_missed + 1)) ;;
    —) n_unmeasured=$((n_unmeasured + 1)) ;;
  esac
done
echo
echo "issue 14 rows: $n_met met, $n_missed missed, $n_unmeasured not measured"
((scale_fail == 0)) || exit 1
