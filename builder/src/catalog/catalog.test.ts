/** The catalog's parser, device filter and source shape, on lists in Imager's format. */
import { describe, expect, it } from 'vitest'
import { osList, osListImage } from '../testing/os-list-server'
import { BuildError } from '../util/errors'
import { forDevice } from './devices'
import { shippedCatalog } from './fetch-list'
import { parseCatalog } from './format'
import { catalogSource, findEntry } from './source'

const BASE = 'https://mirror.example/os_list.json'
const names = (entries: { name: string }[]) => entries.map((entry) => entry.name)
const errorOf = (run: () => unknown) => {
  try {
    run()
  } catch (error) {
    return error as BuildError
  }
  throw new Error('did not throw')
}

const LIST = osList([
  osListImage('Raspberry Pi OS (64-bit)', 'https://dl.example/raspios_arm64/a.img.xz'),
  {
    name: 'Raspberry Pi OS (other)',
    description: 'folder',
    subitems: [
      osListImage('Raspberry Pi OS Lite (32-bit)', 'https://dl.example/raspios_lite_armhf/b.img.xz', { devices: ['pi4-32bit', 'pi3-32bit', 'pi2-32bit', 'pi1-32bit'] }),
      { name: 'Deeper', subitems: [osListImage('Nested image', 'https://dl.example/c.img.xz', { devices: [] })] },
      osListImage('Bad hash', 'https://dl.example/d.img.xz', { extract_sha256: 'not-a-hash' }),
    ],
  },
  { name: 'Other distributions', subitems_url: 'https://dl.example/sublist.json' },
  { name: 'Erase', description: 'Format card as FAT32', url: 'internal://format' },
  osListImage('Plain http is fine, ftp is not', 'ftp://dl.example/e.img.xz'),
  { description: 'no name' },
])

describe('parseCatalog', () => {
  const parsed = parseCatalog(LIST, BASE)

  it('walks nested subitems, keeps the folders as the group, maps the list fields', () => {
    expect(names(parsed.entries)).toEqual(['Raspberry Pi OS (64-bit)', 'Raspberry Pi OS Lite (32-bit)', 'Nested image'])
    expect(parsed.entries[2]!.group).toEqual(['Raspberry Pi OS (other)', 'Deeper'])
    expect(parsed.entries[0]).toEqual({
      name: 'Raspberry Pi OS (64-bit)',
      description: 'Raspberry Pi OS (64-bit) for tests',
      group: [],
      url: 'https://dl.example/raspios_arm64/a.img.xz',
      downloadSha256: '1'.repeat(64),
      downloadSize: 1000,
      extractSha256: '0'.repeat(64),
      extractSize: 4194304,
      releaseDate: '2026-09-15',
      devices: ['pi5-64bit', 'pi4-64bit', 'pi3-64bit'],
      initFormat: 'cloudinit-rpi',
      arch: 'arm64',
      icon: 'https://mirror.example/icons/rpi.png', // relative icon resolved against the list's URL
    })
    expect(parsed.entries[1]!.arch).toBe('armhf')
  })

  it('reports entries that do not fit with their path, skips folders kept elsewhere and Imager actions', () => {
    expect(parsed.problems).toEqual([
      { path: 'os_list[1].subitems[2]', message: 'Bad hash: extract_sha256: must be 64 hex digits' },
      { path: 'os_list[4]', message: 'Plain http is fine, ftp is not: url: must be an http(s) URL' },
      { path: 'os_list[5]', message: expect.stringMatching(/^name: /) },
    ])
  })

  it('refuses only a file that is not such a list at all', () => {
    expect(errorOf(() => parseCatalog('<html>', BASE))).toMatchObject({ code: 'INVALID_SOURCE', message: expect.stringMatching(/is not JSON/) })
    expect(errorOf(() => parseCatalog('{"imager": {}}', BASE))).toMatchObject({ code: 'INVALID_SOURCE', message: expect.stringMatching(/no os_list array/) })
  })

  it('lowercases hashes', () => {
    const upper = parseCatalog(osList([osListImage('A', 'https://dl.example/a.img.xz', { image_download_sha256: 'AB'.repeat(32) })]), BASE)
    expect(upper.entries[0]!.downloadSha256).toBe('ab'.repeat(32))
  })
})

describe('the device filter (Imager\'s matching)', () => {
  const { entries } = parseCatalog(LIST, BASE)
  it.each([
    ['pi5', ['Raspberry Pi OS (64-bit)']], // exclusive: the untagged image is not shown
    ['pi4', ['Raspberry Pi OS (64-bit)', 'Raspberry Pi OS Lite (32-bit)', 'Nested image']],
    ['pi3', ['Raspberry Pi OS (64-bit)', 'Raspberry Pi OS Lite (32-bit)', 'Nested image']],
    ['zero2w', ['Raspberry Pi OS (64-bit)', 'Raspberry Pi OS Lite (32-bit)', 'Nested image']],
    ['zero', ['Raspberry Pi OS Lite (32-bit)', 'Nested image']], // ARMv6: no 64-bit image
  ] as const)('%s', (device, expected) => {
    expect(names(forDevice(entries, device))).toEqual(expected)
  })
  it('no device: everything', () => expect(forDevice(entries, undefined)).toHaveLength(3))
})

describe('an entry as a source', () => {
  const { entries } = parseCatalog(LIST, BASE)
  it('is the pinned url + download sha256 + extract sha256', () => {
    expect(catalogSource(findEntry(entries, 'raspberry pi os (64-bit)'))).toEqual({
      url: 'https://dl.example/raspios_arm64/a.img.xz',
      sha256: '1'.repeat(64),
      extractSha256: '0'.repeat(64),
    })
    expect(findEntry(entries, 'https://dl.example/c.img.xz').name).toBe('Nested image')
  })
  it('a name not there, a shared name and an entry without a download hash are clear errors', () => {
    expect(errorOf(() => findEntry(entries, 'Raspberry Pi OS'))).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/did you mean "Raspberry Pi OS \(64-bit\)"/) })
    const twice = [...entries, { ...entries[0]!, url: 'https://dl.example/other.img.xz' }]
    expect(errorOf(() => findEntry(twice, 'Raspberry Pi OS (64-bit)'))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/give its URL/) })
    expect(errorOf(() => catalogSource({ ...entries[0]!, downloadSha256: null }))).toMatchObject({ code: 'INVALID_SOURCE' })
  })
})

describe('the shipped list', () => {
  const shipped = shippedCatalog()
  it('parses without a problem and holds current Trixie Lite and Desktop (64- and 32-bit) and the last Bookworm, all usable as sources', () => {
    expect(shipped.problems).toEqual([])
    const find = (name: string) => findEntry(shipped.entries, name)
    for (const name of ['Raspberry Pi OS (64-bit)', 'Raspberry Pi OS (32-bit)', 'Raspberry Pi OS Lite (64-bit)', 'Raspberry Pi OS Lite (32-bit)']) {
      expect(find(name).url).toMatch(/^https:\/\/downloads\.raspberrypi\.com\/.*-raspios-trixie-.*\.img\.xz$/)
    }
    expect(find('Raspberry Pi OS (Legacy, 64-bit) Lite').url).toMatch(/bookworm-arm64-lite\.img\.xz$/)
    for (const entry of shipped.entries) {
      expect(catalogSource(entry).sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(entry.arch).not.toBeNull()
      expect(entry.url).toContain(entry.releaseDate!.slice(0, 7)) // the date in the file name agrees with release_date
    }
  })
})
