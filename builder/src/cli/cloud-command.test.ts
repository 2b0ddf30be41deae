import { createHash } from 'node:crypto'
import { Command } from 'commander'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { BuildManifestSchema } from '../cloud/build-zip'
import { unpackBuildZip } from '../cloud/worker/unpack-build-zip'
import { sha256File } from '../util/hash'
import { packZipOnly, registerCloudCommand, remoteError, speedNote } from './cloud-command'
import { exitCodeFor, EXIT } from './output'

describe('orchard cloud, its pure parts', () => {
  it('says download speed and time left', () => {
    expect(speedNote(0, null)).toBe('')
    expect(speedNote(10e6, null)).toBe('10.0 MB/s')
    expect(speedNote(10e6, 65)).toBe('10.0 MB/s, 1:05 left')
  })

  it('exits for a failed cloud build as for the same failure locally', () => {
    const checksum = remoteError('b1', 'CHECKSUM_MISMATCH: SHA256 mismatch for s3://x/y')
    expect(checksum).toMatchObject({ code: 'CHECKSUM_MISMATCH', message: 'Cloud build b1 failed: SHA256 mismatch for s3://x/y', detail: { id: 'b1' } })
    expect(exitCodeFor(checksum)).toBe(EXIT.source)
    expect(exitCodeFor(remoteError('b1', 'INTERNAL: boom'))).toBe(EXIT.failed)
    expect(remoteError('b1', undefined).message).toBe('Cloud build b1 failed: no reason given')
  })
})

describe('orchard cloud build --zip-only', () => {
  let dir: string
  let recipeFile: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'orchard-zip-only-'))
    recipeFile = path.join(dir, 'recipe.yml')
    await writeFile(path.join(dir, 'base.img'), Buffer.alloc(4096, 1))
    await writeFile(path.join(dir, 'motd'), 'Welcome\n')
    await writeFile(
      recipeFile,
      ['name: seed', 'source:', '  path: base.img', `  sha256: ${createHash('sha256').update(Buffer.alloc(4096, 1)).digest('hex')}`, 'arch: arm64', 'users:', '  - name: pi', '    password: plain-password', 'files:', '  - source: motd', '    target: /etc/motd', ''].join('\n'),
    )
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** Runs `orchard cloud …` in this process (commander, the real action); its stdout lines and exit code. */
  const cli = async (...args: string[]) => {
    const program = new Command().exitOverride()
    registerCloudCommand(program)
    const out: string[] = []
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true))
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const before = process.exitCode
    try {
      await program.parseAsync(['cloud', ...args], { from: 'user' })
      return { lines: out.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>), exitCode: process.exitCode }
    } finally {
      write.mockRestore()
      stderr.mockRestore()
      process.exitCode = before
    }
  }

  it('writes the build.zip `cloud build` would upload, with no bucket, and uploads nothing', async () => {
    const dest = path.join(dir, 'out', 'seed.zip')
    const { lines, exitCode } = await cli('build', recipeFile, '--zip-only', dest, '--json')
    expect(exitCode).toBeFalsy()
    const result = lines.find((line) => line.type === 'result')!
    expect(result).toMatchObject({ file: dest, id: expect.stringMatching(/^\d{8}-\d{6}-[0-9a-f]{8}$/), sha256: await sha256File(dest) })
    expect(result.bytes).toBe((await readFile(dest)).length)
    // What the cloud side accepts: every file checked against build.json, the recipe sealed, the runner inside.
    const unpacked = await unpackBuildZip(dest, path.join(dir, 'unpacked'))
    expect(BuildManifestSchema.parse(result.manifest)).toEqual(unpacked.manifest)
    expect(unpacked.manifest.id).toBe(result.id)
    expect(unpacked.manifest.files.map((file) => file.path).sort()).toEqual(['buildspec.yml', 'files/base.img', 'files/motd', 'orchard-builder.tgz'])
    expect(unpacked.recipe.users[0]!.passwordHash).toMatch(/^\$6\$/)
    expect(await readFile(path.join(dir, 'unpacked', 'recipe.yml'), 'utf8')).not.toContain('plain-password')
  })

  it('refuses the options that upload', async () => {
    const { lines, exitCode } = await cli('build', recipeFile, '--zip-only', path.join(dir, 'never.zip'), '--bucket', 'b', '--follow', '--json')
    expect(exitCode).toBe(EXIT.usage)
    expect(lines).toEqual([expect.objectContaining({ type: 'error', code: 'INVALID_INPUT', message: '--zip-only uploads nothing: drop --bucket, --follow' })])
    await expect(readFile(path.join(dir, 'never.zip'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('is also a function (packZipOnly), failing on a recipe whose files are missing', async () => {
    await writeFile(path.join(dir, 'broken.yml'), ['name: broken', 'source:', '  path: nowhere.img', `  sha256: ${'ab'.repeat(32)}`, 'arch: arm64', ''].join('\n'))
    await expect(packZipOnly(path.join(dir, 'broken.yml'), path.join(dir, 'broken.zip'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nowhere.img') })
  })
})
