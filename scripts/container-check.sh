#!/usr/bin/env bash
# Builds the Dockerfile for real with podman and checks the image as a user would run it: /healthz, a completion,
# a streamed chat and an embedding on the test models (mounted read-only), the HEALTHCHECK, a non-root process,
# a clean exit on SIGTERM (docker stop),
# and the image size against the executable's (target: executable + 40 MB at most).
# Installs nothing: run scripts/ci-container-deps.sh first (podman, runc, debootstrap). Base images cannot be
# pulled here; scripts/container/stand-in-images.sh makes cached local stand-ins from Debian packages.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

missing=()
for tool in podman runc debootstrap dpkg-deb npm bun; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "container-check: missing ${missing[*]}; run scripts/ci-container-deps.sh (podman, runc, debootstrap)" >&2
  exit 2
fi
registry="$repo/.cache/test-models/registry.yaml"
[ -f "$registry" ] || { echo "container-check: $registry is missing; run \`bun run test-models\`" >&2; exit 2; }

# shellcheck source=container/podman-env.sh
. "$repo/scripts/container/podman-env.sh"
bash "$repo/scripts/container/stand-in-images.sh"

image="localhost/gpt3dev-api:check"
name="gpt3dev-check-$$"
volume="gpt3dev-check-data-$$"
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
cleanup() {
  pm rm -f -v -t 5 "$name" >/dev/null 2>&1 || true
  pm volume rm -f "$volume" >/dev/null 2>&1 || true
  # Each build leaves the previous image and build stage untagged (about 1.1 GB); the layer cache survives this.
  pm image prune -f >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "container-check: building $image"
started=$(date +%s)
build_args=(--pull=never --network host --format docker
  --build-arg BUN_IMAGE="$STAND_IN_BUN_IMAGE"
  --build-arg RUNTIME_IMAGE="$STAND_IN_RUNTIME_IMAGE"
  --build-arg GPT3DEV_BUILD_COMMIT="$commit"
  -f Dockerfile)
# --format docker keeps HEALTHCHECK (the OCI format has no field for it); both builds use it, or they share no cache.
# The build stage is tagged too, so that pruning untagged images below keeps its `bun install` layer cached.
{ pm build "${build_args[@]}" --target build -t "$image-build" . && pm build "${build_args[@]}" -t "$image" .; } \
  >"$GPT3DEV_CONTAINER_CACHE/build.log" 2>&1 || { tail -40 "$GPT3DEV_CONTAINER_CACHE/build.log"; exit 1; }
echo "container-check: built in $(( $(date +%s) - started )) s"

version="$(pm run --rm --network host --no-healthcheck "$image" --version)"
[[ "$version" == "gpt3dev-api "*" (commit $commit)" ]] || fail "--version printed '$version'"

port="$(bun -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop()')"
pm volume create "$volume" >/dev/null
# The server's registry paths are relative to the registry file, so the mounted folder works as is.
# --health-interval=disable: no systemd here for podman's healthcheck timer; `podman healthcheck run` still works.
pm run -d --name "$name" --network host --health-interval=disable \
  -v "$repo/.cache/test-models:/models:ro" -v "$volume:/data" \
  -e PORT="$port" -e ENABLE_EMBEDDINGS_BACKEND=true -e MODEL_REGISTRY_PATH=/models/registry.yaml \
  "$image" >/dev/null 2>"$GPT3DEV_CONTAINER_CACHE/run.err" || { cat "$GPT3DEV_CONTAINER_CACHE/run.err"; exit 1; }

ready=""
for _ in $(seq 1 300); do
  if bun -e "const r = await fetch('http://127.0.0.1:$port/healthz').catch(() => null); process.exit(r?.status === 200 ? 0 : 1)" 2>/dev/null; then
    ready=yes; break
  fi
  [ "$(pm inspect -f '{{.State.Running}}' "$name")" = "true" ] || break
  sleep 0.1
done
if [ -z "$ready" ]; then
  pm logs "$name" 2>&1 | tail -30
  fail "/healthz never answered 200"
else
  echo "/healthz ok"
  bun run scripts/smoke/check-endpoints.ts "http://127.0.0.1:$port" "$registry" || fail "endpoint checks"
  if pm healthcheck run "$name" >/dev/null 2>&1; then
    echo "HEALTHCHECK ok"
  else
    fail "HEALTHCHECK (gpt3dev-api healthcheck) is not healthy: $(pm inspect -f '{{range .State.Healthcheck.Log}}{{.Output}}{{end}}' "$name" | tail -n 2)"
  fi
  pid="$(pm inspect -f '{{.State.Pid}}' "$name")"
  uid="$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")"
  user="$(pm inspect -f '{{.Config.User}}' "$name")"
  if [ "$uid" = "0" ]; then fail "the server runs as root"; else echo "non-root ok (uid $uid, image user $user)"; fi
  rss_kb="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")"
  # `docker stop`: the server is PID 1 and must drain and exit 0 on SIGTERM, not wait for the SIGKILL.
  stop_started=$(date +%s%N)
  pm stop -t 20 "$name" >/dev/null 2>&1
  stop_ms=$(( ($(date +%s%N) - stop_started) / 1000000 ))
  exit_code="$(pm inspect -f '{{.State.ExitCode}}' "$name")"
  if [ "$exit_code" = "0" ] && [ "$stop_ms" -lt 15000 ]; then echo "SIGTERM ok (exit 0 after $stop_ms ms)"; else fail "stop: exit code $exit_code after $stop_ms ms"; fi
fi

image_bytes="$(pm image inspect -f '{{.Size}}' "$image")"
base_bytes="$(pm image inspect -f '{{.Size}}' "$STAND_IN_RUNTIME_IMAGE")"
# The executable's size, read from the image itself (no shell in it to ask).
copy="$(mktemp -d)"
probe_ctr="$(pm create --no-healthcheck "$image")"
pm cp "$probe_ctr:/usr/local/bin/gpt3dev-api" "$copy/gpt3dev-api"
pm rm -f -v "$probe_ctr" >/dev/null
exe_bytes="$(stat -c %s "$copy/gpt3dev-api")"
rm -rf "$copy"
overhead=$(( (image_bytes - exe_bytes) / 1000000 ))
[ "$overhead" -le 40 ] || fail "the image is $overhead MB more than the executable (target: 40 MB at most)"

echo
echo "container-check:"
echo "  image size       $(( image_bytes / 1000000 )) MB = executable $(( exe_bytes / 1000000 )) MB + $overhead MB (target ≤ 40 MB; runtime base $(( base_bytes / 1000000 )) MB)"
if [ -n "${rss_kb:-}" ]; then echo "  RSS              $(( rss_kb / 1024 )) MB (after the four requests)"; fi
if [ "$failures" -gt 0 ]; then echo "container-check: $failures failure(s)" >&2; exit 1; fi
echo "container-check: ok"
