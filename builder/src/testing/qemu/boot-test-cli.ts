/**
 * `scripts/boot-test <image> [--machine virt|raspi3b] [--timeout seconds] [--log file] [--quiet]`: boots the
 * image in QEMU (which writes to it), prints the serial console as it comes, and exits 0 when the guest
 * powered off, 1 when it did not (timeout, reboot, crash), 2 on bad usage.
 */
import { parseArgs } from 'node:util'
import { bootImage, type BootMachine } from './qemu'

const USAGE = 'usage: scripts/boot-test <image> [--machine virt|raspi3b] [--timeout seconds] [--log file] [--quiet]'

function usage(message: string): never {
  process.stderr.write(`boot-test: ${message}\n${USAGE}\n`)
  process.exit(2)
}

async function main(): Promise<number> {
  // scripts/boot-test starts node in the project (for tsx): relative paths are the caller's.
  if (process.env.ORCHARD_BOOT_TEST_CWD) process.chdir(process.env.ORCHARD_BOOT_TEST_CWD)
  let parsed
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        machine: { type: 'string', default: 'virt' },
        timeout: { type: 'string', default: '360' },
        log: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (error) {
    usage((error as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const [image, ...extra] = positionals
  if (!image || extra.length > 0) usage(image ? `one image only, got ${positionals.length}` : 'no image given')
  if (values.machine !== 'virt' && values.machine !== 'raspi3b') usage(`unknown machine ${values.machine}`)
  const timeout = Number(values.timeout)
  if (!(timeout > 0)) usage(`--timeout must be a number of seconds, got ${values.timeout}`)
  const result = await bootImage({
    image,
    machine: values.machine as BootMachine,
    timeoutMs: timeout * 1000,
    logFile: values.log,
    onLine: values.quiet ? undefined : (line) => process.stdout.write(`${line}\n`),
  })
  const stopped = result.rebooted ? 'rebooted' : `stopped (exit ${result.exitCode})`
  const outcome = result.poweredOff ? 'powered off' : result.timedOut ? 'timed out' : stopped
  process.stderr.write(`boot-test: ${values.machine}: ${outcome} after ${result.seconds.toFixed(1)} s\n`)
  return result.poweredOff ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`boot-test: ${error.message}\n`)
    process.exit(1)
  },
)
