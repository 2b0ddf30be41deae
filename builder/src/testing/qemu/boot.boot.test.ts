/**
 * The QEMU harness on the bootable fixture: it reaches multi-user.target, runs a unit there and
 * powers off. The fixture has no startup-scripts runner (the builder installs that), so a tiny unit of
 * our own stands in for it; what it wrote to the FAT partition is read back with mtools afterwards.
 * It writes to /dev/console, not /dev/ttyAMA0: on the Pi 3's device tree the PL011 belongs to the
 * Bluetooth serdev, so the kernel console runs on it but there is no /dev/ttyAMA0 device node.
 * raspi3b is slower and opt-in: ORCHARD_BOOT_RASPI3B=1.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extSymlink, extWriteFile, withExt } from '../../image/ext'
import { withFat } from '../../image/fat'
import { withImage } from '../../image/open'
import { fixtureUnavailableReason } from '../test-fixture'
import { extractPartition, fsckFat, mtype } from '../disk-tools'
import { bootableFixture } from './bootable-fixture'
import { bootEnvironmentProblem, bootImage, type BootMachine } from './qemu'

const UNIT = 'orchard-boot-check.service'
const UNIT_TEXT = `[Unit]
Description=Orchard boot harness check: multi-user.target reached
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "ORCHARD-BOOT-OK uptime $(cut -d" " -f1 /proc/uptime)" > /dev/console'
ExecStart=/bin/sh -c 'ls /boot/firmware/startup-scripts/every-time > /boot/firmware/booted.txt; sync'
ExecStart=/bin/systemctl --no-block poweroff

[Install]
WantedBy=multi-user.target
`

const skip = bootEnvironmentProblem() ?? fixtureUnavailableReason('arm64')
if (skip) console.log(`[boot] skipped: ${skip}`)

describe.skipIf(skip)('QEMU boot harness', () => {
  let dir: string
  let fixture: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-boot-test-'))
    const started = Date.now()
    fixture = await bootableFixture('arm64', { onProgress: (line) => console.log(`[boot] ${line}`) })
    console.log(`[boot] bootable fixture ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${fixture}`)
  }, 1_800_000)

  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined))

  /** A copy of the fixture with the check unit enabled and an every-time script on the FAT partition. */
  async function prepare(name: string): Promise<string> {
    const image = path.join(dir, `${name}.img`)
    await copyFile(fixture, image)
    await withImage(image, 'write', async ({ disk, boot, root }) => {
      await withFat(disk, boot, async (fat) => {
        await fat.mkdirp('/startup-scripts/every-time')
        await fat.writeFile('/startup-scripts/every-time/99-poweroff.sh', '#!/bin/sh\necho ORCHARD-BOOT-OK; systemctl poweroff\n')
      })
      await withExt(disk, root, async (fs) => {
        await extWriteFile(fs, `/etc/systemd/system/${UNIT}`, UNIT_TEXT)
        await extSymlink(fs, `/etc/systemd/system/${UNIT}`, `/etc/systemd/system/multi-user.target.wants/${UNIT}`)
      })
    })
    return image
  }

  async function bootAndCheck(machine: BootMachine): Promise<void> {
    const image = await prepare(machine)
    const result = await bootImage({ image, machine, logFile: path.join(dir, `${machine}.log`) })
    const marker = result.log.split('\n').find((line) => line.includes('ORCHARD-BOOT-OK uptime'))
    const outcome = result.poweredOff ? 'powered off' : result.timedOut ? 'TIMED OUT' : 'stopped'
    console.log(`[boot] ${machine}: ${outcome} after ${result.seconds.toFixed(1)} s (${marker ?? 'no marker'})`)
    const tail = result.log.slice(-4000)
    expect(result.timedOut, tail).toBe(false)
    expect(result.log, tail).toContain('ORCHARD-BOOT-OK uptime')
    expect(result.poweredOff, tail).toBe(true)
    // The guest mounted the FAT partition read-write and its write reached the image file.
    const fat = extractPartition(image, 1, path.join(dir, `${machine}.fat`))
    expect(mtype(fat, '/booted.txt')).toBe('99-poweroff.sh\n')
    expect(fsckFat(fat).ok).toBe(true)
  }

  it('virt: boots to multi-user.target, runs a unit there and powers off', () => bootAndCheck('virt'), 900_000)

  it.skipIf(!process.env.ORCHARD_BOOT_RASPI3B)('raspi3b: the same on the Pi 3 machine (ORCHARD_BOOT_RASPI3B=1)', () =>
    bootAndCheck('raspi3b'), 900_000)
})
