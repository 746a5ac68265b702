# Sourced by the container scripts: podman as it works on this kind of machine (see platform-facts.md, "Containers"):
# runc with cgroupfs (crun refuses hybrid cgroups), no default ulimits or pids limit (crun/runc fail on setrlimit),
# host networking for builds and runs.
GPT3DEV_CONTAINER_CACHE="${GPT3DEV_CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpt3dev-api/container}"
mkdir -p "$GPT3DEV_CONTAINER_CACHE"
if [ -z "${CONTAINERS_CONF:-}" ]; then
  export CONTAINERS_CONF="$GPT3DEV_CONTAINER_CACHE/containers.conf"
  printf '[containers]\ndefault_ulimits = []\npids_limit = 0\n' > "$CONTAINERS_CONF"
fi
pm() { podman --runtime runc --cgroup-manager cgroupfs "$@"; }

STAND_IN_BUN_IMAGE="localhost/gpt3dev-stand-in/bun:1.4.4"
STAND_IN_RUNTIME_IMAGE="localhost/gpt3dev-stand-in/runtime:bookworm"
