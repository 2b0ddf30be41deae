/** The writer's lines, kept until a reader attaches: the first can arrive before anyone listens. */
import type { BoundedLineHandlers } from '../../../builder/src/util/bounded-lines'

type Entry = { kind: 'line'; text: string } | { kind: 'oversized' } | { kind: 'end' }

export class LineFeed implements BoundedLineHandlers {
  #queue: Entry[] = []
  #reader: BoundedLineHandlers | null = null

  line(text: string): void {
    this.#deliver({ kind: 'line', text })
  }

  oversized(): void {
    this.#deliver({ kind: 'oversized' })
  }

  end(): void {
    this.#deliver({ kind: 'end' })
  }

  read(reader: BoundedLineHandlers): void {
    this.#reader = reader
    for (const entry of this.#queue.splice(0)) this.#deliver(entry)
  }

  #deliver(entry: Entry): void {
    const reader = this.#reader
    if (!reader) return void this.#queue.push(entry)
    if (entry.kind === 'line') reader.line(entry.text)
    else if (entry.kind === 'oversized') reader.oversized()
    else reader.end?.()
  }
}
