/**
 * Event listeners per event name, telling the transport when an event gains its first
 * listener (subscribe) and loses its last (unsubscribe). Shared by preload and the bridge transport.
 */
export class ListenerRegistry {
  private readonly byEvent = new Map<string, Set<(payload: unknown) => void>>()

  constructor(
    private readonly onFirst: (event: string) => void,
    private readonly onLast: (event: string) => void,
  ) {}

  add(event: string, listener: (payload: unknown) => void): () => void {
    let set = this.byEvent.get(event)
    if (!set) {
      set = new Set()
      this.byEvent.set(event, set)
      this.onFirst(event)
    }
    const listeners = set
    listeners.add(listener)
    return () => {
      if (!listeners.delete(listener) || listeners.size > 0) return
      this.byEvent.delete(event)
      this.onLast(event)
    }
  }

  emit(event: string, payload: unknown): void {
    for (const listener of this.byEvent.get(event) ?? []) listener(payload)
  }
}
