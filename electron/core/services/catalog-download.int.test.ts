/**
 * catalog.download against a loopback server serving an Imager-format list whose entries
 * point at a small real .img.xz on the same server: the image lands verified in the cache
 * with progress; a wrong hash, a cancel, and offline-with-nothing-cached are refused with
 * clear errors and leave nothing in the cache.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { CatalogImage, type CatalogProgress } from '@common/contract'
import { osList, osListImage, startOsListServer, type OsListServer } from '../../../builder/src/testing/os-list-server'
import { EventBus } from '../events'
import { createCatalogService } from './catalog'

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')
const errorOf = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as Error & { code: string })

let server: OsListServer
let dir: string
let cache: string
let image: Buffer
let xz: Buffer

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-catalog-download-'))
  const file = path.join(dir, 'disk.img')
  await writeFile(file, Buffer.alloc(2 << 20))
  execFileSync('sfdisk', ['--quiet', file], { input: 'label: dos\nlabel-id: 0x13572468\nstart=2048, type=c\n' })
  image = await readFile(file)
  execFileSync('xz', ['-k', '-T0', file])
  xz = await readFile(`${file}.xz`)
  server = await startOsListServer()
  const good = { image_download_sha256: sha(xz), image_download_size: xz.length, extract_sha256: sha(image), extract_size: image.length }
  for (const name of ['good', 'bad-download', 'bad-image']) server.files.set(`/images/${name}.img.xz`, { body: xz, type: 'application/x-xz' })
  server.files.set(
    '/os_list.json',
    {
      body: osList([
        osListImage('Raspberry Pi OS Lite (64-bit)', `${server.origin}/images/good.img.xz`, good),
        osListImage('Wrong download hash', `${server.origin}/images/bad-download.img.xz`, { ...good, image_download_sha256: 'd'.repeat(64) }),
        osListImage('Wrong image hash', `${server.origin}/images/bad-image.img.xz`, { ...good, extract_sha256: 'e'.repeat(64) }),
      ]),
    },
  )
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(async () => {
  cache = await mkdtemp(path.join(dir, 'cache-'))
})

/** Every file under the cache's sources/ and images/ (the catalog list's own cache aside). */
async function cachedImages(): Promise<string[]> {
  const list = async (sub: string) => (await readdir(path.join(cache, sub)).catch(() => [])).map((name) => `${sub}/${name}`)
  return [...(await list('sources')), ...(await list('images'))]
}

it('downloads an entry into the verified cache with progress, and reuses it offline', async () => {
  const bus = new EventBus()
  const progress: CatalogProgress[] = []
  bus.listen((event, payload) => event === 'catalog.progress' && progress.push(payload as CatalogProgress))
  const service = createCatalogService({ cache, url: `${server.origin}/os_list.json`, bus })
  const url = `${server.origin}/images/good.img.xz`

  const result = CatalogImage.parse(await service.download({ url, downloadId: 'd1' }))
  expect(result).toMatchObject({ name: 'Raspberry Pi OS Lite (64-bit)', bytes: image.length, sha256: sha(xz), extractSha256: sha(image), arch: 'arm64' })
  expect(result.image.startsWith(cache)).toBe(true)
  expect(sha(await readFile(result.image))).toBe(sha(image))
  const downloaded = progress.filter((event) => event.phase === 'download')
  expect(downloaded.at(-1)).toEqual({ downloadId: 'd1', phase: 'download', bytes: xz.length, total: xz.length })
  expect(progress.some((event) => event.phase === 'decompress')).toBe(true)

  // A second service (a restarted app), the server gone from the image path: the cached image is used.
  server.files.delete('/images/good.img.xz')
  try {
    const again = await createCatalogService({ cache, url: `${server.origin}/os_list.json` }).download({ url, downloadId: 'd2' })
    expect(again.image).toBe(result.image)
  } finally {
    server.files.set('/images/good.img.xz', { body: xz, type: 'application/x-xz' })
  }
})

it('refuses a download or an image whose SHA256 does not match, leaving nothing in the cache', async () => {
  const service = createCatalogService({ cache, url: `${server.origin}/os_list.json` })
  const badDownload = await errorOf(service.download({ url: `${server.origin}/images/bad-download.img.xz`, downloadId: 'x' }))
  expect(badDownload?.code).toBe('CHECKSUM_MISMATCH')
  expect(badDownload?.message).toContain(`expected ${'d'.repeat(64)}, got ${sha(xz)}`)
  expect(await cachedImages()).toEqual([])

  const badImage = await errorOf(service.download({ url: `${server.origin}/images/bad-image.img.xz`, downloadId: 'y' }))
  expect(badImage?.code).toBe('CHECKSUM_MISMATCH')
  expect(badImage?.message).toContain('e'.repeat(64))
  // The verified download may stay (it matched its own hash); no image that failed its hash does.
  expect((await cachedImages()).filter((file) => file.startsWith('images/'))).toEqual([])
})

it('says so when offline with nothing cached, and for an entry the list does not have', async () => {
  const service = createCatalogService({ cache, url: `${server.origin}/os_list.json` })
  const unknown = await errorOf(service.download({ url: `${server.origin}/images/other.img.xz`, downloadId: 'u' }))
  expect(unknown?.code).toBe('NOT_FOUND')

  server.files.set('/images/good.img.xz', { body: 'gone', status: 503 })
  try {
    const offline = await errorOf(service.download({ url: `${server.origin}/images/good.img.xz`, downloadId: 'o' }))
    expect(offline?.code).toBe('DOWNLOAD_FAILED')
    expect(offline?.message).toContain('503')
    expect(await cachedImages()).toEqual([])
  } finally {
    server.files.set('/images/good.img.xz', { body: xz, type: 'application/x-xz' })
  }
})

it('cancels a running download: CANCELLED, nothing left in the cache', async () => {
  const service = createCatalogService({ cache, url: `${server.origin}/os_list.json` })
  await service.list({}) // the list is fetched before the download starts, so cancel hits the download
  const running = errorOf(service.download({ url: `${server.origin}/images/good.img.xz`, downloadId: 'c' }))
  expect(service.cancel({ downloadId: 'c' })).toEqual({ cancelled: true })
  expect((await running)?.code).toBe('CANCELLED')
  expect(await cachedImages()).toEqual([])
  expect(service.cancel({ downloadId: 'c' })).toEqual({ cancelled: false })
})
