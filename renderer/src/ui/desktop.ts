/**
 * What only the desktop app (its preload) offers a page: the path of a dropped file, native
 * open/save dialogs and "show in folder". Absent in a browser over the bridge, where the
 * UI offers its fallbacks (typed paths, file inputs, downloads).
 */
export interface FileFilter {
  name: string
  extensions: string[]
}

export interface DesktopApi {
  pathForFile(file: File): string
  openFile(options: { title?: string; filters?: FileFilter[] }): Promise<string | null>
  saveFile(options: { title?: string; defaultPath?: string; filters?: FileFilter[] }): Promise<string | null>
  showInFolder(path: string): void
}

declare global {
  interface Window {
    orchardDesktop?: DesktopApi
  }
}

export const desktop = (): DesktopApi | undefined => window.orchardDesktop
