/** Electron main: lifecycle, the window, and the IPC adapter over core. */
import { app, BrowserWindow, ipcMain, session } from 'electron'
import { createCore } from '../core'
import { createSenderCheck, registerIpc } from './ipc'
import { createMainWindow, rendererUrl } from './window'

app.enableSandbox()

void app.whenReady().then(() => {
  // The renderer never needs camera, notifications-by-permission, geolocation, …
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))

  const core = createCore({ runtime: { name: app.getName(), version: app.getVersion(), runtime: 'electron' } })
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
