/**
 * Where the packaged app's writer is and how it is started (electron-builder.yml puts it
 * there): on Linux the launcher outside app.asar that pkexec runs (the polkit action's
 * exec.path); on macOS and Windows Electron's own Node on the writer entry in the archive.
 */
import path from 'node:path'
import type { WriterCommand } from './elevation'

/** The writer entry electron-vite builds (electron.vite.config.ts, main input `writer`). */
export const WRITER_ENTRY = 'out/main/writer.js'
/** Where the Linux launcher lands in resources/ (electron-builder.yml linux.extraResources). */
export const LINUX_LAUNCHER = 'writer/orchard-writer'

export function packagedWriterCommand({ platform, resourcesPath, execPath }: { platform: NodeJS.Platform; resourcesPath: string; execPath: string }): WriterCommand {
  const join = platform === 'win32' ? path.win32.join : path.posix.join
  if (platform === 'linux') return { command: join(resourcesPath, ...LINUX_LAUNCHER.split('/')), args: [] }
  return { command: execPath, args: [join(resourcesPath, 'app.asar', ...WRITER_ENTRY.split('/'))], env: { ELECTRON_RUN_AS_NODE: '1' } }
}
