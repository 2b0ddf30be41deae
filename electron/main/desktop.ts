/**
 * The desktop-only services the page may ask for through the preload: native open/save
 * dialogs and "show in folder". Every request's sender is checked like core calls are.
 */
import { BrowserWindow, dialog, ipcMain, shell, type IpcMainInvokeEvent } from 'electron'
import { DESKTOP_CHANNELS } from '../common/channels'
import type { IpcEventLike } from './ipc'

export interface FileFilter {
  name: string
  extensions: string[]
}

const filtersOf = (value: unknown): FileFilter[] =>
  Array.isArray(value)
    ? value.filter((f): f is FileFilter => typeof f?.name === 'string' && Array.isArray(f?.extensions) && f.extensions.every((e: unknown) => typeof e === 'string'))
    : []

export function registerDesktop(isTrustedSender: (event: IpcEventLike) => boolean): void {
  const windowOf = (event: IpcMainInvokeEvent) => BrowserWindow.fromWebContents(event.sender) ?? undefined

  ipcMain.handle(DESKTOP_CHANNELS.openFile, async (event, options: { title?: unknown; filters?: unknown } = {}) => {
    if (!isTrustedSender(event)) return null
    const window = windowOf(event)
    const settings = { title: typeof options.title === 'string' ? options.title : undefined, filters: filtersOf(options.filters), properties: ['openFile' as const] }
    const result = window ? await dialog.showOpenDialog(window, settings) : await dialog.showOpenDialog(settings)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  })

  ipcMain.handle(DESKTOP_CHANNELS.saveFile, async (event, options: { title?: unknown; defaultPath?: unknown; filters?: unknown } = {}) => {
    if (!isTrustedSender(event)) return null
    const window = windowOf(event)
    const settings = {
      title: typeof options.title === 'string' ? options.title : undefined,
      defaultPath: typeof options.defaultPath === 'string' ? options.defaultPath : undefined,
      filters: filtersOf(options.filters),
    }
    const result = window ? await dialog.showSaveDialog(window, settings) : await dialog.showSaveDialog(settings)
    return result.canceled ? null : (result.filePath ?? null)
  })

  ipcMain.handle(DESKTOP_CHANNELS.showInFolder, (event, path: unknown) => {
    if (isTrustedSender(event) && typeof path === 'string' && path) shell.showItemInFolder(path)
  })
}
