/**
 * For the elevation test: core in this process (run as an unprivileged user), one flash
 * job through the contract, and one JSON line on stdout with who ran core and how the job
 * ended. Usage: flash-as-user.ts <writer entry> <image> <device>…
 */
import { createCore } from '../../electron/core'

const [writerEntry, image, ...devices] = process.argv.slice(2)
const core = createCore({ runtime: { name: 'orchard', version: '0', runtime: 'node' }, writer: { command: process.execPath, args: [writerEntry!] } })
const finished = new Promise<unknown>((resolve) => core.bus.listen((event, payload) => event === 'flash.finished' && resolve(payload)))
const started = await core.dispatcher.dispatch('flash.start', { image, targets: devices.map((device) => ({ kind: 'drive', device })) })
const result = started.ok ? await finished : { ok: false, error: started.error }
process.stdout.write(`${JSON.stringify({ coreUid: process.getuid?.(), result })}\n`)
core.stop()
process.exit(0)
