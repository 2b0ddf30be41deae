/** The typed client: the only way the renderer (or any other caller) talks to core. */
import type { EventName, EventPayload, Input, Method, Output } from './contract'
import { OrchardError } from './errors'
import type { Transport } from './wire'

export interface Client {
  call<M extends Method>(method: M, input: Input<M>): Promise<Output<M>>
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
}

export function createClient(transport: Transport): Client {
  return {
    async call(method, input) {
      const result = await transport.call(method, input)
      if (!result.ok) throw new OrchardError(result.error.code, result.error.message, result.error.detail)
      // Core validated the value against the contract's output schema before sending it.
      return result.value as never
    },
    on(event, listener) {
      return transport.on(event, listener as (payload: unknown) => void)
    },
  }
}
