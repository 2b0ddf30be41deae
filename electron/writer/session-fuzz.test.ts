/**
 * The writer's session under random input (fast-check): random bytes, random JSON and valid
 * messages with fields changed, over its real line reader. Every non-blank line gets exactly
 * one answer, a `failed` that FromWriter accepts (INVALID_INPUT for what is malformed), the
 * session never throws, and a valid request afterwards is still answered. Started for no
 * drive (--drives with none), so a message that happens to be valid is refused before any
 * drive is touched. The real writer process gets the same on a smaller scale in
 * wire-fuzz.int.test.ts.
 */
import { PassThrough } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FromWriter, MAX_LINE_CHARS, decodeLine } from '@common/writer-wire'
import { fuzzRuns, fuzzSummary } from '../../builder/src/testing/fuzz'
import { VALID_CARD, randomLine } from '../../builder/src/testing/wire-fuzz'
import { runSession } from './session'

/** Runs a session over `lines`, then one valid request; what it sent back. */
async function session(lines: string[]): Promise<{ answers: FromWriter[]; expected: number }> {
  const input = new PassThrough()
  const answers: FromWriter[] = []
  const done = runSession({ input, writeLine: (line) => {
    const decoded = decodeLine(FromWriter, line.trimEnd())
    if (!decoded.ok) throw new Error(`the writer sent an invalid line: ${decoded.reason}: ${line}`)
    answers.push(decoded.message)
  } }, { allowedDrives: [], callerUid: 0 })
  for (const line of [...lines, JSON.stringify({ ...VALID_CARD, jobId: 'last' })]) input.write(`${line}\n`)
  input.end()
  await done
  // Jobs answer asynchronously: wait until the last request has been answered.
  for (let i = 0; i < 200 && !answers.some((a) => 'jobId' in a && a.jobId === 'last'); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  await new Promise((resolve) => setTimeout(resolve, 10))
  return { answers, expected: lines.filter((line) => line.replace(/\r$/, '').trim()).length + 1 }
}

describe('the writer session under random lines', () => {
  it('answers an 8 MiB + 1 line once, as too long, and then a valid request', async () => {
    const { answers } = await session(['x'.repeat(MAX_LINE_CHARS + 1)])
    expect(answers[0]).toMatchObject({ type: 'failed', jobId: null, error: { code: 'INVALID_INPUT', message: expect.stringContaining('longer than') } })
    expect(answers.at(-1)).toMatchObject({ type: 'failed', jobId: 'last', error: { code: 'FORBIDDEN' } })
  })

  it('fuzz: one well-formed failed answer per line, never a throw, and the valid request after them still answered', async () => {
    const count = { sessions: 0, lines: 0 }
    await fc.assert(
      fc.asyncProperty(fc.array(randomLine, { minLength: 1, maxLength: 20 }), async (lines) => {
        const { answers, expected } = await session(lines)
        count.sessions++
        count.lines += lines.length
        expect(answers).toHaveLength(expected)
        for (const answer of answers) expect(answer.type).toBe('failed')
        // Malformed lines are INVALID_INPUT; a line that parses is refused for its drive (none were asked for) or its duplicate id.
        for (const answer of answers) if (answer.type === 'failed') expect(['INVALID_INPUT', 'FORBIDDEN']).toContain(answer.error.code)
        expect(answers.filter((a) => a.type === 'failed' && a.jobId === 'last')).toHaveLength(1)
      }),
      fuzzRuns(300, 4),
    )
    fuzzSummary('writer session', count)
  }, 30_000)
})
