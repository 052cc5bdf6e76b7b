#!/usr/bin/env bash
# One-time set-up: build and install isula-toolkit into the local Maven repository (where the
# JBang scripts find it) and register this repository's JBang catalog as "isula", so that
# `./jbang export@isula ...` works from any directory.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v java >/dev/null || { echo "setup: java (17 or newer) is required" >&2; exit 1; }
command -v mvn >/dev/null || { echo "setup: Maven (mvn) is required" >&2; exit 1; }
echo "setup: building isula-toolkit (mvn install, tests skipped; run scripts/test-all.sh for them)" >&2
(cd "$repo" && mvn -q -B -ntp install -DskipTests)
"$repo/jbang" catalog add -g --name isula "$repo/jbang-catalog.json" >&2
echo "setup: done. Try: ./jbang export@isula samples/hello.tar hello-rootfs.tar" >&2
