/** Electron main: lifecycle, the window, and the IPC adapter over core. */
import { app, BrowserWindow, ipcMain, session } from 'electron'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCore } from '../core'
import { createSenderCheck, registerIpc } from './ipc'
import { createMainWindow, rendererUrl } from './window'

const here = path.dirname(fileURLToPath(import.meta.url))

app.enableSandbox()

void app.whenReady().then(() => {
  // The renderer never needs camera, notifications-by-permission, geolocation, …
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))

  const core = createCore({
    runtime: { name: app.getName(), version: app.getVersion(), runtime: 'electron' },
    writer: { command: process.execPath, args: [path.join(here, 'writer.js')], env: { ELECTRON_RUN_AS_NODE: '1' } },
  })
  const appOrigin = rendererUrl ? new URL(rendererUrl).origin : 'file://'
  registerIpc({
    ipcMain,
    ...core,
    isTrustedSender: createSenderCheck(() => BrowserWindow.getAllWindows().map((window) => window.webContents.id), appOrigin),
  })

  createMainWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow()
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
