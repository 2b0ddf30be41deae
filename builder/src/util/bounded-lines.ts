/**
 * LF-ended lines of at most `maxChars` characters from a stream, for protocols that read
 * lines from a peer they do not fully trust: a longer line is reported once and dropped up
 * to its end, never buffered whole. A trailing CR is removed; a last line without LF counts.
 * `end` is called once, when the stream ends or closes.
 */
export interface BoundedLineHandlers {
  line(text: string): void
  /** A line longer than the limit began; the rest of it is skipped. */
  oversized(): void
  end?(): void
}

export function forEachBoundedLine(stream: NodeJS.ReadableStream, maxChars: number, handlers: BoundedLineHandlers): void {
  let pending = ''
  let skipping = false
  const take = (text: string) => handlers.line(text.endsWith('\r') ? text.slice(0, -1) : text)

  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    let start = 0
    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, newline)
      start = newline + 1
      if (skipping) skipping = false
      else if (pending.length + piece.length > maxChars) handlers.oversized()
      else take(pending + piece)
      pending = ''
    }
    if (skipping) return
    const rest = chunk.slice(start)
    if (pending.length + rest.length <= maxChars) pending += rest
    else {
      pending = ''
      skipping = true
      handlers.oversized()
    }
  })
  let ended = false
  const finish = () => {
    if (ended) return
    ended = true
    if (pending && !skipping) take(pending)
    pending = ''
    handlers.end?.()
  }
  // A socket that is reset closes without 'end'.
  stream.on('end', finish)
  stream.on('close', finish)
}
