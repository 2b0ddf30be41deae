/**
 * The renderer's only door to core: `window.orchard.call(method, input)` and
 * `window.orchard.on(event, listener)`. Built as CommonJS so it loads with `sandbox: true`.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron'
import type { CallResult } from '../common/contract'
import { ListenerRegistry } from '../common/listeners'
import { DESKTOP_CHANNELS, IPC_CHANNELS } from '../common/channels'
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

// Desktop-only services (renderer/src/ui/desktop.ts): a dropped file's path, native dialogs, the file manager.
contextBridge.exposeInMainWorld('orchardDesktop', {
  pathForFile: (file: File) => webUtils.getPathForFile(file),
  openFile: (options: unknown) => ipcRenderer.invoke(DESKTOP_CHANNELS.openFile, options) as Promise<string | null>,
  saveFile: (options: unknown) => ipcRenderer.invoke(DESKTOP_CHANNELS.saveFile, options) as Promise<string | null>,
  showInFolder: (path: string) => void ipcRenderer.invoke(DESKTOP_CHANNELS.showInFolder, path),
})
