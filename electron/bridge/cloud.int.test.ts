/**
 * cloud.* through the real core, over the loopback bridge, against a real s3rver: the check's
 * specific errors, build.zip uploaded sealed, a build followed to its result, and verified
 * downloads into the library (progress, cancel keeping the partial, resume, a corrupted object).
 *
 * The build itself is simulated: this test writes builds/<id>/status.json, the image, its
 * .sha256 and buildinfo.json as the pipeline would. The real pipeline round trip (the cloud
 * worker unpacking build.zip and running the builder) is tested with the headless side.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { writeStatus, type BuildStatus } from '../../builder/src/cloud/status'
import { extractZip } from '../../builder/src/cloud/zip'
import { partialFile, stateFile } from '../../builder/src/cloud/client/download/resume-state'
import { startS3, S3RVER_CREDENTIALS, type TestS3 } from '../../builder/src/testing/s3'
import { createLocalSigner, generateLocalSigningKey } from '../../builder/src/cloud/signing/local-signer'
import { signBuild } from '../../builder/src/cloud/worker/sign-build'
import { createBridgeTransport } from '@common/bridge-transport'
import { createClient, type Client } from '@common/client'
import type { CloudFinished, CloudProgress, CloudSettings, DownloadFinished, DownloadProgress, EventName, EventPayload } from '@common/contract'
import { createCore, type Core } from '../core'
import { startBridge, type Bridge } from './server'

const BUCKET = 'orchard-data'
const PASSWORD = 'correct-horse-battery-staple'
const PASSPHRASE = 'wifi-secret-passphrase-42'
const MiB = 1 << 20
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')

let s3: TestS3
let s3client: S3Client
let dir: string
let core: Core
let bridge: Bridge
let client: Client
let cloud: CloudSettings
let recipePath: string
const saved = { ...process.env }

beforeAll(async () => {
  s3 = await startS3([BUCKET])
  s3client = s3.client()
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-core-cloud-'))
  // Credentials only from the environment (the s3rver keys): no ~/.aws, no instance metadata.
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key]
  await mkdir(path.join(dir, 'home'), { recursive: true })
  await writeFile(path.join(dir, 'home', 'config'), '')
  await writeFile(path.join(dir, 'home', 'credentials'), '')
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_CONFIG_FILE: path.join(dir, 'home', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'home', 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  })

  core = createCore({ runtime: { name: 'orchard', version: '0.0.0', runtime: 'node' }, dataDir: path.join(dir, 'data'), cloudPoll: { minInterval: 50, maxInterval: 200 } })
  bridge = await startBridge(core)
  client = createClient(createBridgeTransport(bridge.origin, bridge.token, WebSocket))
  // The pipeline signs with a local key here; the app trusts its public key (a KMS key in AWS).
  await writeFile(path.join(dir, 'signing.pem'), KEYS.publicKeyPem)
  cloud = { region: 'us-east-1', profile: null, bucket: BUCKET, stack: null, endpoint: s3.endpoint, signingKey: path.join(dir, 'signing.pem') }
  await client.call('settings.set', { cloud, outDir: path.join(dir, 'images') })

  const project = path.join(dir, 'project')
  await mkdir(project, { recursive: true })
  const source = Buffer.alloc(MiB, 7)
  await writeFile(path.join(project, 'base.img'), source)
  await writeFile(path.join(project, 'motd'), 'Welcome\n')
  recipePath = path.join(project, 'recipe.yml')
  await writeFile(
    recipePath,
    [
      'name: cloud-kiosk',
      `source: { path: base.img, sha256: ${sha(source)} }`,
      'arch: arm64',
      'users:',
      '  - name: pi',
      `    password: ${PASSWORD}`,
      'wifi:',
      '  ssid: Office',
      `  passphrase: ${PASSPHRASE}`,
      '  country: GB',
      'files:',
      '  - { source: motd, target: /etc/motd }',
      '',
    ].join('\n'),
  )
})

afterAll(async () => {
  await core?.cloud.idle()
  await bridge?.close()
  await s3?.close()
  process.env = { ...saved }
  await rm(dir, { recursive: true, force: true })
})

/** Every event `name` heard from now on, with a way to wait for one that matches. */
function listen<E extends EventName>(name: E) {
  const heard: EventPayload<E>[] = []
  const waiters: { match: (event: EventPayload<E>) => boolean; resolve: (event: EventPayload<E>) => void }[] = []
  const off = client.on(name, (event) => {
    heard.push(event)
    for (const waiter of [...waiters]) {
      if (!waiter.match(event)) continue
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(event)
    }
  })
  const next = (match: (event: EventPayload<E>) => boolean) =>
    new Promise<EventPayload<E>>((resolve) => {
      const found = heard.find(match)
      if (found) resolve(found)
      else waiters.push({ match, resolve })
    })
  return { heard, next, off }
}

async function put(key: string, body: Buffer | string) {
  await s3client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))
}

const KEYS = generateLocalSigningKey()

/** What the pipeline leaves in builds/<id>/ for a succeeded build (see docs/cloud.md, "A build"), signed as the worker signs. */
async function simulateOutputs(id: string, image: Buffer, publishedSha = sha(image)) {
  const buildInfo = JSON.stringify({ name: 'cloud-kiosk', release: { release: 'Debian GNU/Linux 12 (bookworm)' }, customizations: ['user pi (password (hashed))'] })
  const published = { buildId: id, image: 'cloud-kiosk.img.xz', sha256: publishedSha, buildInfoSha256: sha(Buffer.from(buildInfo)), recipeSha256: 'ab'.repeat(32), source: 'base.img' }
  await put(`builds/${id}/cloud-kiosk.img.xz`, image)
  await put(`builds/${id}/cloud-kiosk.img.xz.sha256`, `${publishedSha}  cloud-kiosk.img.xz\n`)
  await put(`builds/${id}/cloud-kiosk.img.xz.sig.json`, await signBuild(createLocalSigner(KEYS.privateKeyPem), published, {}))
  await put(`builds/${id}/buildinfo.json`, buildInfo)
}

const status = (id: string, fields: Partial<BuildStatus>): BuildStatus => ({ id, phase: 'source', percent: 0, startedAt: new Date().toISOString(), lastLines: [], ...fields })

describe('cloud.check', () => {
  it('reaches the bucket with the current credentials', async () => {
    expect(await client.call('cloud.check', {})).toEqual({ ok: true, bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint })
  })

  it('names a missing bucket', async () => {
    expect(await client.call('cloud.check', { settings: { ...cloud, bucket: 'not-there' } })).toMatchObject({
      ok: false,
      error: { code: 'CLOUD_NOT_FOUND', message: expect.stringMatching(/^The bucket not-there does not exist/), detail: { missing: 'bucket' } },
    })
  })

  it('says when there are no credentials anywhere', async () => {
    const keys = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY }
    delete process.env.AWS_ACCESS_KEY_ID
    delete process.env.AWS_SECRET_ACCESS_KEY
    try {
      expect(await client.call('cloud.check', {})).toMatchObject({ ok: false, error: { code: 'CLOUD_AUTH', message: expect.stringMatching(/^No AWS credentials found/), detail: { reason: 'missing' } } })
      // system.check agrees, without asking S3: the Cloud choice is disabled with this reason.
      const check = await client.call('system.check', {})
      const capability = check.capabilities.find((c) => c.id === 'cloud')!
      expect(capability.ready).toBe(false)
      expect(capability.probes.find((p) => p.id === 'aws-credentials')).toMatchObject({ ok: false, required: true, detail: expect.stringContaining('No AWS credentials found') })
    } finally {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: keys.id, AWS_SECRET_ACCESS_KEY: keys.secret })
    }
  })

  it('says when no bucket or stack is set', async () => {
    expect(await client.call('cloud.check', { settings: { ...cloud, bucket: null } })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('No cloud bucket or stack') } })
  })

  it('makes the Cloud capability ready with credentials, a region and a bucket', async () => {
    const check = await client.call('system.check', {})
    const capability = check.capabilities.find((c) => c.id === 'cloud')!
    expect(capability.probes.map((p) => [p.id, p.ok])).toEqual([
      ['aws-credentials', true],
      ['aws-region', true],
      ['cloud-target', true],
    ])
    expect(capability.ready).toBe(true)
  })
})

describe('cloud builds', () => {
  let buildId: string
  const image = randomBytes(20 * MiB)

  it('uploads build.zip sealed (no plaintext secret) and follows the build to its result', async () => {
    const progress = listen('cloud.progress')
    const finished = listen('cloud.finished')
    ;({ buildId } = await client.call('cloud.start', { recipePath }))
    expect(buildId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{8}$/)
    const mine = (event: CloudProgress | CloudFinished) => event.buildId === buildId

    // The upload, then the first status the upload itself wrote.
    await progress.next((e) => mine(e) && e.stage === 'build' && e.status.phase === 'queued')
    const uploads = progress.heard.filter((e) => mine(e) && e.stage === 'upload')
    expect(uploads.length).toBeGreaterThan(0)
    const lastUpload = uploads.at(-1)!
    expect(lastUpload.stage === 'upload' && lastUpload.bytes === lastUpload.total && lastUpload.total > 0).toBe(true)

    // The archive in the bucket: the recipe sealed, no password or passphrase in any stored or inflated byte.
    const zip = Buffer.from(await (await s3client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `builds/${buildId}/build.zip` }))).Body!.transformToByteArray())
    const trigger = await s3client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'build.zip' }))
    expect(Buffer.from(await trigger.Body!.transformToByteArray()).equals(zip)).toBe(true)
    const zipFile = path.join(dir, 'uploaded.zip')
    await writeFile(zipFile, zip)
    const entries = await extractZip(zipFile, path.join(dir, 'uploaded'))
    expect(entries.map((e) => e.name)).toEqual(expect.arrayContaining(['recipe.yml', 'build.json', 'files/motd', 'files/base.img']))
    const recipe = await readFile(path.join(dir, 'uploaded', 'recipe.yml'), 'utf8')
    expect(recipe).toMatch(/passwordHash: \$6\$/)
    expect(recipe).toMatch(/psk: [0-9a-f]{64}/)
    for (const secret of [PASSWORD, PASSPHRASE]) {
      expect(zip.includes(secret)).toBe(false)
      for (const entry of entries) expect((await readFile(path.join(dir, 'uploaded', entry.name))).includes(secret)).toBe(false)
    }

    // The pipeline's part, simulated: the build runs, then succeeds with its outputs in place.
    await writeStatus(s3client, BUCKET, buildId, status(buildId, { phase: 'write', percent: 60, lastLines: ['writing the image'] }))
    const running = await progress.next((e) => mine(e) && e.stage === 'build' && e.status.phase === 'write')
    expect(running).toMatchObject({ stage: 'build', status: { percent: 60, lastLines: ['writing the image'] } })
    await simulateOutputs(buildId, image)
    await writeStatus(s3client, BUCKET, buildId, status(buildId, { phase: 'done', percent: 100, result: 'succeeded', endedAt: new Date().toISOString(), lastLines: ['done'] }))
    expect(await finished.next(mine)).toMatchObject({ buildId, ok: true, status: { result: 'succeeded', phase: 'done' } })
    progress.off()
    finished.off()
  })

  it('lists the builds in the bucket with their results', async () => {
    const { builds } = await client.call('cloud.list', {})
    expect(builds.find((b) => b.id === buildId)).toMatchObject({ result: 'succeeded', status: { phase: 'done', percent: 100 } })
  })

  it('downloads the image verified into the library, with progress; a cancelled download keeps its partial and resumes', async () => {
    const progress = listen('download.progress')
    const finished = listen('download.finished')
    const dest = path.join(dir, 'images', 'cloud-kiosk.img.xz')

    // Cancelled as soon as it has started: what it fetched is kept for the next try.
    const first = await client.call('cloud.download', { buildId })
    await progress.next((e) => e.downloadId === first.downloadId)
    expect(await client.call('cloud.cancel', { id: first.downloadId })).toEqual({ cancelled: true })
    const cancelled = await finished.next((e) => e.downloadId === first.downloadId)
    if (cancelled.ok) {
      // On a fast machine the 20 MiB may be in before the cancel lands: then there is nothing to resume.
      expect(cancelled.output.sha256).toBe(sha(image))
    } else {
      expect(cancelled.error).toMatchObject({ code: 'CANCELLED', message: expect.stringContaining('resume') })
      expect(existsSync(dest)).toBe(false)
    }
    const kept = cancelled.ok ? null : (JSON.parse(await readFile(stateFile(dest), 'utf8')) as { verified: number })

    const second = await client.call('cloud.download', { buildId })
    const end = (await finished.next((e) => e.downloadId === second.downloadId)) as DownloadFinished
    expect(end).toMatchObject({ buildId, ok: true, output: { image: dest, sha256: sha(image), bytes: image.length, release: 'Debian GNU/Linux 12 (bookworm)', signedBy: { buildId, keyId: expect.stringMatching(/^local:/), account: null } } })
    expect(existsSync(`${dest}.sig.json`)).toBe(true)
    if (!end.ok) return
    // The second download went on from the verified prefix the cancelled one kept.
    if (kept) expect(end.output.resumedFrom).toBe(kept.verified)
    expect(sha(await readFile(dest))).toBe(sha(image))
    expect(existsSync(partialFile(dest)) || existsSync(stateFile(dest))).toBe(false)
    const mine = progress.heard.filter((e) => e.downloadId === second.downloadId) as DownloadProgress[]
    expect(mine.at(-1)).toMatchObject({ buildId, bytes: image.length, total: image.length })
    expect(mine.every((e) => e.total === image.length && e.speed >= 0)).toBe(true)

    // The library shows it like a local build: its SHA256 and build info beside it.
    const { images } = await client.call('library.list', {})
    expect(images).toEqual([expect.objectContaining({ path: dest, name: 'cloud-kiosk.img.xz', bytes: image.length, sha256: sha(image), buildInfo: expect.objectContaining({ name: 'cloud-kiosk' }) })])
    progress.off()
    finished.off()
  })

  it('refuses a build whose signature is missing or vouches for another build (UNTRUSTED_BUILD) and keeps nothing (issue 14)', async () => {
    const unsigned = '20250101-000000-0a0a0a0a'
    const copied = '20250101-000000-0b0b0b0b'
    const image = randomBytes(MiB)
    await simulateOutputs(unsigned, image)
    await s3client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `builds/${unsigned}/cloud-kiosk.img.xz.sig.json` }))
    await simulateOutputs(copied, image)
    // Another build's valid signature copied over this one's.
    await simulateOutputs('20250101-000000-0c0c0c0c', image)
    const foreign = await s3client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'builds/20250101-000000-0c0c0c0c/cloud-kiosk.img.xz.sig.json' }))
    await put(`builds/${copied}/cloud-kiosk.img.xz.sig.json`, await foreign.Body!.transformToString())
    for (const [id, reason] of [
      [unsigned, 'missing'],
      [copied, 'other-build'],
    ] as const) {
      await writeStatus(s3client, BUCKET, id, status(id, { phase: 'done', percent: 100, result: 'succeeded' }))
      const outDir = path.join(dir, `untrusted-${reason}`)
      const finished = listen('download.finished')
      const { downloadId } = await client.call('cloud.download', { buildId: id, outDir })
      expect(await finished.next((e) => e.downloadId === downloadId)).toMatchObject({ ok: false, error: { code: 'UNTRUSTED_BUILD', detail: { reason } } })
      expect(existsSync(outDir) ? await readdir(outDir) : []).toEqual([])
      finished.off()
    }
  })

  it('refuses a corrupted image (CHECKSUM_MISMATCH) and keeps nothing of it', async () => {
    const id = '20250101-000000-badbadba'
    const good = randomBytes(3 * MiB)
    const bad = Buffer.from(good)
    bad[12345] = bad[12345]! ^ 0xff
    await simulateOutputs(id, bad, sha(good))
    await writeStatus(s3client, BUCKET, id, status(id, { phase: 'done', percent: 100, result: 'succeeded' }))
    const outDir = path.join(dir, 'corrupt')
    const finished = listen('download.finished')
    const { downloadId } = await client.call('cloud.download', { buildId: id, outDir })
    expect(await finished.next((e) => e.downloadId === downloadId)).toMatchObject({
      ok: false,
      error: { code: 'CHECKSUM_MISMATCH', detail: { expected: sha(good), actual: sha(bad) } },
    })
    expect(await readdir(outDir)).toEqual([])
    finished.off()
  })

  it('refuses to download a build without an image, in the call', async () => {
    const id = '20250101-000000-0000ffff'
    await writeStatus(s3client, BUCKET, id, status(id, { phase: 'steps', percent: 30 }))
    await expect(client.call('cloud.download', { buildId: id })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('still running (steps)') })
    await expect(client.call('cloud.download', { buildId: '../etc' })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('reports a build that failed in the cloud, and a follow that is cancelled', async () => {
    const finished = listen('cloud.finished')
    const progress = listen('cloud.progress')
    const failing = await client.call('cloud.start', { recipePath })
    await progress.next((e) => e.buildId === failing.buildId && e.stage === 'build')
    await writeStatus(s3client, BUCKET, failing.buildId, status(failing.buildId, { phase: 'steps', percent: 40, result: 'failed', error: 'apt-get install exited with 100', lastLines: ['E: Unable to locate package nope'] }))
    expect(await finished.next((e) => e.buildId === failing.buildId)).toMatchObject({
      ok: false,
      error: { code: 'CLOUD_FAILED', message: 'The cloud build failed in steps: apt-get install exited with 100' },
      status: { result: 'failed', lastLines: ['E: Unable to locate package nope'] },
    })

    const followed = await client.call('cloud.start', { recipePath })
    await progress.next((e) => e.buildId === followed.buildId && e.stage === 'build')
    expect(await client.call('cloud.cancel', { id: followed.buildId })).toEqual({ cancelled: true })
    expect(await finished.next((e) => e.buildId === followed.buildId)).toMatchObject({ ok: false, error: { code: 'CANCELLED', message: expect.stringContaining('goes on in the cloud') } })
    expect(await client.call('cloud.cancel', { id: followed.buildId })).toEqual({ cancelled: false })
    finished.off()
    progress.off()
  })
})
