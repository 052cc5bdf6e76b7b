#!/usr/bin/env bash
# Runs every test: unit, golden (approval), peer tests against skopeo/umoci/podman/buildah, and the
# end-to-end runs of each JBang catalog alias through ./jbang. `mvn install` (not just verify) so
# the JBang scripts resolve the artifacts of this very build.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
scripts/install-test-deps.sh
./jbang version >/dev/null   # fetches the pinned JBang once if it is not on PATH
mvn -B -ntp install "$@"
