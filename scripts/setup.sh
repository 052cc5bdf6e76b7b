#!/usr/bin/env bash
# One-time set-up: build and install isula-toolkit into the local Maven repository (where the
# JBang scripts find it) and register this repository's JBang catalog as "isula", so that
# `./jbang export@isula ...` works from any directory. Running it again is harmless.
#
# Usage: scripts/setup.sh [--no-build]
#   --no-build   only register the catalog (the jars are installed already, e.g. by `mvn install`)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=1
case "${1:-}" in
  "") ;;
  --no-build) build=0 ;;
  -h | --help) sed -n '2,7s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "setup: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac
command -v java >/dev/null || { echo "setup: java (17 or newer) is required" >&2; exit 1; }
if [ $build = 1 ]; then
  command -v mvn >/dev/null || { echo "setup: Maven (mvn) is required" >&2; exit 1; }
  echo "setup: building isula-toolkit (mvn install, tests skipped; run scripts/test-all.sh for them)" >&2
  # built by the newest JDK, so the jar gets its Java 22 section (ISA-L inflate) when there is one
  home=$("$repo/scripts/java-home.sh")
  (cd "$repo" && JAVA_HOME=${home:-${JAVA_HOME:-}} mvn -q -B -ntp install -DskipTests)
fi
# --force: running the set-up again, or from another clone, points "isula" at this clone
"$repo/jbang" catalog add -g --force --name isula "$repo/jbang-catalog.json" >&2
echo "setup: done. Try: ./jbang export@isula samples/hello.tar hello-rootfs.tar" >&2
