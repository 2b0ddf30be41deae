import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { forEachBoundedLine } from './bounded-lines'

function feed(chunks: string[], max: number): Promise<string[]> {
  const stream = new PassThrough()
  const seen: string[] = []
  const done = new Promise<string[]>((resolve) =>
    forEachBoundedLine(stream, max, { line: (text) => seen.push(text), oversized: () => seen.push('<oversized>'), end: () => resolve(seen) }),
  )
  for (const chunk of chunks) stream.write(chunk)
  stream.end()
  return done
}

describe('forEachBoundedLine', () => {
  it('gives LF-ended lines across chunks, a CR before LF removed and a last line without LF', async () => {
    expect(await feed(['one\ntw', 'o\r\nthr', 'ee'], 10)).toEqual(['one', 'two', 'three'])
  })

  it('reports a line over the limit once and skips it to its end, whole or cut across chunks', async () => {
    expect(await feed(['short\n', '0123456789AB\n', 'next\n'], 10)).toEqual(['short', '<oversized>', 'next'])
    expect(await feed(['012345', '6789AB', 'CDEF', '\nafter\n'], 10)).toEqual(['<oversized>', 'after'])
    expect(await feed(['0123456789\n'], 10)).toEqual(['0123456789'])
  })

  it('never buffers more than the limit of a long line', async () => {
    const stream = new PassThrough()
    let oversized = 0
    forEachBoundedLine(stream, 1000, { line: () => {}, oversized: () => oversized++ })
    for (let i = 0; i < 100; i++) stream.write('x'.repeat(100_000))
    stream.end('\n')
    await new Promise((resolve) => stream.on('end', resolve))
    expect(oversized).toBe(1)
  })
})
