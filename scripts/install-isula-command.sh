#!/usr/bin/env bash
# Installs a plain `isula` command (isula export ..., isula import ..., isula images ...) with
# JBang's app installer: ${JBANG_DIR:-~/.jbang}/bin/isula. When JBang itself is not installed,
# this repository's ./jbang launcher is linked there as `jbang`, since the installed command
# calls it. Run scripts/setup.sh first.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="${JBANG_DIR:-$HOME/.jbang}/bin"
mkdir -p "$bin"
if ! command -v jbang >/dev/null 2>&1 && [ ! -e "$bin/jbang" ]; then
  ln -s "$repo/jbang" "$bin/jbang"
  echo "install-isula-command: linked $bin/jbang -> $repo/jbang" >&2
fi
"$repo/jbang" app install --force --name isula isula@isula >&2
case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "install-isula-command: add $bin to your PATH, e.g.: export PATH=\"$bin:\$PATH\"" >&2 ;;
esac
echo "install-isula-command: done. Try: isula --help; source <(isula completion bash)" >&2
