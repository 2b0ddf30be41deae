import type { Command } from 'commander'
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import YAML from 'yaml'
import { buildImage } from '../pipeline/build'
import { makeFixture } from '../fixture/fixture'
import { inspectImage } from '../image/inspect'
import { loadRecipe } from '../recipe/load'
import { formatBytes } from '../util/bytes'
import { createReporter, exitCodeFor } from './output'

const EXAMPLE_DIR = fileURLToPath(new URL('../../examples/demo', import.meta.url))

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Make a fixture image, build the example recipe on it, and show what the image contains')
    .option('--out <dir>', 'output folder', 'orchard-demo')
    .option('--json', 'print JSON lines')
    .action(async (options: { out: string; json?: boolean }) => {
      const reporter = createReporter(Boolean(options.json))
      try {
        const out = path.resolve(options.out)
        reporter.line('1/3 fixture image (Debian arm64, Raspberry Pi OS layout; cached after the first run)')
        await mkdir(out, { recursive: true })
        const fixture = await makeFixture({ arch: 'arm64', out: path.join(out, 'fixture.img'), onProgress: (line) => reporter.progress('fixture', line) })

        reporter.line('2/3 building the example recipe on it')
        const recipeDir = path.join(out, 'recipe')
        await cp(EXAMPLE_DIR, recipeDir, { recursive: true })
        const recipeFile = path.join(recipeDir, 'recipe.yml')
        const document = YAML.parseDocument(await readFile(recipeFile, 'utf8'))
        document.setIn(['source', 'path'], path.relative(recipeDir, fixture.path))
        document.setIn(['source', 'sha256'], fixture.sha256)
        await writeFile(recipeFile, document.toString())
        const result = await buildImage(await loadRecipe(recipeFile), {
          outDir: out,
          onProgress: ({ phase, message, fraction, bytes, totalBytes }) => reporter.progress(phase, message, fraction, bytes, totalBytes),
        })

        reporter.line('3/3 what the image contains')
        const report = await inspectImage(result.image)
        reporter.result({ image: result.image, sha256: result.sha256, recipe: recipeFile, report }, () =>
          [
            `Image:  ${result.image}`,
            `SHA256: ${result.sha256}`,
            `Recipe: ${recipeFile}`,
            `Release: ${report.release.release} (${report.release.arch})`,
            'Customizations:',
            ...result.buildInfo.customizations.map((line) => `  - ${line}`),
            'Boot partition startup-scripts:',
            ...(report.startupScripts ?? []).filter((entry) => !entry.isDirectory).map((entry) => `  ${entry.path} (${formatBytes(entry.size)})`),
            `Look inside: npx orchard inspect ${path.relative(process.cwd(), result.image)}`,
          ].join('\n'),
        )
      } catch (error) {
        reporter.error(error)
        process.exitCode = exitCodeFor(error)
      }
    })
}
