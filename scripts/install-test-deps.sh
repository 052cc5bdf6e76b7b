#!/usr/bin/env bash
# Installs the Debian packages the tests use as independent oracles (skopeo, umoci, podman,
# buildah, oci-image-tool, docker-registry for the docker:// tests, docker.io (dockerd as a peer), bsdtar and busybox as other tar
# readers and writers) and their helpers (htpasswd from
# apache2-utils, openssl for the test CA), and the codecs: isal/libisal2 (ISA-L, the fast gzip
# inflate on Java 22+, and igzip for the benchmark), libdeflate0 and libdeflate-tools (the gzip
# encoder ISULA_DEFLATE=libdeflate chooses, and libdeflate-gzip, its oracle in the tests). Skips what is already there;
# uses sudo when not root.
set -euo pipefail
packages=(skopeo umoci podman buildah oci-image-tool runc attr libcap2-bin pigz zstd xz-utils isal libisal2 libdeflate0 libdeflate-tools jq tar gzip mmdebstrap docker-registry apache2-utils openssl libarchive-tools busybox python3 docker.io)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo=sudo
fi
echo "install-test-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
