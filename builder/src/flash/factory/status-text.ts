/** The factory's state in words, for a terminal or a log: one line for the queue, one per slot. */
import { formatBytes } from '../../util/bytes'
import type { QueueView, SlotView } from './factory'

export function queueLine(queue: QueueView): string {
  const rate = queue.cardsPerHour === null ? '' : ` — ${queue.cardsPerHour.toFixed(queue.cardsPerHour < 10 ? 1 : 0)} cards/hour`
  return `${queue.paused ? 'PAUSED — ' : ''}queue: ${queue.done} of ${queue.total} done, ${queue.writing} writing, ${queue.pending} waiting${rate}`
}

export function slotLine(slot: SlotView): string {
  const speed = slot.speed ? ` ${formatBytes(slot.speed)}/s` : ''
  return `${slot.drive}: ${slot.message}${slot.state === 'writing' ? speed : ''}`
}
