#!/usr/bin/env bash
# Builds the emulation lab's ARM userlands (Debian bookworm arm64, armhf, armel) from Debian's packages alone,
# with debootstrap, qemu-user-static and binfmt_misc, and caches them between runs.
#
#   scripts/lab/build-userlands.sh [arm64] [armhf] [armel]     (default: all three, built in parallel)
#
# Each userland is a directory /var/cache/edgeprobe-lab/<arch>-<recipe hash>/ holding the root file system
# and a manifest (/etc/edgeprobe-lab.json inside it). The hash covers the recipe below, so changing it builds
# afresh; an existing, complete directory is reused as is. EDGEPROBE_LAB_CACHE moves the cache,
# EDGEPROBE_LAB_MIRROR overrides the Debian mirror (default: the one this machine's apt sources use).
# Prints one line per userland: "<arch> <directory>".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${EDGEPROBE_LAB_CACHE:-/var/cache/edgeprobe-lab}"
suite=bookworm

# --- recipe begin (the cache key is a hash of the text from here to "recipe end") ---------------------------
# arm64 and armhf: Debian's nodejs (18) and python3, as on Raspberry Pi OS bookworm.
# armel (ARMv5TE baseline, run as an ARMv6 arm1176 like the Pi Zero W's BCM2835): python3 and busybox, no
# nodejs. The build records what Debian offers for nodejs on armel in the manifest.
packages_for() {
  case "$1" in
    arm64|armhf) echo "nodejs,python3,busybox" ;;
    armel) echo "python3,busybox" ;;
    *) echo "build-userlands: unknown architecture '$1' (arm64, armhf or armel)" >&2; return 2 ;;
  esac
}

recipe_hash() {
  { echo "$suite"; sed -n '/^# --- recipe begin/,/^# --- recipe end/p' "$here/build-userlands.sh"; } | sha256sum | cut -c1-12
}

debian_mirror() {
  if [ -n "${EDGEPROBE_LAB_MIRROR:-}" ]; then echo "$EDGEPROBE_LAB_MIRROR"; return; fi
  local uri
  # deb822 sources (URIs: line) first, then one-line sources; the first http(s) URI ending in /debian.
  uri="$( (cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n';
           cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1=="deb"{for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; break}}') \
         | grep -E '^https?://[^ ]*/debian/?$' | head -n1 || true)"
  if [ -z "$uri" ]; then
    echo "build-userlands: no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/; set EDGEPROBE_LAB_MIRROR to the mirror's URL" >&2
    return 1
  fi
  echo "$uri"
}

binfmt_ready() {
  [ -e /proc/sys/fs/binfmt_misc/status ] || return 1
  for name in qemu-aarch64 qemu-arm; do
    grep -qx enabled "/proc/sys/fs/binfmt_misc/$name" 2>/dev/null || return 1
  done
}

# Mounts binfmt_misc (as systemd does at boot) and registers qemu-aarch64 and qemu-arm with the "F" flag, so
# the interpreter is opened now and also works inside the userlands' chroots. The entries come from Debian's
# qemu-user-static (/usr/lib/binfmt.d). Registration is kernel state: it needs a binfmt_misc mount that stays.
ensure_binfmt() {
  if binfmt_ready; then return 0; fi
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || {
      echo "build-userlands: cannot mount binfmt_misc on /proc/sys/fs/binfmt_misc; building needs it (run as root on a kernel with binfmt_misc)" >&2
      return 1
    }
  fi
  for name in qemu-aarch64 qemu-arm; do
    [ -e "/proc/sys/fs/binfmt_misc/$name" ] && continue
    grep -v '^#' "/usr/lib/binfmt.d/$name.conf" > /proc/sys/fs/binfmt_misc/register 2>/dev/null || {
      # Another process may have registered it between the test and the write.
      [ -e "/proc/sys/fs/binfmt_misc/$name" ] || { echo "build-userlands: cannot register $name with binfmt_misc" >&2; return 1; }
    }
  done
  binfmt_ready || { echo "build-userlands: binfmt_misc entries for qemu are present but disabled" >&2; return 1; }
}

build_one() {
  local arch="$1" hash="$2" mirror="$3"
  local final="$cache/$arch-$hash"
  if [ -f "$final/etc/edgeprobe-lab.json" ]; then echo "$arch $final"; return 0; fi
  local work="$cache/.build-$arch-$hash-$$"
  local log="$cache/build-$arch-$hash.log"
  local started packages
  started=$(date +%s)
  packages="$(packages_for "$arch")"
  rm -rf "$work"
  mkdir -p "$work"
  if ! debootstrap --arch="$arch" --variant=minbase --include="$packages" \
        --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        "$suite" "$work" "$mirror" >"$log" 2>&1; then
    echo "build-userlands: debootstrap $arch failed; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    rm -rf "$work"
    return 1
  fi
  # Keep the directory small and the chroot quiet: no downloaded packages, no documentation.
  rm -rf "$work"/var/cache/apt/archives/*.deb "$work"/var/lib/apt/lists/* "$work"/usr/share/doc/* "$work"/usr/share/man/*
  local env=()
  [ "$arch" = armel ] && env=(QEMU_CPU=arm1176)
  local machine node python nodejs_offer
  machine="$(env "${env[@]}" chroot "$work" /bin/uname -m)"
  node="$(env "${env[@]}" chroot "$work" /bin/sh -c 'command -v node >/dev/null && node --version || echo none')"
  python="$(env "${env[@]}" chroot "$work" /usr/bin/python3 -c 'import platform; print(platform.python_version())')"
  nodejs_offer=""
  if [ "$arch" = armel ]; then
    # What Debian offers for nodejs on armel, for the manifest (read from the mirror's index, not installed).
    mkdir -p "$work/var/lib/apt/lists/partial"
    nodejs_offer="$(env "${env[@]}" chroot "$work" /bin/sh -c 'apt-get -qq update >/dev/null 2>&1; apt-cache policy nodejs 2>/dev/null | sed -n "s/^ *Candidate: *//p"')" || true
    rm -rf "$work"/var/lib/apt/lists/*
  fi
  local seconds=$(( $(date +%s) - started ))
  cat > "$work/etc/edgeprobe-lab.json" <<EOF
{"arch":"$arch","suite":"$suite","recipe":"$hash","mirror":"$mirror","machine":"$machine","qemuCpu":"$( [ "$arch" = armel ] && echo arm1176 || echo default )","node":"$node","python":"$python","debianNodejsCandidate":"${nodejs_offer:-n/a}","packages":"$packages","buildSeconds":$seconds,"builtAt":"$(date -u +%FT%TZ)"}
EOF
  rm -rf "$final"
  mv "$work" "$final"
  echo "$arch $final"
}
# --- recipe end ---------------------------------------------------------------------------------------------

main() {
  local arches=("$@")
  [ "${#arches[@]}" -eq 0 ] && arches=(arm64 armhf armel)
  for arch in "${arches[@]}"; do packages_for "$arch" >/dev/null || exit 2; done
  command -v debootstrap >/dev/null || { echo "build-userlands: debootstrap is missing (scripts/install-test-deps.sh installs it)" >&2; exit 1; }
  [ -x /usr/bin/qemu-aarch64-static ] && [ -x /usr/bin/qemu-arm-static ] || { echo "build-userlands: qemu-user-static is missing" >&2; exit 1; }
  [ "$(id -u)" -eq 0 ] || { echo "build-userlands: run as root (debootstrap, chroot, binfmt_misc)" >&2; exit 1; }
  mkdir -p "$cache"
  ensure_binfmt
  local hash mirror
  hash="$(recipe_hash)"
  mirror="$(debian_mirror)" || exit 2
  # One builder at a time per cache; the others wait, then find the result.
  exec 9>"$cache/.lock"
  flock 9
  local pids=() failed=0 out
  out="$(mktemp -d "/tmp/edgeprobe-lab-build.XXXXXX")"
  for arch in "${arches[@]}"; do
    build_one "$arch" "$hash" "$mirror" >"$out/$arch" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  cat "$out"/* 2>/dev/null
  rm -rf "$out"
  return "$failed"
}

if [ "${1:-}" = "--binfmt-only" ]; then ensure_binfmt; exit; fi
if [ "${1:-}" = "--hash" ]; then recipe_hash; exit; fi
if [ "${1:-}" = "--prune" ]; then
  # Removes userlands of other recipes (left by older checkouts).
  hash="$(recipe_hash)"
  for dir in "$cache"/arm64-* "$cache"/armhf-* "$cache"/armel-*; do
    [ -d "$dir" ] && [ "${dir##*-}" != "$hash" ] && { echo "removing $dir"; rm -rf "$dir"; }
  done
  exit 0
fi
main "$@"
