/**
 * System drives by what they hold, on real parts: a loop device whose partition is mounted
 * at /home inside a private mount namespace (unshare -m), and a loop device in use as swap.
 * Listed as test drives (from the environment and from root's folder) they are system drives,
 * and flashImage refuses them with UNSAFE_TARGET, their bytes unchanged.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeDisk, sha256sum } from '../testing/disk-tools'
import { attachLoop, detachLoop, loopUnavailableReason } from '../testing/loop'
import { addTestDrives } from '../testing/test-drives'
import { listDrives } from './drives'
import { flashImage } from './write'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const PROBE = fileURLToPath(new URL('../testing/system-drive-probe.ts', import.meta.url))
const NEVER = 'Orchard never writes a drive the running system uses'

const missingTools = (tools: string[]) => tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)

function namespaceUnavailableReason(): string | null {
  const missing = missingTools(['unshare', 'sfdisk', 'partx', 'mkfs.ext4', 'mount'])
  if (missing.length) return `missing ${missing.join(', ')}`
  const run = spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { encoding: 'utf8' })
  return run.status === 0 ? null : `unshare -m fails here: ${run.stderr.trim()}`
}

function swapUnavailableReason(): string | null {
  const missing = missingTools(['mkswap', 'swapon', 'swapoff'])
  return missing.length ? `missing ${missing.join(', ')}` : null
}

const loopSkip = loopUnavailableReason()
const namespaceSkip = loopSkip ?? namespaceUnavailableReason()
const swapSkip = loopSkip ?? swapUnavailableReason()
if (namespaceSkip) console.log(`[system-drives.int] /home in a private mount namespace skipped: ${namespaceSkip}`)
if (swapSkip) console.log(`[system-drives.int] swap skipped: ${swapSkip}`)

describe.skipIf(loopSkip)('system drives by what they hold', () => {
  let dir = ''
  let image = ''
  const loops: string[] = []

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-system-drives-'))
    image = makeDisk(path.join(dir, 'pi.img'), [{ type: 'c', filesystem: 'fat', mib: 8 }])
  })

  afterAll(async () => {
    loops.forEach(detachLoop)
    await rm(dir, { recursive: true, force: true })
  })

  const loop = (name: string, options: { partitions?: boolean } = {}) => {
    const file = path.join(dir, `${name}.disk`)
    execFileSync('truncate', ['-s', '32M', file])
    if (options.partitions) execFileSync('sfdisk', ['--quiet', file], { input: 'label: dos\nstart=2048, type=83\n' })
    const device = attachLoop(file, options)
    loops.push(device)
    return device
  }

  describe.skipIf(namespaceSkip)('a partition mounted at /home in a private mount namespace', () => {
    let disk = ''
    let removeTestDrive = async () => {}

    beforeAll(async () => {
      disk = loop('home', { partitions: true })
      execFileSync('mkfs.ext4', ['-q', `${disk}p1`])
      removeTestDrive = await addTestDrives([disk])
    })

    afterAll(() => removeTestDrive())

    /** The probe run in a new private mount namespace, after mounting the disk's partition at /home there. */
    function probeWithHomeMounted(testDrives: 'environment' | 'root-file') {
      const run = spawnSync(
        'unshare',
        // Read-only, so that mounting writes nothing either (an ext4 mount updates its superblock).
        ['-m', '--propagation', 'private', 'sh', '-ec', 'mount -o ro,noload "$1" /home; shift; exec "$@"', 'sh', `${disk}p1`,
          process.execPath, '--import', 'tsx', PROBE, image, disk, testDrives, path.join(dir, 'cache')],
        { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ORCHARD_TEST_DRIVES: disk } },
      )
      expect(run.status, run.stderr).toBe(0)
      return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
        drive: { system: boolean; systemUses: unknown[]; mountpoints: string[] } | null
        refused: { code: string; message: string } | null
      }
    }

    it('is an ordinary test drive outside the namespace', async () => {
      const drive = (await listDrives({ env: { ORCHARD_TEST_DRIVES: disk } })).find((d) => d.device === disk)
      expect(drive).toMatchObject({ system: false, systemUses: [], mountpoints: [] })
    })

    it.each(['environment', 'root-file'] as const)('is a system drive inside it (test drive from the %s), refused before a byte is written', (source) => {
      const before = sha256sum(disk)
      const seen = probeWithHomeMounted(source)
      expect(seen.drive).toEqual({ system: true, systemUses: [{ kind: 'mount', path: '/home' }], mountpoints: ['/home'] })
      expect(seen.refused?.code).toBe('UNSAFE_TARGET')
      expect(seen.refused?.message).toContain(`${disk} holds /home (a system mount): ${NEVER}`)
      expect(sha256sum(disk)).toBe(before)
    })
  })

  describe.skipIf(swapSkip)('a loop device in use as swap', () => {
    let swap = ''
    let swapping = false

    beforeAll(() => {
      swap = loop('swap')
      execFileSync('mkswap', [swap], { stdio: 'ignore' })
      execFileSync('swapon', [swap])
      swapping = true
    })

    afterAll(() => {
      if (swapping) execFileSync('swapoff', [swap])
    })

    it('is a system drive, refused before a byte is written', async () => {
      const drive = (await listDrives({ env: { ORCHARD_TEST_DRIVES: swap } })).find((d) => d.device === swap)!
      expect(drive).toMatchObject({ system: true, systemUses: [{ kind: 'swap', path: swap }] })
      const before = sha256sum(swap)
      const flashing = flashImage({ image, targets: [{ kind: 'drive', drive }], cache: path.join(dir, 'cache'), recordsFile: null })
      await expect(flashing).rejects.toMatchObject({ code: 'UNSAFE_TARGET', message: expect.stringContaining(`${swap} holds the swap space ${swap} (in use): ${NEVER}`) })
      expect(sha256sum(swap)).toBe(before)
    })
  })
})
