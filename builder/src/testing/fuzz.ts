/**
 * fast-check settings for the fuzz properties in `npm test`: a number of runs, cut short
 * after a few seconds so the suite stays quick on a loaded machine. ORCHARD_FUZZ_SCALE=20
 * (say) runs twenty times as many cases for as long again, for a deeper hunt by hand.
 */
import type fc from 'fast-check'

export function fuzzRuns(numRuns: number, seconds: number): fc.Parameters<unknown> {
  const scale = Number(process.env.ORCHARD_FUZZ_SCALE ?? '1') || 1
  return { numRuns: Math.round(numRuns * scale), interruptAfterTimeLimit: seconds * 1000 * scale, markInterruptAsFailure: false }
}

/** One line per property, so a run shows how much it tried (the time limit may have cut it short). */
export function fuzzSummary(name: string, counts: Record<string, number>): void {
  console.log(`[fuzz] ${name}: ${Object.entries(counts).map(([key, value]) => `${value} ${key}`).join(', ')}`)
}
