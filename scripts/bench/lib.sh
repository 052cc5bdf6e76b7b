# shellcheck shell=bash
# Shared code of the benchmark scripts (sourced by scripts/bench.sh): tools, the cached reference
# image, CPU accounting and the JFR summary. The image recipe functions below are hashed into the
# cache key (recipe_key): change them and the image is rebuilt.
# Expects: $self (the script to re-run with --build-only under sudo), $cache, $mirror, $suite,
# $variant, $quick, $rebuild.

log() { printf '[bench] %s\n' "$*" >&2; }
die() {
  printf '[bench] ERROR: %s\n' "$*" >&2
  exit 1
}
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
    zstd:zstd igzip:isal jq:jq setfattr:attr gzip:gzip tar:tar python3:python3 bc:bc; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ -x /usr/bin/time ] || missing+=(time)
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
# CPU accounting
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
