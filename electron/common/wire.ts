/** Messages exchanged over the loopback bridge, and the transport interface both adapters offer. */
import { z } from 'zod'
import { CallResult } from './contract'

/** The bridge's token rides in the first message, never in a URL (URLs end up in logs and history). */
export const BRIDGE_TOKEN_MAX = 256

export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), token: z.string().max(BRIDGE_TOKEN_MAX) }),
  z.object({ type: z.literal('call'), id: z.number().int(), method: z.string(), input: z.unknown() }),
  z.object({ type: z.literal('subscribe'), event: z.string() }),
  z.object({ type: z.literal('unsubscribe'), event: z.string() }),
])
export type ClientMessage = z.infer<typeof ClientMessage>

export const ServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('result'), id: z.number().int(), result: CallResult }),
  z.object({ type: z.literal('event'), event: z.string(), payload: z.unknown() }),
])
export type ServerMessage = z.infer<typeof ServerMessage>

/** What the preload exposes as `window.orchard`, and what the bridge transport implements. */
export interface Transport {
  call(method: string, input: unknown): Promise<CallResult>
  on(event: string, listener: (payload: unknown) => void): () => void
}
