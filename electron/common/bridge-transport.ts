/**
 * Transport over the loopback bridge's WebSocket. Takes the WebSocket constructor as a
 * parameter so the same code runs in the browser and in Node tests (with `ws`).
 */
import type { CallResult } from './contract'
import { ListenerRegistry } from './listeners'
import { BRIDGE_PATH } from './channels'
import { ServerMessage, type ClientMessage, type Transport } from './wire'

interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open', listener: () => void): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void
  addEventListener(type: 'error', listener: () => void): void
}
export type SocketConstructor = new (url: string) => SocketLike

export interface BridgeTransport extends Transport {
  close(): void
  /** Resolves when the bridge closes the connection, with its close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>
}

/** `origin` is the bridge's http(s) origin, e.g. `http://127.0.0.1:5123`. */
export function createBridgeTransport(origin: string, token: string, Socket: SocketConstructor): BridgeTransport {
  const socket = new Socket(`${origin.replace(/^http/, 'ws')}${BRIDGE_PATH}`)
  // The token goes first, before any call: the bridge closes a connection that does anything else.
  const opened = new Promise<void>((resolve) =>
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ type: 'hello', token } satisfies ClientMessage))
      resolve()
    }),
  )
  const pending = new Map<number, (result: CallResult) => void>()
  const listeners = new ListenerRegistry(
    (event) => void send({ type: 'subscribe', event }),
    (event) => void send({ type: 'unsubscribe', event }),
  )
  let nextId = 1
  let closeInfo: { code: number; reason: string } | undefined

  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.addEventListener('close', ({ code, reason }) => {
      closeInfo = { code, reason }
      for (const settle of pending.values()) settle(unavailable(closeInfo))
      pending.clear()
      resolve(closeInfo)
    })
  })

  // A connection error is followed by 'close', which settles everything pending. Node's `ws`
  // throws an 'error' nobody listens to (a browser's WebSocket does not), so listen.
  socket.addEventListener('error', () => {})

  socket.addEventListener('message', ({ data }) => {
    const parsed = ServerMessage.safeParse(JSON.parse(String(data)))
    if (!parsed.success) return
    const message = parsed.data
    if (message.type === 'result') {
      pending.get(message.id)?.(message.result)
      pending.delete(message.id)
    } else {
      listeners.emit(message.event, message.payload)
    }
  })

  async function send(message: ClientMessage): Promise<boolean> {
    if (closeInfo) return false
    await Promise.race([opened, closed])
    if (closeInfo) return false
    socket.send(JSON.stringify(message))
    return true
  }

  return {
    closed,
    async call(method, input) {
      const id = nextId++
      const result = new Promise<CallResult>((resolve) => pending.set(id, resolve))
      if (!(await send({ type: 'call', id, method, input }))) {
        pending.delete(id)
        return unavailable(closeInfo)
      }
      return result
    },
    on: (event, listener) => listeners.add(event, listener),
    close() {
      socket.close(1000, 'client closed')
    },
  }
}

function unavailable(info: { code: number; reason: string } | undefined): CallResult {
  const why = info ? `${info.code}${info.reason ? ` ${info.reason}` : ''}` : 'not open'
  return { ok: false, error: { code: 'UNAVAILABLE', message: `Bridge connection closed (${why})` } }
}
