import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkEntryName, dosDateTime, extractZip, ZipWriter } from './zip'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-zip-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function roundTrip(name: string, forceZip64: boolean) {
  const large = randomBytes(33 << 20) // above the in-memory deflate limit: streamed and stored
  await writeFile(path.join(dir, `${name}-large.bin`), large)
  const zipFile = path.join(dir, `${name}.zip`)
  const zip = await ZipWriter.create(zipFile, { date: new Date('2024-06-01T12:34:56Z'), forceZip64 })
  const text = Buffer.from('hello '.repeat(1000))
  const info = await zip.addBuffer('dir/a.txt', text)
  const random = await zip.addBuffer('b.bin', randomBytes(1000))
  const file = await zip.addFile('big/large.bin', path.join(dir, `${name}-large.bin`))
  await zip.close()
  return { zipFile, text, large, info, random, file }
}

describe('ZipWriter', () => {
  for (const forceZip64 of [false, true]) {
    it(`writes zips other tools read${forceZip64 ? ' (ZIP64 fields)' : ''}`, async () => {
      const { zipFile, text, large, info, file } = await roundTrip(forceZip64 ? 'z64' : 'plain', forceZip64)
      execFileSync('unzip', ['-tq', zipFile])
      const listing = execFileSync('unzip', ['-Zv', zipFile], { encoding: 'utf8' })
      expect(listing).toMatch(/compression method:\s+deflated/)
      expect(listing).toMatch(/compression method:\s+none \(stored\)/)
      const out = await mkdtemp(path.join(dir, 'out-'))
      const entries = await extractZip(zipFile, out)
      expect(entries.map((e) => e.name)).toEqual(['dir/a.txt', 'b.bin', 'big/large.bin'])
      expect(await readFile(path.join(out, 'dir', 'a.txt'))).toEqual(text)
      expect((await readFile(path.join(out, 'big', 'large.bin'))).equals(large)).toBe(true)
      expect(entries[0]!.sha256).toBe(info.sha256)
      expect(entries[2]!.sha256).toBe(file.sha256)
    })
  }

  it('refuses unsafe and duplicate names', async () => {
    for (const name of ['/etc/passwd', '../x', 'a/../../x', 'a//b', 'C:/x', 'a\\b', '']) expect(() => checkEntryName(name)).toThrow(/Unsafe zip entry name/)
    const zip = await ZipWriter.create(path.join(dir, 'dup.zip'))
    await zip.addBuffer('a', Buffer.from('1'))
    await expect(zip.addBuffer('a', Buffer.from('2'))).rejects.toThrow(/Two zip entries named a/)
    await zip.abandon()
  })

  it('refuses to extract entries that would leave the folder', async () => {
    // Made with a tool that is not ours: zip keeps "../" when asked to.
    const work = await mkdtemp(path.join(dir, 'evil-'))
    await writeFile(path.join(dir, 'outside.txt'), 'x')
    execFileSync('zip', ['-q', path.join(work, 'evil.zip'), '../outside.txt'], { cwd: work })
    const out = await mkdtemp(path.join(dir, 'evil-out-'))
    await expect(extractZip(path.join(work, 'evil.zip'), out)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('finds damaged data by its CRC', async () => {
    const zipFile = path.join(dir, 'damaged.zip')
    const zip = await ZipWriter.create(zipFile)
    await zip.addBuffer('r.bin', randomBytes(4096)) // random: stored, so a flipped byte stays a valid stream
    await zip.close()
    const bytes = await readFile(zipFile)
    bytes[30 + 'r.bin'.length + 100]! ^= 1
    await writeFile(zipFile, bytes)
    await expect(extractZip(zipFile, await mkdtemp(path.join(dir, 'dmg-')))).rejects.toThrow(/CRC32 mismatch/)
  })

  it('stores DOS times', () => {
    expect(dosDateTime(new Date('2024-06-01T12:34:56Z'))).toEqual({ time: (12 << 11) | (34 << 5) | 28, date: (44 << 9) | (6 << 5) | 1 })
  })
})
