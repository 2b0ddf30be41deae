/**
 * Full builds in a qemu-user chroot: apt packages and shell steps really run as ARM code;
 * the output image is judged with dpkg in an ARM chroot of its own root fs, fsck, sfdisk.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extractRoot } from '../assemble/repack'
import { buildImage, type BuildResult } from '../build'
import { fixtureUnavailableReason, testFixture } from '../fixture/test-fixture'
import { withImage } from '../image/open'
import { loadRecipe } from '../recipe/load'
import { debugfs, e2fsck, extractPartition, fsckFat, mtype, sfdiskTable, sha256sum } from '../testing/disk-tools'
import { chrootUnavailableReason } from './chroot'

const skip = fixtureUnavailableReason('arm64') ?? chrootUnavailableReason('arm64')
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

  describe('packages and a shell step', () => {
    let result: BuildResult
    const lines: string[] = []
    beforeAll(async () => {
      const loaded = await recipe('cowsay', 'packages: [cowsay]\nsteps:\n  - { name: mark the build, run: "uname -m > /etc/orchard-step" }\nsystem: { hostname: moo }\n')
      result = await buildImage(loaded, { outDir: path.join(dir, 'out'), cache, mode: 'chroot', onProgress: (p) => lines.push(`${p.phase}: ${p.message}`) })
    }, 1_200_000)

    it('installed the package: dpkg in an ARM chroot of the output image says so', async () => {
      const root = path.join(dir, 'check-root')
      await mkdir(root)
      const partition = await withImage(result.image, 'read', async (image) => image.root)
      await extractRoot(result.image, partition, root)
      const dpkg = spawnSync('chroot', [root, '/usr/bin/dpkg', '-s', 'cowsay'], { encoding: 'utf8' })
      expect(dpkg.status, dpkg.stderr).toBe(0)
      expect(dpkg.stdout).toContain('Status: install ok installed')
      expect(readFileSync(path.join(root, 'etc/orchard-step'), 'utf8')).toBe('aarch64\n') // the step ran as ARM code
      expect(existsSync(path.join(root, 'usr/sbin/policy-rc.d'))).toBe(false)
      // The host's resolv.conf was only lent for the run: the fixture had none, so none is left.
      expect(debugfs(extractPartition(fixture, 2, path.join(dir, 'fixture-root.ext4')), 'stat /etc/resolv.conf')).toBe('')
      expect(existsSync(path.join(root, 'etc/resolv.conf'))).toBe(false)
      expect(await readdir(path.join(root, 'var/lib/apt/lists'))).toEqual([])
    })

    it('repacked the root fs clean and sized to content, PARTUUIDs consistent', () => {
      const boot = extractPartition(result.image, 1, path.join(dir, 'b.fat'))
      const root = extractPartition(result.image, 2, path.join(dir, 'r.ext4'))
      expect(fsckFat(boot).ok).toBe(true)
      const check = e2fsck(root)
      expect(check.ok, check.output).toBe(true)
      const dump = execFileSync('dumpe2fs', ['-h', root], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(dump)![1])
      const used = (field('Block count') - field('Free blocks')) * field('Block size')
      const size = sfdiskTable(result.image).partitions[1]!.size * 512
      expect(size).toBeLessThanOrEqual(used * 1.15 + 64 * 2 ** 20 + 4 * 2 ** 20) // + the 4 MiB alignment
      const id = sfdiskTable(result.image).id.replace(/^0x/, '')
      expect(id).toBe(sfdiskTable(fixture).id.replace(/^0x/, ''))
      expect(mtype(boot, '/cmdline.txt')).toContain(`root=PARTUUID=${id}-02`)
      expect(debugfs(root, 'cat /etc/fstab')).toContain(`PARTUUID=${id}-01`)
      expect(debugfs(root, 'stat /usr/local/lib/orchard/startup-runner')).toMatch(/Mode:\s+0755/)
      expect(JSON.parse(mtype(boot, '/buildinfo/buildinfo.json'))).toMatchObject({ mode: 'chroot', customizations: expect.arrayContaining(['packages cowsay', 'step "mark the build"']) })
    })

    it('reported each step and left no mounts or work folder behind', async () => {
      expect(lines).toEqual(expect.arrayContaining(['steps: apt-get update', 'steps: install cowsay', 'steps: mark the build']))
      expect(mountsUnder(cache)).toEqual([])
      expect((await readdir(cache)).filter((name) => name.startsWith('full-build-'))).toEqual([])
    })
  })

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
