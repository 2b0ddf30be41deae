/** The writer's run: its command line, its channel, `ready`, then the session until the channel closes. */
import { encodeLine } from '@common/writer-wire'
import { parseWriterArgs, type WriterArgs } from './args'
import { connectToCore } from './connect'
import { runSession, type Channel } from './session'
import { writeProtocolLine } from './stdout'

export async function main(): Promise<void> {
  let args: WriterArgs
  try {
    args = parseWriterArgs(process.argv.slice(2))
  } catch (error) {
    console.error((error as Error).message)
    process.exit(2)
  }
  const channel: Channel = args.connect
    ? await connectToCore({ ...args.connect, callerUid: args.callerUid })
    : { input: process.stdin, writeLine: writeProtocolLine }
  channel.writeLine(encodeLine({ type: 'ready', pid: process.pid, uid: process.getuid?.() ?? null })!)
  await runSession(channel, { allowedDrives: args.allowedDrives, callerUid: args.callerUid })
  process.exit(0)
}
