/**
 * A build in the builder container (the app's "local Docker" build): `orchard build
 * <recipe> --out /out --mode <mode> --json` in builder/Dockerfile's image, with
 *   - the recipe's folder (and any file it names outside that folder) mounted read-only at
 *     the same path, so its relative and absolute paths mean what they mean on the host;
 *   - /out bound to the output folder, /cache to a volume (or a host folder) that keeps
 *     verified sources between builds;
 *   - only the privileges the mode needs: none for quick; devices, mounts and chroot for
 *     chroot (everything but --privileged, which some hosts refuse); the Docker socket and
 *     FUSE for the docker executor.
 * Progress comes back as the CLI's JSON lines, in buildImage's BuildProgress shape; its
 * error line becomes a BuildError with the same code. Cancel stops the container (SIGTERM:
 * the CLI cancels and cleans up), and the container is removed on every way out.
 */
import { randomUUID } from 'node:crypto'
import { lstat, mkdir, readdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import type Docker from 'dockerode'
import type { BuildMode, BuildProgress, BuildResult } from '../pipeline/build'
import { BuildError, type BuildErrorCode } from '../util/errors'
import { parseRecipeYaml, referencedFiles } from '../recipe/load'
import { armWork, type Recipe } from '../recipe/schema'
import { requireDocker } from '../util/docker-daemon'
import { forEachLine, LastLines } from '../util/lines'
import { ensureBuilderImage } from './builder-image'

/** Set on every container a run creates (the value: the run's id), so strays can be found. */
export const RUN_LABEL = 'io.orchard.builder-run'
/** The named volume that keeps the builder's cache between runs when no host folder is given. */
export const CACHE_VOLUME = 'orchard-builder-cache'
/** Seconds the CLI gets to cancel and clean up after SIGTERM before Docker kills it. */
const STOP_SECONDS = 60

export interface ContainerBuildOptions {
  recipeFile: string
  outDir: string
  mode?: BuildMode
  /** A host folder for the builder's cache; default: the volume orchard-builder-cache. */
  cacheDir?: string
  onProgress?: (progress: BuildProgress) => void
  /** Everything else the run prints: the image build, the CLI's stderr. */
  onLine?: (line: string) => void
  signal?: AbortSignal
  docker?: Docker
  /** An image to run; default: ensureBuilderImage() (built when the builder changed). */
  image?: string
  /**
   * Who owns the outputs (and new files in a host cacheDir). The container runs as root
   * (chroot, mounts and FUSE need it); default: the invoking user on Linux when not root.
   * Docker Desktop (macOS, Windows) maps bind-mount ownership to the user by itself.
   */
  owner?: { uid: number; gid: number } | null
}

/** What the container may do, by what the build runs. */
export interface ContainerNeeds {
  /** Block and character devices, mounts, chroot: the chroot executor. */
  devices: boolean
  /** /dev/fuse and the mount it needs: fuse2fs for the docker executor. */
  fuse: boolean
  /** The host's Docker daemon: the docker executor and the Docker image output. */
  socket: boolean
}

/**
 * auto follows buildImage's choice: nothing for a recipe without ARM work, the docker
 * executor for a Dockerfile, else the chroot (the image has root and the host's binfmt).
 * An unreadable recipe needs nothing: the CLI only reports it.
 */
export function containerNeeds(mode: BuildMode, recipe: Recipe | null): ContainerNeeds {
  const work = recipe ? armWork(recipe) : []
  const socket = Boolean(recipe?.outputs.docker)
  if (mode === 'quick' || (mode === 'auto' && work.length === 0)) return { devices: false, fuse: false, socket: false }
  if (mode === 'docker' || (mode === 'auto' && recipe?.dockerfile)) return { devices: false, fuse: true, socket: true }
  return { devices: true, fuse: false, socket }
}

/** The container-side run options for those needs (HostConfig fields). */
export function hostConfigFor(needs: ContainerNeeds, socketPath = hostSocketPath()): Docker.HostConfig {
  const config: Docker.HostConfig = { Binds: [] }
  if (needs.devices) {
    // What --privileged gives a chroot build, minus CAP_SYS_RESOURCE (which hosts without
    // it cannot grant, so --privileged fails there): every capability, no seccomp or
    // AppArmor filter, access to all devices, and the host's /dev (loop devices appear).
    Object.assign(config, {
      CapAdd: ['ALL'],
      CapDrop: ['SYS_RESOURCE'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      DeviceCgroupRules: ['b *:* rwm', 'c *:* rwm'],
    })
    config.Binds!.push('/dev:/dev')
  } else if (needs.fuse) {
    Object.assign(config, {
      CapAdd: ['SYS_ADMIN'],
      SecurityOpt: ['apparmor=unconfined'],
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
    })
  }
  if (needs.socket && socketPath) config.Binds!.push(`${socketPath}:/var/run/docker.sock`)
  return config
}

/**
 * The daemon's socket as the daemon sees it (bind sources are the daemon's paths): the
 * unix:// DOCKER_HOST, else /var/run/docker.sock (Docker Desktop maps that one too). Null for
 * a tcp:// or ssh:// daemon, which the container is pointed at through DOCKER_HOST instead.
 */
export function hostSocketPath(env = process.env): string | null {
  const host = env.DOCKER_HOST
  if (!host) return '/var/run/docker.sock'
  return host.startsWith('unix://') ? host.slice('unix://'.length) : null
}

// Paths of the image that a host folder must not hide.
const RESERVED = ['/bin', '/boot', '/cache', '/dev', '/etc', '/lib', '/lib64', '/opt/orchard', '/out', '/proc', '/sbin', '/sys', '/usr', '/var/run']

/**
 * Where a host path is seen in the container: the same path (so the recipe's paths, error
 * messages and build info read as on the host); on Windows, /host/<drive>/….
 */
export function containerPath(hostPath: string): string {
  if (process.platform === 'win32') {
    const { root } = path.win32.parse(hostPath)
    const drive = root.replace(/[:\\/]/g, '').toLowerCase()
    return path.posix.join('/host', drive, ...hostPath.slice(root.length).split(/[\\/]/))
  }
  const clash = RESERVED.find((reserved) => hostPath === '/' || hostPath === reserved || hostPath.startsWith(`${reserved}/`) || reserved.startsWith(`${hostPath}/`))
  if (clash) throw new BuildError('INVALID_INPUT', `${hostPath} cannot be mounted in the builder container (it would hide or sit inside ${clash}): move the recipe or file elsewhere`)
  return hostPath
}

const inside = (dir: string, file: string) => {
  const relative = path.relative(dir, file)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}

export async function runBuildInContainer(options: ContainerBuildOptions): Promise<BuildResult> {
  const { signal } = options
  const mode = options.mode ?? 'auto'
  const say = options.onLine ?? (() => {})
  const cancelled = (when: string) => new BuildError('CANCELLED', `Cancelled ${when}`)
  const docker = await requireDocker(options.docker, 'A local Docker build')
  if (signal?.aborted) throw cancelled('before the build started')

  const recipeFile = path.resolve(options.recipeFile)
  if (!(await lstat(recipeFile).then((s) => s.isFile(), () => false))) throw new BuildError('NOT_FOUND', `Recipe not found: ${recipeFile}`)
  const recipeDir = path.dirname(recipeFile)
  // Read here only to know what to mount and allow; the CLI in the container is the judge.
  const recipe = await readFile(recipeFile, 'utf8').then(
    (text) => parseRecipeYaml(text, path.basename(recipeFile)),
    () => null,
  ).catch(() => null)

  const outDir = path.resolve(options.outDir)
  await mkdir(outDir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new BuildError('UNWRITABLE', `Cannot create the output folder ${outDir}: ${error.code}`)
  })
  const before = new Set(await readdir(outDir))

  const image = options.image ?? (await ensureBuilderImage({ docker, onLine: say, signal })).tag
  if (signal?.aborted) throw cancelled('before the build started')

  const needs = containerNeeds(mode, recipe)
  const socketPath = hostSocketPath()
  const hostConfig = hostConfigFor(needs, socketPath)
  const binds = hostConfig.Binds!
  binds.push(`${recipeDir}:${containerPath(recipeDir)}:ro`)
  const outside = new Set<string>()
  for (const { file } of recipe ? referencedFiles(recipe) : []) {
    const full = path.resolve(recipeDir, file)
    if (!inside(recipeDir, full) && (await lstat(full).then(() => true, () => false))) outside.add(full)
  }
  for (const file of outside) binds.push(`${file}:${containerPath(file)}:ro`)
  binds.push(`${outDir}:/out`)
  binds.push(`${options.cacheDir ? path.resolve(options.cacheDir) : CACHE_VOLUME}:/cache`)
  if (options.cacheDir) await mkdir(options.cacheDir, { recursive: true })

  const runId = randomUUID()
  const env = needs.socket && !socketPath && process.env.DOCKER_HOST ? [`DOCKER_HOST=${process.env.DOCKER_HOST}`] : []
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['build', containerPath(recipeFile), '--out', '/out', '--mode', mode, '--json'],
    Env: env,
    Labels: { [RUN_LABEL]: runId },
    AttachStdout: true,
    AttachStderr: true,
    StopTimeout: STOP_SECONDS,
    // tini as PID 1: passes docker stop's SIGTERM to the CLI and reaps what steps leave.
    HostConfig: { ...hostConfig, Init: true },
  })
  let stopping: Promise<unknown> | null = null
  const stop = () => {
    stopping ??= container.stop({ t: STOP_SECONDS }).catch(() => undefined)
  }
  let result: BuildResult | null = null
  let reported: { code: string; message: string; detail?: unknown } | null = null
  const stderrTail = new LastLines(20)
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true })
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    docker.modem.demuxStream(stream, stdout, stderr)
    const ended = new Promise<void>((resolve) => {
      stream.once('end', resolve)
      stream.once('close', resolve)
      stream.once('error', () => resolve())
    })
    const fromCli = (line: string) => {
      const message = parseLine(line)
      if (!message) return say(line)
      if (message.type === 'progress') {
        const { phase, message: text, fraction, bytes, total } = message as unknown as { phase: BuildProgress['phase']; message: string; fraction?: number; bytes?: number; total?: number }
        options.onProgress?.({ phase, message: text, ...(fraction !== undefined ? { fraction } : {}), ...(bytes !== undefined ? { bytes } : {}), ...(total !== undefined ? { totalBytes: total } : {}) })
      } else if (message.type === 'result') {
        const { type: _type, ...value } = message
        result = value as unknown as BuildResult
      } else if (message.type === 'error') {
        reported = message as unknown as typeof reported
      }
    }
    forEachLine(stdout, fromCli, { trim: true })
    forEachLine(
      stderr,
      (line) => {
        stderrTail.push(line)
        say(line)
      },
      { trim: true },
    )
    signal?.addEventListener('abort', stop, { once: true })
    await container.start()
    if (signal?.aborted) stop()
    const { StatusCode } = (await container.wait()) as { StatusCode: number }
    await ended
    if (stopping) await stopping
    signal?.removeEventListener('abort', stop)

    if (signal?.aborted) {
      const r = reported as { code: string; message: string } | null
      throw new BuildError('CANCELLED', r?.code === 'CANCELLED' ? r.message : `Cancelled (the builder container exited with ${StatusCode})`)
    }
    if (reported) {
      const { code, message, detail } = reported as { code: string; message: string; detail?: unknown }
      throw code === 'INTERNAL' ? new Error(message) : new BuildError(code as BuildErrorCode, message, detail)
    }
    if (StatusCode !== 0 || !result) {
      const why = StatusCode === 137 ? ' (killed: out of memory?)' : ''
      throw new BuildError('UNAVAILABLE', `The builder container exited with ${StatusCode}${why} without a result${stderrTail.lines.length ? `:\n${stderrTail.text()}` : ''}`)
    }
    await giveToOwner(docker, image, options.owner === undefined ? defaultOwner() : options.owner, hostResultFiles(result), outDir, options.cacheDir, say)
    return toHost(result, outDir)
  } catch (error) {
    // All or nothing, even when the CLI could not clean up (killed): no partial output stays.
    for (const name of await readdir(outDir).catch(() => [] as string[])) {
      if (!before.has(name) && name.endsWith('.partial')) await rm(path.join(outDir, name), { force: true })
    }
    throw error
  } finally {
    signal?.removeEventListener('abort', stop)
    await container.remove({ force: true }).catch(() => undefined)
  }
}

/**
 * Removes finished containers of earlier runs (an app that was killed mid-build leaves its
 * container to finish on its own). Running ones may belong to another app: they stay.
 */
export async function removeFinishedRuns(docker: Docker): Promise<number> {
  const stale = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL], status: ['created', 'exited', 'dead'] } })
  for (const { Id } of stale) await docker.getContainer(Id).remove({ force: true }).catch(() => undefined)
  return stale.length
}

function parseLine(line: string): ({ type: string } & Record<string, unknown>) | null {
  if (!line.startsWith('{')) return null
  try {
    const value = JSON.parse(line) as { type?: unknown }
    return typeof value.type === 'string' ? (value as { type: string } & Record<string, unknown>) : null
  } catch {
    return null
  }
}

const fromOut = (file: string, outDir: string) => (file.startsWith('/out/') ? path.join(outDir, file.slice('/out/'.length)) : file)

/** The CLI's result with its /out paths as the host sees them. */
function toHost(result: BuildResult, outDir: string): BuildResult {
  return {
    ...result,
    image: fromOut(result.image, outDir),
    compressed: result.compressed ? fromOut(result.compressed, outDir) : null,
    checksumFile: fromOut(result.checksumFile, outDir),
    buildInfoFile: fromOut(result.buildInfoFile, outDir),
  }
}

function hostResultFiles(result: BuildResult): string[] {
  return [result.image, result.compressed, result.checksumFile, result.buildInfoFile].filter((file): file is string => Boolean(file?.startsWith('/out/')))
}

function defaultOwner(): { uid: number; gid: number } | null {
  if (process.platform !== 'linux' || !process.getuid || !process.getgid) return null
  const uid = process.getuid()
  return uid === 0 ? null : { uid, gid: process.getgid() }
}

/**
 * The CLI runs as root, so what it wrote is root's: hand the outputs (and anything root
 * now owns in a host cache folder) to the invoking user, from a short container of the
 * same image (the host user cannot chown root's files, the container can).
 */
async function giveToOwner(
  docker: Docker,
  image: string,
  owner: { uid: number; gid: number } | null,
  files: string[],
  outDir: string,
  cacheDir: string | undefined,
  say: (line: string) => void,
): Promise<void> {
  if (!owner) return
  const who = `${owner.uid}:${owner.gid}`
  const script = 'owner="$1"; shift; chown -h "$owner" "$@"; if [ -d /hostcache ]; then find /hostcache -xdev -uid 0 -exec chown -h "$owner" {} +; fi'
  const binds = [`${outDir}:/out`, ...(cacheDir ? [`${path.resolve(cacheDir)}:/hostcache`] : [])]
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['sh', '-c', script, 'chown'],
    Cmd: [who, ...files],
    Labels: { [RUN_LABEL]: 'chown' },
    HostConfig: { Binds: binds, NetworkMode: 'none' },
  })
  try {
    await container.start()
    const { StatusCode } = (await container.wait()) as { StatusCode: number }
    if (StatusCode !== 0) say(`warning: could not hand the outputs to ${who} (chown exited with ${StatusCode})`)
  } finally {
    await container.remove({ force: true }).catch(() => undefined)
  }
}
