#!/usr/bin/env bash
# Installs and starts what Orchard's builds and tests need. Idempotent: safe to run again.
#   On Debian/Ubuntu as root: installs missing packages, registers ARM emulation (binfmt),
#   and starts dockerd when no Docker socket answers.
#   Elsewhere, or without root: prints what is missing and exits 0 (non-zero with --strict).
set -uo pipefail

strict=0
[[ "${1:-}" == "--strict" ]] && strict=1

PACKAGES=(
  chromium            # e2e tests drive the real renderer in Debian's Chromium
  docker.io           # local Docker builds
  qemu-user-static    # ARM binaries under emulation (chroot and Docker builds)
  binfmt-support      # registers qemu-user-static with the kernel
  qemu-system-arm     # boot tests (qemu-system-aarch64)
  debootstrap         # test fixture images
  dosfstools          # mkfs.vfat, fsck.fat
  mtools              # FAT without mounting
  e2fsprogs           # mke2fs -d, debugfs, e2fsck
  fuse2fs             # lossless reads of ext4 without mounting
  fdisk               # sfdisk
  xz-utils            # multithreaded xz
  zstd
  docker-registry     # a local registry for image-output tests
  busybox-static      # boot-test initramfs
  ca-certificates
  pkexec              # real elevation tests: an unprivileged core flashing through polkit
  polkitd
  dbus-daemon
  dbus-bin            # dbus-send: is the system bus up, does polkitd own its name
  shellcheck          # lints the startup runner and generated first_run_setup.sh in tests
  cloud-init          # `cloud-init schema --config-file` checks generated user-data in tests
  netplan.io          # `netplan generate --root-dir` renders generated network-config in tests
)
COMMANDS=(chromium docker qemu-aarch64-static qemu-system-aarch64 debootstrap mkfs.vfat fsck.fat mcopy mke2fs debugfs e2fsck fuse2fs sfdisk xz zstd pkexec dbus-daemon shellcheck cloud-init netplan)

say() { printf '[setup] %s\n' "$*"; }
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

report_missing() {
  local missing=()
  for command in "${COMMANDS[@]}"; do command -v "$command" >/dev/null 2>&1 || missing+=("$command"); done
  if ((${#missing[@]})); then
    say "missing commands: ${missing[*]}"
    say "on Debian/Ubuntu run as root: bash scripts/setup-system.sh"
    return 1
  fi
  say "all commands present"
}

if [[ "$(uname -s)" != Linux ]] || ! command -v apt-get >/dev/null 2>&1 || [[ $EUID -ne 0 ]]; then
  say "not Debian/Ubuntu as root: checking only"
  report_missing || { ((strict)) && exit 1; }
  exit 0
fi

# cloud-init is installed for its schema check only: disabled before it is installed, so it
# never configures this machine at boot.
if [[ ! -e /etc/cloud/cloud-init.disabled ]]; then
  mkdir -p /etc/cloud && touch /etc/cloud/cloud-init.disabled && say "cloud-init: disabled at boot on this machine (schema checks only)"
fi

# 1. Packages: install only what is missing, so a second run does no apt work.
missing_packages=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing_packages+=("$package")
done
if ((${#missing_packages[@]})); then
  say "installing: ${missing_packages[*]}"
  apt-get update -qq || say "apt-get update failed; trying the install anyway"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" \
    || { say "apt-get install failed"; exit 1; }
else
  say "packages: all ${#PACKAGES[@]} installed"
fi

# 2. ARM emulation: binfmt_misc mounted and qemu-aarch64/arm enabled with flag F.
binfmt=/proc/sys/fs/binfmt_misc
if [[ ! -e $binfmt/status ]]; then
  mount -t binfmt_misc binfmt_misc "$binfmt" || say "could not mount binfmt_misc"
fi
for arch in aarch64 arm; do
  if ! grep -qx enabled "$binfmt/qemu-$arch" 2>/dev/null; then
    update-binfmts --enable "qemu-$arch" >/dev/null 2>&1 || say "could not enable qemu-$arch"
  fi
  if grep -qx enabled "$binfmt/qemu-$arch" 2>/dev/null; then
    say "binfmt qemu-$arch: enabled ($(grep '^flags' "$binfmt/qemu-$arch"))"
  fi
done

# 3. Loop devices.
[[ -e /dev/loop-control ]] || modprobe loop 2>/dev/null || say "no /dev/loop-control and modprobe loop failed"

# 4. Docker: start dockerd when no socket answers (no systemd in containers and CI sandboxes).
if docker info >/dev/null 2>&1; then
  say "docker: daemon answering"
else
  if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
    systemctl start docker || true
  fi
  if ! docker info >/dev/null 2>&1; then
    say "starting dockerd (log: /var/log/orchard-dockerd.log)"
    setsid nohup dockerd </dev/null >/var/log/orchard-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  fi
  if docker info >/dev/null 2>&1; then say "docker: daemon answering"; else say "docker: daemon did not start; see /var/log/orchard-dockerd.log"; exit 1; fi
fi

# 5. debian:bookworm-slim, the builder image's base (builder/Dockerfile): pulled where Docker Hub
#    answers, else made with debootstrap (cached under ~/.cache/orchard/container) and imported.
if docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  say "debian:bookworm-slim: present"
elif timeout 120 docker pull -q debian:bookworm-slim >/dev/null 2>&1; then
  say "debian:bookworm-slim: pulled"
elif [[ -d "$(dirname "$0")/../node_modules/tsx" ]]; then
  say "debian:bookworm-slim: Docker Hub unreachable, making it with debootstrap"
  (cd "$(dirname "$0")/.." && node --import tsx builder/src/container/base-image.ts) || say "could not make debian:bookworm-slim"
else
  say "debian:bookworm-slim: missing (run npm ci, then this again, to make it with debootstrap)"
fi

report_missing || exit 1
