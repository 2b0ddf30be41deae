/** Core's event bus: payloads are validated against the contract before anyone sees them. */
import { events, type EventName, type EventPayload } from '@common/contract'

export type BusListener = (event: EventName, payload: unknown) => void

export class EventBus {
  private readonly listeners = new Set<BusListener>()

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const checked = events[event].parse(payload)
    for (const listener of this.listeners) listener(event, checked)
  }

  /** Listen to every event; returns the function that stops listening. */
  listen(listener: BusListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
