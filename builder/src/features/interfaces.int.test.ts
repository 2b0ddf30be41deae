/** A quick build of the fixture with every interface switched, read back with mtools and debugfs. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage, type BuildResult } from '../pipeline/build'
import { loadRecipe } from '../recipe/load'
import { debugfs, e2fsck, extStat, extractPartition, fsckFat, mtype, sha256sum } from '../testing/disk-tools'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'

const skipReason = fixtureUnavailableReason('arm64')
if (skipReason) console.log(`[interfaces.int] skipped: ${skipReason}`)

describe.skipIf(skipReason)('interfaces on the arm64 fixture', () => {
  let dir: string
  let result: BuildResult
  let boot: string
  let root: string

  beforeAll(async () => {
    const fixture = await testFixture('arm64')
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-interfaces-'))
    await writeFile(
      path.join(dir, 'recipe.yml'),
      `name: interfaces
source: { path: ${fixture}, sha256: ${sha256sum(fixture)} }
arch: arm64
interfaces: { i2c: true, spi: true, serialPort: true, serialConsole: false, onewire: true, usbGadget: true }
`,
    )
    result = await buildImage(await loadRecipe(path.join(dir, 'recipe.yml')), { outDir: path.join(dir, 'out'), cache: path.join(dir, 'cache') })
    boot = extractPartition(result.image, 1, path.join(dir, 'boot.fat'))
    root = extractPartition(result.image, 2, path.join(dir, 'root.ext4'))
  }, 600_000)

  afterAll(() => rm(dir, { recursive: true, force: true }))

  it("ends config.txt with the switches under [all], keeping the image's own lines", () => {
    const config = mtype(boot, '/config.txt')
    expect(config).toContain('dtoverlay=vc4-kms-v3d\n')
    expect(config.split('# --- Orchard: interfaces (begin) ---\n')[1]).toBe('[all]\ndtparam=i2c_arm=on\ndtparam=spi=on\nenable_uart=1\ndtoverlay=w1-gpio\ndtoverlay=dwc2\n# --- Orchard: interfaces (end) ---\n')
  })

  it('drops the serial console from cmdline.txt and loads the gadget modules, on one line', () => {
    const cmdline = mtype(boot, '/cmdline.txt')
    expect(cmdline).not.toContain('console=serial0')
    expect(cmdline).toMatch(/^console=tty1 root=PARTUUID=\S+ .*rootwait modules-load=dwc2,g_ether\n$/)
  })

  it('loads i2c-dev at boot', () => {
    expect(extStat(root, '/etc/modules-load.d/orchard-i2c.conf')).toEqual({ type: 'regular', mode: 0o644, uid: 0, gid: 0 })
    expect(debugfs(root, 'cat /etc/modules-load.d/orchard-i2c.conf')).toBe('i2c-dev\n')
  })

  it('says so in build info, and leaves both filesystems clean', () => {
    expect(result.buildInfo.customizations).toContain('interfaces: I2C on, SPI on, serial port on, serial console off, 1-Wire on, USB gadget on')
    expect(fsckFat(boot).ok).toBe(true)
    expect(e2fsck(root).ok).toBe(true)
  })
})
