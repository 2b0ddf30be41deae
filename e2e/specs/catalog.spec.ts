/**
 * The official catalog in Quick flash's OS chooser (issue 16): core reads an Imager-format
 * list from a loopback server (ORCHARD_CATALOG_URL); the device filter narrows it, and
 * choosing an entry downloads its small .img.xz into the verified cache and makes it the
 * chosen image. Keyboard only, and axe-clean. Costs a few seconds (a 2 MiB image).
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { osList, osListImage, startOsListServer, type OsListServer } from '../../builder/src/testing/os-list-server'
import { expect, test } from '../fixtures'
import { tabTo } from '../keyboard'
import { QuickPage } from '../pages/QuickPage'

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')
// A port fixed per worker process: core's environment is set before the server starts.
const PORT = 41_000 + (process.pid % 4000)
const ORIGIN = `http://127.0.0.1:${PORT}`
// Core's own cache for this file: the image is the same bytes every run, so a shared cache
// would answer it without the download this test is about.
const CACHE = path.join(os.tmpdir(), `orchard-e2e-catalog-cache-${process.pid}`)
let server: OsListServer
let dir: string

test.use({ appEnv: { ORCHARD_CATALOG_URL: `${ORIGIN}/os_list.json`, ORCHARD_CACHE_DIR: CACHE } })

test.beforeAll(async () => {
  await rm(CACHE, { recursive: true, force: true })
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-e2e-catalog-'))
  const file = path.join(dir, 'disk.img')
  await writeFile(file, Buffer.alloc(2 << 20))
  execFileSync('sfdisk', ['--quiet', file], { input: 'label: dos\nlabel-id: 0x0e2ec0de\nstart=2048, type=c\n' })
  const image = await readFile(file)
  execFileSync('xz', ['-k', '-T0', file])
  const xz = await readFile(`${file}.xz`)
  server = await startOsListServer(PORT)
  server.files.set('/images/lite.img.xz', { body: xz, type: 'application/x-xz' })
  const hashes = { image_download_sha256: sha(xz), image_download_size: xz.length, extract_sha256: sha(image), extract_size: image.length }
  server.files.set(
    '/os_list.json',
    {
      body: osList([
        osListImage('E2E OS Lite (64-bit)', `${ORIGIN}/images/lite.img.xz`, hashes),
        osListImage('E2E OS Legacy (32-bit)', `${ORIGIN}/images/legacy_armhf.img.xz`, { ...hashes, devices: ['pi4-32bit', 'pi3-32bit'] }),
      ]),
    },
  )
})
test.afterAll(async () => {
  await server?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
  await rm(CACHE, { recursive: true, force: true })
})

test('the catalog lists images per Pi model; choosing one downloads it, verified, as the chosen image', async ({ app }) => {
  const quick = new QuickPage(app)
  const main = app.getByRole('region', { name: 'Quick flash' })
  await tabTo(app, quick.link)
  await app.keyboard.press('Enter')
  const official = main.getByRole('radio', { name: 'Official catalog' })
  // A radio group is one Tab stop (the checked radio); the arrow keys choose within it.
  await tabTo(app, main.getByRole('radio', { name: 'Use a local file' }))
  await app.keyboard.press('ArrowUp')
  await expect(official).toBeChecked()
  const entries = main.getByRole('list', { name: 'Official images' })
  await expect(entries.getByRole('button')).toHaveCount(2)

  const model = main.getByLabel('Raspberry Pi model')
  await model.focus()
  await model.selectOption({ label: 'Raspberry Pi 5' })
  await expect(entries.getByRole('button')).toHaveCount(1)
  await expect(entries.getByRole('button')).toContainText('E2E OS Lite (64-bit)')

  const { violations } = await new AxeBuilder({ page: app }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze()
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([])

  await tabTo(app, entries.getByRole('button', { name: /E2E OS Lite/ }))
  await app.keyboard.press('Enter')
  await expect(quick.chosenImage).toContainText('E2E OS Lite (64-bit)', { timeout: 30_000 })
  await expect(quick.chosenImage).toContainText('arm64')
  expect(server.requests.some((request) => request.path === '/images/lite.img.xz' && request.status === 200)).toBe(true)
})
