/**
 * Signed builds downloaded from a real s3rver (issue 14): a signed build verifies; a tampered
 * image, a tampered statement, a signature by another key, a missing signature and a
 * hostile image key are each refused with a clear error, and the output folder stays empty.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startS3, type TestS3 } from '../../testing/s3'
import { createLocalSigner, generateLocalSigningKey } from '../signing/local-signer'
import type { TrustedKey } from '../signing/verify'
import { signBuild } from '../worker/sign-build'
import { downloadBuild } from './results'

const BUCKET = 'signed'
const KEYS = generateLocalSigningKey()
const OTHER = generateLocalSigningKey()
const sha = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex')
let s3: TestS3
let client: S3Client
let trust: TrustedKey
let dir: string

beforeAll(async () => {
  s3 = await startS3([BUCKET])
  client = s3.client()
  const signer = createLocalSigner(KEYS.privateKeyPem)
  trust = { keyId: await signer.keyId(), publicKey: await signer.publicKey() }
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-signed-'))
})

afterAll(async () => {
  client.destroy()
  await s3.close()
})

const put = (key: string, body: string | Uint8Array) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))

/** A build as the worker publishes it; `change` alters what is stored after signing. */
async function publish(id: string, options: { key?: string; name?: string; sign?: boolean; change?: 'image' | 'statement' } = {}) {
  const name = options.name ?? 'kiosk'
  const image = randomBytes(256 * 1024)
  const buildInfo = JSON.stringify({ name })
  const prefix = `builds/${id}/${name}.img.xz`
  let sig = await signBuild(createLocalSigner(options.key ?? KEYS.privateKeyPem), { buildId: id, image: `${name}.img.xz`, sha256: sha(image), buildInfoSha256: sha(buildInfo), recipeSha256: 'r', source: 'base.img' }, { CODEBUILD_BUILD_ARN: 'arn:aws:codebuild:eu-west-1:123456789012:build/p:1' })
  if (options.change === 'image') image[100] = image[100]! ^ 1
  if (options.change === 'statement') sig = sig.replace('"source\\":\\"base.img\\"', '"source\\":\\"evil.img\\"')
  await put(prefix, image)
  await put(`${prefix}.sha256`, `${sha(image)}  ${name}.img.xz\n`)
  if (options.sign !== false) await put(`${prefix}.sig.json`, sig)
  await put(`builds/${id}/buildinfo.json`, buildInfo)
  return image
}

const outDir = (label: string) => path.join(dir, label)
const empty = async (folder: string) => (existsSync(folder) ? await readdir(folder) : [])

describe('downloadBuild with signatures', () => {
  it('a signed build verifies and says who built it; the signature lands beside the image', async () => {
    const image = await publish('20250101-000000-00000001')
    const result = await downloadBuild({ client, bucket: BUCKET, id: '20250101-000000-00000001', outDir: outDir('good'), trust, beside: 'library' })
    expect(result.sha256).toBe(sha(image))
    expect(result.signedBy).toMatchObject({ buildId: '20250101-000000-00000001', account: '123456789012', keyId: trust.keyId })
    expect((await readdir(outDir('good'))).sort()).toEqual(['kiosk.buildinfo.json', 'kiosk.img.xz', 'kiosk.img.xz.sha256', 'kiosk.img.xz.sig.json'])
  })

  it.each([
    ['a tampered image', { change: 'image' as const }, { code: 'CHECKSUM_MISMATCH' }],
    ['a tampered statement', { change: 'statement' as const }, { code: 'UNTRUSTED_BUILD', detail: { reason: 'bad-signature' } }],
    ['a signature by another key', { key: OTHER.privateKeyPem }, { code: 'UNTRUSTED_BUILD', detail: { reason: 'other-key' } }],
    ['a missing signature', { sign: false }, { code: 'UNTRUSTED_BUILD', detail: { reason: 'missing' } }],
    ['an image key that escapes on Windows', { name: '..\\..\\evil' }, { code: 'FORBIDDEN' }],
  ])('%s is refused and nothing is kept', async (label, options, error) => {
    const id = `20250101-000000-${sha(label).slice(0, 8)}`
    await publish(id, options)
    const folder = outDir(id)
    await expect(downloadBuild({ client, bucket: BUCKET, id, outDir: folder, trust, beside: 'library' })).rejects.toMatchObject(error)
    expect(await empty(folder)).toEqual([])
    expect(await empty(path.dirname(dir))).not.toContain('evil.img.xz')
  })
})
