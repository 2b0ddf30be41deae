/**
 * Text into lines, one rule everywhere: a line ends at LF, CRLF or a lone CR (progress
 * output rewrites its line with CR; a log keeps each state as a line). Streams arrive in
 * chunks that cut lines anywhere, so the unfinished last line waits for the next chunk.
 */

const LINE_END = /\r\n|\n|\r/

/** The lines of a whole text; a line end at the very end makes no empty last line. */
export function splitLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split(LINE_END)
  if (lines.at(-1) === '') lines.pop()
  return lines
}

/** Chunks in, whole lines out; the partial last line is carried over to the next chunk. */
export class LineSplitter {
  #pending = ''

  /** The lines this chunk completes. */
  push(chunk: string): string[] {
    let text = this.#pending + chunk
    // A CR at the end may be the first half of a CRLF: hold it until the next chunk says.
    const heldCr = text.endsWith('\r')
    if (heldCr) text = text.slice(0, -1)
    const lines = text.split(LINE_END)
    this.#pending = lines.pop()! + (heldCr ? '\r' : '')
    return lines
  }

  /** The last line, when the text did not end with a line end (call once, at the end). */
  end(): string[] {
    const last = this.#pending.replace(/\r$/, '')
    const ended = this.#pending !== ''
    this.#pending = ''
    return ended ? [last] : []
  }
}

/**
 * Calls `onLine` for each line of `stream`, the last one also without a line end. `trim`
 * (for logs): trailing white space removed, blank lines skipped.
 */
export function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void, options: { trim?: boolean } = {}): void {
  const splitter = new LineSplitter()
  const take = (lines: string[]) => {
    for (const line of lines) {
      if (!options.trim) onLine(line)
      else if (line.trim()) onLine(line.trimEnd())
    }
  }
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => take(splitter.push(chunk)))
  stream.on('end', () => take(splitter.end()))
}

/** The last `limit` lines pushed, for error messages. */
export class LastLines {
  readonly #lines: string[] = []
  constructor(private readonly limit = 20) {}

  push(line: string): void {
    this.#lines.push(line)
    if (this.#lines.length > this.limit) this.#lines.shift()
  }

  get lines(): string[] {
    return [...this.#lines]
  }

  text(): string {
    return this.#lines.join('\n')
  }
}
