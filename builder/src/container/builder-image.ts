/**
 * The builder's container image (builder/Dockerfile), built from the project folder through
 * the Docker API and tagged `orchard-builder:<version>-<content hash>`: an unchanged
 * builder is found and reused, a changed one builds again (Docker's layer cache keeps that
 * to the layers that changed).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import { followDaemon, requireDocker } from '../util/docker-daemon'
import { BuildError } from '../util/errors'
import { LastLines, LineSplitter } from '../util/lines'
import { BUILDER_VERSION } from '../util/version'
import { hashContext, listContext, packContext } from './context'

export const BUILDER_REPOSITORY = 'orchard-builder'
export const DOCKERFILE = 'builder/Dockerfile'
/** Labels on the image: the content hash it was built from. */
export const HASH_LABEL = 'io.orchard.builder.hash'

/** The repository root (the build context), from this file's place in it. */
export const PROJECT_DIR = fileURLToPath(new URL('../../../', import.meta.url))

export interface BuilderImageOptions {
  docker?: Docker
  /** The build context; default: this checkout. */
  projectDir?: string
  /** Each line of the image build's output. */
  onLine?: (line: string) => void
  /**
   * CA certificates (PEM) the image must trust, for a TLS-intercepting proxy. Default: the
   * host's locally added ones (Linux: /usr/local/share/ca-certificates/*.crt).
   */
  extraCaCerts?: string
  signal?: AbortSignal
}

export interface BuilderImage {
  tag: string
  hash: string
  /** False when an image with this content was already there. */
  built: boolean
}

/** A Docker client that answers, or the UNAVAILABLE error naming where it looked. */
export function hostCaCerts(dir = '/usr/local/share/ca-certificates'): string {
  if (process.platform !== 'linux' || !existsSync(dir)) return ''
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.crt')).sort()
  return files.map((name) => readFileSync(path.join(dir, name), 'utf8').trim()).join('\n')
}

/** The image's tag for the project's current content, without building anything. */
export async function builderImageTag(options: Pick<BuilderImageOptions, 'projectDir' | 'extraCaCerts'> = {}) {
  const projectDir = options.projectDir ?? PROJECT_DIR
  const entries = await listContext(projectDir, DOCKERFILE)
  const buildargs = { ORCHARD_VERSION: BUILDER_VERSION, EXTRA_CA_CERTS: options.extraCaCerts ?? hostCaCerts() }
  const hash = await hashContext(projectDir, entries, buildargs)
  return { tag: `${BUILDER_REPOSITORY}:${BUILDER_VERSION}-${hash.slice(0, 12)}`, hash, entries, buildargs, projectDir }
}

export async function ensureBuilderImage(options: BuilderImageOptions = {}): Promise<BuilderImage> {
  const docker = await requireDocker(options.docker, 'A local Docker build')
  const { tag, hash, entries, buildargs, projectDir } = await builderImageTag(options)
  const existing = await docker
    .getImage(tag)
    .inspect()
    .catch(() => null)
  if (existing?.Config?.Labels?.[HASH_LABEL] === hash) return { tag, hash, built: false }

  const onLine = options.onLine ?? (() => {})
  onLine(`building ${tag} from ${projectDir}`)
  const stream = await docker.buildImage(packContext(projectDir, entries) as unknown as NodeJS.ReadableStream, {
    t: tag,
    dockerfile: DOCKERFILE,
    buildargs,
    labels: { [HASH_LABEL]: hash },
    rm: true,
    forcerm: true,
    abortSignal: options.signal,
  })
  const lines = new LineSplitter()
  const tail = new LastLines(20)
  const take = (line: string) => {
    if (!line.trim()) return
    tail.push(line.trimEnd())
    onLine(line.trimEnd())
  }
  const events = await followDaemon(docker, stream, (event) => lines.push(event.stream ?? (event.status ? `${event.status}\n` : '')).forEach(take)).catch((error: Error) => {
    if (options.signal?.aborted) throw new BuildError('CANCELLED', 'Cancelled while building the builder image')
    throw new BuildError('UNAVAILABLE', `Building the builder image failed: ${error.message}`)
  })
  lines.end().forEach(take)
  const failed = events.find((event) => event.error)
  if (failed) {
    throw new BuildError('UNAVAILABLE', `Building the builder image ${tag} failed: ${failed.errorDetail?.message ?? failed.error}\n${tail.text()}`, {
      output: tail.lines,
    })
  }
  await removeOlderBuilders(docker, tag)
  return { tag, hash, built: true }
}

/**
 * Builder images made for earlier content: each is hundreds of MB and nothing runs them
 * again. Best effort: one a container still uses stays.
 */
async function removeOlderBuilders(docker: Docker, keep: string): Promise<void> {
  const images = await docker.listImages({ filters: { label: [HASH_LABEL] } }).catch(() => [])
  for (const image of images) {
    const tags = (image.RepoTags ?? []).filter((tag) => tag.startsWith(`${BUILDER_REPOSITORY}:`) && tag !== keep)
    if (tags.length === 0 || (image.RepoTags ?? []).includes(keep)) continue
    for (const tag of tags) await docker.getImage(tag).remove().catch(() => undefined)
  }
}
