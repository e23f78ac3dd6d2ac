#!/usr/bin/env bash
# Builds the lab's bootable boards: disk images for qemu-system-aarch64 made from Debian's packages alone.
#
#   scripts/lab/build-boards.sh [pi3-arm64] [pi-compat32]     (default: both, built in parallel)
#
#   pi3-arm64    arm64 userland: systemd, OpenSSH, Python with Django/Channels/daphne/uvicorn/gunicorn,
#                redis-server, nginx, cron and Node, all from Debian
#   pi-compat32  the same packages as an armhf userland (the 32-bit Raspberry Pi OS layout), booted by the same
#                arm64 kernel: its initramfs is arm64, and it switch_roots into the armhf root file system
#
# Each board is a directory <cache>/boards/<board>-<recipe hash>/ holding rootfs.img (raw ext4), vmlinuz,
# initrd.img, the lab's SSH client key (lab_key), known_hosts and manifest.json. Nothing is mounted from an
# image: the root file system is built in a directory (debootstrap, its second stage under qemu-user-static)
# and turned into an image with `mkfs.ext4 -d`. The kernel is Debian's linux-image-arm64, fetched with apt-get
# under a private configuration (no change to this machine's apt); the initramfs is made here from its modules
# and Debian's busybox-static. The hash covers the text from "recipe begin" to "recipe end", so changing the
# recipe builds afresh; a complete directory is reused as it is. EDGEPROBE_LAB_CACHE moves the cache,
# EDGEPROBE_LAB_MIRROR names the Debian mirror (default: the one this machine's apt sources use).
# Prints one line per board: "<board> <directory>". Run as root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${EDGEPROBE_LAB_CACHE:-/var/cache/edgeprobe-lab}/boards"
suite=bookworm
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# --- recipe begin (the cache key is a hash of the text from here to "recipe end") ---------------------------
board_arch() {
  case "$1" in
    pi3-arm64) echo arm64 ;;
    pi-compat32) echo armhf ;;
    *) echo "build-boards: unknown board '$1' (pi3-arm64 or pi-compat32)" >&2; return 2 ;;
  esac
}

# What a Pi running a Django/Channels deployment has, from Debian: systemd as init (with logind and dbus, as on
# Raspberry Pi OS), OpenSSH, the Python stack, Redis, nginx, cron and Node. python3-ply is named because
# debootstrap does not follow virtual packages: python3-pycparser depends on python3-ply-lex-3.10, which it provides.
BOARD_PACKAGES=systemd-sysv,udev,dbus,libpam-systemd,openssh-server,iproute2,procps,kmod,cron,python3,python3-django,python3-django-channels,python3-channels-redis,python3-daphne,python3-uvicorn,python3-websockets,python3-ply,gunicorn,redis-server,nginx,nodejs

# Loaded by the initramfs, in this order after their dependencies: the disk, its file system, the NIC, entropy.
INITRAMFS_MODULES="virtio_pci virtio_blk crc32c_generic ext4 virtio_net virtio-rng"

# The modules copied into the root file system (what udev and systemd ask for on this virtual machine); the
# rest of the 290 MiB tree is for hardware a virt board does not have.
ROOTFS_MODULE_DIRS="kernel/fs kernel/net kernel/lib kernel/crypto kernel/block kernel/arch kernel/mm kernel/drivers/virtio kernel/drivers/block kernel/drivers/char kernel/drivers/md kernel/drivers/net/virtio_net.ko kernel/drivers/net/net_failover.ko kernel/drivers/net/veth.ko kernel/drivers/net/dummy.ko kernel/drivers/net/tun.ko"

# A private apt configuration for arm64 (this machine's apt state and sources are neither read nor changed).
apt_arm64() {
  local program="$1" dir="$2"; shift 2
  "$program" -q -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
    -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts="$dir/parts" \
    -o Dir::Etc::Preferences="$dir/preferences" -o Dir::Etc::PreferencesParts="$dir/parts" \
    -o Dir::State="$dir/state" -o Dir::State::Lists="$dir/state/lists" -o Dir::State::status="$dir/status" \
    -o Dir::Cache="$dir/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

# Debian's arm64 kernel and a small initramfs: busybox-static loads INITRAMFS_MODULES, mounts root= (the first
# virtio disk) and switch_roots into it, whatever the userland's architecture.
build_kernel() {
  local out="$1" mirror="$2" apt="$1/apt"
  mkdir -p "$apt/parts" "$apt/state/lists/partial" "$apt/cache/archives/partial" "$out/deb" "$out/initramfs"
  : >"$apt/status"; : >"$apt/preferences"
  echo "deb [arch=arm64 signed-by=$keyring] $mirror $suite main" >"$apt/sources.list"
  apt_arm64 apt-get "$apt" update >"$out/apt.log" 2>&1 || { tail -n 20 "$out/apt.log" >&2; return 1; }
  local image
  image="$(apt_arm64 apt-cache "$apt" depends linux-image-arm64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-arm64\)$/\1/p' | head -n1)"
  [ -n "$image" ] || { echo "build-boards: cannot resolve linux-image-arm64 on the mirror" >&2; return 1; }
  (cd "$out/deb" && apt_arm64 apt-get "$apt" download "$image" busybox-static >>"$out/apt.log" 2>&1) || { tail -n 20 "$out/apt.log" >&2; return 1; }
  mkdir -p "$out/kernel" "$out/busybox"
  dpkg-deb -x "$out"/deb/linux-image-*.deb "$out/kernel"
  dpkg-deb -x "$out"/deb/busybox-static_*.deb "$out/busybox"
  local version
  version="$(basename "$out"/kernel/lib/modules/*)"
  depmod -b "$out/kernel" "$version"
  cp "$out/kernel/boot/vmlinuz-$version" "$out/vmlinuz"
  echo "$version" >"$out/kernel-version"
  dpkg-deb -f "$out"/deb/linux-image-*.deb Version >"$out/kernel-package-version"

  # Modules for the root file system, with their own modules.dep.
  local mods="$out/kernel/lib/modules/$version" keep="$out/rootfs-modules/lib/modules/$version"
  mkdir -p "$keep"
  (cd "$mods" && cp -a --parents $ROOTFS_MODULE_DIRS modules.order modules.builtin modules.builtin.modinfo "$keep/")
  depmod -b "$out/rootfs-modules" "$version"

  # The initramfs: every module of INITRAMFS_MODULES after its dependencies (from modules.dep), in order.
  local root="$out/initramfs" list=() name path dep
  mkdir -p "$root"/{bin,dev,proc,sys,newroot,lib/modules}
  cp "$out/busybox/bin/busybox" "$root/bin/busybox"
  for name in $INITRAMFS_MODULES; do
    path="$(grep -E "(^|/)${name//-/[-_]}\.ko:" "$mods/modules.dep" | head -n1 | cut -d: -f1)"
    [ -n "$path" ] || { echo "build-boards: module $name is not in $version" >&2; return 1; }
    for dep in $(sed -n "s|^$path:||p" "$mods/modules.dep" | tr ' ' '\n' | tac) "$path"; do
      case " ${list[*]:-} " in *" $dep "*) ;; *) list+=("$dep") ;; esac
    done
  done
  for path in "${list[@]}"; do cp "$mods/$path" "$root/lib/modules/"; basename "$path" >>"$root/modules"; done
  cat >"$root/init" <<'EOF'
#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev
for m in $($B cat /modules); do $B insmod "/lib/modules/$m" || echo "initramfs: insmod $m failed"; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 600 ]; do $B sleep 0.1; i=$((i + 1)); done
if ! $B mount -t ext4 -o rw,noatime /dev/vda /newroot; then
  echo "initramfs: cannot mount /dev/vda; powering off"
  $B poweroff -f
fi
$B umount /sys /proc
$B mount --move /dev /newroot/dev
exec $B switch_root /newroot /sbin/init
EOF
  chmod 0755 "$root/init"
  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$out/initrd.img"
}

# The root file system of one board, on the build's tmpfs: debootstrap with its second stage (the packages'
# maintainer scripts) in a chroot under qemu-user-static. Two costly steps of it are done natively instead:
# byte-compiling the Python packages (a no-op py3compile in /usr/sbin answers the postinsts: debootstrap runs
# them with PATH=/sbin:/usr/sbin:/bin:/usr/bin, and /sbin is /usr/sbin; this machine's python3 compiles the
# modules afterwards when its bytecode is the same version's), and generating the SSH host keys (placed beforehand, so openssh-server's postinst keeps them).
build_rootfs() {
  local board="$1" work="$2" mirror="$3" log="$4" keys="$5" arch type
  arch="$(board_arch "$board")"
  mkdir -p "$work/usr/sbin" "$work/etc/ssh"
  printf '#!/bin/sh\n# build-boards.sh: bytecode is compiled after debootstrap\nexit 0\n' >"$work/usr/sbin/py3compile"
  chmod 0755 "$work/usr/sbin/py3compile"
  for type in rsa ecdsa ed25519; do cp "$keys/ssh_host_${type}_key" "$keys/ssh_host_${type}_key.pub" "$work/etc/ssh/"; done
  if ! debootstrap --arch="$arch" --variant=minbase --include="$BOARD_PACKAGES" --keyring="$keyring" \
        "$suite" "$work" "$mirror" >"$log" 2>&1; then
    # Its own log lives in the target, on the tmpfs that goes with the build: keep it with the other.
    cat "$work/debootstrap/debootstrap.log" >>"$log" 2>/dev/null || true
    echo "build-boards: debootstrap $board ($arch) failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
  rm -f "$work/usr/sbin/py3compile"
  compile_python "$work" >>"$log" 2>&1
  rm -rf "$work"/var/cache/apt/archives/*.deb "$work"/var/lib/apt/lists/* "$work"/usr/share/doc/* "$work"/usr/share/man/*
}

# Bytecode does not depend on the CPU, only on the Python version: compiled here when this machine's python3
# has the same magic number as the userland's, with the paths the userland sees; else by py3compile inside.
compile_python() {
  local work="$1" theirs ours=none
  local magic='import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())'
  theirs="$(chroot "$work" /usr/bin/python3 -c "$magic")"
  [ -x /usr/bin/python3 ] && ours="$(/usr/bin/python3 -c "$magic")"
  if [ "$ours" = "$theirs" ]; then
    /usr/bin/python3 -m compileall -q -j 0 -s "$work" -p / "$work/usr/lib/python3/dist-packages" || true
  else
    chroot "$work" /usr/bin/py3compile /usr/lib/python3/dist-packages || true
  fi
}

# Boots as <board> with the lab's keys; the only NIC is QEMU's user-mode network (10.0.2.15, static).
configure_rootfs() {
  local board="$1" work="$2" keys="$3" modules="$4"
  echo "$board" >"$work/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$board" >"$work/etc/hosts"
  printf '/dev/vda\t/\text4\trw,noatime\t0\t0\n' >"$work/etc/fstab"
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/etc/machine-id"; echo >>"$work/etc/machine-id"
  cp -a "$modules/lib/modules" "$work/lib/"
  mkdir -p "$work/etc/systemd/network" "$work/etc/systemd/journald.conf.d" "$work/etc/ssh/sshd_config.d" "$work/root/.ssh"
  printf '[Match]\nName=en* eth*\n\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
    >"$work/etc/systemd/network/10-lab.network"
  # The journal in memory: the image stays as built (the VM also boots with a throwaway overlay).
  printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n' >"$work/etc/systemd/journald.conf.d/lab.conf"
  printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUseDNS no\n' \
    >"$work/etc/ssh/sshd_config.d/lab.conf"
  cp "$keys/lab_key.pub" "$work/root/.ssh/authorized_keys"
  chmod 0700 "$work/root/.ssh"; chmod 0600 "$work/root/.ssh/authorized_keys"
  # systemd-networkd brings up the NIC; nothing waits for "online" (there is no network beyond the host).
  chroot "$work" /bin/systemctl enable systemd-networkd.service >/dev/null 2>&1
  chroot "$work" /bin/systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1
}

manifest_of() {
  local board="$1" work="$2" kernel="$3" seconds="$4" bytes="$5" arch node python django
  arch="$(board_arch "$board")"
  node="$(chroot "$work" /usr/bin/node --version)"
  python="$(chroot "$work" /usr/bin/python3 -c 'import platform; print(platform.python_version())')"
  django="$(chroot "$work" /usr/bin/python3 -c 'import django; print(django.get_version())')"
  cat <<EOF
{"board":"$board","arch":"$arch","suite":"$suite","recipe":"$RECIPE","kernel":"$(cat "$kernel/kernel-version")","kernelPackage":"$(cat "$kernel/kernel-package-version")","node":"$node","python":"$python","django":"$django","packages":"$BOARD_PACKAGES","buildSeconds":$seconds,"imageBytes":$bytes,"builtAt":"$(date -u +%FT%TZ)"}
EOF
}

# The image: an ext4 file made from the directory by mkfs.ext4 -d (no loop mount), with 1 GiB to spare.
make_image() {
  local work="$1" image="$2" mib
  mib=$(( $(du -sm "$work" | cut -f1) + 1024 ))
  mkfs.ext4 -q -F -L rootfs -d "$work" "$image" "${mib}M"
}

build_board() {
  local board="$1" scratch="$2" mirror="$3" final="$cache/$board-$RECIPE"
  local started; started=$(date +%s)
  local work="$scratch/$board/root" keys="$scratch/$board/keys" log="$cache/build-$board-$RECIPE.log"
  mkdir -p "$work" "$keys"
  local type
  for type in rsa ecdsa ed25519; do ssh-keygen -q -t "$type" -N '' -C "root@$board" -f "$keys/ssh_host_${type}_key"; done
  ssh-keygen -q -t ed25519 -N '' -C "edgeprobe lab client" -f "$keys/lab_key"
  build_rootfs "$board" "$work" "$mirror" "$log" "$keys"
  # The kernel is built alongside the userlands; wait for it here.
  while [ ! -e "$scratch/kernel.done" ]; do
    [ -e "$scratch/kernel.failed" ] && { echo "build-boards: the kernel step failed" >&2; return 1; }
    sleep 1
  done
  configure_rootfs "$board" "$work" "$keys" "$scratch/kernel/rootfs-modules"
  local stage="$cache/.build-$board-$RECIPE-$$"
  rm -rf "$stage"; mkdir -p "$stage"
  make_image "$work" "$stage/rootfs.img"
  cp "$scratch/kernel/vmlinuz" "$scratch/kernel/initrd.img" "$keys/lab_key" "$keys/lab_key.pub" "$stage/"
  echo "edgeprobe-lab-$board $(cut -d' ' -f1-2 "$keys/ssh_host_ed25519_key.pub")" >"$stage/known_hosts"
  manifest_of "$board" "$work" "$scratch/kernel" "$(( $(date +%s) - started ))" "$(du -B1 --apparent-size "$stage/rootfs.img" | cut -f1)" >"$stage/manifest.json"
  rm -rf "$work"
  rm -rf "$final"; mv "$stage" "$final"
  echo "$board $final"
}
# --- recipe end ---------------------------------------------------------------------------------------------

recipe_hash() {
  { echo "$suite"; sed -n '/^# --- recipe begin/,/^# --- recipe end/p' "$here/build-boards.sh"; } | sha256sum | cut -c1-12
}

debian_mirror() {
  if [ -n "${EDGEPROBE_LAB_MIRROR:-}" ]; then echo "${EDGEPROBE_LAB_MIRROR%/}"; return; fi
  local uri
  # deb822 sources (URIs: line) first, then one-line sources; the first http(s) URI ending in /debian.
  uri="$( (cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n';
           cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1=="deb"{for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; break}}') \
         | grep -E '^https?://[^ ]*/debian/?$' | head -n1 || true)"
  if [ -z "$uri" ]; then
    echo "build-boards: no Debian mirror: this machine's apt sources name none (a URI ending in /debian); set EDGEPROBE_LAB_MIRROR" >&2
    return 1
  fi
  echo "${uri%/}"
}

main() {
  local boards=("$@")
  [ "${#boards[@]}" -eq 0 ] && boards=(pi3-arm64 pi-compat32)
  for board in "${boards[@]}"; do board_arch "$board" >/dev/null || exit 2; done
  RECIPE="$(recipe_hash)"
  local todo=()
  for board in "${boards[@]}"; do
    if [ -f "$cache/$board-$RECIPE/manifest.json" ]; then echo "$board $cache/$board-$RECIPE"; else todo+=("$board"); fi
  done
  [ "${#todo[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || { echo "build-boards: run as root (debootstrap, chroot, binfmt_misc)" >&2; return 1; }
  local tool
  for tool in debootstrap mkfs.ext4 depmod cpio dpkg-deb ssh-keygen unshare; do
    command -v "$tool" >/dev/null || { echo "build-boards: $tool is missing (scripts/install-test-deps.sh installs it)" >&2; return 1; }
  done
  [ -x /usr/bin/qemu-aarch64-static ] && [ -x /usr/bin/qemu-arm-static ] || { echo "build-boards: qemu-user-static is missing" >&2; return 1; }
  local mirror; mirror="$(debian_mirror)"
  mkdir -p "$cache"
  bash "$here/build-userlands.sh" --binfmt-only
  # One builder at a time per cache; the others wait, then find the result.
  exec 9>"$cache/.lock"
  flock 9
  # Everything is built on a tmpfs private to this run (dpkg's many fsyncs cost nothing there), which the
  # kernel removes with the mount namespace however the build ends.
  export RECIPE cache
  local scratch status=0
  scratch="$(mktemp -d /run/edgeprobe-lab-build.XXXXXX)"
  trap "rmdir '$scratch' 2>/dev/null || true" EXIT
  unshare --mount --propagation private -- bash "$here/build-boards.sh" --in-namespace "$scratch" "$mirror" "${todo[@]}" || status=$?
  rmdir "$scratch" 2>/dev/null || true
  rm -rf "$cache"/.build-*-"$RECIPE"-* 2>/dev/null || true
  return "$status"
}

# Runs inside the private mount namespace.
in_namespace() {
  local scratch="$1" mirror="$2"; shift 2
  mount -t tmpfs -o size=12g,mode=0755 edgeprobe-lab-build "$scratch"
  ( if build_kernel "$scratch/kernel" "$mirror"; then touch "$scratch/kernel.done"; else touch "$scratch/kernel.failed"; exit 1; fi ) &
  local kernel_pid=$! pids=() failed=0 board out="$scratch/out"
  mkdir -p "$out"
  for board in "$@"; do
    build_board "$board" "$scratch" "$mirror" >"$out/$board" &
    pids+=($!)
  done
  wait "$kernel_pid" || failed=1
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  cat "$out"/* 2>/dev/null
  return "$failed"
}

case "${1:-}" in
  --hash) recipe_hash ;;
  --in-namespace) shift; in_namespace "$@" ;;
  --prune)
    # Removes boards of other recipes (left by older checkouts).
    hash="$(recipe_hash)"
    for dir in "$cache"/pi3-arm64-* "$cache"/pi-compat32-*; do
      [ -d "$dir" ] && [ "${dir##*-}" != "$hash" ] && { echo "removing $dir"; rm -rf "$dir"; }
    done
    exit 0 ;;
  *) main "$@" ;;
esac
