/** The download's speed and time left, over a sliding window of byte counts. */

/** Speed over a sliding window of samples; pure apart from the times it is given. */
export class SpeedMeter {
  private readonly samples: { time: number; bytes: number }[] = []
  constructor(private readonly windowMs = 3000) {}

  /** `bytes`: the running total received; `time`: ms. */
  add(time: number, bytes: number): void {
    this.samples.push({ time, bytes })
    while (this.samples.length > 2 && this.samples[1]!.time <= time - this.windowMs) this.samples.shift()
  }

  /** Bytes per second, 0 until two samples are some time apart. */
  speed(): number {
    const first = this.samples[0]
    const last = this.samples.at(-1)
    if (!first || !last || last.time - first.time < 50) return 0
    return ((last.bytes - first.bytes) * 1000) / (last.time - first.time)
  }

  eta(remaining: number): number | null {
    const speed = this.speed()
    return speed > 0 ? remaining / speed : null
  }
}
