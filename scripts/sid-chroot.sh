#!/usr/bin/env bash
# The modern reference stack: Debian sid in a chroot with today's xarray and zarr-python 3 (the v3
# oracle) and moto's S3 server. Built once per machine and cached; a cold build takes about 4 min.
#
#   scripts/sid-chroot.sh build          build (or reuse) the chroot, print its path
#   scripts/sid-chroot.sh path           print the path if it is ready, exit 1 otherwise
#   scripts/sid-chroot.sh run CMD...     run CMD inside it with /tmp and the work tree bound in
#
# Safety: host folders are bound into the chroot only inside a private mount namespace
# (`unshare -m`), so the mounts vanish with the process. Never `rm -rf` the chroot folder while a
# `run` is alive: the removal would follow the mounts into the host.
set -euo pipefail

ROOT="${ZARRIFY_SID_CHROOT:-/var/cache/zarrify/sid-chroot}"
READY="$ROOT/.zarrify-ready"
# Bump when the package list changes, so a cached chroot from an older list is rebuilt.
STAMP="v1 python3-xarray python3-zarr python3-netcdf4 python3-dask python3-moto python3-flask python3-flask-cors"
APT_OPTS=(-o Acquire::Check-Valid-Until=false -o Acquire::Retries=3)

ready() { [ -f "$READY" ] && [ "$(cat "$READY")" = "$STAMP" ]; }

# Mounts inside $ROOT are impossible outside a `run` (they live in a private namespace), but check
# before deleting anything: a stray bind mount would turn rm -rf into rm -rf of the host folder.
assert_unmounted() {
  if grep -qs " $ROOT/" /proc/mounts; then
    echo "sid-chroot: $ROOT still has mounts (see /proc/mounts); refusing to delete it" >&2
    exit 1
  fi
}

build() {
  if ready; then echo "$ROOT"; return; fi
  command -v debootstrap >/dev/null || {
    echo "sid-chroot: debootstrap is missing: apt-get install debootstrap" >&2
    exit 1
  }
  assert_unmounted
  local tmp="$ROOT.building"
  assert_unmounted_tmp() { ! grep -qs " $tmp/" /proc/mounts; }
  assert_unmounted_tmp || { echo "sid-chroot: $tmp has mounts; refusing to delete it" >&2; exit 1; }
  rm -rf --one-file-system "$tmp"
  mkdir -p "$(dirname "$ROOT")"
  local mirror="${DEBIAN_MIRROR:-$(awk '/^(deb|URIs:)/ { for (i = 1; i <= NF; i++) if ($i ~ /^https?:\/\//) { print $i; exit } }' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | head -n 1)}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  echo "sid-chroot: debootstrap sid from $mirror into $tmp" >&2
  debootstrap --variant=minbase sid "$tmp" "$mirror" >&2
  # The machine's apt proxy/CA settings apply inside too.
  cp -a /etc/apt/apt.conf.d/. "$tmp/etc/apt/apt.conf.d/" 2>/dev/null || true
  cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
  in_chroot "$tmp" apt-get "${APT_OPTS[@]}" update -qq >&2
  in_chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y -qq \
    --no-install-recommends ${STAMP#v1 } >&2
  in_chroot "$tmp" apt-get clean
  echo "$STAMP" >"$tmp/.zarrify-ready"
  assert_unmounted
  rm -rf --one-file-system "$ROOT"
  mv "$tmp" "$ROOT"
  echo "$ROOT"
}

# Runs a command in chroot DIR with /proc, /dev, /tmp and the work tree (and ../shared) bound in,
# all inside a private mount namespace.
in_chroot() {
  local dir="$1"
  shift
  local here top
  here="$(cd "$(dirname "$0")/.." && pwd)"
  top="$(dirname "$here")"
  # shellcheck disable=SC2016
  unshare -m --propagation private -- bash -c '
    set -e
    dir="$1"; top="$2"; shift 2
    mount -t proc proc "$dir/proc"
    mount --rbind /dev "$dir/dev"
    mount --bind /tmp "$dir/tmp"
    mkdir -p "$dir$top"
    mount --rbind "$top" "$dir$top"
    exec chroot "$dir" "$@"
  ' _ "$dir" "$top" "$@"
}

case "${1:-}" in
  build) build ;;
  path) ready && echo "$ROOT" ;;
  run)
    shift
    ready || { echo "sid-chroot: not built; run scripts/sid-chroot.sh build" >&2; exit 1; }
    cwd="$(pwd)"
    in_chroot "$ROOT" env -C "$cwd" HOME=/root LANG=C.UTF-8 "$@"
    ;;
  *)
    echo "usage: $0 build | path | run CMD..." >&2
    exit 2
    ;;
esac
