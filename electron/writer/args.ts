/**
 * The writer's command line: `[--connect <socket> <token file>] [--caller-uid <uid>]
 * [--drives <device>…]` (--drives last: it takes the rest). Without --connect the channel
 * is stdin/stdout. Nothing comes from the environment, which elevation clears or the caller
 * controls; the one exception is the caller's uid as pkexec or sudo themselves record it.
 */
export interface WriterArgs {
  connect: { socket: string; tokenFile: string } | null
  /** Whose rendezvous files to trust (--connect only). */
  callerUid: number
  /** The drives the user was asked about; null when none were named. */
  allowedDrives: string[] | null
}

export const USAGE = 'usage: writer [--connect <socket> <token file>] [--caller-uid <uid>] [--drives <device>…]'

export function parseWriterArgs(argv: string[], env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? -1): WriterArgs {
  const args: WriterArgs = { connect: null, callerUid: uid === 0 ? (recordedCaller(env) ?? 0) : uid, allowedDrives: null }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    if (flag === '--connect' && argv[i + 2] !== undefined) {
      args.connect = { socket: argv[i + 1]!, tokenFile: argv[i + 2]! }
      i += 2
    } else if (flag === '--caller-uid' && /^\d+$/.test(argv[i + 1] ?? '')) {
      args.callerUid = Number(argv[++i])
    } else if (flag === '--drives' && i + 1 < argv.length) {
      args.allowedDrives = argv.slice(i + 1)
      break
    } else {
      throw new Error(USAGE)
    }
  }
  return args
}

function recordedCaller(env: NodeJS.ProcessEnv): number | null {
  const recorded = env.PKEXEC_UID ?? env.SUDO_UID
  return recorded && /^\d+$/.test(recorded) ? Number(recorded) : null
}
