/**
 * `orchard fixture --arch arm64|armhf --out <file.img> [--json]`: writes the test fixture image
 * (built from Debian packages on first use, then from the cache).
 * Bad input exits 2 (a usage error); a failed build throws, which the CLI reports with exit 1.
 */
import { Command, Option } from 'commander'
import { makeFixture } from '../fixture/fixture'
import { FixtureInputError } from '../fixture/inputs'
import { FIXTURE_ARCHES, type FixtureArch } from '../fixture/spec'

interface FixtureCommandOptions {
  arch: FixtureArch
  out: string
  json?: boolean
}

export function registerFixtureCommand(program: Command): Command {
  return program
    .command('fixture')
    .description('Write a small Raspberry Pi OS-like test image built from Debian bookworm (cached after the first build)')
    .addOption(new Option('--arch <arch>', 'target architecture').choices(FIXTURE_ARCHES).default('arm64'))
    .requiredOption('--out <file>', 'where to write the image')
    .option('--json', 'print one JSON line {path, sha256, cached, arch} instead of text')
    .action(async (options: FixtureCommandOptions, command: Command) => {
      // Progress goes to stderr and only in text mode: stdout stays one parseable line with --json.
      const onProgress = options.json ? undefined : (line: string) => process.stderr.write(`${line}\n`)
      try {
        const result = await makeFixture({ arch: options.arch, out: options.out, onProgress })
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ path: result.path, sha256: result.sha256, cached: result.cached, arch: result.arch })}\n`)
        } else {
          process.stdout.write(`${result.path}\n  ${result.arch}, sha256 ${result.sha256}, ${result.cached ? 'from the cache' : 'built'}\n`)
        }
      } catch (error) {
        if (error instanceof FixtureInputError) command.error(`error: ${error.message}`, { exitCode: 2, code: 'orchard.invalidInput' })
        throw error
      }
    })
}
