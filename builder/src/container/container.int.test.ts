/**
 * The builder container against a real Docker daemon: builder/Dockerfile builds (on a
 * debootstrapped debian:bookworm-slim where Docker Hub cannot be reached), the CLI runs in
 * it, and builds run through it end to end: quick (same image content as a host build),
 * chroot (apt under qemu in the container), a bad recipe, a cancel.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dockerUnavailableReason } from '../util/docker-daemon'
import { buildImage, type BuildProgress } from '../pipeline/build'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { loadRecipe } from '../recipe/load'
import { debugfs, extractPartition, mtype, sha256sum } from '../testing/disk-tools'
import { aptUnavailableReason, npmRegistryUnavailableReason } from '../testing/network'
import { BUILDER_VERSION } from '../util/version'
import { BASE_IMAGE, baseImageProblem, ensureBaseImage } from './base-image'
import { ensureBuilderImage, HASH_LABEL } from './builder-image'
import { RUN_LABEL, runBuildInContainer } from './run-build'

const docker = new Docker()
const skip =
  (await dockerUnavailableReason(docker)) ??
  ((await docker.getImage(BASE_IMAGE).inspect().then(() => null, () => baseImageProblem())) && `${BASE_IMAGE} missing: ${baseImageProblem()}`) ??
  fixtureUnavailableReason('arm64') ??
  aptUnavailableReason() ??
  npmRegistryUnavailableReason()
if (skip) console.log(`[container] skipped: ${skip}`)

/** Containers our runs created that still exist. */
async function leftContainers(): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } })
  return list.map((container) => `${container.Id.slice(0, 12)} ${container.State}`)
}

/** Every file on a FAT partition (path → content), as mtools reads it. */
function fatFiles(fat: string): Map<string, string> {
  const listing = execFileSync('mdir', ['-/', '-b', '-i', fat, '::/'], { encoding: 'utf8' })
  const files = new Map<string, string>()
  for (const line of listing.split('\n').filter((l) => l && !l.endsWith('/'))) {
    const file = line.replace(/^::/, '')
    files.set(file, mtype(fat, file))
  }
  return files
}

describe.skipIf(skip)('the builder container', () => {
  let dir: string
  let fixture: string
  let image: string
  const timings: Record<string, number> = {}

  async function recipe(name: string, extra: string): Promise<string> {
    const folder = path.join(dir, `recipe-${name}`)
    await mkdir(folder, { recursive: true })
    const file = path.join(folder, 'recipe.yml')
    // The source lies outside the recipe's folder: the run must mount it too.
    await writeFile(file, `name: ${name}\narch: arm64\nsource: { path: ${fixture}, sha256: ${sha256sum(fixture)} }\n${extra}`)
    return file
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-container-'))
    const base = await ensureBaseImage({ docker, onLine: (line) => console.log(`[base-image] ${line}`) })
    console.log(`[container] ${BASE_IMAGE}: ${base.how}`)
    let started = Date.now()
    const built = await ensureBuilderImage({ docker, onLine: (line) => process.env.ORCHARD_CONTAINER_VERBOSE && console.log(`[image] ${line}`) })
    timings.firstEnsure = Date.now() - started
    image = built.tag
    started = Date.now()
    await ensureBuilderImage({ docker })
    timings.secondEnsure = Date.now() - started
    const size = (await docker.getImage(image).inspect()).Size
    console.log(`[container] ${image}: ${built.built ? 'built' : 'present'} in ${timings.firstEnsure} ms, found again in ${timings.secondEnsure} ms, ${Math.round(size / 1e6)} MB`)
    fixture = await testFixture('arm64')
  }, 1_800_000)

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('builds builder/Dockerfile, labelled with the version and content hash, and finds it again', async () => {
    const info = await docker.getImage(image).inspect()
    expect(image).toMatch(new RegExp(`^orchard-builder:${BUILDER_VERSION.replace(/\./g, '\\.')}-[0-9a-f]{12}$`))
    expect(info.Config.Labels).toMatchObject({ 'org.opencontainers.image.version': BUILDER_VERSION, [HASH_LABEL]: expect.stringMatching(/^[0-9a-f]{64}$/) })
    expect(timings.secondEnsure).toBeLessThan(5_000) // hashing the context, no build
  })

  it('runs `orchard --version` (the CLI starts without etcher-sdk native modules)', async () => {
    const container = await docker.createContainer({ Image: image, Cmd: ['--version'], Labels: { [RUN_LABEL]: 'test' } })
    try {
      await container.start()
      const { StatusCode } = (await container.wait()) as { StatusCode: number }
      const logs = (await container.logs({ stdout: true, stderr: true })).toString()
      expect(StatusCode, logs).toBe(0)
      expect(logs).toContain(BUILDER_VERSION)
    } finally {
      await container.remove({ force: true })
    }
  })

  it('quick build: outputs on the host, owned as asked, with the content of a host build', async () => {
    const file = await recipe('quick', 'system: { hostname: box-1 }\n')
    const out = path.join(dir, 'quick-out')
    const progress: BuildProgress[] = []
    const result = await runBuildInContainer({ recipeFile: file, outDir: out, mode: 'quick', image, owner: { uid: 4321, gid: 4321 }, onProgress: (p) => progress.push(p) })
    expect(result.image).toBe(path.join(out, 'quick.img'))
    expect((await readdir(out)).sort()).toEqual(['buildinfo.json', 'quick.img', 'quick.img.sha256'])
    expect(sha256sum(result.image)).toBe(result.sha256)
    expect(readFileSync(result.checksumFile, 'utf8')).toBe(`${result.sha256}  quick.img\n`)
    for (const name of await readdir(out)) expect((await stat(path.join(out, name))).uid).toBe(4321)
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['source', 'customize', 'write', 'done']))
    expect(progress.find((p) => p.totalBytes)).toMatchObject({ bytes: expect.any(Number), totalBytes: expect.any(Number) })

    // The same recipe built on the host: timestamps (builtAt, FAT and inode times) differ,
    // the content does not.
    const host = await buildImage(await loadRecipe(file), { outDir: path.join(dir, 'quick-host'), mode: 'quick', cache: path.join(dir, 'host-cache') })
    const { builtAt: _a, ...inContainer } = JSON.parse(readFileSync(result.buildInfoFile, 'utf8')) as Record<string, unknown>
    const { builtAt: _b, ...onHost } = host.buildInfo as unknown as Record<string, unknown>
    expect(inContainer).toEqual(onHost)
    expect(inContainer).toMatchObject({ mode: 'quick', source: { path: fixture } })
    expect((await stat(result.image)).size).toBe((await stat(host.image)).size)
    const withoutBuiltAt = (files: Map<string, string>) => new Map([...files].map(([name, text]) => [name, text.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')]))
    const bootHere = fatFiles(extractPartition(result.image, 1, path.join(dir, 'c.fat')))
    const bootHost = fatFiles(extractPartition(host.image, 1, path.join(dir, 'h.fat')))
    expect([...bootHere.keys()].sort()).toEqual([...bootHost.keys()].sort())
    expect(withoutBuiltAt(bootHere)).toEqual(withoutBuiltAt(bootHost))
    const rootHere = extractPartition(result.image, 2, path.join(dir, 'c.ext4'))
    const rootHost = extractPartition(host.image, 2, path.join(dir, 'h.ext4'))
    for (const file of ['/etc/hostname', '/etc/hosts', '/usr/local/lib/orchard/startup-runner', '/etc/systemd/system/orchard-startup.service']) {
      expect(debugfs(rootHere, `cat ${file}`), file).toBe(debugfs(rootHost, `cat ${file}`))
    }
    const firstRun = [...bootHere].find(([name]) => name.endsWith('/first_run_setup.sh'))
    expect(firstRun?.[1]).toContain('box-1')
    expect(await leftContainers()).toEqual([])
  }, 600_000)

  it('reports a bad recipe with the CLI\'s error code, leaving nothing behind', async () => {
    const file = await recipe('bad', 'system: { hostname: box-1, colour: blue }\n')
    const out = path.join(dir, 'bad-out')
    const error = await runBuildInContainer({ recipeFile: file, outDir: out, image }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'BuildError', code: 'INVALID_RECIPE', detail: { problems: [{ path: 'system.colour', message: 'unknown field "colour"' }] } })
    expect(await readdir(out)).toEqual([])
    expect(await leftContainers()).toEqual([])
  })

  it('names the socket when no Docker daemon answers', async () => {
    const saved = process.env.DOCKER_HOST
    process.env.DOCKER_HOST = `unix://${path.join(dir, 'no-docker.sock')}`
    try {
      const error = await runBuildInContainer({ recipeFile: await recipe('nodaemon', ''), outDir: path.join(dir, 'nodaemon-out') }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('no-docker.sock') })
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST
      else process.env.DOCKER_HOST = saved
    }
  })

  it('cancel: docker stop → the CLI cancels the running step; no container, no output', async () => {
    const file = await recipe('slow', 'steps:\n  - { name: wait forever, run: "sleep 600" }\n')
    const out = path.join(dir, 'slow-out')
    const controller = new AbortController()
    const started = Date.now()
    const error = await runBuildInContainer({
      recipeFile: file,
      outDir: out,
      mode: 'chroot',
      image,
      cacheDir: path.join(dir, 'cache'),
      signal: controller.signal,
      onProgress: (p) => p.message === 'wait forever' && setTimeout(() => controller.abort(), 1000),
    }).catch((e: unknown) => e)
    // The CLI's own cancel message: SIGTERM reached it, it did not wait to be killed.
    expect(error).toMatchObject({ code: 'CANCELLED', message: 'Cancelled during step "wait forever"' })
    expect(Date.now() - started).toBeLessThan(300_000)
    expect(await readdir(out)).toEqual([])
    expect(await leftContainers()).toEqual([])
    expect((await readdir(path.join(dir, 'cache'))).filter((name) => name.startsWith('full-build-'))).toEqual([])
  }, 600_000)

  it('docker mode: the executor reaches the host daemon through the mounted socket (no device flags)', async () => {
    const file = await recipe('viadocker', 'steps:\n  - { name: mark, run: "uname -m > /etc/orchard-mark" }\n')
    const result = await runBuildInContainer({ recipeFile: file, outDir: path.join(dir, 'viadocker-out'), mode: 'docker', image })
    expect(result.buildInfo).toMatchObject({ mode: 'docker' })
    expect(debugfs(extractPartition(result.image, 2, path.join(dir, 'viadocker.ext4')), 'cat /etc/orchard-mark')).toBe('aarch64\n')
    expect(await leftContainers()).toEqual([])
  }, 600_000)

  it('chroot build: apt installs a package under qemu inside the container', async () => {
    const file = await recipe('cowsay', 'packages: [cowsay]\nsystem: { hostname: moo }\n')
    const out = path.join(dir, 'cowsay-out')
    const lines: string[] = []
    const started = Date.now()
    const result = await runBuildInContainer({ recipeFile: file, outDir: out, mode: 'auto', image, cacheDir: path.join(dir, 'cache'), onProgress: (p) => lines.push(`${p.phase}: ${p.message}`) })
    console.log(`[container] chroot build in ${Math.round((Date.now() - started) / 1000)} s`)
    expect(lines).toEqual(expect.arrayContaining(['steps: apt-get update', 'steps: install cowsay']))
    expect(result.buildInfo).toMatchObject({ mode: 'chroot', customizations: expect.arrayContaining(['packages cowsay']) })
    const root = extractPartition(result.image, 2, path.join(dir, 'cowsay.ext4'))
    expect(debugfs(root, 'stat /usr/games/cowsay')).toMatch(/Type: regular/)
    expect(debugfs(root, 'cat /var/lib/dpkg/status')).toMatch(/Package: cowsay\nStatus: install ok installed/)
    expect(existsSync(result.checksumFile)).toBe(true)
    expect(await leftContainers()).toEqual([])
  }, 1_200_000)
})
