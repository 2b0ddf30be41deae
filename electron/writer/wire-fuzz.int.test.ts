/**
 * The real writer process under random input, kept small (it is a process): raw bytes
 * (invalid UTF-8, NULs, CRs), random JSON and mutated valid messages on its stdin. It must
 * answer every non-blank line with one `failed` that FromWriter accepts, stay up, answer a
 * valid request afterwards, and exit 0 when its input closes.
 */
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FromWriter, decodeLine } from '@common/writer-wire'
import { defaultWriterCommand, spawnWriter } from '../core/services/writer-process'
import { randomLine } from '../../builder/src/testing/wire-fuzz'

const notRoot = process.getuid?.() !== 0
if (notRoot) console.log('[wire-fuzz.int] skipped: the writer runs unelevated only as root here')

describe.skipIf(notRoot)('the writer process under random lines', () => {
  it('answers 60 random lines and 20 random byte blocks, then a valid request, and exits 0', async () => {
    const channel = await spawnWriter(defaultWriterCommand(), [])
    const answers: FromWriter[] = []
    let lastAnswered: () => void = () => undefined
    const last = new Promise<void>((resolve) => (lastAnswered = resolve))
    channel.read({
      line: (text) => {
        const decoded = decodeLine(FromWriter, text)
        if (!decoded.ok) throw new Error(`the writer sent an invalid line: ${decoded.reason}`)
        answers.push(decoded.message)
        if ('jobId' in decoded.message && decoded.message.jobId === 'last') lastAnswered()
      },
      oversized: () => {
        throw new Error('the writer sent an oversized line')
      },
    })
    const lines = fc.sample(randomLine, { numRuns: 60, seed: 14 })
    for (const line of lines) channel.write(`${line}\n`)
    // Raw bytes, newline-free, each its own line: invalid UTF-8 must be answered like any other malformed line.
    const blocks = Array.from({ length: 20 }, () => Buffer.from([...randomBytes(64)].map((b) => (b === 0x0a ? 0x0b : b))))
    for (const block of blocks) channel.child!.stdin!.write(Buffer.concat([block, Buffer.from('\n')]))
    channel.write(`${JSON.stringify({ type: 'card', jobId: 'last', device: '/dev/orchard-no-such-drive', op: { name: 'buildInfo' } })}\n`)
    await last
    expect(answers.find((a) => a.type === 'ready')).toBeDefined()
    const failed = answers.filter((a) => a.type === 'failed')
    // Blank lines (after the trailing CR goes) get no answer.
    expect(failed).toHaveLength(lines.filter((line) => line.replace(/\r$/, '').trim()).length + blocks.length + 1)
    expect(failed.at(-1)).toMatchObject({ jobId: 'last', error: { code: 'NOT_FOUND', message: expect.stringContaining('not a connected drive') } })
    expect(channel.child?.exitCode).toBeNull()
    channel.end()
    expect(await channel.exited).toMatchObject({ code: 0, signal: null })
  }, 60_000)
})
