#!/usr/bin/env bash
# The export figures of the benchmark: scripts/bench.sh --only export (see there for the options;
# they are passed through, e.g. --runs 10 --profile).
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/bench.sh" --only export "$@"
