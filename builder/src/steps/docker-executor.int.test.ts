/**
 * The docker executor on its own: a user's Dockerfile, the Docker image output (run on this
 * x86 host, pushed to a real registry and pulled back by digest), a failing step and a
 * cancel, each leaving no container, mount or partial output behind.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage } from '../pipeline/build'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { loadRecipe } from '../recipe/load'
import { debugfs, extractPartition, sha256sum } from '../testing/disk-tools'
import { aptUnavailableReason } from '../testing/network'
import { registryUnavailableReason, startRegistry, type TestRegistry } from '../testing/registry'
import { dockerUnavailableReason } from '../util/docker-daemon'
import { sourceImageReference } from './docker-executor'

const skip = fixtureUnavailableReason('arm64') ?? (await dockerUnavailableReason()) ?? aptUnavailableReason()
if (skip) console.log(`[docker-build] skipped: ${skip}`)
const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8' })
const strayContainers = () => docker('ps', '-aq', '--filter', 'label=io.orchard.build').stdout.trim()
// Every step's image descends from the source image: none may outlive a build.
const sourceImage = (fixture: string) => sourceImageReference(sha256sum(fixture))
const descendants = (fixture: string) => {
  const source = docker('image', 'inspect', '--format', '{{.Id}}', sourceImage(fixture)).stdout.trim()
  const all = docker('images', '-aq', '--no-trunc').stdout.split('\n').filter(Boolean)
  return all.filter((id) => id !== source && docker('history', '-q', '--no-trunc', id).stdout.includes(source))
}

describe.skipIf(skip)('docker builds', () => {
  let dir: string
  let cache: string
  let fixture: string
  const images: string[] = []

  async function recipe(name: string, extra: string, folder = dir) {
    const file = path.join(folder, `${name}.yml`)
    await writeFile(file, `name: ${name}\narch: arm64\nsource: { path: ${fixture}, sha256: ${sha256sum(fixture)} }\n${extra}`)
    return loadRecipe(file)
  }

  beforeAll(async () => {
    fixture = await testFixture('arm64')
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-docker-'))
    cache = path.join(dir, 'cache')
  }, 900_000)
  afterAll(async () => {
    for (const image of images) docker('rmi', '-f', image)
    await rm(dir, { recursive: true, force: true })
  })

  it('builds a recipe with its own Dockerfile (COPY from its folder, RUN apt-get install)', async () => {
    const folder = path.join(dir, 'with-dockerfile')
    await mkdir(folder)
    await writeFile(path.join(folder, 'motd'), 'built from a Dockerfile\n')
    await writeFile(path.join(folder, 'big.bin'), Buffer.alloc(1024))
    await writeFile(path.join(folder, '.dockerignore'), 'big.bin\n')
    await writeFile(
      path.join(folder, 'Dockerfile'),
      [
        '# the recipe\'s own steps',
        'FROM orchard-source',
        'COPY motd /etc/motd',
        'RUN apt-get update \\',
        '    && apt-get install -y --no-install-recommends sl \\',
        '    && rm -rf /var/lib/apt/lists/*',
        'RUN test ! -e /big.bin && (ls /big.bin 2>/dev/null || true) && uname -m > /etc/dockerfile-arch',
        '',
      ].join('\n'),
    )
    const steps: string[] = []
    const result = await buildImage(await recipe('dockerfile', 'dockerfile: Dockerfile\n', folder), {
      outDir: path.join(dir, 'dockerfile-out'),
      cache,
      onProgress: (p) => p.phase === 'steps' && steps.push(p.message),
    })
    expect(result.buildInfo.mode).toBe('docker') // auto picks docker for a Dockerfile
    const root = extractPartition(result.image, 2, path.join(dir, 'dockerfile.ext4'))
    expect(debugfs(root, 'cat /etc/motd')).toBe('built from a Dockerfile\n')
    expect(debugfs(root, 'cat /etc/dockerfile-arch')).toBe('aarch64\n')
    expect(debugfs(root, 'stat /usr/games/sl')).toMatch(/Type: regular/)
    expect(debugfs(root, 'cat /var/lib/dpkg/status')).toMatch(/^Package: sl$/m)
    expect(steps).toEqual(expect.arrayContaining(['Dockerfile: COPY motd /etc/motd', expect.stringMatching(/^Dockerfile: RUN apt-get update/)]))
    expect(strayContainers()).toBe('')
  }, 1_200_000)

  it('refuses a Dockerfile that does not build on the source image, before any work', async () => {
    const folder = path.join(dir, 'bad-dockerfile')
    await mkdir(folder)
    await writeFile(path.join(folder, 'Dockerfile'), 'FROM debian:bookworm\nRUN true\n')
    const error = await buildImage(await recipe('bad', 'dockerfile: Dockerfile\n', folder), { outDir: path.join(dir, 'bad-out'), cache }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'INVALID_RECIPE', message: expect.stringContaining('FROM orchard-source') })
    expect(await readdir(path.join(dir, 'bad-out'))).toEqual([])
  })

  describe.skipIf(registryUnavailableReason())('the Docker image output', () => {
    let registry: TestRegistry
    let result: Awaited<ReturnType<typeof buildImage>>
    beforeAll(async () => {
      registry = await startRegistry()
      const loaded = await recipe('pi-container', `packages: [cowsay]\noutputs:\n  docker: { tag: orchard-test/pi-container:1, registry: ${registry.address} }\n`)
      result = await buildImage(loaded, { outDir: path.join(dir, 'container-out'), cache, mode: 'docker' })
      images.push('orchard-test/pi-container:1', `${registry.address}/orchard-test/pi-container:1`)
    }, 1_200_000)
    afterAll(() => registry?.stop())

    it('runs on this x86 host and carries the build info', () => {
      const osRelease = docker('run', '--rm', 'orchard-test/pi-container:1', 'cat', '/etc/os-release')
      expect(osRelease.status, osRelease.stderr).toBe(0)
      expect(osRelease.stdout).toContain('VERSION_CODENAME=bookworm')
      expect(docker('run', '--rm', 'orchard-test/pi-container:1', 'uname', '-m').stdout).toBe('aarch64\n')
      const info = JSON.parse(docker('run', '--rm', 'orchard-test/pi-container:1', 'cat', '/etc/orchard/buildinfo.json').stdout)
      expect(info).toMatchObject({ name: 'pi-container', source: { sha256: sha256sum(fixture) }, customizations: expect.arrayContaining(['packages cowsay']) })
      expect(docker('run', '--rm', 'orchard-test/pi-container:1', 'cowsay', 'moo').stdout).toContain('< moo >') // on PATH, as in a Debian login
    })

    it('is one arm64 layer, reduced, with qemu inside; sizes reported', () => {
      const inspect = JSON.parse(docker('image', 'inspect', 'orchard-test/pi-container:1').stdout)[0]
      expect(inspect.Architecture).toBe('arm64')
      expect(inspect.RootFS.Layers).toHaveLength(1)
      const listing = execFileSync('sh', ['-c', 'c=$(docker create orchard-test/pi-container:1) && docker export $c | tar -tf - | sed "s|^|./|"; docker rm $c >/dev/null'], {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      })
      expect(listing).toMatch(/^\.\/usr\/bin\/qemu-aarch64-static$/m)
      expect(listing).not.toMatch(/^\.\/usr\/share\/doc\/./m)
      expect(listing).not.toMatch(/^\.\/usr\/share\/man\/./m)
      expect(listing).not.toMatch(/^\.\/var\/lib\/apt\/lists\/./m)
      expect(listing).not.toMatch(/^\.\/boot\/./m)
      expect(listing).not.toMatch(/^\.\/usr\/share\/locale\/[^/]+\/LC_MESSAGES\/./m)
      expect(listing).toMatch(/^\.\/usr\/games\/cowsay$/m) // the package itself kept
      expect(result.docker).toMatchObject({ reference: 'orchard-test/pi-container:1', id: inspect.Id })
      expect(result.docker!.compressedBytes).toBeGreaterThan(10e6)
      expect(result.docker!.compressedBytes).toBeLessThan(result.docker!.uncompressedBytes / 2)
    })

    it('was pushed to the registry and pulls back by digest', () => {
      expect(result.docker!.pushed).toBe(`${registry.address}/orchard-test/pi-container@${result.docker!.digest}`)
      docker('rmi', '-f', `${registry.address}/orchard-test/pi-container:1`)
      const pull = docker('pull', result.docker!.pushed!)
      expect(pull.status, pull.stderr).toBe(0)
      images.push(result.docker!.pushed!)
      expect(docker('run', '--rm', result.docker!.pushed!, 'cat', '/etc/orchard/buildinfo.json').stdout).toContain('"pi-container"')
    })
  })

  it('fails a build whose apt-get fails, naming the step: no image, container or mount left', async () => {
    const out = path.join(dir, 'broken-out')
    const error = await buildImage(await recipe('broken', 'packages: [orchard-no-such-package]\n'), { outDir: out, cache, mode: 'docker' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'STEP_FAILED', detail: { step: 'install orchard-no-such-package', exitCode: 100 } })
    expect((error as Error).message).toMatch(/Unable to locate package orchard-no-such-package/)
    expect(await readdir(out)).toEqual([])
    expect(strayContainers()).toBe('')
    expect(descendants(fixture)).toEqual([])
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain('orchard-root-')
    expect((await readdir(cache)).filter((name) => name.startsWith('full-build-'))).toEqual([])
  }, 1_200_000)

  it('says how to get ARM emulation when the daemon cannot run ARM programs', async (context) => {
    const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64'
    if (!existsSync(entry) || process.getuid?.() !== 0) return context.skip('needs root and a qemu-aarch64 binfmt entry to switch off for a moment')
    const out = path.join(dir, 'no-binfmt-out')
    writeFileSync(entry, '0') // off for this build only: restored below whatever happens
    try {
      const error = await buildImage(await recipe('no-binfmt', 'steps:\n  - { name: anything, run: "true" }\n'), { outDir: out, cache, mode: 'docker' }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('apt-get install qemu-user-static binfmt-support') })
    } finally {
      writeFileSync(entry, '1')
    }
    expect(readFileSync(entry, 'utf8')).toMatch(/^enabled/)
    expect(await readdir(out)).toEqual([])
    expect(descendants(fixture)).toEqual([])
  }, 600_000)

  it('cancels mid-step: the step container ends, nothing is left behind', async () => {
    const controller = new AbortController()
    const out = path.join(dir, 'slow-out')
    const running = buildImage(await recipe('slow', 'steps:\n  - { name: wait forever, run: "sleep 600" }\n'), {
      outDir: out,
      cache,
      mode: 'docker',
      signal: controller.signal,
      onProgress: (p) => p.message === 'wait forever' && setTimeout(() => controller.abort(), 3000),
    })
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(await readdir(out)).toEqual([])
    // The daemon stops and removes the RUN container once the build request is gone.
    const stepContainers = () => docker('ps', '-aq', '--filter', `ancestor=${sourceImage(fixture)}`).stdout.trim()
    for (let i = 0; i < 50 && stepContainers() !== ''; i++) await new Promise((resolve) => setTimeout(resolve, 200))
    expect(stepContainers()).toBe('')
    expect(descendants(fixture)).toEqual([])
    expect(spawnSync('pgrep', ['-f', 'sleep 600']).status).not.toBe(0)
  }, 600_000)
})
