/** Cards per hour so far: cards done over the time since the mode started; null before the first card. */
export function cardsPerHour(doneAt: number[], startedAt: number, now: number): number | null {
  if (doneAt.length === 0 || now <= startedAt) return null
  return (doneAt.length * 3_600_000) / (now - startedAt)
}
