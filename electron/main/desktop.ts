/**
 * The desktop-only services the page may ask for through the preload: native open/save
 * dialogs and "show in folder". Every request's sender is checked like core calls are, and
 * its input validated against the contract's desktop map.
 */
import { BrowserWindow, dialog, ipcMain, shell, type IpcMainInvokeEvent } from 'electron'
import { DESKTOP_CHANNELS } from '@common/channels'
import { desktopServices, type DesktopInput, type DesktopOutput, type DesktopService } from '@common/contract'
import type { IpcEventLike } from './ipc'

type Handler<S extends DesktopService> = (input: DesktopInput<S>, window: BrowserWindow | undefined) => Promise<DesktopOutput<S>> | DesktopOutput<S>

export function registerDesktop(isTrustedSender: (event: IpcEventLike) => boolean): void {
  function handle<S extends DesktopService>(service: S, handler: Handler<S>): void {
    ipcMain.handle(DESKTOP_CHANNELS[service], (event: IpcMainInvokeEvent, input: unknown) => {
      if (!isTrustedSender(event)) throw new Error(`${service} refused: the sender is not an Orchard window`)
      const parsed = desktopServices[service].input.safeParse(input)
      if (!parsed.success) throw new Error(`${service}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; ')}`)
      return handler(parsed.data as DesktopInput<S>, BrowserWindow.fromWebContents(event.sender) ?? undefined)
    })
  }

  handle('openFile', async ({ title, filters = [] }, window) => {
    const settings = { title, filters, properties: ['openFile' as const] }
    const result = window ? await dialog.showOpenDialog(window, settings) : await dialog.showOpenDialog(settings)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  })

  handle('saveFile', async ({ title, defaultPath, filters = [] }, window) => {
    const settings = { title, defaultPath, filters }
    const result = window ? await dialog.showSaveDialog(window, settings) : await dialog.showSaveDialog(settings)
    return result.canceled ? null : (result.filePath ?? null)
  })

  handle('showInFolder', ({ path }) => shell.showItemInFolder(path))
}
