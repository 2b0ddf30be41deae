/** recipes.* and builds.* through the real core, over the loopback bridge, with events. */
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { fixtureUnavailableReason, testFixture } from '../../builder/src/testing/test-fixture'
import { dockerUnavailableReason } from '../../builder/src/util/docker-daemon'
import { ensureBaseImage } from '../../builder/src/container/base-image'
import { sha256sum } from '../../builder/src/testing/disk-tools'
import { aptUnavailableReason, npmRegistryUnavailableReason } from '../../builder/src/testing/network'
import { startBridge, type Bridge } from './server'
import { createBridgeTransport } from '@common/bridge-transport'
import { createClient, type Client } from '@common/client'
import type { BuildFinished, BuildProgress } from '@common/contract'
import { createCore, type Core } from '../core'

let dir: string
let core: Core
let bridge: Bridge
let client: Client

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-core-builds-'))
  core = createCore({ runtime: { name: 'orchard', version: '0.0.0', runtime: 'node' }, cache: path.join(dir, 'cache') })
  bridge = await startBridge(core)
  client = createClient(createBridgeTransport(bridge.origin, bridge.token, WebSocket))
})

afterAll(async () => {
  await core.builds.idle()
  await bridge.close()
  await rm(dir, { recursive: true, force: true })
})

const yaml = (source: string, sha256: string, extra = '') => `name: core-build\narch: arm64\nsource: { path: ${source}, sha256: ${sha256} }\n${extra}`

describe('recipes.*', () => {
  it('validates YAML and lists every problem with its path', async () => {
    const result = await client.call('recipes.validate', { yaml: yaml('x.img', 'a'.repeat(64), 'system: { hostname: "-x" }\nwifi: { ssid: home, passphrase: short, country: GB }\n') })
    expect(result.valid).toBe(false)
    expect(result.name).toBe('core-build')
    expect(result.problems.map((p) => p.path)).toEqual(['system.hostname', 'wifi.passphrase'])
  })

  it('checks referenced files against baseDir', async () => {
    const result = await client.call('recipes.validate', { yaml: yaml('missing.img', 'a'.repeat(64)), baseDir: dir })
    expect(result).toMatchObject({ valid: false, problems: [{ path: 'source.path', message: `file not found: ${path.join(dir, 'missing.img')}` }] })
  })

  it('saves only a valid recipe, and loads it back', async () => {
    const file = path.join(dir, 'saved.yml')
    await expect(client.call('recipes.save', { path: file, yaml: 'name: x\n' })).rejects.toMatchObject({ code: 'INVALID_RECIPE' })
    expect(existsSync(file)).toBe(false)
    const text = yaml('x.img', 'a'.repeat(64))
    expect(await client.call('recipes.save', { path: file, yaml: text })).toEqual({ path: file })
    const loaded = await client.call('recipes.load', { path: file })
    expect(loaded.yaml).toBe(text)
    expect(loaded.validation.problems).toEqual([{ path: 'source.path', message: `file not found: ${path.join(dir, 'x.img')}` }])
  })

  it('saves into a folder that does not exist yet (the output folder before the first build), making it', async () => {
    const file = path.join(dir, 'not-yet', 'images', 'quick-flash.yml')
    expect(await client.call('recipes.save', { path: file, yaml: yaml('x.img', 'a'.repeat(64)) })).toEqual({ path: file })
    expect(existsSync(file)).toBe(true)
  })
})

/** Collects the events of one build until it finishes. */
function follow(buildId: Promise<string>) {
  const progress: BuildProgress[] = []
  let stop = () => {}
  const finished = new Promise<BuildFinished>((resolve) => {
    const offProgress = client.on('builds.progress', (event) => void buildId.then((id) => event.buildId === id && progress.push(event)))
    const offFinished = client.on('builds.finished', (event) => void buildId.then((id) => event.buildId === id && resolve(event)))
    stop = () => {
      offProgress()
      offFinished()
    }
  })
  return { progress, finished: finished.finally(() => stop()) }
}

describe('builds.*', () => {
  it('refuses a missing recipe in the call itself', async () => {
    await expect(client.call('builds.start', { recipePath: path.join(dir, 'nope.yml'), outDir: dir, mode: 'auto' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  const skip = fixtureUnavailableReason('arm64')
  describe.skipIf(skip)('on the fixture', () => {
    let fixture: string
    let sha: string
    beforeAll(async () => {
      fixture = await testFixture('arm64')
      sha = sha256sum(fixture)
    }, 900_000)

    it('builds in the background, reporting progress through to a verified result', async () => {
      const recipePath = path.join(dir, 'good.yml')
      await writeFile(recipePath, yaml(fixture, sha, 'system: { hostname: from-core }\n'))
      const start = client.call('builds.start', { recipePath, outDir: path.join(dir, 'out'), mode: 'quick' })
      const { progress, finished } = follow(start.then((r) => r.buildId))
      const end = await finished
      expect(end).toMatchObject({ ok: true, output: { image: path.join(dir, 'out', 'core-build.img'), release: 'Debian GNU/Linux 12 (bookworm)' } })
      if (!end.ok) return
      expect(sha256sum(end.output.image)).toBe(end.output.sha256)
      expect(end.output.customizations).toContain('hostname from-core')
      const phases = [...new Set(progress.map((p) => p.phase))]
      expect(phases).toEqual(['source', 'customize', 'write', 'done'])
      expect(progress.filter((p) => p.phase === 'write').length).toBeLessThan(40) // throttled
    }, 120_000)

    it('reports a failing build as a coded error event, leaving no image', async () => {
      const recipePath = path.join(dir, 'bad-sha.yml')
      await writeFile(recipePath, yaml(fixture, 'b'.repeat(64)).replace('core-build', 'bad-sha'))
      const { finished } = follow(client.call('builds.start', { recipePath, outDir: path.join(dir, 'bad'), mode: 'auto' }).then((r) => r.buildId))
      expect(await finished).toMatchObject({ ok: false, error: { code: 'CHECKSUM_MISMATCH', message: expect.stringContaining(`expected ${'b'.repeat(64)}, got ${sha}`) } })
      expect(await readdir(path.join(dir, 'bad'))).toEqual([])
    }, 120_000)

    it('builds in the builder container ("local Docker") with the same events and result', async (context) => {
      const noDocker = await dockerUnavailableReason()
      if (noDocker) return context.skip(`needs Docker: ${noDocker}`)
      // The builder image is built from Debian packages and the npm registry.
      const offline = aptUnavailableReason() ?? npmRegistryUnavailableReason()
      if (offline) return context.skip(offline)
      await ensureBaseImage() // debian:bookworm-slim, made here where Docker Hub is unreachable
      const recipePath = path.join(dir, 'container.yml')
      await writeFile(recipePath, yaml(fixture, sha, 'system: { hostname: in-a-box }\n').replace('core-build', 'container-build'))
      const start = client.call('builds.start', { recipePath, outDir: path.join(dir, 'container-out'), mode: 'quick', where: 'container' })
      const { progress, finished } = follow(start.then((r) => r.buildId))
      const end = await finished
      expect(end).toMatchObject({ ok: true, output: { image: path.join(dir, 'container-out', 'container-build.img'), customizations: ['hostname in-a-box'] } })
      if (!end.ok) return
      expect(sha256sum(end.output.image)).toBe(end.output.sha256)
      expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['source', 'customize', 'write', 'done']))
    }, 900_000)

    it('cancels a running build, leaving nothing behind', async () => {
      // A fresh cache: the source is verified again, which is where the cancel lands.
      const cancelCore = createCore({ runtime: { name: 'orchard', version: '0', runtime: 'node' }, cache: path.join(dir, 'cache-2') })
      const heard: BuildFinished[] = []
      cancelCore.bus.listen((event, payload) => event === 'builds.finished' && heard.push(payload as BuildFinished))
      const recipePath = path.join(dir, 'cancel.yml')
      await writeFile(recipePath, yaml(fixture, sha).replace('core-build', 'cancelled'))
      const started = await cancelCore.dispatcher.dispatch('builds.start', { recipePath, outDir: path.join(dir, 'cancel-out') })
      if (!started.ok) throw new Error(started.error.message)
      const { buildId } = started.value as { buildId: string }
      expect(await cancelCore.dispatcher.dispatch('builds.cancel', { buildId })).toEqual({ ok: true, value: { cancelled: true } })
      await cancelCore.builds.idle()
      expect(heard).toMatchObject([{ buildId, ok: false, error: { code: 'CANCELLED' } }])
      expect(await readdir(path.join(dir, 'cancel-out'))).toEqual([])
      expect(await cancelCore.dispatcher.dispatch('builds.cancel', { buildId })).toEqual({ ok: true, value: { cancelled: false } })
    }, 120_000)
  })
})

