/**
 * One build: recipe → verified source → customized image → outputs, all or nothing.
 * Outputs are written as temp files and renamed into place only when complete, so a
 * failed or cancelled build leaves no partial image behind.
 */
import { randomUUID } from 'node:crypto'
import { constants } from 'node:fs'
import { access, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { BuildInfo } from './customize/buildinfo'
import { customizeQuick } from './customize/quick'
import { sealRecipe } from './customize/secrets'
import { BuildError } from './errors'
import { withImage } from './image/open'
import { recipeHash, type LoadedRecipe } from './recipe/load'
import { armWork } from './recipe/schema'
import { compressXz, writeImage } from './output/write-image'
import { resolveSource } from './source/resolve'
import { BUILDER_VERSION } from './version'

export type BuildMode = 'auto' | 'quick'

export type BuildPhase = 'source' | 'customize' | 'write' | 'compress' | 'done'

export interface BuildProgress {
  phase: BuildPhase
  message: string
  /** 0–1 within the phase, when known. */
  fraction?: number
  bytes?: number
  totalBytes?: number
}

export interface BuildOptions {
  outDir: string
  mode?: BuildMode
  cache?: string
  onProgress?: (progress: BuildProgress) => void
  signal?: AbortSignal
}

export interface BuildResult {
  image: string
  sha256: string
  compressed: string | null
  checksumFile: string
  buildInfoFile: string
  buildInfo: BuildInfo
  bytes: number
}

export async function buildImage({ recipe, baseDir }: LoadedRecipe, options: BuildOptions): Promise<BuildResult> {
  const report = options.onProgress ?? (() => {})
  const needsArm = armWork(recipe)
  if (needsArm.length) {
    throw new BuildError(
      'INVALID_RECIPE',
      `This recipe needs ARM code to run (${needsArm.join(', ')}): the quick build cannot do that. Use a full build (--mode docker or --mode chroot).`,
    )
  }
  const outDir = path.resolve(options.outDir)
  await checkWritable(outDir)

  const source = await resolveSource(recipe.source, baseDir, {
    cache: options.cache,
    signal: options.signal,
    onProgress: ({ phase, bytes, total }) =>
      report({ phase: 'source', message: phase, bytes, ...(total ? { totalBytes: total, fraction: bytes / total } : {}) }),
  })
  report({ phase: 'source', message: `source verified (sha256 ${source.sha256.slice(0, 12)}…)`, fraction: 1 })

  const sealed = sealRecipe(recipe)
  const names = outputNames(outDir, recipe.name)
  const temp = `${names.image}.${randomUUID()}.partial`
  const created: string[] = [temp]
  try {
    const { buildInfo, sha256, bytes } = await withImage(source.image, 'copyOnWrite', async (image) => {
      const buildInfo = await customizeQuick({
        image,
        recipe: sealed,
        baseDir,
        info: {
          name: recipe.name,
          builder: { name: 'orchard', version: BUILDER_VERSION },
          mode: 'quick',
          builtAt: new Date().toISOString(),
          source: { ...(recipe.source.url ? { url: recipe.source.url } : { path: source.origin }), sha256: source.sha256 },
          recipeSha256: recipeHash(recipe),
        },
        onStep: (message) => report({ phase: 'customize', message }),
      })
      const sha256 = await writeImage(
        source.image,
        image.disk,
        temp,
        (written, total) => report({ phase: 'write', message: 'writing image', bytes: written, totalBytes: total, fraction: written / total }),
        options.signal,
      )
      return { buildInfo, sha256, bytes: image.capacity }
    })

    let compressed: string | null = null
    if (recipe.outputs.image.compress === 'xz') {
      report({ phase: 'compress', message: 'compressing with xz' })
      const tempXz = `${names.compressed}.${randomUUID()}.partial`
      created.push(tempXz)
      await compressXz(temp, tempXz)
      compressed = names.compressed
    }
    // Everything is complete: only now do the outputs take their real names.
    await rename(temp, names.image)
    if (compressed) await rename(created[1]!, compressed)
    await writeFileAtomic(names.checksum, `${sha256}  ${path.basename(names.image)}\n`)
    await writeFileAtomic(names.buildInfo, `${JSON.stringify(buildInfo, null, 2)}\n`)
    report({ phase: 'done', message: `built ${names.image}`, fraction: 1 })
    return { image: names.image, sha256, compressed, checksumFile: names.checksum, buildInfoFile: names.buildInfo, buildInfo, bytes }
  } catch (error) {
    await Promise.all(created.map((file) => rm(file, { force: true })))
    throw error
  }
}

export function outputNames(outDir: string, name: string) {
  const image = path.join(outDir, `${name}.img`)
  return { image, compressed: `${image}.xz`, checksum: `${image}.sha256`, buildInfo: path.join(outDir, 'buildinfo.json') }
}

async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.${randomUUID()}.partial`
  await writeFile(temp, content)
  await rename(temp, file)
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
