/** The main window's size, place and maximized state, remembered between runs in the app's user data folder. */
import { app, screen, type BrowserWindow, type Rectangle } from 'electron'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

interface WindowState {
  bounds: Rectangle
  maximized: boolean
}

const file = () => path.join(app.getPath('userData'), 'window-state.json')

/** The saved state, if it still fits on one of the displays (a monitor may have gone). */
export function loadWindowState(): WindowState | null {
  try {
    const state = JSON.parse(readFileSync(file(), 'utf8')) as WindowState
    const { x, y, width, height } = state.bounds
    if (![x, y, width, height].every(Number.isFinite)) return null
    const visible = screen.getAllDisplays().some(({ workArea: a }) => x < a.x + a.width && x + width > a.x && y < a.y + a.height && y + height > a.y)
    return visible ? state : null
  } catch {
    return null
  }
}

export function rememberWindowState(window: BrowserWindow): void {
  window.on('close', () => {
    try {
      writeFileSync(file(), JSON.stringify({ bounds: window.getNormalBounds(), maximized: window.isMaximized() }))
    } catch {
      // Not remembering the window is no reason to stop closing it.
    }
  })
}
