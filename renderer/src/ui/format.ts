/** Numbers for people: sizes and speeds (the builder's formatter, so the app and the CLI agree), and durations. */
export { formatBytes, formatSpeed } from '../../../builder/src/util/bytes'

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—'
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`
}
