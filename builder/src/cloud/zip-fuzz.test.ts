/**
 * build.zip extraction against hostile archives (fast-check): archives built byte by byte
 * here, so names, types and declared sizes can be anything (zip-slip names, links,
 * duplicates, a file and a folder of one name, deflate bombs), and archives from our writer
 * truncated or with bytes changed. Each extraction is refused with INVALID_INPUT or gives
 * exactly the entries, and nothing ever appears outside the target folder.
 */
import { createHash } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { crc32, deflateRawSync } from 'node:zlib'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BuildError } from '../util/errors'
import { fuzzRuns, fuzzSummary } from '../testing/fuzz'
import { extractZip, ZipWriter, type ExtractedEntry } from './zip'

interface RawEntry {
  name: string
  data: Buffer
  /** Unix mode in the upper external attributes: regular file, link, folder. */
  mode: number
  deflate: boolean
  /** Declared uncompressed size, when it should lie. */
  declared?: number
}

const REGULAR = 0o100644
const SYMLINK = 0o120777
const FOLDER = 0o040755

/** A zip with exactly these entries (no checks: that is the point). */
function rawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8')
    const body = e.deflate ? deflateRawSync(e.data) : e.data
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x0800, 6)
    local.writeUInt16LE(e.deflate ? 8 : 0, 8)
    local.writeUInt32LE(crc32(e.data) >>> 0, 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(e.declared ?? e.data.length, 22)
    local.writeUInt16LE(name.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE((3 << 8) | 20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(e.deflate ? 8 : 0, 10)
    central.writeUInt32LE(crc32(e.data) >>> 0, 16)
    central.writeUInt32LE(body.length, 20)
    central.writeUInt32LE(e.declared ?? e.data.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE((e.mode << 16) >>> 0, 38)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, body)
    centrals.push(central, name)
    offset += 30 + name.length + body.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

let root: string
let cases = 0
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'orchard-zip-fuzz-'))
})
afterAll(() => rm(root, { recursive: true, force: true }))

/** Every path under `dir`, links not followed; fails on a link (extraction must never make one). */
async function contents(dir: string): Promise<Map<string, Buffer | 'dir'>> {
  const out = new Map<string, Buffer | 'dir'>()
  for (const name of await readdir(dir, { recursive: true })) {
    const full = path.join(dir, name)
    const stats = await lstat(full)
    expect(stats.isSymbolicLink(), `${name} is a link`).toBe(false)
    out.set(name.split(path.sep).join('/'), stats.isDirectory() ? 'dir' : await readFile(full))
  }
  return out
}

/**
 * Extracts `zip` in a sandbox: the result, or the BuildError; anything else fails. The
 * sandbox must then hold only the zip and the target folder (nothing escaped), the target
 * only regular files and folders; on success exactly the entries listed, with their hashes.
 */
async function extractInSandbox(zip: Buffer, options?: { maxEntries?: number }): Promise<ExtractedEntry[] | BuildError> {
  const sandbox = path.join(root, `case-${++cases}`)
  const target = path.join(sandbox, 'out', 'target')
  await mkdir(target, { recursive: true })
  await writeFile(path.join(sandbox, 'build.zip'), zip)
  let result: ExtractedEntry[] | BuildError
  try {
    result = await extractZip(path.join(sandbox, 'build.zip'), target, options)
  } catch (error) {
    if (!(error instanceof BuildError) || error.code !== 'INVALID_INPUT') throw error
    result = error
  }
  expect((await readdir(sandbox)).sort()).toEqual(['build.zip', 'out'])
  expect(await readdir(path.join(sandbox, 'out'))).toEqual(['target'])
  const found = await contents(target)
  if (!(result instanceof BuildError)) {
    const files = [...found].filter(([, value]) => value !== 'dir')
    expect(files.map(([name]) => name).sort()).toEqual(result.map((e) => e.name).sort())
    for (const entry of result) {
      const data = found.get(entry.name) as Buffer
      expect(createHash('sha256').update(data).digest('hex')).toBe(entry.sha256)
      expect(data.length).toBe(entry.size)
    }
  }
  await rm(sandbox, { recursive: true, force: true })
  return result
}

const HOSTILE_NAMES = ['../x', '../../etc/passwd', '/etc/passwd', '..\\x', 'a\\..\\..\\x', 'C:/x', 'c:x', 'C:\\x', 'a/../../x', './a', 'a//b', 'a/./b', '', '.', '..', 'a/', 'a\0b', 'x/../y', '\\\\server\\share\\x', 'a/..']
const name = fc.oneof(
  fc.constantFrom(...HOSTILE_NAMES, 'a', 'a/b', 'b', 'A', 'dir/file.txt', 'recipe.yml'),
  fc.array(fc.constantFrom('a', 'b', '..', '.', '', 'C:', '\\', 'x y', 'é'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
  fc.string({ maxLength: 12 }),
)
const entry = fc.record({
  name,
  data: fc.oneof(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), fc.constant(Buffer.alloc(0))),
  mode: fc.constantFrom(REGULAR, REGULAR, REGULAR, SYMLINK, FOLDER, 0),
  deflate: fc.boolean(),
})

describe('extractZip on hostile archives', () => {
  it.each([
    ['a "../" name', '../escaped.txt'],
    ['an absolute name', '/tmp/escaped.txt'],
    ['a "..\\" name', '..\\escaped.txt'],
    ['a drive-letter name', 'C:/escaped.txt'],
    ['a "." part', 'a/./b'],
  ])('refuses %s, writing nothing', async (_what, entryName) => {
    expect(await extractInSandbox(rawZip([{ name: entryName, data: Buffer.from('x'), mode: REGULAR, deflate: false }]))).toBeInstanceOf(BuildError)
  })

  it('refuses a symlink entry', async () => {
    const result = await extractInSandbox(rawZip([{ name: 'link', data: Buffer.from('/etc/passwd'), mode: SYMLINK, deflate: false }]))
    expect(result).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('link is not a regular file') })
  })

  it('refuses a duplicate name', async () => {
    const twice = rawZip(['a', 'a'].map((n) => ({ name: n, data: Buffer.from(n), mode: REGULAR, deflate: false })))
    expect(await extractInSandbox(twice)).toMatchObject({ message: expect.stringContaining('a appears twice') })
  })

  // Once: mkdir's ENOTDIR escaped as a plain Error (INTERNAL in the worker), not INVALID_INPUT.
  it('refuses a file and then a folder of the same name ("a", then "a/b")', async () => {
    const clash = rawZip(['a', 'a/b'].map((n) => ({ name: n, data: Buffer.from('x'), mode: REGULAR, deflate: false })))
    expect(await extractInSandbox(clash)).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('a/b') })
  })

  // Once: a 64 MiB deflated entry of zeros (64 KiB in the archive) was inflated without question.
  it('refuses a deflate bomb: an entry inflating past what our writer deflates', async () => {
    const bomb = rawZip([{ name: 'zeros.bin', data: Buffer.alloc(64 << 20), mode: REGULAR, deflate: true }])
    expect(bomb.length).toBeLessThan(1 << 20)
    expect(await extractInSandbox(bomb)).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('zeros.bin would inflate to 67108864 bytes') })
  })

  // Once: hung forever (yauzl's stream never closes after its size error, so pipeline() never settled): a worker stuck until CodeBuild's timeout.
  it('refuses a declared size that is not the real one, at once', async () => {
    const liar = rawZip([{ name: 'a', data: Buffer.from('hello'), mode: REGULAR, deflate: true, declared: 0xfffffff0 }])
    expect(await extractInSandbox(liar)).toBeInstanceOf(BuildError)
  })

  it('fuzz: random entries are extracted exactly or refused, nothing outside the folder', async () => {
    const count = { cases: 0, refused: 0 }
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 5 }), async (entries) => {
        const result = await extractInSandbox(rawZip(entries))
        count.cases++
        if (result instanceof BuildError) count.refused++
      }),
      fuzzRuns(400, 4),
    )
    fuzzSummary('zip entries', count)
  }, 30_000)

  it('fuzz: archives from our writer, truncated or with bytes changed, are extracted exactly or refused', async () => {
    const file = path.join(root, 'good.zip')
    const zip = await ZipWriter.create(file)
    await zip.addBuffer('recipe.yml', Buffer.from('name: fuzz\n'.repeat(50)))
    await zip.addBuffer('files/a.bin', Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251)))
    await zip.addBuffer('build.json', Buffer.from('{}'))
    await zip.close()
    const good = await readFile(file)
    const count = { cases: 0, refused: 0 }
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), byte: fc.nat({ max: 255 }) }), { maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (changes, cut) => {
          const bytes = Buffer.from(good)
          for (const { at, byte } of changes) bytes[at % bytes.length] = byte
          const result = await extractInSandbox(cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length))
          count.cases++
          if (result instanceof BuildError) count.refused++
        },
      ),
      fuzzRuns(300, 4),
    )
    fuzzSummary('zip bytes', count)
  }, 30_000)
})
