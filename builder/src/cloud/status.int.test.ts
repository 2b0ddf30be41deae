/** Status objects on a real s3rver: written (redacted), followed to the end, listed. */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startS3, type TestS3 } from '../testing/s3'
import { statusKey } from './build-keys'
import { followStatus } from './client/follow-status'
import { listBuilds } from './client/list-builds'
import { readStatus, writeStatus, type BuildStatus } from './status'

let s3: TestS3
let client: S3Client

beforeAll(async () => {
  s3 = await startS3(['pipeline'])
  client = s3.client()
})

afterAll(async () => {
  await s3.close()
})

const status = (id: string, fields: Partial<BuildStatus> = {}): BuildStatus => ({ id, phase: 'source', percent: 0, startedAt: '2025-01-01T10:00:00.000Z', lastLines: [], ...fields })

describe('status objects', () => {
  it('are written without secrets: given ones, crypt hashes and PSK assignments', async () => {
    const psk = 'ab'.repeat(32)
    await writeStatus(
      client,
      'pipeline',
      'b-secret',
      status('b-secret', {
        phase: 'customize',
        percent: 40,
        lastLines: ['adding user pi', 'hash $6$saltsalt$abcdefghijklmnop', `psk=${psk}`, 'token hunter2-token used', 'image sha256 ' + 'cd'.repeat(32)],
        error: 'failed near hunter2-token',
      }),
      { secrets: ['hunter2-token'] },
    )
    const object = await client.send(new GetObjectCommand({ Bucket: 'pipeline', Key: statusKey('b-secret') }))
    const text = await object.Body!.transformToString()
    expect(text).not.toContain('hunter2-token')
    expect(text).not.toContain('$6$saltsalt')
    expect(text).not.toContain(psk)
    expect(JSON.parse(text)).toMatchObject({
      id: 'b-secret',
      phase: 'customize',
      percent: 40,
      lastLines: ['adding user pi', 'hash <redacted>', 'psk=<redacted>', 'token <redacted> used', 'image sha256 ' + 'cd'.repeat(32)],
      error: 'failed near <redacted>',
    })
  })

  it('refuses a status that is not one', async () => {
    await expect(writeStatus(client, 'pipeline', 'b1', status('b1', { percent: 140 }))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('percent') })
    await expect(writeStatus(client, 'pipeline', '../x', status('../x'))).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('are read with a limit: a status.json over 1 MiB is refused unread, a follow ends on it (issue 14)', async () => {
    // Valid JSON of a valid shape, only huge: before the limit it was read whole into memory.
    const huge = { ...status('b-huge'), lastLines: Array.from({ length: 3000 }, () => 'x'.repeat(1000)) }
    await client.send(new PutObjectCommand({ Bucket: 'pipeline', Key: statusKey('b-huge'), Body: JSON.stringify(huge), ContentType: 'application/json' }))
    await expect(readStatus(client, 'pipeline', 'b-huge')).rejects.toMatchObject({ code: 'CLOUD_FAILED', message: expect.stringMatching(/status\.json is \d+ bytes, over the 1048576 bytes it may have: refused unread/) })
    const follow = async () => {
      for await (const seen of followStatus({ client, bucket: 'pipeline', id: 'b-huge', minInterval: 5, maxInterval: 5, maxFailures: 2 })) void seen
    }
    await expect(follow()).rejects.toMatchObject({ code: 'CLOUD_FAILED', message: expect.stringContaining('over the 1048576 bytes') })
  })

  it('are followed: each change once, in order, ending with the final one', async () => {
    const id = 'b-follow'
    const steps: BuildStatus[] = [
      status(id, { phase: 'queued' }),
      status(id, { phase: 'source', percent: 10, lastLines: ['downloading'] }),
      status(id, { phase: 'write', percent: 70, lastLines: ['downloading', 'writing'] }),
      status(id, { phase: 'done', percent: 100, endedAt: '2025-01-01T10:05:00.000Z', result: 'succeeded', lastLines: ['built'] }),
    ]
    // The build side, writing as it goes (the first write comes after following started: a missing status is waited for).
    const writer = (async () => {
      for (const step of steps) {
        await new Promise((resolve) => setTimeout(resolve, 150))
        await writeStatus(client, 'pipeline', id, step)
        await new Promise((resolve) => setTimeout(resolve, 150))
      }
    })()
    const seen: BuildStatus[] = []
    for await (const current of followStatus({ client, bucket: 'pipeline', id, minInterval: 40, maxInterval: 80, pollTimeout: 1000 })) seen.push(current)
    await writer
    expect(seen.map((s) => s.phase)).toEqual(['queued', 'source', 'write', 'done'])
    expect(seen.at(-1)).toMatchObject({ result: 'succeeded', percent: 100 })
  })

  it('stop following when cancelled', async () => {
    await writeStatus(client, 'pipeline', 'b-long', status('b-long', { phase: 'steps', percent: 30 }))
    const controller = new AbortController()
    const seen: string[] = []
    const follow = (async () => {
      for await (const current of followStatus({ client, bucket: 'pipeline', id: 'b-long', signal: controller.signal, minInterval: 20, maxInterval: 40 })) {
        seen.push(current.phase)
        setTimeout(() => controller.abort(), 100)
      }
    })()
    await expect(follow).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(seen).toEqual(['steps'])
  })

  it('are listed with each past build and its result, newest first', async () => {
    await writeStatus(client, 'pipeline', 'b-old', status('b-old', { startedAt: '2024-12-01T00:00:00.000Z', result: 'failed', error: 'apt failed', phase: 'steps', percent: 20 }))
    await writeStatus(client, 'pipeline', 'b-new', status('b-new', { startedAt: '2025-02-01T00:00:00.000Z', phase: 'compress', percent: 90 }))
    await client.send(new PutObjectCommand({ Bucket: 'pipeline', Key: 'builds/b-nostatus/build.zip', Body: 'zip' }))
    await client.send(new PutObjectCommand({ Bucket: 'pipeline', Key: 'builds/b-garbage/status.json', Body: '{not json' }))
    const builds = await listBuilds({ client, bucket: 'pipeline' })
    const byId = Object.fromEntries(builds.map((b) => [b.id, b.result]))
    expect(byId).toMatchObject({ 'b-old': 'failed', 'b-new': 'running', 'b-follow': 'succeeded', 'b-nostatus': 'unknown', 'b-garbage': 'unknown' })
    const dated = builds.filter((b) => b.status).map((b) => b.id)
    expect(dated.indexOf('b-new')).toBeLessThan(dated.indexOf('b-follow'))
    expect(dated.indexOf('b-follow')).toBeLessThan(dated.indexOf('b-old'))
    expect(await readStatus(client, 'pipeline', 'b-nostatus')).toBeNull()
  })
})
