/** Unpacking build.zip into a folder, checked before it appears (all or nothing). */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { removeStaleTemps, tempName } from '../../util/temp'
import type { LoadedRecipe } from '../../recipe/load'
import { BuildError } from '../../util/errors'
import type { BuildManifest } from '../build-zip'
import { extractZip } from '../zip'
import { checkBuildFolder } from './check-build-folder'

export interface UnpackedBuild extends LoadedRecipe {
  manifest: BuildManifest
  dir: string
}

/**
 * The cloud side: build.zip → `dir` (created; must not exist yet), every file checked against
 * build.json, the recipe loaded from it. All or nothing: a bad archive leaves no folder.
 */
export async function unpackBuildZip(zipFile: string, dir: string): Promise<UnpackedBuild> {
  const target = path.resolve(dir)
  if (await stat(target).then(() => true, () => false)) {
    if ((await readdir(target)).length) throw new BuildError('UNWRITABLE', `${target} already exists and is not empty`)
    await rm(target, { recursive: true })
  }
  await mkdir(path.dirname(target), { recursive: true })
  await removeStaleTemps(path.dirname(target), `${path.basename(target)}.partial-`)
  const temp = path.join(path.dirname(target), tempName(`${path.basename(target)}.partial-`))
  await mkdir(temp)
  try {
    const extracted = new Map((await extractZip(zipFile, temp)).map((entry) => [entry.name, entry]))
    const { recipe, manifest } = await checkBuildFolder(temp, { label: zipFile, known: extracted })
    await rename(temp, target)
    return { recipe, baseDir: target, manifest, dir: target }
  } catch (error) {
    await rm(temp, { recursive: true, force: true })
    throw error
  }
}
