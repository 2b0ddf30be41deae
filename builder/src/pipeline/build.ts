/**
 * One build: recipe → verified source → customized image → outputs, all or nothing.
 * Outputs are written as temp files and renamed into place only when complete, so a
 * failed or cancelled build leaves no partial image behind.
 */
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { access, mkdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { chrootUnavailableReason } from '../steps/chroot-executor'
import { stepPlan } from '../steps/plan'
import { runSteps } from '../steps/run-steps'
import { readBootTree } from '../steps/boot-tree'
import { writeBootChanges } from '../steps/boot-writeback'
import { repackImage } from '../assemble/repack'
import { normalizeVolatileFiles } from '../assemble/volatile-files'
import { buildInfoSource, type BuildInfo } from '../customize/buildinfo'
import { buildTime } from '../customize/build-time'
import { customizeImage } from '../customize/customize'
import { sealRecipe } from '../recipe/secrets'
import { BuildError } from '../util/errors'
import { withImage } from '../image/open'
import { recipeHash, type LoadedRecipe } from '../recipe/load'
import { recipeFilePath, recipeFiles } from '../recipe/recipe-files'
import { armWork, type SealedRecipe } from '../recipe/schema'
import { writeDockerImage, type DockerImageResult } from '../output/docker-image'
import { compressXz, writeImage } from '../output/write-image'
import { formatBytes } from '../util/bytes'
import { cacheDir } from '../util/paths'
import { removeStaleTemps, removeTree, tempName, writeFileAtomic } from '../util/temp'
import { resolveSource } from '../source/resolve'
import { BUILDER_VERSION } from '../util/version'
import type { BuildMode, BuildProgress } from '../vocabulary'

export { BUILD_MODES, type BuildMode, type BuildPhase, type BuildProgress } from '../vocabulary'
/** Where ARM work runs: nowhere (quick), a qemu-user chroot, or a Docker build. */
export type ResolvedMode = Exclude<BuildMode, 'auto'>

export interface BuildOptions {
  outDir: string
  mode?: BuildMode
  cache?: string
  onProgress?: (progress: BuildProgress) => void
  signal?: AbortSignal
  /** The build time, as SOURCE_DATE_EPOCH would give it (a rebuild passes the recorded one); the environment's otherwise. */
  sourceDateEpoch?: number
}

export interface BuildResult {
  image: string
  sha256: string
  compressed: string | null
  checksumFile: string
  buildInfoFile: string
  buildInfo: BuildInfo
  bytes: number
  /** The Docker image output, when the recipe asks for one. */
  docker?: DockerImageResult
}

export async function buildImage({ recipe, baseDir, file }: LoadedRecipe, options: BuildOptions): Promise<BuildResult> {
  const report = options.onProgress ?? (() => {})
  const mode = chooseMode(recipe, options.mode ?? 'auto')
  const outDir = path.resolve(options.outDir)
  await checkWritable(outDir)
  // Before any byte is read: every file the recipe names, confined to its folder (recipe-files.ts).
  const carried = await recipeFiles(recipe, baseDir)
  if (carried.length) report({ phase: 'source', message: `recipe files: ${carried.map((file) => `${file.field} ${file.path}`).join(', ')}` })

  const source = await resolveSource(recipe.source, baseDir, {
    cache: options.cache,
    signal: options.signal,
    onProgress: ({ phase, bytes, total }) =>
      report({ phase: 'source', message: phase, bytes, ...(total ? { totalBytes: total, fraction: bytes / total } : {}) }),
  })
  report({ phase: 'source', message: `source verified (sha256 ${source.sha256.slice(0, 12)}…)`, fraction: 1 })

  const sealed = sealRecipe(recipe)
  const names = outputNames(outDir, recipe.name)
  // A killed build's leftovers (images are GBs) go before this one adds its own.
  const cache = options.cache ?? cacheDir()
  for (const prefix of [`${recipe.name}.img.`, `${recipe.name}.img.xz.`]) await removeStaleTemps(outDir, prefix, { suffix: '.partial' })
  if (mode !== 'quick') await removeStaleTemps(cache, 'full-build-')
  const temp = path.join(outDir, tempName(`${recipe.name}.img.`, '.partial'))
  const created: string[] = [temp]
  const workDir = mode !== 'quick' ? path.join(cache, tempName('full-build-')) : null
  if (workDir) await mkdir(workDir, { recursive: true })
  try {
    // One time for everything written, and no path of this machine's: the same recipe and source, the same bytes.
    // Read from the source, before a full build's repack makes a new root fs.
    const env = options.sourceDateEpoch === undefined ? process.env : { SOURCE_DATE_EPOCH: String(options.sourceDateEpoch) }
    const { time, from } = await withImage(source.image, 'read', (image) => buildTime(image.disk, image.root, env))
    report({ phase: 'source', message: `build time ${time.toISOString()} (${from})` })
    const pins = { time, hashSeed: derivedUuid('ext4 hash seed', recipeHash(recipe), source.sha256) }
    const base = workDir && mode !== 'quick' ? await runArmWork(mode, sealed, baseDir, source, workDir, pins, report, options.signal) : source.image
    const { buildInfo, sha256, bytes, rootPartition } = await withImage(base, 'copyOnWrite', async (image) => {
      const buildInfo = await customizeImage({
        image,
        recipe: sealed,
        baseDir,
        time,
        info: {
          name: recipe.name,
          builder: { name: 'orchard', version: BUILDER_VERSION },
          mode,
          builtAt: time.toISOString(),
          source: buildInfoSource(recipe.source, recipe.source.path ?? source.origin, source.sha256),
          recipeSha256: recipeHash(recipe),
          ...(file ? { recipeFile: file } : {}),
        },
        onStep: (message) => report({ phase: 'customize', message }),
      })
      const sha256 = await writeImage(
        base,
        image.disk,
        temp,
        (written, total) => report({ phase: 'write', message: 'writing image', bytes: written, totalBytes: total, fraction: written / total }),
        options.signal,
      )
      return { buildInfo, sha256, bytes: image.capacity, rootPartition: image.root }
    })

    let compressed: string | null = null
    if (recipe.outputs.image.compress === 'xz') {
      report({ phase: 'compress', message: 'compressing with xz' })
      const tempXz = path.join(outDir, tempName(`${recipe.name}.img.xz.`, '.partial'))
      created.push(tempXz)
      await compressXz(temp, tempXz)
      compressed = names.compressed
    }
    // Last, so that nothing after it can fail and leave a loaded or pushed image behind a failed build.
    let docker: DockerImageResult | undefined
    if (recipe.outputs.docker) {
      docker = await writeDockerImage({
        image: temp,
        rootPartition,
        arch: recipe.arch,
        ...recipe.outputs.docker,
        buildInfo,
        onProgress: (message) => report({ phase: 'docker-image', message }),
      })
      report({ phase: 'docker-image', message: `Docker image ${docker.reference}: ${formatBytes(docker.compressedBytes)} compressed, ${formatBytes(docker.uncompressedBytes)} uncompressed${docker.pushed ? `, pushed as ${docker.pushed}` : ''}`, fraction: 1 })
    }

    // Everything is complete: only now do the outputs take their real names.
    await rename(temp, names.image)
    if (compressed) await rename(created[1]!, compressed)
    await writeFileAtomic(names.checksum, `${sha256}  ${path.basename(names.image)}\n`)
    await writeFileAtomic(names.buildInfo, `${JSON.stringify(buildInfo, null, 2)}\n`)
    report({ phase: 'done', message: `built ${names.image}`, fraction: 1 })
    return { image: names.image, sha256, compressed, checksumFile: names.checksum, buildInfoFile: names.buildInfo, buildInfo, bytes, ...(docker ? { docker } : {}) }
  } catch (error) {
    await Promise.all(created.map((file) => rm(file, { force: true })))
    throw error
  } finally {
    // Mount-safe: a killed chroot step may have left /proc or /dev bound inside; what
    // cannot go now (still mounted) is a stale temp the next build removes.
    if (workDir) await removeTree(workDir).catch(() => {})
  }
}

/**
 * auto: quick when nothing needs ARM code; docker for a recipe with its own Dockerfile;
 * else chroot where it can run (Linux, root, binfmt), docker elsewhere. An explicit mode
 * must be able to do the recipe.
 */
function chooseMode(recipe: LoadedRecipe['recipe'], requested: BuildMode): ResolvedMode {
  const needsArm = armWork(recipe)
  if (requested === 'quick' || (requested === 'auto' && needsArm.length === 0)) {
    if (needsArm.length) {
      throw new BuildError(
        'INVALID_RECIPE',
        `This recipe needs ARM code to run (${needsArm.join(', ')}): the quick build cannot do that. Use a full build (--mode docker or --mode chroot).`,
      )
    }
    return 'quick'
  }
  if (requested === 'chroot' && recipe.dockerfile) {
    throw new BuildError('INVALID_RECIPE', 'dockerfile needs the docker build mode (--mode docker): a chroot cannot run a Dockerfile')
  }
  if (requested !== 'auto') return requested
  return recipe.dockerfile || chrootUnavailableReason(recipe.arch) ? 'docker' : 'chroot'
}

/**
 * The root fs out of the image, the ARM steps run on it with the boot partition's files at
 * its boot mount, an image made from the result, and what the steps changed at the boot
 * mount written back to that image's boot partition.
 */
async function runArmWork(
  executor: 'chroot' | 'docker',
  recipe: SealedRecipe,
  baseDir: string,
  source: { image: string; sha256: string },
  workDir: string,
  pins: { time: Date; hashSeed: string },
  report: (progress: BuildProgress) => void,
  signal?: AbortSignal,
): Promise<string> {
  const rootDir = path.join(workDir, 'root')
  await mkdir(rootDir)
  const onStep = (name: string) => report({ phase: 'steps', message: name })
  const onLine = (_step: string, line: string) => report({ phase: 'steps', message: line })
  const { time } = pins
  const rootPartition = await withImage(source.image, 'read', async (image) => image.root)
  const dockerfile = recipe.dockerfile ? await recipeFilePath(recipe, baseDir, recipe.dockerfile, 'dockerfile') : undefined
  onStep('reading the boot partition')
  const boot = await readBootTree(source.image, path.join(workDir, 'boot-before'))
  const bootAfter = await runSteps({ executor, source, rootPartition, boot, bootAfter: path.join(workDir, 'boot-after'), arch: recipe.arch, plan: stepPlan(recipe, Math.floor(time.getTime() / 1000)), dockerfile, rootDir, onStep, onLine, signal })
  const normalized = await normalizeVolatileFiles(rootDir)
  if (normalized.length) onStep(`logs and caches of the build emptied or removed: ${normalized.join(', ')}`)
  // Tried on the source in memory first: a boot partition that would overflow fails now, not after the repack.
  await writeBootChanges(source.image, boot, bootAfter, time, { dryRun: true })
  onStep('rebuilding the root filesystem')
  const repacked = path.join(workDir, 'repacked.img')
  await repackImage(source.image, rootDir, repacked, pins)
  const changes = await writeBootChanges(repacked, boot, bootAfter, time)
  const count = (what: string, list: string[]) => (list.length ? [`${list.length} ${what}`] : [])
  const said = [...count('added', changes.added), ...count('changed', changes.changed), ...count('removed', changes.removed)]
  onStep(`boot partition (${boot.mount}): ${said.join(', ') || 'unchanged'}`)
  return repacked
}

/** A UUID-shaped value that is a function of the recipe and source (what would otherwise be random). */
export function derivedUuid(purpose: string, recipeSha256: string, sourceSha256: string): string {
  const hex = createHash('sha256').update(`${purpose}\0${recipeSha256}\0${sourceSha256}`).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

export function outputNames(outDir: string, name: string) {
  const image = path.join(outDir, `${name}.img`)
  return { image, compressed: `${image}.xz`, checksum: `${image}.sha256`, buildInfo: path.join(outDir, 'buildinfo.json') }
}


async function checkWritable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new BuildError('UNWRITABLE', `Cannot create the output folder ${dir}: ${error.code}`)
  })
  if (!(await stat(dir)).isDirectory()) throw new BuildError('UNWRITABLE', `The output path ${dir} is not a folder`)
  await access(dir, constants.W_OK).catch(() => {
    throw new BuildError('UNWRITABLE', `The output folder ${dir} is not writable`)
  })
}
