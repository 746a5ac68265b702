#!/usr/bin/env bash
# Installs what scripts/container-check.sh needs (podman, runc, debootstrap) from Debian, non-interactively.
# Kept apart from the check so that the check itself never installs anything.
set -euo pipefail
need=()
for tool in podman runc debootstrap; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ "${#need[@]}" -eq 0 ]; then
  echo "ci-container-deps: podman, runc and debootstrap already installed"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" uidmap ca-certificates >/dev/null
echo "ci-container-deps: installed ${need[*]}"
