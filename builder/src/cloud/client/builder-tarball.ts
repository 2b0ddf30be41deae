/**
 * The builder as it travels to a cloud build: `orchard-builder.tgz` inside build.zip, an
 * npm-pack-shaped gzip tar (every name under `package/`) of the same files the builder's
 * container image holds (the repository filtered by its `.dockerignore` allowlist,
 * builder/src/container/context.ts). So the cloud runs the builder version of the app or
 * CLI that packed the build, and the image and the cloud get one file set.
 */
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { extract as tarExtract, pack as tarPack } from 'tar-stream'
import { fileURLToPath } from 'node:url'
import { listContext, packContext, type ContextEntry } from '../../container/context'

/** The repository root, from this file's place in it (as the builder image's context). */
export const PROJECT_DIR = fileURLToPath(new URL('../../../../', import.meta.url))
export const BUILDER_TARBALL_ENTRY = 'orchard-builder.tgz'
export const BUILDSPEC_ENTRY = 'buildspec.yml'
/** The buildspec in this repository, packed at the zip's root (CodeBuild reads it there). */
export const BUILDSPEC_FILE = path.join(PROJECT_DIR, 'builder', BUILDSPEC_ENTRY)
const DOCKERFILE = 'builder/Dockerfile'

/** Pure: the tarball's name for a context entry (npm's layout: everything under package/). */
export const tarballName = (entry: Pick<ContextEntry, 'name'>) => `package/${entry.name}`

/** The builder's files (the container image's context): what the tarball holds. */
export async function builderFiles(projectDir = PROJECT_DIR): Promise<ContextEntry[]> {
  // The Dockerfile is part of the context but not of the builder itself.
  return (await listContext(projectDir, DOCKERFILE)).filter((entry) => entry.name !== DOCKERFILE && entry.name !== '.dockerignore')
}

/** Writes the builder tarball to `dest` (a temp file renamed into place). */
export async function packBuilderTarball(dest: string, projectDir = PROJECT_DIR): Promise<{ file: string; bytes: number; files: number }> {
  const entries = await builderFiles(projectDir)
  await mkdir(path.dirname(path.resolve(dest)), { recursive: true })
  const temp = `${path.resolve(dest)}.${randomUUID()}.partial`
  try {
    // packContext writes entries under their context names; rename them on the way through.
    const renamed = tarPack()
    const source = packContext(projectDir, entries)
    const rewrite = tarExtract()
    rewrite.on('entry', (header, stream, next) => {
      stream.pipe(renamed.entry({ ...header, name: tarballName(header) }, next))
    })
    rewrite.on('finish', () => renamed.finalize())
    rewrite.on('error', (error) => renamed.destroy(error))
    source.on('error', (error) => rewrite.destroy(error))
    source.pipe(rewrite)
    await pipeline(renamed, createGzip({ level: 6 }), createWriteStream(temp))
    await rename(temp, dest)
    return { file: path.resolve(dest), bytes: (await stat(dest)).size, files: entries.length }
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}
