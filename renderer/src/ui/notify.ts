/**
 * Tells the user a long job ended when they may not be looking: a system notification where
 * the page may show one (asked for when the job starts), else nothing beyond the page itself.
 */
const LONG_MS = 20_000

export function askToNotify(): void {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission().catch(() => {})
}

export function notifyDone(title: string, body: string, startedAt: number): void {
  if (Date.now() - startedAt < LONG_MS && !document.hidden) return
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return
  try {
    new Notification(title, { body })
  } catch {
    // Some embedders refuse page notifications; the page still shows the result.
  }
}
