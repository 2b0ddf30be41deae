import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { forEachLine, LastLines, LineSplitter, splitLines } from './lines'

describe('splitLines', () => {
  it('ends lines at LF, CRLF and a lone CR, with no empty line after the last line end', () => {
    expect(splitLines('a\nb\r\nc\rd\n')).toEqual(['a', 'b', 'c', 'd'])
    expect(splitLines('a\n\nb')).toEqual(['a', '', 'b'])
    expect(splitLines('')).toEqual([])
    expect(splitLines('\n')).toEqual([''])
  })
})

describe('LineSplitter', () => {
  it('carries a partial line over to the next chunk', () => {
    const splitter = new LineSplitter()
    expect(splitter.push('one\ntw')).toEqual(['one'])
    expect(splitter.push('o\nthr')).toEqual(['two'])
    expect(splitter.push('ee')).toEqual([])
    expect(splitter.end()).toEqual(['three'])
    expect(splitter.end()).toEqual([])
  })

  it('reads a CRLF cut between two chunks as one line end', () => {
    const splitter = new LineSplitter()
    expect(splitter.push('a\r')).toEqual([])
    expect(splitter.push('\nb\r')).toEqual(['a'])
    expect(splitter.push('c\n')).toEqual(['b', 'c'])
    expect(splitter.end()).toEqual([])
  })

  it('gives the same lines as splitLines whatever the chunks', () => {
    const text = 'x\r\ny\rz\n\nlast'
    for (let cut = 0; cut <= text.length; cut++) {
      const splitter = new LineSplitter()
      const lines = [...splitter.push(text.slice(0, cut)), ...splitter.push(text.slice(cut)), ...splitter.end()]
      expect(lines, `cut at ${cut}`).toEqual(splitLines(text))
    }
  })
})

describe('forEachLine', () => {
  it('hands over each line of a stream, the last one without a line end too, and whole characters', async () => {
    const stream = new PassThrough()
    const lines: string[] = []
    forEachLine(stream, (line) => lines.push(line))
    const euro = Buffer.from('€')
    stream.write(Buffer.concat([Buffer.from('price 5'), euro.subarray(0, 1)]))
    stream.write(Buffer.concat([euro.subarray(1), Buffer.from('\nend')]))
    stream.end()
    await new Promise((resolve) => stream.once('end', resolve))
    expect(lines).toEqual(['price 5€', 'end'])
  })

  it('trims and skips blank lines for logs when asked', async () => {
    const stream = new PassThrough()
    const lines: string[] = []
    forEachLine(stream, (line) => lines.push(line), { trim: true })
    stream.end('  indented  \n\n \t\nlast \r\n')
    await new Promise((resolve) => stream.once('end', resolve))
    expect(lines).toEqual(['  indented', 'last'])
  })
})

describe('LastLines', () => {
  it('keeps only the last lines', () => {
    const tail = new LastLines(2)
    for (const line of ['a', 'b', 'c']) tail.push(line)
    expect(tail.lines).toEqual(['b', 'c'])
    expect(tail.text()).toBe('b\nc')
  })
})
