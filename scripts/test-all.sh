#!/usr/bin/env bash
# Runs every test: unit, golden (approval), peer tests against skopeo/umoci/podman/buildah, and the
# end-to-end runs of each JBang catalog alias through ./jbang. `mvn install` (not just verify) so
# the JBang scripts resolve the artifacts of this very build.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
scripts/install-test-deps.sh
./jbang version >/dev/null   # fetches the pinned JBang once if it is not on PATH
# the newest JDK builds and runs the tests (its jar has the Java 22 section: ISA-L inflate);
# scripts/check-codecs.sh then runs the result on every installed JDK, Java 17 included
home=$(scripts/java-home.sh)
JAVA_HOME=${home:-${JAVA_HOME:-}} mvn -B -ntp install "$@"
scripts/check-codecs.sh
