/**
 * Issue 14: the cloud status reader fuzzed (fast-check, bounded by runs and time): whatever
 * a bucket holds under status.json, reading it ends in a correct status or a CLOUD_FAILED
 * error that says why, never another exception, and never more than the limit in memory.
 */
import fc from 'fast-check'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { BuildError } from '../util/errors'
import { readLimitedText } from './read-limited'
import { BuildStatusSchema, parseStatusText, type BuildStatus } from './status'

const WHERE = 's3://b/builds/x/status.json'
const RUNS = { numRuns: 300, interruptAfterTimeLimit: 4000 }

/** What the reader may do: a status equal to the schema's reading, or CLOUD_FAILED with a message. */
function outcome(text: string): BuildStatus | BuildError {
  try {
    return parseStatusText(text, WHERE)
  } catch (error) {
    expect(error).toBeInstanceOf(BuildError)
    expect((error as BuildError).code).toBe('CLOUD_FAILED')
    expect((error as BuildError).message).toMatch(/^s3:\/\/b\/builds\/x\/status\.json is not (JSON|a build status: .+)$/)
    return error as BuildError
  }
}

const validStatus = fc.record(
  {
    id: fc.string(),
    phase: fc.string({ minLength: 1 }),
    percent: fc.double({ min: 0, max: 100, noNaN: true }),
    startedAt: fc.string(),
    endedAt: fc.string(),
    result: fc.constantFrom('succeeded', 'failed'),
    error: fc.string(),
    lastLines: fc.array(fc.string(), { maxLength: 25 }),
  },
  { requiredKeys: ['id', 'phase', 'percent', 'startedAt'] },
)

/** One edit to a valid status's JSON: a field dropped, retyped, or the text cut or spliced. */
const mutated = fc.tuple(validStatus, fc.nat(), fc.constantFrom('drop', 'retype', 'cut', 'splice'), fc.jsonValue(), fc.string()).map(([status, at, how, value, junk]) => {
  const keys = Object.keys(status)
  const key = keys[at % keys.length]!
  if (how === 'drop') return JSON.stringify({ ...status, [key]: undefined })
  if (how === 'retype') return JSON.stringify({ ...status, [key]: value })
  const text = JSON.stringify(status)
  const cut = at % (text.length + 1)
  return how === 'cut' ? text.slice(0, cut) : text.slice(0, cut) + junk + text.slice(cut)
})

describe('parseStatusText (fuzzed)', () => {
  it('reads every valid status as the schema does', () => {
    fc.assert(
      fc.property(validStatus, (status) => {
        expect(outcome(JSON.stringify(status))).toEqual(BuildStatusSchema.parse(status))
      }),
      RUNS,
    )
  })

  it('any text, any JSON value, any mutated status: a correct status or CLOUD_FAILED, never a crash', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json(), fc.jsonValue().map((value) => JSON.stringify(value) ?? 'undefined'), mutated), (text) => {
        const result = outcome(text)
        if (!(result instanceof BuildError)) expect(BuildStatusSchema.safeParse(JSON.parse(text)).success).toBe(true)
      }),
      RUNS,
    )
  })

  // Inputs that once broke a reader like this one, kept as named cases.
  it.each([
    ['a prototype key', '{"__proto__":{"id":"x"},"phase":"p","percent":1,"startedAt":"t"}'],
    ['null', 'null'],
    ['a bare number', '42'],
    ['an array', '[]'],
    ['deep nesting', '['.repeat(5000) + ']'.repeat(5000)],
    ['percent NaN as a string', '{"id":"x","phase":"p","percent":"NaN","startedAt":"t"}'],
    ['a lone surrogate', '{"id":"\\ud800","phase":"p","percent":1,"startedAt":"t"}'],
    ['a byte-order mark', '\ufeff{"id":"x","phase":"p","percent":1,"startedAt":"t"}'],
  ])('%s: no crash', (_name, text) => {
    outcome(text)
  })
})

describe('readLimitedText (fuzzed)', () => {
  const body = (chunks: Uint8Array[]) => Readable.from(chunks)

  it('returns the exact text up to the limit and refuses anything longer, whatever the chunking or declared length', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }), fc.integer({ min: 0, max: 2000 }), fc.option(fc.integer({ min: 0, max: 5000 })), async (chunks, limit, declared) => {
        const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
        const response = { Body: body(chunks), ...(declared !== null && { ContentLength: declared }) }
        const read = readLimitedText(response, WHERE, limit)
        if (total > limit || (declared !== null && declared > limit)) {
          await expect(read).rejects.toMatchObject({ code: 'CLOUD_FAILED', message: expect.stringContaining(`over the ${limit} bytes it may have`) })
        } else {
          expect(await read).toBe(new TextDecoder().decode(Buffer.concat(chunks)))
        }
      }),
      { numRuns: 200, interruptAfterTimeLimit: 4000 },
    )
  })

  it('refuses a response with no readable body', async () => {
    await expect(readLimitedText({}, WHERE)).rejects.toMatchObject({ code: 'CLOUD_FAILED', message: expect.stringContaining('without a readable body') })
    await expect(readLimitedText({ Body: 'text' }, WHERE)).rejects.toMatchObject({ code: 'CLOUD_FAILED' })
  })
})
