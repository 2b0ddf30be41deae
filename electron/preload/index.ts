/**
 * The renderer's only door to core: `window.orchard.call(method, input)` and
 * `window.orchard.on(event, listener)`. Built as CommonJS so it loads with `sandbox: true`.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { DESKTOP_CHANNELS, IPC_CHANNELS } from '@common/channels'
// Types only: the sandboxed preload must not load zod (it may require nothing but electron).
import type { CallResult, DesktopCalls, DesktopInput, DesktopOutput, DesktopService } from '@common/contract'
import { ListenerRegistry } from '@common/listeners'
import type { Transport } from '@common/wire'

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

// Desktop-only services (renderer/src/ui/desktop.ts): a dropped file's path, and one method per
// channel of the contract's desktop map (native dialogs, the file manager); main validates the input.
const desktopCall =
  <S extends DesktopService>(service: S) =>
  (input: DesktopInput<S>) =>
    ipcRenderer.invoke(DESKTOP_CHANNELS[service], input) as Promise<DesktopOutput<S>>

const desktop: DesktopCalls & { pathForFile(file: File): string } = {
  pathForFile: (file) => webUtils.getPathForFile(file),
  openFile: desktopCall('openFile'),
  saveFile: desktopCall('saveFile'),
  showInFolder: desktopCall('showInFolder'),
}
contextBridge.exposeInMainWorld('orchardDesktop', desktop)
