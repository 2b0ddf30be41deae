/**
 * What only the desktop app (its preload) offers a page: the path of a dropped file, and the
 * contract's desktop services (native open/save dialogs, "show in folder"). Absent in a
 * browser over the bridge, where the UI offers its fallbacks (typed paths, file inputs, downloads).
 */
import type { DesktopCalls } from '@common/contract'

export interface DesktopApi extends DesktopCalls {
  pathForFile(file: File): string
}

declare global {
  interface Window {
    orchardDesktop?: DesktopApi
  }
}

export const desktop = (): DesktopApi | undefined => window.orchardDesktop
