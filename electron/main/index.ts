/** Electron main: lifecycle, the window, and the IPC adapter over core. */
import { app, BrowserWindow, ipcMain, session } from 'electron'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCore } from '../core'
import { packagedWriterCommand } from '../core/services/packaged-writer'
import { registerDesktop } from './desktop'
import { createSenderCheck, registerIpc } from './ipc'
import { createMainWindow, rendererUrl } from './window'

const here = path.dirname(fileURLToPath(import.meta.url))

app.enableSandbox()

void app.whenReady().then(() => {
  // The renderer needs notifications (a long build or flash ended), never camera, geolocation, …
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(permission === 'notifications'))

  const core = createCore({
    runtime: { name: app.getName(), version: app.getVersion(), runtime: 'electron' },
    // Packaged: the launcher pkexec knows on Linux, Electron's Node on the entry elsewhere.
    writer: app.isPackaged
      ? packagedWriterCommand({ platform: process.platform, resourcesPath: process.resourcesPath, execPath: process.execPath })
      : { command: process.execPath, args: [path.join(here, 'writer.js')], env: { ELECTRON_RUN_AS_NODE: '1' } },
  })
  const appOrigin = rendererUrl ? new URL(rendererUrl).origin : 'file://'
  const isTrustedSender = createSenderCheck(() => BrowserWindow.getAllWindows().map((window) => window.webContents.id), appOrigin)
  registerIpc({ ipcMain, ...core, isTrustedSender })
  registerDesktop(isTrustedSender)

  createMainWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow()
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
