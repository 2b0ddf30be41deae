import type { Command } from 'commander'
import { buildImage, type BuildMode } from '../build'
import { BuildError } from '../errors'
import { loadRecipe } from '../recipe/load'
import { createReporter, exitCodeFor } from './output'

export function registerBuildCommand(program: Command): void {
  program
    .command('build')
    .description('Build a customized image from a recipe into <dir>/<recipe name>.img (+ .sha256, buildinfo.json)')
    .argument('<recipe>', 'recipe YAML file')
    .requiredOption('--out <dir>', 'output folder (created if missing)')
    .option('--mode <mode>', 'auto | quick | chroot (auto: quick when nothing needs ARM code, else chroot)', 'auto')
    .option('--json', 'print JSON lines (progress, then the result) on stdout')
    .action(async (recipeFile: string, options: { out: string; mode: string; json?: boolean }) => {
      const reporter = createReporter(Boolean(options.json))
      const controller = new AbortController()
      process.once('SIGINT', () => controller.abort())
      try {
        if (!['auto', 'quick', 'chroot'].includes(options.mode)) {
          throw new BuildError('INVALID_RECIPE', `Unknown --mode "${options.mode}": this builder supports auto, quick and chroot`)
        }
        const loaded = await loadRecipe(recipeFile)
        const result = await buildImage(loaded, {
          outDir: options.out,
          mode: options.mode as BuildMode,
          signal: controller.signal,
          onProgress: ({ phase, message, fraction, bytes, totalBytes }) => reporter.progress(phase, message, fraction, bytes, totalBytes),
        })
        reporter.result(result, () =>
          [
            `Built ${result.image}`,
            `  sha256     ${result.sha256}`,
            ...(result.compressed ? [`  compressed ${result.compressed}`] : []),
            `  buildinfo  ${result.buildInfoFile}`,
            `  release    ${result.buildInfo.release.release} (${result.buildInfo.release.arch})`,
            ...result.buildInfo.customizations.map((line) => `  - ${line}`),
          ].join('\n'),
        )
      } catch (error) {
        reporter.error(error)
        process.exitCode = exitCodeFor(error)
      }
    })
}
