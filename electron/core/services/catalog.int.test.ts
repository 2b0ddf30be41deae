/** catalog.list against a loopback server serving a list in Imager's format: filter, icons as data:, ETag reuse, offline. */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { CatalogList } from '@common/contract'
import { osList, osListImage, startOsListServer, type OsListServer } from '../../../builder/src/testing/os-list-server'
import { createCatalogService } from './catalog'

let server: OsListServer
let cache: string
// The PNG signature and a few bytes: enough for a data: URI to be checked byte for byte.
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4])

beforeAll(async () => {
  server = await startOsListServer()
  server.files.set('/icons/rpi.png', { body: PNG, type: 'image/png' })
  server.files.set(
    '/os_list.json',
    {
      body: osList([
        osListImage('Raspberry Pi OS (64-bit)', `${server.origin}/raspios_arm64/a.img.xz`),
        {
          name: 'Raspberry Pi OS (other)',
          subitems: [
            osListImage('Raspberry Pi OS Lite (32-bit)', `${server.origin}/raspios_lite_armhf/b.img.xz`, {
              devices: ['pi4-32bit', 'pi3-32bit', 'pi2-32bit', 'pi1-32bit'],
              icon: 'https://127.0.0.1:1/unreachable.png',
            }),
          ],
        },
      ]),
    },
  )
})
afterAll(() => server.close())
beforeEach(async () => {
  cache = await mkdtemp(path.join(os.tmpdir(), 'orchard-catalog-service-'))
  server.requests.length = 0
  return () => rm(cache, { recursive: true, force: true })
})

it('lists the catalog for one Pi model, each icon as a data: URI, in the contract shape', async () => {
  const service = createCatalogService({ cache, url: `${server.origin}/os_list.json` })
  const all = CatalogList.parse(await service.list({}))
  expect(all.origin).toBe('network')
  expect(all.warning).toBeNull()
  expect(all.entries.map((entry) => entry.name)).toEqual(['Raspberry Pi OS (64-bit)', 'Raspberry Pi OS Lite (32-bit)'])
  expect(all.entries[0]!.icon).toBe(`${server.origin}/icons/rpi.png`)
  expect(all.entries[0]!.iconData).toBe(`data:image/png;base64,${PNG.toString('base64')}`)
  expect(all.entries[1]!.iconData).toBeNull() // its icon cannot be fetched: listed without it

  expect((await service.list({ device: 'pi5' })).entries.map((entry) => entry.name)).toEqual(['Raspberry Pi OS (64-bit)'])
  expect((await service.list({ device: 'zero' })).entries.map((entry) => entry.name)).toEqual(['Raspberry Pi OS Lite (32-bit)'])
  expect((await service.list({ device: 'zero2w' })).entries.map((entry) => entry.arch)).toEqual(['arm64', 'armhf'])
})

it('asks the network once for several calls, and again with refresh (an unchanged list costs a 304)', async () => {
  const service = createCatalogService({ cache, url: `${server.origin}/os_list.json` })
  await service.list({})
  await service.list({ device: 'pi4' })
  const listRequests = () => server.requests.filter((request) => request.path === '/os_list.json')
  expect(listRequests()).toHaveLength(1)
  const refreshed = await service.list({ refresh: true })
  expect(listRequests().map((request) => request.status)).toEqual([200, 304])
  expect(listRequests()[1]!.ifNoneMatch).toMatch(/^"[0-9a-f]{64}"$/)
  expect(refreshed.origin).toBe('network')
  expect(refreshed.entries).toHaveLength(2)
})

it('falls back to the shipped list, with a warning, when the server cannot be reached and nothing is cached', async () => {
  const service = createCatalogService({ cache, url: 'http://127.0.0.1:1/os_list.json' })
  const listed = await service.list({ device: 'pi5' })
  expect(listed.origin).toBe('shipped')
  expect(listed.warning).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1\/os_list\.json: .*shipped with Orchard/)
  expect(listed.entries.some((entry) => entry.name === 'Raspberry Pi OS Lite (64-bit)')).toBe(true)
  expect(listed.entries.every((entry) => entry.iconData === null)).toBe(true) // offline: no icon fetched
})
