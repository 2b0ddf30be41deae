/**
 * How the writer gets the rights raw disks need, per OS; one prompt per batch. Linux:
 * pkexec (polkit), which keeps the writer's stdin/stdout as the channel and clears the
 * environment, so what the writer needs is passed explicitly through env(1). macOS and
 * Windows: @vscode/sudo-prompt (the OS's own dialog: an AppleScript applet, PowerShell's
 * RunAs), which cannot hand over pipes, so the writer connects back over a private socket.
 * Why these and not udisks2: docs/ARCHITECTURE.md, "Elevation".
 */
import { OrchardError } from '@common/errors'

export interface WriterCommand {
  command: string
  args: string[]
  env?: Record<string, string>
}

export type ElevationPlan =
  /** Root already, or image files only: the writer runs as we are. */
  | { kind: 'direct'; command: string; args: string[]; env: Record<string, string> }
  /** Linux: pkexec runs it as root; stdin/stdout stay ours. */
  | { kind: 'pkexec'; command: string; args: string[] }
  /** macOS/Windows: one command line for the OS dialog; the writer connects back (`--connect`). */
  | { kind: 'sudo-prompt'; commandLine: string; options: { name: string; env: Record<string, string> } }

export interface ElevationRequest {
  writer: WriterCommand
  /** The drives the user is asked about; the writer refuses any other. */
  drives: string[]
  platform: NodeJS.Platform
  /** Whether this process already has the rights (root, an elevated token). */
  elevated: boolean
  /** pkexec's path on Linux, or null when polkit is missing. */
  pkexec: string | null
  /** The rendezvous the writer connects back to instead of using its stdin/stdout (required for macOS/Windows prompts). */
  connect?: { socket: string; tokenFile: string; callerUid: number }
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/

export function planElevation({ writer, drives, platform, elevated, pkexec, connect }: ElevationRequest): ElevationPlan {
  // --drives last: it takes the rest of the command line.
  const connectArgs = connect ? ['--connect', connect.socket, connect.tokenFile, '--caller-uid', String(connect.callerUid)] : []
  const writerArgs = [...writer.args, ...connectArgs, ...(drives.length ? ['--drives', ...drives] : [])]
  if (elevated || drives.length === 0) return { kind: 'direct', command: writer.command, args: writerArgs, env: writer.env ?? {} }
  if (platform === 'linux') {
    if (!pkexec) throw new OrchardError('FORBIDDEN', 'Writing to drives needs administrator rights: install polkit (the pkexec package) or run Orchard with sudo')
    const env = Object.entries(writer.env ?? {}).map(([name, value]) => {
      if (!ENV_NAME.test(name)) throw new OrchardError('INTERNAL', `Not an environment variable name: ${name}`)
      return `${name}=${value}`
    })
    // --disable-internal-agent: no text prompt on a terminal the app does not have; the desktop's polkit agent asks.
    const program = env.length ? ['/usr/bin/env', ...env, writer.command] : [writer.command]
    return { kind: 'pkexec', command: pkexec, args: ['--disable-internal-agent', ...program, ...writerArgs] }
  }
  if (platform === 'darwin' || platform === 'win32') {
    if (!connect) throw new OrchardError('INTERNAL', 'An elevated writer on this OS needs a socket to connect back to')
    const words = [writer.command, ...writerArgs]
    return { kind: 'sudo-prompt', commandLine: words.map((word) => quoteWord(word, platform)).join(' '), options: { name: 'Orchard', env: writer.env ?? {} } }
  }
  throw new OrchardError('FORBIDDEN', `Writing to drives needs administrator rights, which Orchard cannot ask for on ${platform}: run it as an administrator`)
}

/**
 * Double quotes suffice for /bin/sh (macOS) and cmd (Windows) with the paths we pass;
 * a word that would need escaping (a quote, $, `, %, !, a line break; a backslash outside
 * Windows) is refused rather than escaped.
 */
function quoteWord(word: string, platform: NodeJS.Platform): string {
  const unsafe = platform === 'win32' ? /["%!\r\n]/ : /["$`\\!\r\n]/
  if (unsafe.test(word)) {
    throw new OrchardError('INTERNAL', `Cannot pass ${JSON.stringify(word)} to the elevation prompt safely`)
  }
  return `"${word}"`
}

/**
 * Why an elevated writer ended before it said anything, when the elevation itself was
 * refused: pkexec exits 126 when the dialog is dismissed and 127 when polkit says no.
 */
export function elevationRefusal(plan: ElevationPlan, exitCode: number | null, stderr: string): OrchardError | null {
  if (plan.kind === 'pkexec') {
    if (exitCode === 126) return new OrchardError('FORBIDDEN', 'The request for administrator rights was dismissed: nothing was written')
    if (exitCode === 127 && /No authentication agent found/i.test(stderr)) {
      return new OrchardError('FORBIDDEN', 'No polkit authentication agent is running to ask for administrator rights: nothing was written. Start your desktop session\'s agent, or run Orchard with sudo')
    }
    if (exitCode === 127) return new OrchardError('FORBIDDEN', 'Not authorized to write drives (polkit refused): nothing was written')
  }
  if (plan.kind === 'sudo-prompt' && /did not grant permission|permission denied|canceled/i.test(stderr)) {
    return new OrchardError('FORBIDDEN', 'Administrator rights were not granted: nothing was written')
  }
  return null
}
