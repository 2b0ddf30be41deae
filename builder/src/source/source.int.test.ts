/** Source resolution against real archives (xz, gzip, zip) and a real HTTP server on loopback. */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BuildError } from '../util/errors'
import { resolveSource, type SourceProgress } from './resolve'

let dir: string
let cache: string
let server: http.Server
let origin: string
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')
const files: Record<string, { file: string; sha256: string }> = {}

async function add(name: string, file: string) {
  files[name] = { file, sha256: sha(await readFile(file)) }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-source-'))
  // A real (small) disk image: sfdisk writes the MBR.
  const image = path.join(dir, 'disk.img')
  await writeFile(image, Buffer.alloc(4 << 20))
  execFileSync('sfdisk', ['--quiet', image], { input: 'label: dos\nlabel-id: 0x1234abcd\nstart=2048, type=c\n' })
  await add('img', image)
  execFileSync('xz', ['-k', '-T0', image])
  await add('xz', `${image}.xz`)
  execFileSync('gzip', ['-k', image])
  await add('gz', `${image}.gz`)
  const zip = (out: string, ...members: string[]) =>
    execFileSync('python3', ['-c', 'import sys,zipfile\nz=zipfile.ZipFile(sys.argv[1],"w")\nfor m in sys.argv[2:]: z.write(m, m.split("/")[-1])', out, ...members])
  zip(path.join(dir, 'disk.zip'), image)
  await add('zip', path.join(dir, 'disk.zip'))
  await writeFile(path.join(dir, 'readme.txt'), 'no image here')
  zip(path.join(dir, 'empty.zip'), path.join(dir, 'readme.txt'))
  await add('zipWithoutImage', path.join(dir, 'empty.zip'))
  await writeFile(path.join(dir, 'truncated.img.xz'), (await readFile(`${image}.xz`)).subarray(0, 300))
  await add('truncatedXz', path.join(dir, 'truncated.img.xz'))
  await writeFile(path.join(dir, 'notes.txt'), 'This is not a disk image at all.\n'.repeat(40))
  await add('text', path.join(dir, 'notes.txt'))
  execFileSync('xz', ['-k', path.join(dir, 'notes.txt')])
  await add('xzOfText', path.join(dir, 'notes.txt.xz'))

  server = http.createServer((request, response) => {
    const name = decodeURIComponent(request.url!.slice(1))
    const entry = Object.values(files).find((candidate) => path.basename(candidate.file) === name)
    if (!entry) return void response.writeHead(404).end('not found')
    void stat(entry.file).then((info) => {
      response.writeHead(200, { 'content-length': info.size })
      createReadStream(entry.file).pipe(response)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

beforeEach(async () => {
  cache = await mkdtemp(path.join(dir, 'cache-'))
})

const local = (name: string, sha256 = files[name]!.sha256) => ({ path: files[name]!.file, sha256 })
const remote = (name: string, sha256 = files[name]!.sha256) => ({ url: `${origin}/${path.basename(files[name]!.file)}`, sha256 })
const errorOf = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as BuildError)
const listCache = async () => (await readdir(cache, { recursive: true })).filter((f) => !f.endsWith('verified.json')).sort()

describe('resolveSource', () => {
  it.each(['img', 'xz', 'gz', 'zip'])('turns a local .%s into the raw disk image', async (name) => {
    const resolved = await resolveSource(local(name), dir, { cache })
    expect(sha(await readFile(resolved.image))).toBe(files.img!.sha256)
    expect(resolved.sha256).toBe(files[name]!.sha256)
  })

  it('hashes a local file once, then trusts the index until the file changes', async () => {
    const phases: SourceProgress['phase'][] = []
    const onProgress = (p: SourceProgress) => phases.push(p.phase)
    await resolveSource(local('xz'), dir, { cache, onProgress })
    expect(phases).toContain('verify')
    phases.length = 0
    await resolveSource(local('xz'), dir, { cache, onProgress })
    expect(phases).toEqual([])
  })

  it('downloads, verifies and caches; later builds need no server', async () => {
    const first = await resolveSource(remote('xz'), dir, { cache })
    expect(sha(await readFile(first.image))).toBe(files.img!.sha256)
    expect(await listCache()).toEqual(['images', `images/${files.xz!.sha256}.img`, 'sources', `sources/${files.xz!.sha256}.img.xz`])
    const again = await resolveSource({ url: 'http://127.0.0.1:1/gone.img.xz', sha256: files.xz!.sha256 }, dir, { cache })
    expect(again.image).toBe(first.image)
  })

  it('refuses a download whose SHA256 differs, naming both hashes, and caches nothing', async () => {
    const wrong = 'f'.repeat(64)
    const error = await errorOf(resolveSource(remote('xz', wrong), dir, { cache }))
    expect(error).toMatchObject({ code: 'CHECKSUM_MISMATCH', message: `SHA256 mismatch for ${origin}/disk.img.xz: expected ${wrong}, got ${files.xz!.sha256}` })
    expect(await listCache()).toEqual(['sources'])
  })

  it('refuses a local file whose SHA256 differs', async () => {
    const error = await errorOf(resolveSource(local('img', '0'.repeat(64)), dir, { cache }))
    expect(error?.code).toBe('CHECKSUM_MISMATCH')
    expect(error?.message).toContain(`got ${files.img!.sha256}`)
  })

  it('names the missing local file', async () => {
    const error = await errorOf(resolveSource({ path: 'nowhere.img.xz', sha256: 'a'.repeat(64) }, dir, { cache }))
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: `Source file not found: ${path.join(dir, 'nowhere.img.xz')}` })
  })

  it('reports an HTTP error status', async () => {
    const error = await errorOf(resolveSource({ url: `${origin}/missing.img.xz`, sha256: 'a'.repeat(64) }, dir, { cache }))
    expect(error).toMatchObject({ code: 'DOWNLOAD_FAILED', message: `GET ${origin}/missing.img.xz answered 404 Not Found` })
  })

  it('rejects a truncated .xz and leaves no partial image', async () => {
    const error = await errorOf(resolveSource(local('truncatedXz'), dir, { cache }))
    expect(error?.code).toBe('INVALID_SOURCE')
    expect(error?.message).toMatch(/is not a valid \.xz archive: .*(Unexpected end of input|corrupt)/)
    expect((await listCache()).filter((f) => f.startsWith('images/'))).toEqual([])
  })

  it('rejects a zip without a disk image in it', async () => {
    const error = await errorOf(resolveSource(local('zipWithoutImage'), dir, { cache }))
    expect(error).toMatchObject({ code: 'INVALID_SOURCE', message: `${files.zipWithoutImage!.file} holds no .img disk image` })
  })

  it('rejects a file that is not a disk image, and an archive of one', async () => {
    expect(await errorOf(resolveSource(local('text'), dir, { cache }))).toMatchObject({
      code: 'INVALID_SOURCE',
      message: `${files.text!.file} is neither a disk image nor a .xz, .gz or .zip archive of one`,
    })
    expect(await errorOf(resolveSource(local('xzOfText'), dir, { cache }))).toMatchObject({
      code: 'INVALID_SOURCE',
      message: `${files.xzOfText!.file} decompresses to something that is not a disk image (no partition table)`,
    })
    expect((await listCache()).filter((f) => f.startsWith('images/'))).toEqual([])
  })

  describe('without the xz program (the JavaScript fallback)', () => {
    beforeAll(() => {
      process.env.ORCHARD_DISABLE_TOOLS = 'xz'
    })
    afterAll(() => {
      delete process.env.ORCHARD_DISABLE_TOOLS
    })

    it('decompresses .xz', async () => {
      const resolved = await resolveSource(local('xz'), dir, { cache })
      expect(sha(await readFile(resolved.image))).toBe(files.img!.sha256)
    })

    it('rejects a truncated .xz with nothing left behind', async () => {
      expect((await errorOf(resolveSource(local('truncatedXz'), dir, { cache })))?.code).toBe('INVALID_SOURCE')
      expect((await listCache()).filter((f) => f.startsWith('images/'))).toEqual([])
    })
  })
})

