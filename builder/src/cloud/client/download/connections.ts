/**
 * How many ranged GETs run at once, and which part each starts next. Two connections first, then one
 * more while the last one added raised the aggregate speed by a tenth: S3 gives some 50-100 MB/s per
 * connection, so more pay off there, while a server that is local or busy gains nothing from them and
 * pays for each (the one that did not help leaves again). Each number of connections runs a second
 * before it is judged, long enough for a new connection's TCP slow start.
 */

/** How long a number of connections runs before its speed decides whether to add one. */
const GROW_AFTER_MS = 1000

export interface SchedulerOptions {
  partCount: number
  /** Connections at most. */
  concurrency: number
  /** Parts start only this many past the next part to hash, which bounds the memory held for hashing. */
  window: number
  nextToHash: () => number
  /** Bytes received so far, all connections together. */
  received: () => number
  /** True once the download failed or was cancelled: no part starts after that. */
  stopped: () => boolean
  fetchPart: (index: number) => Promise<void>
  failed: (error: unknown) => void
}

export class ConnectionScheduler {
  private readonly waiting: (() => void)[] = []
  private readonly connections: Promise<void>[] = []
  private nextToStart = 0
  private wanted: number
  private running = 0
  private trial = { since: Date.now(), bytes: 0, speed: 0 }
  private growing = true

  constructor(private readonly o: SchedulerOptions) {
    this.wanted = Math.min(2, o.concurrency)
  }

  /** Wakes the connections waiting for the window to move (or to find the download stopped). */
  wake(): void {
    this.waiting.splice(0).forEach((resolve) => resolve())
  }

  /** Resolves when every part is fetched, or the download stopped and no connection is left. */
  async run(): Promise<void> {
    this.trial = { since: Date.now(), bytes: 0, speed: 0 }
    for (let i = 0; i < Math.min(this.wanted, this.o.partCount); i++) this.connect()
    // Connections may be added while these are awaited.
    for (let i = 0; i < this.connections.length; i++) await this.connections[i]
  }

  private connect(): void {
    this.running++
    this.connections.push(this.connection().catch(this.o.failed))
  }

  private async connection(): Promise<void> {
    while (!this.o.stopped() && this.nextToStart < this.o.partCount && this.running <= this.wanted) {
      // Parts start in order, and only within the window: the part the others wait for has started.
      if (this.nextToStart >= this.o.nextToHash() + this.o.window) {
        await new Promise<void>((resolve) => this.waiting.push(resolve))
        continue
      }
      await this.o.fetchPart(this.nextToStart++)
      this.grow()
    }
    this.running--
  }

  private grow(): void {
    const elapsed = Date.now() - this.trial.since
    if (!this.growing || elapsed < GROW_AFTER_MS || this.nextToStart >= this.o.partCount) return
    const speed = (this.o.received() - this.trial.bytes) / elapsed
    if (speed < this.trial.speed * 1.1) {
      this.growing = false
      this.wanted = Math.max(1, this.running - 1)
      return
    }
    this.trial = { since: Date.now(), bytes: this.o.received(), speed }
    if (this.running >= this.o.concurrency) this.growing = false
    else {
      this.wanted++
      this.connect()
    }
  }
}
