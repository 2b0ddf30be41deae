/**
 * What `orchard rebuild` needs besides a build: the recorded build read back from its
 * buildinfo.json, the recipe and source it names found and checked against it, and the
 * rebuilt packages compared with the recorded ones (docs/reproducible.md).
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { BuildError } from '../util/errors'
import type { LoadedRecipe } from '../recipe/load'
import { recipeHash } from '../recipe/load'
import { BUILDER_VERSION } from '../util/version'

const SHA256 = z.string().regex(/^[0-9a-f]{64}$/)

/** The part of build info a rebuild reads; the rest may be anything an older builder wrote. */
const RecordedBuildSchema = z.object({
  name: z.string().min(1),
  builder: z.object({ version: z.string() }),
  mode: z.enum(['quick', 'chroot', 'docker']),
  builtAt: z.iso.datetime(),
  source: z.object({ sha256: SHA256, url: z.string().optional(), path: z.string().optional() }),
  recipeSha256: SHA256,
  recipeFile: z.string().optional(),
  packages: z.record(z.string(), z.string()).optional(),
})
export type RecordedBuild = z.infer<typeof RecordedBuildSchema>

export async function readRecordedBuild(file: string): Promise<RecordedBuild> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new BuildError('NOT_FOUND', `Cannot read build info ${file}: ${error.code ?? error.message}`)
  })
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new BuildError('INVALID_INPUT', `${file} is not JSON: not an Orchard buildinfo.json`)
  }
  const parsed = RecordedBuildSchema.safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new BuildError('INVALID_INPUT', `${file} is not Orchard build info: ${issue.path.join('.') || '(top)'}: ${issue.message}`)
  }
  return parsed.data
}

/** The SOURCE_DATE_EPOCH that gives the recorded build time. */
export const recordedEpoch = (build: RecordedBuild): number => Math.floor(Date.parse(build.builtAt) / 1000)

/**
 * The recipe to rebuild from: the one given, else the file build info names, looked for
 * beside buildinfo.json and in the folder above it (a build's --out folder usually sits
 * beside its recipe). None found is NOT_FOUND saying where it looked.
 */
export function findRecipe(buildInfoFile: string, build: RecordedBuild, given?: string): string {
  if (given) {
    if (!existsSync(given)) throw new BuildError('NOT_FOUND', `The recipe ${given} does not exist`)
    return given
  }
  const dir = path.dirname(path.resolve(buildInfoFile))
  const name = build.recipeFile
  if (!name) throw new BuildError('NOT_FOUND', `Build info ${buildInfoFile} names no recipe file (written before recipes were recorded): pass --recipe <recipe.yml> (recipe sha256 ${build.recipeSha256})`)
  const places = [path.join(dir, name), path.join(dir, '..', name)]
  const found = places.find((place) => existsSync(place))
  if (!found) throw new BuildError('NOT_FOUND', `The recipe ${name} named by build info is not at ${places.join(' or ')}: pass --recipe <file> (recipe sha256 ${build.recipeSha256})`)
  return found
}

/**
 * Before anything is built: the recipe's source must be the recorded one (else the rebuild
 * cannot be the same), and what else differs from the record is said as a warning.
 */
export function checkAgainstRecord({ recipe }: LoadedRecipe, build: RecordedBuild): string[] {
  if (recipe.source.sha256 !== build.source.sha256) {
    throw new BuildError(
      'INVALID_INPUT',
      `The recipe's source is not the one recorded: the recipe says sha256 ${recipe.source.sha256}, build info ${build.source.sha256} (${build.source.url ?? build.source.path ?? 'source'})`,
    )
  }
  const warnings: string[] = []
  const hash = recipeHash(recipe)
  if (hash !== build.recipeSha256) warnings.push(`the recipe differs from the recorded one (sha256 ${hash.slice(0, 16)}…, recorded ${build.recipeSha256.slice(0, 16)}…)`)
  if (build.builder.version !== BUILDER_VERSION) warnings.push(`builder ${BUILDER_VERSION} rebuilds what builder ${build.builder.version} built: another version may write other bytes`)
  return warnings
}

/** Every package whose version differs between the record and the rebuild, one line each, by name. */
export function packageChanges(recorded: Record<string, string> | undefined, rebuilt: Record<string, string>): string[] {
  if (!recorded) return []
  const names = [...new Set([...Object.keys(recorded), ...Object.keys(rebuilt)])].sort()
  return names.flatMap((name) => {
    const [was, now] = [recorded[name], rebuilt[name]]
    if (was === now) return []
    if (was === undefined) return [`${name}: not recorded, now ${now}`]
    if (now === undefined) return [`${name}: recorded ${was}, now not installed`]
    return [`${name}: recorded ${was}, now ${now}`]
  })
}

/** The recorded image beside buildinfo.json (outputs keep their names), or its checksum file, or neither. */
export function recordedImage(buildInfoFile: string, build: RecordedBuild): { image: string | null; checksumFile: string | null } {
  const image = path.join(path.dirname(path.resolve(buildInfoFile)), `${build.name}.img`)
  return { image: existsSync(image) ? image : null, checksumFile: existsSync(`${image}.sha256`) ? `${image}.sha256` : null }
}
