import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSettingsService, defaultSettings } from './settings'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-settings-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('settings', () => {
  it('starts from defaults: images under the data dir, the bundled official releases', async () => {
    const settings = await createSettingsService(dir).get()
    expect(settings).toEqual(defaultSettings(dir))
    expect(settings.outDir).toBe(path.join(dir, 'images'))
    expect(settings.releases[0]).toMatchObject({ arch: 'arm64', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), url: expect.stringMatching(/^https:\/\/downloads\.raspberrypi\.com\//) })
  })

  it('merges changes, keeps them across instances, and keeps recent sources unique and short', async () => {
    const service = createSettingsService(dir)
    await Promise.all([service.set({ theme: 'dark' }), service.set({ lastRecipePath: '/r.yml' })])
    await service.set({ recentSources: ['/a.img', '/b.img', '/a.img', ...Array.from({ length: 20 }, (_, i) => `/${i}.img`)] })
    const again = await createSettingsService(dir).get()
    expect(again).toMatchObject({ theme: 'dark', lastRecipePath: '/r.yml' })
    expect(again.recentSources).toHaveLength(10)
    expect(again.recentSources.slice(0, 3)).toEqual(['/a.img', '/b.img', '/0.img'])
    expect(JSON.parse(await readFile(path.join(dir, 'settings.json'), 'utf8'))).toMatchObject({ theme: 'dark' })
  })

  it('keeps what still fits from a damaged or older file', async () => {
    await writeFile(path.join(dir, 'settings.json'), JSON.stringify({ theme: 'purple', notifyWhenDone: false, outDir: 42 }))
    expect(await createSettingsService(dir).get()).toMatchObject({ theme: 'system', notifyWhenDone: false, outDir: path.join(dir, 'images') })
    await writeFile(path.join(dir, 'settings.json'), '{ not json')
    expect(await createSettingsService(dir).get()).toEqual(defaultSettings(dir))
  })
})
