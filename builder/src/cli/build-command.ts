import type { Command } from 'commander'
import { BUILD_MODES, buildImage, type BuildMode } from '../pipeline/build'
import { formatBytes } from '../util/bytes'
import { BuildError } from '../util/errors'
import { loadRecipe } from '../recipe/load'
import { cancelOnSignals, createReporter, exitCodeFor } from './output'

export function registerBuildCommand(program: Command): void {
  program
    .command('build')
    .description('Build a customized image from a recipe into <dir>/<recipe name>.img (+ .sha256, buildinfo.json)')
    .argument('<recipe>', 'recipe YAML file')
    .requiredOption('--out <dir>', 'output folder (created if missing)')
    .option('--mode <mode>', 'auto | quick | docker | chroot (auto: quick when nothing needs ARM code; else docker for a recipe with a Dockerfile, chroot where it can run, docker elsewhere)', 'auto')
    .option('--json', 'print JSON lines (progress, then the result) on stdout')
    .action(async (recipeFile: string, options: { out: string; mode: string; json?: boolean }) => {
      const reporter = createReporter(Boolean(options.json))
      const { signal } = cancelOnSignals()
      try {
        if (!BUILD_MODES.includes(options.mode as BuildMode)) {
          throw new BuildError('INVALID_RECIPE', `Unknown --mode "${options.mode}": this builder supports ${BUILD_MODES.join(', ')}`)
        }
        const loaded = await loadRecipe(recipeFile)
        const result = await buildImage(loaded, {
          outDir: options.out,
          mode: options.mode as BuildMode,
          signal,
          onProgress: ({ phase, message, fraction, bytes, totalBytes }) => reporter.progress(phase, message, fraction, bytes, totalBytes),
        })
        reporter.result(result, () =>
          [
            `Built ${result.image}`,
            `  sha256     ${result.sha256}`,
            ...(result.compressed ? [`  compressed ${result.compressed}`] : []),
            ...(result.docker
              ? [
                  `  docker     ${result.docker.pushed ?? result.docker.reference} (${formatBytes(result.docker.compressedBytes)} compressed, ${formatBytes(result.docker.uncompressedBytes)} uncompressed)`,
                ]
              : []),
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
