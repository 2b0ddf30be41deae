/**
 * What only the desktop app offers the page (native dialogs, the file manager): one service
 * per channel of DESKTOP_CHANNELS (../channels.ts), preload → main. Main validates every
 * input with these schemas; the preload and the page take their types from them.
 */
import { z } from 'zod'
import type { DESKTOP_CHANNELS } from '../channels'
import { FilePath } from './shared'

export const FileFilter = z.object({ name: z.string(), extensions: z.array(z.string()) }).strict()
export type FileFilter = z.infer<typeof FileFilter>

export const desktopServices = {
  /** A native open dialog; the file picked, or null when cancelled. */
  openFile: {
    input: z.object({ title: z.string().optional(), filters: z.array(FileFilter).optional() }).strict(),
    output: z.string().nullable(),
  },
  /** A native save dialog; the path chosen, or null when cancelled. */
  saveFile: {
    input: z.object({ title: z.string().optional(), defaultPath: z.string().optional(), filters: z.array(FileFilter).optional() }).strict(),
    output: z.string().nullable(),
  },
  /** Opens the file manager at `path`. */
  showInFolder: { input: z.object({ path: FilePath }).strict(), output: z.void() },
} as const satisfies Record<keyof typeof DESKTOP_CHANNELS, { input: z.ZodType; output: z.ZodType }>

export type DesktopService = keyof typeof desktopServices
export type DesktopInput<S extends DesktopService> = z.input<(typeof desktopServices)[S]['input']>
export type DesktopOutput<S extends DesktopService> = z.output<(typeof desktopServices)[S]['output']>
/** The page's side of the services: one method per channel (window.orchardDesktop, from the preload). */
export type DesktopCalls = { [S in DesktopService]: (input: DesktopInput<S>) => Promise<DesktopOutput<S>> }
