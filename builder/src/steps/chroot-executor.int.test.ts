/**
 * Full builds in a qemu-user chroot: Docker installed, failures (apt, an overfilled boot partition) and cancel (executors.int.test.ts
 * builds the same recipe through both executors).
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage } from '../pipeline/build'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { loadRecipe } from '../recipe/load'
import { debugfs, extractPartition, mtype, sha256sum } from '../testing/disk-tools'
import { aptUnavailableReason } from '../testing/network'
import { chrootUnavailableReason } from './chroot-executor'

const skip = fixtureUnavailableReason('arm64') ?? chrootUnavailableReason('arm64') ?? aptUnavailableReason()
if (skip) console.log(`[chroot-build] skipped: ${skip}`)

describe.skipIf(skip)('chroot builds', () => {
  let dir: string
  let cache: string
  let fixture: string
  const mountsUnder = (prefix: string) => readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((line) => line.includes(prefix))

  async function recipe(name: string, extra: string) {
    const file = path.join(dir, `${name}.yml`)
    await writeFile(file, `name: ${name}\narch: arm64\nsource: { path: ${fixture}, sha256: ${sha256sum(fixture)} }\n${extra}`)
    return loadRecipe(file)
  }

  beforeAll(async () => {
    fixture = await testFixture('arm64')
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-chroot-'))
    cache = path.join(dir, 'cache')
  }, 900_000)

  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('installs Docker with docker: true: the binary and its enabled unit are in the image', async () => {
    const result = await buildImage(await recipe('docker', 'docker: true\n'), { outDir: path.join(dir, 'docker-out'), cache, mode: 'chroot' })
    const root = extractPartition(result.image, 2, path.join(dir, 'docker.ext4'))
    expect(debugfs(root, 'stat /usr/bin/docker')).toMatch(/Type: regular/)
    expect(debugfs(root, 'stat /usr/sbin/dockerd')).toMatch(/Type: regular/)
    // What `systemctl enable docker` leaves: the unit wanted by multi-user.target.
    expect(debugfs(root, 'stat /etc/systemd/system/multi-user.target.wants/docker.service')).toMatch(/Type: symlink/)
    expect(JSON.parse(mtype(extractPartition(result.image, 1, path.join(dir, 'docker.fat')), '/buildinfo/buildinfo.json')).customizations).toContain('docker installed')
  }, 1_200_000)

  it('fails a build whose apt-get fails, naming the step, with nothing left behind', async () => {
    const loaded = await recipe('broken', 'packages: [orchard-no-such-package]\n')
    const out = path.join(dir, 'broken-out')
    const error = await buildImage(loaded, { outDir: out, cache, mode: 'chroot' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'STEP_FAILED', detail: { step: 'install orchard-no-such-package' } })
    expect((error as Error).message).toMatch(/Unable to locate package orchard-no-such-package/)
    expect(await readdir(out)).toEqual([])
    expect(mountsUnder(cache)).toEqual([])
    expect((await readdir(cache)).filter((name) => name.startsWith('full-build-'))).toEqual([])
  }, 1_200_000)

  it('fails a build whose step overfills the boot partition with BOOT_PARTITION_FULL naming the file, nothing left behind', async () => {
    const loaded = await recipe('overflow', 'steps:\n  - { name: a kernel too big, run: "head -c 140000000 /dev/zero > /boot/firmware/kernel8.img" }\n')
    const out = path.join(dir, 'overflow-out')
    const error = await buildImage(loaded, { outDir: out, cache, mode: 'chroot' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'BOOT_PARTITION_FULL', message: expect.stringContaining('/boot/firmware/kernel8.img: new, 140.0 MB') })
    expect(await readdir(out)).toEqual([])
    expect(mountsUnder(cache)).toEqual([])
    expect((await readdir(cache)).filter((name) => name.startsWith('full-build-'))).toEqual([])
  }, 600_000)

  it('cancels mid-step: the step ends, nothing is left behind', async () => {
    const loaded = await recipe('slow', 'steps:\n  - { name: wait forever, run: "sleep 600" }\n')
    const controller = new AbortController()
    const out = path.join(dir, 'slow-out')
    const running = buildImage(loaded, {
      outDir: out,
      cache,
      mode: 'chroot',
      signal: controller.signal,
      onProgress: (p) => p.message === 'wait forever' && setTimeout(() => controller.abort(), 2000),
    })
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(await readdir(out)).toEqual([])
    expect(mountsUnder(cache)).toEqual([])
    expect(spawnSync('pgrep', ['-f', 'sleep 600']).status).not.toBe(0)
  }, 600_000)
})
