/**
 * `orchard`: the headless face of the builder, for CI and scripts.
 * Exit codes: 0 success, 1 the work failed, 2 bad usage or invalid input.
 */
import { Command, CommanderError } from 'commander'
import { readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

const program = new Command('orchard')
  .description('Build customized Raspberry Pi OS images, give every device its own startup scripts, flash many cards.')
  .version(pkg.version, '-v, --version')
  .showHelpAfterError()
  .exitOverride()

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage)
  }
  console.error(`orchard: ${(error as Error).message}`)
  process.exit(EXIT.failed)
}
