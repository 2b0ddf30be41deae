/**
 * The renderer's only door to core: `window.orchard.call(method, input)` and
 * `window.orchard.on(event, listener)`. Built as CommonJS so it loads with `sandbox: true`.
 */
import { contextBridge, ipcRenderer } from 'electron'
import type { CallResult } from '../common/contract'
import { ListenerRegistry } from '../common/listeners'
import { IPC_CHANNELS } from '../common/channels'
import type { Transport } from '../common/wire'

const listeners = new ListenerRegistry(
  (event) => ipcRenderer.send(IPC_CHANNELS.subscribe, event),
  (event) => ipcRenderer.send(IPC_CHANNELS.unsubscribe, event),
)
ipcRenderer.on(IPC_CHANNELS.event, (_event, message: { event: string; payload: unknown }) =>
  listeners.emit(message.event, message.payload),
)

const api: Transport = {
  call: (method, input) => ipcRenderer.invoke(IPC_CHANNELS.call, method, input) as Promise<CallResult>,
  on: (event, listener) => listeners.add(event, listener),
}

contextBridge.exposeInMainWorld('orchard', api)
