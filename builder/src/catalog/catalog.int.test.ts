/**
 * The catalog against a loopback server serving a list in Imager's exact format: ETag and
 * 304, a list that changed, a server error, a broken list, offline; then catalog entries as
 * sources through source/resolve.ts (an entry whose download or image hash does not match
 * is refused and leaves nothing in the cache), and the CLI (`orchard catalog`, `flash --catalog`).
 */
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { resolveSource } from '../source/resolve'
import { etagOf, osList, osListImage, startOsListServer, type OsListServer } from '../testing/os-list-server'
import type { BuildError } from '../util/errors'
import { loadCatalog } from './fetch-list'
import { catalogSource, findEntry } from './source'

const ORCHARD = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')
const errorOf = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as BuildError)

let server: OsListServer
let dir: string
let cache: string
let image: Buffer
let xz: Buffer
let listUrl: string

/** The list: a good image, one whose extract hash is wrong, one whose download hash is wrong (nested like Imager's). */
function list(extra: unknown[] = []) {
  const url = `${server.origin}/images/disk.img.xz`
  const good = { image_download_sha256: sha(xz), image_download_size: xz.length, extract_sha256: sha(image), extract_size: image.length }
  return osList([
    osListImage('Raspberry Pi OS Lite (64-bit)', url, good),
    {
      name: 'Raspberry Pi OS (other)',
      subitems: [
        osListImage('Wrong image hash', url, { ...good, extract_sha256: 'e'.repeat(64) }),
        osListImage('Wrong download hash', url, { ...good, image_download_sha256: 'd'.repeat(64) }),
        ...extra,
      ],
    },
  ])
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-catalog-'))
  // A real (small) disk image: sfdisk writes the MBR.
  const file = path.join(dir, 'disk.img')
  await writeFile(file, Buffer.alloc(2 << 20))
  execFileSync('sfdisk', ['--quiet', file], { input: 'label: dos\nlabel-id: 0x2468ace0\nstart=2048, type=c\n' })
  image = await readFile(file)
  execFileSync('xz', ['-k', '-T0', file])
  xz = await readFile(`${file}.xz`)
  server = await startOsListServer()
  server.files.set('/images/disk.img.xz', { body: xz, type: 'application/x-xz' })
  listUrl = `${server.origin}/os_list_imagingutility_v4.json`
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(async () => {
  cache = await mkdtemp(path.join(dir, 'cache-'))
  server.files.set('/os_list_imagingutility_v4.json', { body: list() })
  server.requests.length = 0
})

const listRequests = () => server.requests.filter((request) => request.path === '/os_list_imagingutility_v4.json')

describe('loadCatalog', () => {
  it('fetches, caches with the ETag, and revalidates with If-None-Match (304 keeps the cached list)', async () => {
    const first = await loadCatalog({ url: listUrl, cache })
    expect(first).toMatchObject({ origin: 'network', warning: null, problems: [] })
    expect(first.entries.map((entry) => entry.name)).toEqual(['Raspberry Pi OS Lite (64-bit)', 'Wrong image hash', 'Wrong download hash'])
    const second = await loadCatalog({ url: listUrl, cache })
    expect(listRequests().map(({ ifNoneMatch, status }) => ({ ifNoneMatch, status }))).toEqual([
      { ifNoneMatch: null, status: 200 },
      { ifNoneMatch: etagOf(list()), status: 304 },
    ])
    expect(second.origin).toBe('network')
    expect(second.entries).toEqual(first.entries)
  })

  it('a changed list replaces the cached one', async () => {
    await loadCatalog({ url: listUrl, cache })
    server.files.set('/os_list_imagingutility_v4.json', { body: list([osListImage('New image', `${server.origin}/new.img.xz`)]) })
    const changed = await loadCatalog({ url: listUrl, cache })
    expect(listRequests().map((request) => request.status)).toEqual([200, 200])
    expect(changed.entries.map((entry) => entry.name)).toContain('New image')
    const offline = await loadCatalog({ url: listUrl, cache, offline: true })
    expect(offline.origin).toBe('cache')
    expect(offline.entries.map((entry) => entry.name)).toContain('New image')
  })

  it('a server error or a list that is not the format falls back to the cached copy, which stays as it was', async () => {
    await loadCatalog({ url: listUrl, cache })
    server.files.set('/os_list_imagingutility_v4.json', { body: '', status: 500 })
    const failed = await loadCatalog({ url: listUrl, cache })
    expect(failed).toMatchObject({ origin: 'cache', warning: expect.stringMatching(/answered 500 .*using the copy fetched/) })
    server.files.set('/os_list_imagingutility_v4.json', { body: '{"os_list": "not a list"}' })
    const broken = await loadCatalog({ url: listUrl, cache })
    expect(broken).toMatchObject({ origin: 'cache', warning: expect.stringMatching(/no os_list array/) })
    expect(broken.entries).toHaveLength(3)
  })

  it('offline with nothing cached: the shipped list, saying why', async () => {
    await server.close()
    try {
      const offline = await loadCatalog({ url: listUrl, cache, timeoutMs: 3000 })
      expect(offline).toMatchObject({ origin: 'shipped', fetchedAt: null, warning: expect.stringMatching(/^cannot reach .*; using the list shipped with Orchard$/) })
      expect(offline.entries.map((entry) => entry.name)).toContain('Raspberry Pi OS Lite (64-bit)')
    } finally {
      const port = Number(new URL(server.origin).port)
      server = await startOsListServer(port)
      server.files.set('/images/disk.img.xz', { body: xz, type: 'application/x-xz' })
    }
  })
})

describe('a catalog entry as a source', () => {
  const cacheFiles = async () => (await readdir(cache, { recursive: true })).filter((name) => !name.startsWith('catalog')).sort()
  const entry = async (name: string) => findEntry((await loadCatalog({ url: listUrl, cache })).entries, name)

  it('downloads the .xz checked against image_download_sha256 and the image against extract_sha256', async () => {
    const resolved = await resolveSource(catalogSource(await entry('Raspberry Pi OS Lite (64-bit)')), dir, { cache })
    expect(sha(await readFile(resolved.image))).toBe(sha(image))
    expect(await readFile(`${resolved.image}.sha256`, 'utf8')).toBe(sha(image))
  })

  it('an entry whose image hash does not match is refused, and no image (partial or whole) stays in the cache', async () => {
    const error = await errorOf(resolveSource(catalogSource(await entry('Wrong image hash')), dir, { cache }))
    expect(error).toMatchObject({ code: 'CHECKSUM_MISMATCH', message: `SHA256 mismatch for the image inside ${path.join(cache, 'sources', `${sha(xz)}.img.xz`)}: expected ${'e'.repeat(64)}, got ${sha(image)}` })
    expect(await cacheFiles()).toEqual(['images', 'sources', `sources/${sha(xz)}.img.xz`]) // the verified download stays; no image
  })

  it('an entry whose download hash does not match is refused, and nothing stays in the cache', async () => {
    const error = await errorOf(resolveSource(catalogSource(await entry('Wrong download hash')), dir, { cache }))
    expect(error).toMatchObject({ code: 'CHECKSUM_MISMATCH', message: expect.stringMatching(new RegExp(`^SHA256 mismatch for ${server.origin}/images/disk.img.xz: expected d{64}, got ${sha(xz)}$`)) })
    expect(await cacheFiles()).toEqual(['sources'])
  })

  it('an image cached before, without the check, is checked once against a wrong extract hash', async () => {
    const good = catalogSource(await entry('Raspberry Pi OS Lite (64-bit)'))
    const resolved = await resolveSource({ url: good.url, sha256: good.sha256 }, dir, { cache })
    await expect(readFile(`${resolved.image}.sha256`)).rejects.toThrow(/ENOENT/) // decompressed without an image hash to check
    const error = await errorOf(resolveSource({ ...good, extractSha256: 'e'.repeat(64) }, dir, { cache }))
    expect(error).toMatchObject({ code: 'CHECKSUM_MISMATCH' })
    expect(await resolveSource(good, dir, { cache })).toMatchObject({ image: resolved.image })
  })
})

describe('the CLI', () => {
  // Not spawnSync: the loopback server answers from this process's event loop.
  const orchard = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [ORCHARD, ...args], { env: { ...process.env, ORCHARD_CACHE_DIR: cache, ORCHARD_CATALOG_URL: listUrl } })
      return { code: 0, stdout, stderr }
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string }
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
    }
  }

  // Each run starts the CLI through tsx (seconds on a busy machine): few runs, each checking much.
  it('orchard catalog --device --json lists the entries for that Pi; --source prints the pinned source block', async () => {
    const listed = await orchard('catalog', '--device', 'pi5', '--json')
    expect(listed.code).toBe(0)
    const result = JSON.parse(listed.stdout.trim()) as { origin: string; entries: { name: string }[] }
    expect(result.origin).toBe('network')
    expect(result.entries.map((entry) => entry.name)).toEqual(['Raspberry Pi OS Lite (64-bit)', 'Wrong image hash', 'Wrong download hash'])

    const source = await orchard('catalog', '--source', 'Raspberry Pi OS Lite (64-bit)')
    expect(source.code).toBe(0)
    expect(source.stdout).toContain(`source:\n  url: ${server.origin}/images/disk.img.xz\n  sha256: ${sha(xz)}\n  extractSha256: ${sha(image)}\narch: arm64`)

    expect(await orchard('catalog', '--device', 'pi6')).toMatchObject({ code: 2, stderr: expect.stringMatching(/not a Pi model Orchard knows; one of pi5, pi4, pi3, zero2w, zero/) })
  })

  it('orchard flash --catalog writes the verified image; a mismatching entry is refused before any destination is written', async () => {
    const out = path.join(dir, 'flashed.img')
    const flashed = await orchard('flash', '--catalog', 'Raspberry Pi OS Lite (64-bit)', '--to', out, '--json')
    expect(flashed.code).toBe(0)
    expect(sha(await readFile(out))).toBe(sha(image))

    const refusedOut = path.join(dir, 'refused.img')
    const refused = await orchard('flash', '--catalog', 'Wrong image hash', '--to', refusedOut)
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/SHA256 mismatch for the image inside/)
    await expect(readFile(refusedOut)).rejects.toThrow(/ENOENT/)
  })
})
