/**
 * The Electron adapter over core's dispatcher: one invoke channel for calls, and events
 * pushed to the windows that subscribed. Every message's sender is checked first.
 * Written against the few members of ipcMain it uses, so tests can drive it without Electron.
 */
import { isEventName, type CallResult } from '@common/contract'
import { OrchardError } from '@common/errors'
import { IPC_CHANNELS } from '@common/channels'
import type { Dispatcher } from '../core/dispatcher'
import type { EventBus } from '../core/events'

export interface SenderFrame {
  url: string
  parent: unknown | null
}
export interface SenderContents {
  id: number
  send(channel: string, message: unknown): void
  isDestroyed(): boolean
  once(event: 'destroyed', listener: () => void): void
}
export interface IpcEventLike {
  sender: SenderContents
  senderFrame: SenderFrame | null
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void
  on(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): void
  removeHandler(channel: string): void
  removeAllListeners(channel: string): void
}

/**
 * Trusted: the main frame (no parent) of one of our own windows, showing our own page.
 * `appOrigin` is `file://` for the packaged renderer or the dev server's origin.
 */
export function createSenderCheck(ourWindowIds: () => Iterable<number>, appOrigin: string) {
  return (event: IpcEventLike): boolean => {
    const frame = event.senderFrame
    if (!frame || frame.parent !== null) return false
    if (![...ourWindowIds()].includes(event.sender.id)) return false
    return appOrigin === 'file://' ? frame.url.startsWith('file://') : safeOrigin(frame.url) === appOrigin
  }
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

export interface IpcAdapterOptions {
  ipcMain: IpcMainLike
  dispatcher: Dispatcher
  bus: EventBus
  isTrustedSender: (event: IpcEventLike) => boolean
}

/** Registers the channels; returns a function that removes them again. */
export function registerIpc({ ipcMain, dispatcher, bus, isTrustedSender }: IpcAdapterOptions): () => void {
  const subscriptions = new Map<number, { contents: SenderContents; events: Set<string> }>()

  ipcMain.handle(IPC_CHANNELS.call, async (event, method, input): Promise<CallResult> => {
    if (!isTrustedSender(event)) {
      return { ok: false, error: new OrchardError('FORBIDDEN', 'Call refused: the sender is not an Orchard window').toShape() }
    }
    return dispatcher.dispatch(String(method), input)
  })

  ipcMain.on(IPC_CHANNELS.subscribe, (event, name) => {
    if (!isTrustedSender(event) || typeof name !== 'string' || !isEventName(name)) return
    let entry = subscriptions.get(event.sender.id)
    if (!entry) {
      const id = event.sender.id
      entry = { contents: event.sender, events: new Set() }
      subscriptions.set(id, entry)
      event.sender.once('destroyed', () => subscriptions.delete(id))
    }
    entry.events.add(name)
  })

  ipcMain.on(IPC_CHANNELS.unsubscribe, (event, name) => {
    if (!isTrustedSender(event) || typeof name !== 'string') return
    subscriptions.get(event.sender.id)?.events.delete(name)
  })

  const stopListening = bus.listen((name, payload) => {
    for (const { contents, events } of subscriptions.values()) {
      if (events.has(name) && !contents.isDestroyed()) contents.send(IPC_CHANNELS.event, { event: name, payload })
    }
  })

  return () => {
    stopListening()
    ipcMain.removeHandler(IPC_CHANNELS.call)
    ipcMain.removeAllListeners(IPC_CHANNELS.subscribe)
    ipcMain.removeAllListeners(IPC_CHANNELS.unsubscribe)
    subscriptions.clear()
  }
}
