/**
 * The docker executor (the seeds' flow, through the Docker API): the source root fs →
 * `docker import` (once per source, kept as `orchard-source:<sha256>-boot`, the boot
 * partition's files at the release's boot mount as on the device) → `docker build`
 * of the generated Dockerfile (the recipe's plan, then the user's Dockerfile) → export
 * into a folder, from which assemble/ makes the new root fs. Tars stream straight between
 * fuse2fs, the daemon and tar: no intermediate archive on disk. Nothing is left behind:
 * the build's image and container are removed on every way out.
 */
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir, readFile, readlink, rm } from 'node:fs/promises'
import path from 'node:path'
import type Docker from 'dockerode'
import ignore from '@balena/dockerignore'
import { pack as tarPack, type Pack } from 'tar-stream'
import { TAR_FLAGS, withRootMounted } from '../assemble/repack'
import { BuildError } from '../util/errors'
import type { Partition } from '../image/partitions'
import { followDaemon, requireDocker, type DaemonEvent } from '../util/docker-daemon'
import { LastLines, LineSplitter, splitLines } from '../util/lines'
import { CommandError, startCommand } from '../util/process'
import { bootFolder, refuseShadowed, type BootTree } from './boot-tree'
import { generateDockerfile, STEP_MARKER } from './dockerfile'
import type { StepPlan } from './plan'

/** Labels everything the executor creates, so a sweep (or a test) can find strays. */
export const ORCHARD_LABEL = 'io.orchard.build'

// What the daemon's init layer adds to every container and so to every export; whichever
// the source lacked is taken out again.
const INIT_LAYER_PATHS = ['.dockerenv', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'etc/mtab', 'dev/console', 'dev/pts', 'dev/shm']
const ABSENT_LABEL = 'io.orchard.absent'

export interface DockerRunOptions {
  source: string
  sourceSha256: string
  rootPartition: Partition
  /** The source's boot files (boot-tree.ts), imported with its root fs. */
  boot: BootTree
  plan: StepPlan
  /** The recipe's own Dockerfile; its folder is the build context. */
  dockerfile?: string
  /** An empty folder that receives the built root fs. */
  rootDir: string
  onStep: (name: string) => void
  onLine: (step: string, line: string) => void
  signal?: AbortSignal
}

export async function runInDocker(options: DockerRunOptions): Promise<void> {
  const docker = await requireDocker()
  const { signal } = options
  const cancelled = () => new BuildError('CANCELLED', 'Cancelled during the docker build')
  options.onStep('importing the source root filesystem')
  const base = await importSource(docker, options)
  if (signal?.aborted) throw cancelled()
  const tag = `orchard-build:${randomUUID()}`
  const layers: string[] = []
  const stepContainers: string[] = []
  let container: Docker.Container | undefined
  try {
    await buildImage(docker, base, tag, options, { layers, stepContainers })
    options.onStep('exporting the built root filesystem')
    container = await docker.createContainer({ Image: tag, Cmd: ['/bin/true'], Labels: { [ORCHARD_LABEL]: tag } })
    await untar(await container.export(), options.rootDir, signal)
    const absent = ((await docker.getImage(base).inspect()).Config.Labels?.[ABSENT_LABEL] ?? '').split(',').filter(Boolean)
    for (const entry of absent) await rm(path.join(options.rootDir, entry), { recursive: true, force: true })
  } catch (error) {
    throw signal?.aborted ? cancelled() : error
  } finally {
    await container?.remove({ force: true }).catch(() => {})
    await docker.getImage(tag).remove({ force: true, noprune: false }).catch(() => {})
    // A cancelled build's step container may still run (the daemon notices the closed request late).
    for (const id of stepContainers) await docker.getContainer(id).remove({ force: true }).catch(() => {})
    // A failed or cancelled build keeps the images of the steps that succeeded: remove them
    // (newest first; never the source image they stand on).
    const keep = (await docker.getImage(base).inspect().catch(() => null))?.Id
    for (const id of layers.reverse()) if (!keep?.startsWith(`sha256:${id}`)) await docker.getImage(id).remove({ noprune: false }).catch(() => {})
  }
}

/** The image `importSource` makes of a source: one per source SHA256. */
export const sourceImageReference = (sourceSha256: string): string => `orchard-source:${sourceSha256.slice(0, 32)}-boot`

/** The source's root fs, with its boot files at the boot mount, as an image, imported once per source SHA256. */
async function importSource(docker: Docker, { source, sourceSha256, rootPartition, boot, signal }: DockerRunOptions): Promise<string> {
  const reference = sourceImageReference(sourceSha256)
  if (await docker.getImage(reference).inspect().then(() => true, () => false)) return reference
  await withRootMounted(source, rootPartition, async (mountPoint) => {
    const absent: string[] = []
    for (const entry of INIT_LAYER_PATHS) if (!(await lstat(path.join(mountPoint, entry)).then(() => true, () => false))) absent.push(entry)
    // The boot files follow the root's (empty) mount point in the stream, each top-level
    // entry by name: the daemon refuses a path twice, so the mount point itself is not repeated.
    const mount = `.${boot.mount}`
    const bootEntries = (await readdir(bootFolder(boot.dir, boot.mount))).sort()
    refuseShadowed(await readdir(path.join(mountPoint, mount)).catch(() => []), bootEntries, boot.mount)
    const tar = startCommand('tar', [...TAR_FLAGS, '-cf', '-', '-C', mountPoint, '.', '-C', boot.dir, ...bootEntries.map((name) => `${mount}/${name}`)], {
      stdout: 'pipe',
      label: 'tar (reading the root filesystem)',
    })
    const [repo, tag] = reference.split(':')
    const stream = await docker.importImage(tar.stdout!, {
      repo,
      tag,
      changes: `LABEL ${ABSENT_LABEL}="${absent.join(',')}" ${ORCHARD_LABEL}="source"`,
      abortSignal: signal,
    } as object)
    const events = await followDaemon(docker, stream, () => {})
    await tarFailure(tar.done)
    const failed = events.find((event) => event.error)
    if (failed) throw new BuildError('UNAVAILABLE', `Docker could not import the root filesystem: ${failed.error}`)
  })
  return reference
}

/** Builds `tag`, collecting the image and container of every step for the cleanup. */
async function buildImage(docker: Docker, base: string, tag: string, options: DockerRunOptions, made: { layers: string[]; stepContainers: string[] }): Promise<void> {
  const userDockerfile = options.dockerfile ? await readFile(options.dockerfile, 'utf8') : undefined
  const generated = generateDockerfile(base, options.plan, userDockerfile)
  const context = options.dockerfile ? await folderContext(path.dirname(options.dockerfile)) : tarPack()
  const name = `.orchard-${randomUUID()}.Dockerfile`
  context.entry({ name }, generated.text)
  context.finalize()

  let step = options.plan.prepare.name
  const tail = new LastLines(20)
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
    t: tag,
    dockerfile: name,
    rm: true,
    forcerm: true,
    pull: false,
    nocache: true, // every build starts from its source: no step result shared with another build
    labels: { [ORCHARD_LABEL]: tag },
    abortSignal: options.signal,
  } as Docker.ImageBuildOptions)
  const takeLine = (line: string) => {
    const marker = line.startsWith(STEP_MARKER) ? generated.planSteps[Number(line.slice(STEP_MARKER.length))] : undefined
    if (marker) {
      step = marker
      options.onStep(step)
      return
    }
    const header = /^Step (\d+)\/\d+ : (.*)$/.exec(line)
    // The builder appends our labels as a last instruction: no step of the recipe's.
    if (header?.[2]!.startsWith(`LABEL ${ORCHARD_LABEL}=`)) return
    if (header) {
      const mapped = generated.steps.get(Number(header[1]))
      // The plan's RUN says nothing here: its markers announce each of its steps.
      if (mapped !== generated.planSteps[0]) {
        step = mapped ?? `Dockerfile: ${header[2]!.slice(0, 80)}`
        options.onStep(step)
      }
      return
    }
    const layer = /^ ---> ([0-9a-f]{12})$/.exec(line)?.[1]
    if (layer) made.layers.push(layer)
    const stepContainer = /^ ---> Running in ([0-9a-f]{12})$/.exec(line)?.[1]
    if (stepContainer) made.stepContainers.push(stepContainer)
    if (/^ ---> |^Removing intermediate container |^Successfully (built|tagged) /.test(line)) return
    tail.push(line)
    options.onLine(step, line)
  }
  // A step's output reaches the daemon in pieces that need not end at a line end.
  const lines = new LineSplitter()
  const events = await followDaemon(docker, stream, (event: DaemonEvent) => lines.push(event.stream ?? '').filter(Boolean).forEach(takeLine))
  lines.end().filter(Boolean).forEach(takeLine)
  const failed = events.find((event) => event.error)
  if (!failed) return
  const message = failed.error ?? ''
  // The runtime prints this in the step's output when the kernel has no handler for ARM binaries.
  if (/exec format error/i.test([...tail.lines, message].join('\n'))) {
    throw new BuildError(
      'UNAVAILABLE',
      `The Docker daemon cannot run ARM programs: register qemu with binfmt on its host (Debian/Ubuntu: apt-get install qemu-user-static binfmt-support; elsewhere: docker run --privileged --rm tonistiigi/binfmt --install arm64,arm). Docker said: ${message}`,
    )
  }
  const exitCode = Number(/non-zero code: (\d+)/.exec(message)?.[1] ?? Number.NaN)
  throw new BuildError('STEP_FAILED', `Step "${step}" failed${Number.isNaN(exitCode) ? '' : ` (exit ${exitCode})`}:\n${[...tail.lines, message].join('\n')}`, {
    step,
    exitCode: Number.isNaN(exitCode) ? null : exitCode,
  })
}

/** The Dockerfile's folder as a build context (honoring its .dockerignore), left open for the generated Dockerfile. */
async function folderContext(dir: string): Promise<Pack> {
  const rules = await readFile(path.join(dir, '.dockerignore'), 'utf8').catch(() => '')
  const ignored = ignore().add(splitLines(rules))
  const context = tarPack()
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    if (ignored.ignores(name)) continue
    const file = path.join(dir, name)
    const stats = await lstat(file)
    const header = { name, mode: stats.mode & 0o7777, mtime: stats.mtime }
    if (stats.isDirectory()) context.entry({ ...header, type: 'directory' })
    else if (stats.isSymbolicLink()) context.entry({ ...header, type: 'symlink', linkname: await readlink(file) })
    else if (stats.isFile()) {
      // One entry at a time: tar-stream writes them in order.
      await new Promise<void>((resolve, reject) => {
        const entry = context.entry({ ...header, size: stats.size }, (error) => (error ? reject(error) : resolve()))
        createReadStream(file).on('error', reject).pipe(entry)
      })
    }
  }
  return context
}

function untar(stream: NodeJS.ReadableStream, target: string, signal?: AbortSignal): Promise<void> {
  const tar = startCommand('tar', [...TAR_FLAGS, '-xpf', '-', '-C', target], { stdin: 'pipe', stdout: 'ignore', signal, label: 'tar (unpacking the built root filesystem)' })
  stream.pipe(tar.stdin!)
  stream.on('error', (error) => tar.stdin!.destroy(error))
  return tarFailure(tar.done)
}

/** A tar that failed: INVALID_IMAGE with what it said. */
function tarFailure(done: Promise<unknown>): Promise<void> {
  return done.then(
    () => undefined,
    (error: unknown) => {
      if (!(error instanceof CommandError)) throw error
      const said = error.output.stderr.trim()
      throw new BuildError('INVALID_IMAGE', said ? `${error.command} failed: ${said}` : error.message)
    },
  )
}
