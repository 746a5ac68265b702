#!/usr/bin/env bash
# Makes local stand-ins for the Dockerfile's base images, which cannot be pulled here, from Debian packages:
#   bun      debootstrap minbase bookworm rootfs + bun 1.4.4 from the npm package @oven/bun-linux-<arch>
#            (what `npm install -g bun@1.4.4` installs), standing in for oven/bun:1.4.4;
#   runtime  only glibc, libgcc, libstdc++ and CA certificates, a user nonroot (65532), /tmp — what
#            gcr.io/distroless/cc-debian12:nonroot holds that the executable needs.
# Both are cached: the rootfs in $GPT3DEV_CONTAINER_CACHE, the images in podman's store (skipped if they exist).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=podman-env.sh
. "$here/podman-env.sh"

BUN_VERSION=1.4.4
rootfs="$GPT3DEV_CONTAINER_CACHE/rootfs-bookworm"

debian_mirror() {
  # The first URIs of a stanza that serves bookworm in the machine's deb822 sources; Debian's CDN otherwise.
  local sources=/etc/apt/sources.list.d/debian.sources
  if [ -r "$sources" ]; then
    awk '/^URIs:/ { uri = $2 } /^Suites:/ && / bookworm( |$)/ && uri != "" { print uri; exit }' "$sources"
  fi
}

make_rootfs() {
  [ -f "$rootfs/.gpt3dev-complete" ] && return 0
  local mirror
  mirror="$(debian_mirror)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  echo "stand-in: debootstrap minbase bookworm from $mirror (about 2 minutes, once)"
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" >"$GPT3DEV_CONTAINER_CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$GPT3DEV_CONTAINER_CACHE/debootstrap.log"; exit 1; }
  touch "$rootfs/.gpt3dev-complete"
}

make_bun_image() {
  pm image exists "$STAND_IN_BUN_IMAGE" && return 0
  make_rootfs
  local arch work
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=aarch64 ;;
    *) echo "stand-in: no bun npm package for $(uname -m)" >&2; exit 1 ;;
  esac
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  (cd "$work" && npm pack --silent "@oven/bun-linux-$arch@$BUN_VERSION" >/dev/null && tar xzf ./*.tgz)
  install -D -m 0755 "$work/package/bin/bun" "$work/usr/local/bin/bun"
  ln -s bun "$work/usr/local/bin/bunx"
  # A machine whose egress goes through a TLS-inspecting proxy trusts its CA through NODE_EXTRA_CA_CERTS; the build
  # stage's `bun install` needs the same, so the local stand-in carries it (the Dockerfile stays proxy-agnostic).
  local changes=(--change 'CMD ["/usr/local/bin/bun"]' --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin')
  local extra=(./usr/local/bin/bun ./usr/local/bin/bunx)
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
    install -D -m 0644 "$NODE_EXTRA_CA_CERTS" "$work/usr/local/share/gpt3dev-extra-ca.crt"
    extra+=(./usr/local/share/gpt3dev-extra-ca.crt)
    changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/gpt3dev-extra-ca.crt')
  fi
  echo "stand-in: importing $STAND_IN_BUN_IMAGE"
  # The rootfs and bun as one layer; the rootfs folder itself stays untouched for the runtime image.
  tar -C "$rootfs" --exclude=./var/cache/apt/archives --exclude=./.gpt3dev-complete -cf "$work/image.tar" .
  tar -C "$work" -rf "$work/image.tar" "${extra[@]}"
  pm import --quiet "${changes[@]}" "$work/image.tar" "$STAND_IN_BUN_IMAGE" >/dev/null
}

make_runtime_image() {
  pm image exists "$STAND_IN_RUNTIME_IMAGE" && return 0
  make_rootfs
  local work root deb
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  root="$work/root"
  mkdir -p "$root"
  for pkg in libc6 libgcc-s1 libstdc++6; do
    deb="$(ls "$rootfs"/var/cache/apt/archives/"${pkg}"_*.deb | head -n 1)"
    dpkg-deb -x "$deb" "$root"
  done
  rm -rf "$root/usr/share/doc" "$root/usr/share/lintian" "$root/usr/share/gdb" "$root/usr/lib/x86_64-linux-gnu/gconv" "$root/usr/lib/aarch64-linux-gnu/gconv"
  install -D -m 0644 "$rootfs/etc/ssl/certs/ca-certificates.crt" "$root/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"
  install -d -m 1777 "$root/tmp"
  install -d -m 0700 "$root/root"
  install -d -m 0755 -o 65532 -g 65532 "$root/home/nonroot"
  echo "stand-in: importing $STAND_IN_RUNTIME_IMAGE"
  tar -C "$root" -c . | pm import --quiet --change 'USER 65532:65532' --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV HOME=/home/nonroot' - "$STAND_IN_RUNTIME_IMAGE" >/dev/null
}

make_bun_image
make_runtime_image
