import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { buildImage, type BuildProgress, type BuildResult } from '../pipeline/build'
import { checkAgainstRecord, findRecipe, packageChanges, readRecordedBuild, recordedEpoch, recordedImage } from '../pipeline/rebuild'
import { loadRecipe } from '../recipe/load'
import { BuildError } from '../util/errors'
import { formatDifferences, type FileDifference } from '../image/diff'
import { diffImages } from './diff-command'
import { cancelOnSignals, createReporter, exitCodeFor } from './output'

export interface RebuildResult {
  identical: boolean
  /** The recorded image, or its checksum file when only that is left. */
  original: string
  originalSha256: string
  rebuilt: Pick<BuildResult, 'image' | 'sha256' | 'buildInfoFile'>
  /** What differs from the record before anything was built (recipe, builder version). */
  warnings: string[]
  /** Packages whose versions differ from the recorded ones. */
  packages: string[]
  /** Files that differ, when the recorded image is here to compare. */
  differences: FileDifference[]
}

export interface RebuildOptions {
  recipe?: string
  outDir?: string
  cache?: string
  onProgress?: (progress: BuildProgress) => void
  signal?: AbortSignal
}

/** Repeats the build recorded in `buildInfoFile` (same recipe, source, time and executor kind) and compares. */
export async function rebuild(buildInfoFile: string, options: RebuildOptions = {}): Promise<RebuildResult> {
  const build = await readRecordedBuild(buildInfoFile)
  const recorded = recordedImage(buildInfoFile, build)
  if (!recorded.image && !recorded.checksumFile) {
    throw new BuildError('NOT_FOUND', `Neither the recorded image ${build.name}.img nor its .sha256 is beside ${buildInfoFile}: nothing to compare a rebuild with`)
  }
  const loaded = await loadRecipe(findRecipe(buildInfoFile, build, options.recipe))
  const warnings = checkAgainstRecord(loaded, build)
  const outDir = path.resolve(options.outDir ?? path.join(path.dirname(buildInfoFile), 'rebuild'))
  if (outDir === path.dirname(path.resolve(buildInfoFile))) throw new BuildError('INVALID_INPUT', `--out must not be the recorded build's own folder (${outDir}): its image would be overwritten`)
  const result = await buildImage(loaded, { outDir, mode: build.mode, cache: options.cache, sourceDateEpoch: recordedEpoch(build), onProgress: options.onProgress, signal: options.signal })
  const packages = packageChanges(build.packages, result.buildInfo.packages ?? {})
  const rebuilt = { image: result.image, sha256: result.sha256, buildInfoFile: result.buildInfoFile }
  if (recorded.image) {
    const diff = await diffImages(recorded.image, result.image)
    return { identical: diff.identical, original: recorded.image, originalSha256: diff.sha256[0], rebuilt, warnings, packages, differences: diff.differences }
  }
  const originalSha256 = (await readFile(recorded.checksumFile!, 'utf8')).split(/\s/)[0]!
  return { identical: originalSha256 === result.sha256, original: recorded.checksumFile!, originalSha256, rebuilt, warnings, packages, differences: [] }
}

export function registerRebuildCommand(program: Command): void {
  program
    .command('rebuild')
    .description('Repeat a build from its buildinfo.json (same recipe, source, SOURCE_DATE_EPOCH and executor kind) and compare: exit 0 identical, 1 different')
    .argument('<buildinfo>', "a build's buildinfo.json, beside its image")
    .option('--recipe <file>', 'the recipe (default: the recipe file build info names, beside buildinfo.json or in the folder above)')
    .option('--out <dir>', 'output folder for the rebuild (default: rebuild/ beside buildinfo.json)')
    .option('--json', 'print JSON lines (progress, then the result) on stdout')
    .action(async (buildInfoFile: string, options: { recipe?: string; out?: string; json?: boolean }) => {
      const reporter = createReporter(Boolean(options.json))
      const { signal } = cancelOnSignals()
      try {
        const result = await rebuild(buildInfoFile, {
          recipe: options.recipe,
          outDir: options.out,
          signal,
          onProgress: ({ phase, message, fraction, bytes, totalBytes }) => reporter.progress(phase, message, fraction, bytes, totalBytes),
        })
        reporter.result(result, () => describe(result))
        process.exitCode = result.identical ? 0 : 1
      } catch (error) {
        reporter.error(error)
        process.exitCode = exitCodeFor(error)
      }
    })
}

function describe(result: RebuildResult): string {
  const lines = result.warnings.map((warning) => `warning: ${warning}`)
  if (result.packages.length) lines.push(`packages that differ from the record (${result.packages.length}):`, ...result.packages.map((line) => `  ${line}`))
  if (result.identical) {
    lines.push(`identical: ${result.rebuilt.image} (sha256 ${result.rebuilt.sha256})`)
    return lines.join('\n')
  }
  lines.push(`different: ${result.rebuilt.image} (sha256 ${result.rebuilt.sha256.slice(0, 16)}…) vs ${result.original} (${result.originalSha256.slice(0, 16)}…)`)
  if (!result.original.endsWith('.img')) lines.push('  the recorded image is not here to say which files differ: only its checksum')
  else if (!result.differences.length) lines.push('  every file is the same (type, content, mode, owner, link target): the bytes differ in filesystem metadata (times, layout)')
  else lines.push(`  ${result.differences.length} file${result.differences.length > 1 ? 's' : ''}`, formatDifferences(result.differences))
  return lines.join('\n')
}
