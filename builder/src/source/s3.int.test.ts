/** s3:// sources against a real S3 server (s3rver) on loopback. */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import S3rver from 's3rver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveSource } from './resolve'

let dir: string
let server: S3rver
let xz: Buffer
let raw: Buffer
const saved = { ...process.env }
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-s3-'))
  const image = path.join(dir, 'disk.img')
  await writeFile(image, Buffer.alloc(2 << 20))
  execFileSync('sfdisk', ['--quiet', image], { input: 'label: dos\nstart=2048, type=83\n' })
  execFileSync('xz', ['-k', image])
  raw = await readFile(image)
  xz = await readFile(`${image}.xz`)
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(dir, 's3'), configureBuckets: [{ name: 'images' }] })
  const { port } = await server.run()
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
  })
  // Without these, the SDK's default stream checksums get stored as part of the object by s3rver.
  const client = new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' })
  await client.send(new PutObjectCommand({ Bucket: 'images', Key: 'releases/disk.img.xz', Body: xz }))
})

afterAll(async () => {
  process.env = saved
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

describe('s3:// sources', () => {
  it('downloads through the AWS default chain, verifies and decompresses', async () => {
    const resolved = await resolveSource({ url: 's3://images/releases/disk.img.xz', sha256: sha(xz) }, dir, { cache: path.join(dir, 'cache') })
    expect(sha(await readFile(resolved.image))).toBe(sha(raw))
  })

  it('names the S3 error for a missing key', async () => {
    await expect(resolveSource({ url: 's3://images/releases/nope.img.xz', sha256: 'a'.repeat(64) }, dir, { cache: path.join(dir, 'cache') })).rejects.toMatchObject({
      code: 'DOWNLOAD_FAILED',
      message: expect.stringMatching(/^Cannot get s3:\/\/images\/releases\/nope\.img\.xz: NoSuchKey/),
    })
  })
})
