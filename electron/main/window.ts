import { BrowserWindow, shell } from 'electron'
import { loadWindowState, rememberWindowState } from './window-state'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))

/** The dev server's URL under `electron-vite dev`; the built files otherwise. */
export const rendererUrl = process.env.ELECTRON_RENDERER_URL

export function createMainWindow(): BrowserWindow {
  const saved = loadWindowState()
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    ...saved?.bounds,
    minWidth: 900,
    minHeight: 600,
    title: 'Orchard',
    show: false,
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  window.once('ready-to-show', () => {
    if (saved?.maximized) window.maximize()
    window.show()
  })
  rememberWindowState(window)

  // No remote content: links to the web open in the user's browser, nothing navigates away.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event) => event.preventDefault())

  if (rendererUrl) void window.loadURL(rendererUrl)
  else void window.loadFile(path.join(here, '../renderer/index.html'))
  return window
}
