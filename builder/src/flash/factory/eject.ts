/**
 * A finished card is ejected so it can be pulled at once: on Linux powered off through udisks
 * where it runs (the reader's light goes out), else `eject`. Best effort: a card that cannot be
 * ejected is still done (already unmounted by the write). Test drives (loop devices) are left alone.
 */
import { runCommand } from '../../util/process'
import type { Drive } from '../drives'

export async function ejectCard(drive: Drive): Promise<string | null> {
  if (drive.virtual || process.platform !== 'linux') return null
  const attempts: [string, string[]][] = [
    ['udisksctl', ['power-off', '--block-device', drive.device, '--no-user-interaction']],
    ['eject', [drive.device]],
  ]
  const problems: string[] = []
  for (const [program, args] of attempts) {
    try {
      await runCommand(program, args, { signal: AbortSignal.timeout(10_000) })
      return null
    } catch (error) {
      problems.push(`${program}: ${(error as Error).message.split('\n')[0]}`)
    }
  }
  return `could not eject ${drive.device} (${problems.join('; ')}): pull it out anyway`
}
