/**
 * What the writer accepts, tried on a real writer process spawned as core spawns it, with
 * loop devices as drives: malformed, oversized and unknown-field lines, a file target, a
 * drive not connected or not asked for: each refused, the writer still taking jobs, not a
 * byte written. Then the socket channel (--connect) runs the same protocol, and refuses a
 * peer without the token.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeDisk, sha256sum } from '../../builder/src/testing/disk-tools'
import { attachLoop, detachLoop, loopUnavailableReason } from '../../builder/src/testing/loop'
import { addTestDrives } from '../../builder/src/testing/test-drives'
import { FromWriter, MAX_LINE_CHARS, decodeLine, encodeLine, type ToWriter } from '@common/writer-wire'
import { startWriter } from '../core/services/writer-connection'
import { defaultWriterCommand, spawnWriter, type WriterChannel } from '../core/services/writer-process'

const skip = loopUnavailableReason()
if (skip) console.log(`[writer.int] skipped: ${skip}`)

/** The writer's messages as they come, to wait for one by its shape. */
function messagesOf(channel: WriterChannel) {
  const seen: FromWriter[] = []
  const waiters: { match(message: FromWriter): boolean; resolve(message: FromWriter): void }[] = []
  channel.read({
    line: (text) => {
      const decoded = decodeLine(FromWriter, text)
      if (!decoded.ok) throw new Error(`the writer sent an invalid line: ${decoded.reason}`)
      seen.push(decoded.message)
      for (const waiter of waiters.filter((w) => w.match(decoded.message))) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(decoded.message)
      }
    },
    oversized: () => {
      throw new Error('the writer sent an oversized line')
    },
  })
  return (match: (message: FromWriter) => boolean) =>
    new Promise<FromWriter>((resolve) => {
      const found = seen.find(match)
      if (found) return resolve(found)
      waiters.push({ match, resolve })
    })
}

describe.skipIf(skip)('the writer process', () => {
  let dir: string
  let image: string
  let card: string
  let cardBefore: string
  let removeTestDrives = async () => {}
  const loops: string[] = []
  const savedDrives = process.env.ORCHARD_TEST_DRIVES

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-writer-int-'))
    image = makeDisk(path.join(dir, 'base.img'), [{ type: 'c', filesystem: 'fat', mib: 40 }])
    const backing = path.join(dir, 'card.disk')
    execFileSync('cp', [image, backing])
    execFileSync('truncate', ['-s', '64M', backing])
    card = attachLoop(backing)
    loops.push(card)
    cardBefore = sha256sum(card)
    process.env.ORCHARD_TEST_DRIVES = card
    removeTestDrives = await addTestDrives([card])
  }, 60_000)

  afterAll(async () => {
    await removeTestDrives()
    for (const device of loops) detachLoop(device)
    process.env.ORCHARD_TEST_DRIVES = savedDrives
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses malformed, oversized and unknown-field lines, file targets and drives not connected or not asked for, writing nothing', async () => {
    const channel = await spawnWriter(defaultWriterCommand(), [card])
    const next = messagesOf(channel)
    const failedFor = (jobId: string | null) => next((m) => m.type === 'failed' && m.jobId === jobId)
    const send = (message: ToWriter) => channel.write(encodeLine(message)!)
    const job = { image, raw: image, sha256: sha256sum(image), targets: [{ kind: 'drive' as const, device: card }], verify: true }
    expect(await next((m) => m.type === 'ready')).toMatchObject({ uid: 0 })

    channel.write('{"type":"flash", this is not JSON\n')
    expect(await failedFor(null)).toMatchObject({ error: { code: 'INVALID_INPUT', message: expect.stringContaining('not JSON') } })

    channel.write(`${JSON.stringify({ type: 'flash', jobId: 'huge', job: { ...job, image: 'x'.repeat(MAX_LINE_CHARS) } })}\n`)
    expect(await next((m) => m.type === 'failed' && /longer than/.test(m.error.message))).toMatchObject({ jobId: null, error: { code: 'INVALID_INPUT' } })

    channel.write(`${JSON.stringify({ type: 'flash', jobId: 'extra', job: { ...job, allowSystemDrives: true } })}\n`)
    expect(await failedFor('extra')).toMatchObject({ error: { code: 'INVALID_INPUT', message: expect.stringContaining('allowSystemDrives') } })

    const file = path.join(dir, 'as-root.img')
    channel.write(`${JSON.stringify({ type: 'flash', jobId: 'file', job: { ...job, targets: [{ kind: 'file', path: file }] } })}\n`)
    expect(await failedFor('file')).toMatchObject({ error: { code: 'INVALID_INPUT', message: expect.stringContaining('drives only') } })
    send({ type: 'card', jobId: 'not-asked', device: image, op: { name: 'write', path: '/startup-scripts/device.env', content: 'X=1\n' } })
    expect(await failedFor('not-asked')).toMatchObject({ error: { code: 'FORBIDDEN', message: expect.stringContaining('not among the drives') } })

    // Started for no drive in particular, it still takes only what it lists itself.
    const gone = attachLoop(path.join(dir, 'base.img'))
    detachLoop(gone)
    const other = await spawnWriter(defaultWriterCommand(), [])
    const otherNext = messagesOf(other)
    other.write(encodeLine({ type: 'flash', jobId: 'gone', job: { ...job, targets: [{ kind: 'drive', device: gone }] } })!)
    expect(await otherNext((m) => m.type === 'failed' && m.jobId === 'gone')).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.stringContaining('not a connected drive') } })
    other.write(encodeLine({ type: 'card', jobId: 'card-file', device: image, op: { name: 'write', path: '/startup-scripts/device.env', content: 'X=1\n' } })!)
    expect(await otherNext((m) => m.type === 'failed' && m.jobId === 'card-file')).toMatchObject({ error: { code: 'NOT_FOUND' } })
    other.end()
    expect((await other.exited).code).toBe(0)

    // Still taking jobs after all that: a read of the card.
    send({ type: 'card', jobId: 'read', device: card, op: { name: 'buildInfo' } })
    expect(await next((m) => m.type === 'answer' && m.jobId === 'read')).toMatchObject({ answer: { name: 'buildInfo', buildInfo: null } })
    expect(channel.child?.exitCode).toBeNull()
    channel.end()
    expect(await channel.exited).toMatchObject({ code: 0, signal: null })
    expect(sha256sum(card)).toBe(cardBefore)
    expect(sha256sum(image)).toBe(job.sha256)
    expect(existsSync(file)).toBe(false)
  }, 60_000)

  it('runs the same protocol over the socket channel, with the one-time token', async () => {
    const writer = await startWriter(defaultWriterCommand(), [card], { channel: 'socket' })
    expect(writer.uid).toBe(0)
    expect(await writer.run({ type: 'card', jobId: 'over-socket', device: card, op: { name: 'buildInfo' } })).toMatchObject({ type: 'answer', answer: { buildInfo: null } })
    expect(await writer.end()).toMatchObject({ code: 0 })
  }, 60_000)

  it('does not accept a peer on the socket that cannot show the token', async () => {
    // argv after -e: --connect <socket> <token file> …; it connects but guesses the token.
    const impostor = "const s=require('net').createConnection(process.argv[2]);s.on('connect',()=>{s.write(JSON.stringify({type:'hello',token:'guess'})+'\\n');setTimeout(()=>process.exit(0),300)})"
    await expect(startWriter({ command: process.execPath, args: ['-e', impostor] }, [], { channel: 'socket' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('ended before connecting'),
    })
  }, 30_000)
})
