/**
 * The writer's session under random input (fast-check): random bytes, random JSON and valid
 * messages with fields changed, over its real line reader. Every non-blank line gets exactly
 * one answer (a cancel that finds its job running: that job's end instead), a `failed` that
 * FromWriter accepts (INVALID_INPUT for what is malformed), the
 * session never throws, and a valid request afterwards is still answered. Started for no
 * drive (--drives with none), so a message that happens to be valid is refused before any
 * drive is touched. The real writer process gets the same on a smaller scale in
 * wire-fuzz.int.test.ts.
 */
import { PassThrough } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FromWriter, MAX_LINE_CHARS, ToWriter, decodeLine } from '@common/writer-wire'
import { fuzzRuns, fuzzSummary } from '../../builder/src/testing/fuzz'
import { VALID_CARD, randomLine } from '../../builder/src/testing/wire-fuzz'
import { runSession } from './session'

/** A line the session takes as a valid cancel: one that finds its job running is answered by that job's end instead. */
const isCancel = (line: string) => {
  const decoded = decodeLine(ToWriter, line.replace(/\r$/, ''))
  return decoded.ok && decoded.message.type === 'cancel'
}

/** Runs a session over `lines`, then one valid request; what it sent back, and how many cancels could go unanswered. */
async function session(lines: string[]): Promise<{ answers: FromWriter[]; expected: number; cancels: number }> {
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
  return { answers, expected: lines.filter((line) => line.replace(/\r$/, '').trim()).length + 1, cancels: lines.filter(isCancel).length }
}

describe('the writer session under random lines', () => {
  it('answers an 8 MiB + 1 line once, as too long, and then a valid request', async () => {
    const { answers } = await session(['x'.repeat(MAX_LINE_CHARS + 1)])
    expect(answers[0]).toMatchObject({ type: 'failed', jobId: null, error: { code: 'INVALID_INPUT', message: expect.stringContaining('longer than') } })
    expect(answers.at(-1)).toMatchObject({ type: 'failed', jobId: 'last', error: { code: 'FORBIDDEN' } })
  })

  it('answers a cancel of a job that is not running with NOT_FOUND, naming the job', async () => {
    const { answers } = await session([JSON.stringify({ type: 'cancel', jobId: 'gone' })])
    expect(answers[0]).toMatchObject({ type: 'failed', jobId: 'gone', error: { code: 'NOT_FOUND', message: 'Job gone is not running' } })
  })

  it('fuzz: one well-formed failed answer per line, never a throw, and the valid request after them still answered', async () => {
    const count = { sessions: 0, lines: 0 }
    await fc.assert(
      fc.asyncProperty(fc.array(randomLine, { minLength: 1, maxLength: 20 }), async (lines) => {
        const { answers, expected, cancels } = await session(lines)
        count.sessions++
        count.lines += lines.length
        expect(answers.length).toBeLessThanOrEqual(expected)
        expect(answers.length).toBeGreaterThanOrEqual(expected - cancels)
        for (const answer of answers) expect(answer.type).toBe('failed')
        // Malformed lines are INVALID_INPUT; a line that parses is refused for its drive (none were asked for) or its duplicate id,
        // or is a cancel of a job not running.
        for (const answer of answers) if (answer.type === 'failed') expect(['INVALID_INPUT', 'FORBIDDEN', 'NOT_FOUND']).toContain(answer.error.code)
        expect(answers.filter((a) => a.type === 'failed' && a.jobId === 'last')).toHaveLength(1)
      }),
      fuzzRuns(300, 4),
    )
    fuzzSummary('writer session', count)
  }, 30_000)
})
