/** The initramfs: busybox, an /init that loads the modules and switches to the root fs, as gzip'd cpio. */
import fsp from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { cpioNewc, S_IFCHR, S_IFDIR, S_IFREG, type CpioEntry } from './cpio'
import type { ModuleFile } from './modules'

/** Bump on any change to the initramfs (its /init, modules, layout), so cached kits and images stop matching. */
export const INITRAMFS_VERSION = 2

/**
 * Modules /init loads, in this order after their dependencies. Built-in ones (modules.builtin) are
 * skipped. Nothing is loaded from the root fs (it has no /lib/modules), so what systemd mounts later
 * (the FAT boot partition) is loaded here too: modules stay loaded across switch_root.
 */
export const INITRAMFS_MODULES: readonly string[] = [
  // -M virt: virtio disks (virtio-blk-device on MMIO, or virtio-blk-pci)
  'virtio_mmio', 'virtio_pci', 'virtio_blk',
  // -M virt's network card (the release matrix's static address on eth0)
  'virtio_net',
  // -M raspi3b and real Pis: the SD card sits on sdhost (bcm2835) or the Arasan sdhci (sdhci-iproc)
  'mmc_block', 'sdhci_iproc', 'bcm2835',
  // the root fs; ext4 asks for crc32c by name
  'crc32c_generic', 'ext4',
  // /boot/firmware: vfat with the kernel's default codepage 437 and iocharset ascii (utf8 when asked)
  'vfat', 'nls_cp437', 'nls_ascii', 'nls_utf8',
  // systemd's automounts (binfmt_misc)
  'autofs4',
  // the Pi's power-off and reboot go through its watchdog
  'bcm2835_wdt',
]

/**
 * The initramfs's /init (busybox sh): loads the modules, finds `root=` (PARTUUID= of an MBR disk as on
 * Raspberry Pi OS, UUID=, LABEL= or a /dev path), mounts it read-only unless `rw` (as the kernel would,
 * systemd remounts per fstab), and switches to `init=` (default /sbin/init). When the root never shows
 * up it exits, so the kernel panics: with `panic=-1` that is a reboot (QEMU's -no-reboot: an exit).
 */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /newroot /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
say() { echo "orchard-initramfs: $*"; }

for name in $(cat /etc/modules.order); do
  insmod "/lib/modules/$name.ko" 2>/tmp/insmod.err || say "insmod $name: $(cat /tmp/insmod.err)"
done

root='' fstype='' flags='' mode=ro init=/sbin/init
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    root=*) root="\${arg#root=}" ;;
    rootfstype=*) fstype="\${arg#rootfstype=}" ;;
    rootflags=*) flags="\${arg#rootflags=}" ;;
    init=*) init="\${arg#init=}" ;;
    ro) mode=ro ;;
    rw) mode=rw ;;
  esac
done
[ -n "$root" ] || { say 'no root= on the kernel command line'; exit 1; }

# PARTUUID of an MBR disk: the disk identifier (4 bytes at 440) and the partition number, in hex.
by_partuuid() {
  want=$(echo "$1" | tr A-F a-f)
  for part in /sys/class/block/*; do
    [ -f "$part/partition" ] || continue
    disk=$(basename "$(dirname "$(readlink -f "$part")")")
    id=$(hexdump -s 440 -n 4 -e '1/4 "%08x"' "/dev/$disk" 2>/dev/null) || continue
    [ "$id-$(printf %02x "$(cat "$part/partition")")" = "$want" ] && { echo "/dev/\${part##*/}"; return; }
  done
}

find_root() {
  case "$root" in
    PARTUUID=*) by_partuuid "\${root#PARTUUID=}" ;;
    UUID=*|LABEL=*) findfs "$root" 2>/dev/null ;;
    /dev/*) [ -b "$root" ] && echo "$root" ;;
  esac
}

waited=0
until device=$(find_root) && [ -n "$device" ]; do
  [ $waited -ge 120 ] && { say "root $root not found after 120 s; block devices: $(ls /sys/class/block | tr '\\n' ' ')"; exit 1; }
  [ $waited -gt 0 ] && [ $((waited % 10)) -eq 0 ] && say "waiting for root $root"
  sleep 1
  waited=$((waited + 1))
done

say "root $root is $device, mounting $mode"
mount \${fstype:+-t "$fstype"} -o "$mode\${flags:+,$flags}" "$device" /newroot || { say "cannot mount $device"; exit 1; }
for fs in dev proc sys; do mount --move "/$fs" "/newroot/$fs" 2>/dev/null || umount -l "/$fs"; done
exec switch_root /newroot "$init"
`

/** The gzip'd initramfs: busybox, /init, /dev/console, and the modules flat in /lib/modules with their load order. */
export async function buildInitramfs(busybox: string, modules: readonly ModuleFile[]): Promise<Buffer> {
  const dir = (name: string): CpioEntry => ({ name, mode: S_IFDIR | 0o755 })
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'etc', 'lib', 'lib/modules', 'newroot', 'proc', 'sys', 'tmp'].map(dir),
    // The kernel opens /dev/console before /init runs: without it /init has no output.
    { name: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] },
    { name: 'bin/busybox', mode: S_IFREG | 0o755, data: await fsp.readFile(busybox) },
    { name: 'init', mode: S_IFREG | 0o755, data: Buffer.from(INIT_SCRIPT) },
    { name: 'etc/modules.order', mode: S_IFREG | 0o644, data: Buffer.from(modules.map((m) => `${m.name}\n`).join('')) },
  ]
  for (const m of modules) entries.push({ name: `lib/modules/${m.name}.ko`, mode: S_IFREG | 0o644, data: await fsp.readFile(m.file) })
  return gzipSync(cpioNewc(entries), { level: 9 })
}
