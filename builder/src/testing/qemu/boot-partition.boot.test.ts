/**
 * Boot proof for the boot partition in full builds (issue 18): a chroot build whose steps
 * install a package that ships files under /boot/firmware (a tiny .deb made here with
 * dpkg-deb, installed by dpkg inside the image) and change config.txt and cmdline.txt, booted
 * in QEMU. The harness hands QEMU the cmdline.txt on the built card's FAT, as the Pi firmware
 * does, so /proc/cmdline shows whether the step's change reached the FAT. A startup script
 * reports what the running system sees at its boot mount; it is read back with mtools.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage } from '../../pipeline/build'
import { loadRecipe } from '../../recipe/load'
import { chrootUnavailableReason } from '../../steps/chroot-executor'
import { findExecutable } from '../../util/tools'
import { extractPartition, fsckFat, mtype, sha256sum } from '../disk-tools'
import { fixtureUnavailableReason } from '../test-fixture'
import { bootableFixture } from './bootable-fixture'
import { bootEnvironmentProblem, bootImage, type BootResult } from './qemu'

const skip =
  bootEnvironmentProblem() ??
  fixtureUnavailableReason('arm64') ??
  chrootUnavailableReason('arm64') ??
  (findExecutable('dpkg-deb') ? null : 'dpkg-deb is not installed (Debian package dpkg)')
if (skip) console.log(`[boot-partition] skipped: ${skip}`)

// Units this proof does not need, masked for a shorter boot (the runner waits for network.target,
// which networking.service held back for ~15 s under emulation).
const UNNEEDED = ['networking.service', 'ifupdown-pre.service', 'wpa_supplicant.service', 'ssh.service', 'e2scrub_reap.service', 'apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'fstrim.timer', 'dpkg-db-backup.timer']

const OVERLAY = '/boot/firmware/overlays/orchard-proof.dtbo'
const LONG = '/boot/firmware/orchard proof/a file with a long name.txt'

/** A package of ours that ships two files under the boot mount, one in a long-named folder. */
async function proofDeb(dir: string): Promise<Buffer> {
  const root = path.join(dir, 'deb')
  await mkdir(path.join(root, 'DEBIAN'), { recursive: true })
  await writeFile(
    path.join(root, 'DEBIAN/control'),
    'Package: orchard-boot-proof\nVersion: 1.0\nArchitecture: all\nMaintainer: Orchard tests <tests@orchard.invalid>\nDescription: ships files under /boot/firmware (Orchard boot proof)\n',
  )
  for (const [file, text] of [[OVERLAY, 'orchard proof overlay\n'], [LONG, 'shipped by orchard-boot-proof\n']] as const) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true })
    await writeFile(path.join(root, file), text)
  }
  const deb = path.join(dir, 'orchard-boot-proof.deb')
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, deb], { stdio: 'ignore' })
  return readFile(deb)
}

describe.skipIf(skip)('boot partition in a full build, booted', () => {
  let dir: string
  let image: string
  let result: BootResult

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-boot-partition-'))
    const fixture = await bootableFixture('arm64')
    const deb = (await proofDeb(dir)).toString('base64')
    await mkdir(path.join(dir, 'scripts'))
    // What the running system sees at its boot mount, onto the FAT and the console; then power off.
    await writeFile(
      path.join(dir, 'scripts', 'zz-seen.sh'),
      `#!/bin/sh
B=/boot/firmware
{
  echo "cmdline: $(cat /proc/cmdline)"
  echo "mounted: $(grep " $B " /proc/mounts | cut -d' ' -f3)"
  echo "overlay: $(cat ${OVERLAY})"
  echo "long: $(cat "${LONG}")"
  echo "owner: $(dpkg -S ${OVERLAY})"
  echo "config: $(grep -c '^dtoverlay=orchard-proof$' $B/config.txt)"
} > $B/seen.txt
sed 's/^/ORCHARD-SEEN /' $B/seen.txt > /dev/console
sync
systemctl --no-block poweroff
`,
    )
    await writeFile(
      path.join(dir, 'recipe.yml'),
      `name: boot-partition
source: { path: ${fixture}, sha256: ${sha256sum(fixture)} }
arch: arm64
steps:
  - name: install a package with boot files
    run: echo ${deb} | base64 -d > /tmp/proof.deb && dpkg -i /tmp/proof.deb && rm /tmp/proof.deb
  - name: change config.txt and cmdline.txt
    run: echo dtoverlay=orchard-proof >> /boot/firmware/config.txt && sed -i '1s/$/ orchard.proof=1/' /boot/firmware/cmdline.txt
startupScripts:
  everyTime: [scripts/zz-seen.sh]
`,
    )
    let started = Date.now()
    image = (await buildImage(await loadRecipe(path.join(dir, 'recipe.yml')), { outDir: path.join(dir, 'out'), cache: path.join(dir, 'cache'), mode: 'chroot' })).image
    console.log(`[boot-partition] chroot build: ${((Date.now() - started) / 1000).toFixed(1)} s`)
    started = Date.now()
    result = await bootImage({ image, logFile: path.join(dir, 'boot.log'), extraCmdline: UNNEEDED.map((unit) => `systemd.mask=${unit}`) })
    console.log(`[boot-partition] boot: ${result.poweredOff ? 'powered off' : result.timedOut ? 'TIMED OUT' : 'stopped'} after ${result.seconds.toFixed(1)} s (${((Date.now() - started) / 1000).toFixed(1)} s with setup)`)
  }, 1_200_000)

  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined))

  it('booted from the changed card and powered off', () => {
    const tail = result.log.slice(-4000)
    expect(result.timedOut, tail).toBe(false)
    expect(result.poweredOff, tail).toBe(true)
    expect(result.log).toContain('ORCHARD-SEEN cmdline:')
  })

  it('the running system saw the package files and the changed config.txt at its boot mount, and the changed cmdline.txt took effect', () => {
    const fat = extractPartition(image, 1, path.join(dir, 'boot.fat'))
    expect(fsckFat(fat).ok).toBe(true)
    const seen = Object.fromEntries(
      mtype(fat, '/seen.txt')
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
    )
    expect(seen.cmdline!.split(' ')).toContain('orchard.proof=1')
    expect(seen.mounted).toBe('vfat')
    expect(seen.overlay).toBe('orchard proof overlay')
    expect(seen.long).toBe('shipped by orchard-boot-proof')
    expect(seen.owner).toBe(`orchard-boot-proof: ${OVERLAY}`)
    expect(seen.config).toBe('1')
  })
})
