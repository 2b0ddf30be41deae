/**
 * The Docker image output (seed 001): the built image's root fs as a flattened single
 * layer, reduced (no kernel, boot files, modules, docs, man pages or apt lists), with the
 * host's qemu-*-static inside so it also runs where binfmt points into the image, and the
 * build info at /etc/orchard/buildinfo.json and in labels. We write the docker-archive
 * ourselves so its config says arm64/arm (`docker import` records the daemon's own arch),
 * load it into the daemon, and push it when the recipe names a registry.
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, stat, writeFile, copyFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import type Docker from 'dockerode'
import { pack as tarPack } from 'tar-stream'
import { followDaemon, requireDocker } from '../util/docker-daemon'
import { ORCHARD_LABEL } from '../steps/docker-executor'
import { TAR_FLAGS, withRootMounted } from '../assemble/repack'
import type { BuildInfo } from '../customize/buildinfo'
import { BuildError } from '../util/errors'
import type { Partition } from '../image/partitions'
import { CommandError, startCommand } from '../util/process'
import { findExecutable } from '../util/tools'

export interface DockerImageResult {
  /** The local name the image was loaded as. */
  reference: string
  id: string
  /** `<registry>/<tag>@sha256:…` when pushed. */
  pushed?: string
  digest?: string
  uncompressedBytes: number
  /** The layer gzip-compressed, as registries store it. */
  compressedBytes: number
}

export interface DockerImageOptions {
  image: string
  rootPartition: Partition
  arch: 'arm64' | 'armhf'
  tag: string
  registry?: string
  buildInfo: BuildInfo
  onProgress?: (message: string) => void
}

// What a container never needs (paths as GNU tar names them under `-C root .`): kernel,
// boot files, modules, firmware, the hardware database, docs, man pages, translations
// (the folders stay, locale.alias too), apt's lists and caches.
const REDUCE = [
  './boot/*', './lib/modules/*', './usr/lib/modules/*', './lib/firmware/*', './usr/lib/firmware/*',
  './lib/udev/hwdb.bin', './usr/lib/udev/hwdb.bin', './etc/udev/hwdb.bin',
  './usr/share/doc/*', './usr/share/man/*', './usr/share/info/*', './usr/share/locale/*/*',
  './var/lib/apt/lists/*', './var/cache/apt/*',
]
const PLATFORM = { arm64: { architecture: 'arm64' }, armhf: { architecture: 'arm', variant: 'v7' } } as const
const QEMU = { arm64: 'qemu-aarch64-static', armhf: 'qemu-arm-static' } as const

export async function writeDockerImage(options: DockerImageOptions): Promise<DockerImageResult> {
  const docker = await requireDocker()
  const report = options.onProgress ?? (() => {})
  const work = await mkdtemp(path.join(os.tmpdir(), 'orchard-docker-image-'))
  try {
    report('packing the root filesystem as one layer')
    const layer = await writeLayer(options, work)
    const reference = localReference(options.tag)
    const config = imageConfig(options, layer.diffId)
    report('loading the image into Docker')
    await loadArchive(docker, reference, config, layer.file)
    const image = docker.getImage(reference)
    const result: DockerImageResult = {
      reference,
      id: (await image.inspect()).Id,
      uncompressedBytes: layer.bytes,
      compressedBytes: layer.compressedBytes,
    }
    if (options.registry) {
      const remote = `${options.registry.replace(/\/+$/, '')}/${reference}`
      report(`pushing ${remote}`)
      const [repo, tag] = splitReference(remote)
      await image.tag({ repo, tag })
      const stream = await docker.getImage(remote).push({ tag }, undefined, registryAuth(options.registry))
      let digest: string | undefined
      const events = await followDaemon(docker, stream, (event) => (digest = event.aux?.Digest ?? digest))
      const failed = events.find((event) => event.error)
      if (failed || !digest) throw new BuildError('UNAVAILABLE', `Pushing ${remote} failed: ${failed?.error ?? 'the registry returned no digest'}`)
      result.digest = digest
      result.pushed = `${repo}@${digest}`
    }
    return result
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** The layer tar (uncompressed, as docker-archive holds it), its diff id, and its gzip size. */
async function writeLayer(options: DockerImageOptions, work: string) {
  const extra = path.join(work, 'extra')
  await mkdir(path.join(extra, 'etc/orchard'), { recursive: true })
  await writeFile(path.join(extra, 'etc/orchard/buildinfo.json'), `${JSON.stringify(options.buildInfo, null, 2)}\n`)
  const extras = ['./etc/orchard']
  const qemu = findExecutable(QEMU[options.arch])
  if (qemu) {
    await mkdir(path.join(extra, 'usr/bin'), { recursive: true })
    await copyFile(qemu, path.join(extra, 'usr/bin', QEMU[options.arch]))
    extras.push(`./usr/bin/${QEMU[options.arch]}`)
  } else {
    options.onProgress?.(`${QEMU[options.arch]} is not installed here: the image runs only where binfmt provides qemu`)
  }
  const file = path.join(work, 'layer.tar')
  return withRootMounted(options.image, options.rootPartition, async (root) => {
    const tar = startCommand('tar', [...TAR_FLAGS, ...REDUCE.map((pattern) => `--exclude=${pattern}`), '-C', root, '-cf', '-', '.', '-C', extra, ...extras], { stdout: 'pipe' })
    const hash = createHash('sha256')
    let bytes = 0
    let compressedBytes = 0
    const gzip = createGzip()
    gzip.on('data', (chunk: Buffer) => (compressedBytes += chunk.length))
    const gzipped = new Promise((resolve) => gzip.once('end', resolve))
    const out = createWriteStream(file)
    const packed = pipeline(
      tar.stdout!,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          hash.update(chunk)
          bytes += chunk.length
          gzip.write(chunk)
          if (!out.write(chunk)) out.once('drain', () => callback())
          else callback()
        },
        final(callback) {
          gzip.end()
          out.end(callback)
        },
      }),
    )
    await Promise.all([packed, gzipped, tar.done]).catch((error: unknown) => {
      if (!(error instanceof CommandError)) throw error
      throw new BuildError('INVALID_IMAGE', `Packing the root filesystem for the Docker image failed: ${error.output.stderr.trim() || error.message}`)
    })
    return { file, bytes, compressedBytes, diffId: `sha256:${hash.digest('hex')}` }
  })
}

function imageConfig({ arch, buildInfo }: DockerImageOptions, diffId: string) {
  return {
    ...PLATFORM[arch],
    os: 'linux',
    created: buildInfo.builtAt,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/games:/usr/games', 'LANG=C.UTF-8'],
      Cmd: ['/bin/bash'],
      Labels: {
        [ORCHARD_LABEL]: 'output',
        'org.opencontainers.image.title': buildInfo.name,
        'org.opencontainers.image.created': buildInfo.builtAt,
        'io.orchard.builder-version': buildInfo.builder.version,
        'io.orchard.source-sha256': buildInfo.source.sha256,
        'io.orchard.recipe-sha256': buildInfo.recipeSha256,
      },
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: buildInfo.builtAt, created_by: `orchard ${buildInfo.builder.version}: ${buildInfo.name}` }],
  }
}

/** docker load of a docker-archive: manifest.json, the config, one layer. Streamed, nothing else on disk. */
async function loadArchive(docker: Docker, reference: string, config: object, layerFile: string): Promise<void> {
  const configJson = JSON.stringify(config)
  const configName = `${createHash('sha256').update(configJson).digest('hex')}.json`
  const archive = tarPack()
  const loading = docker.loadImage(archive as unknown as NodeJS.ReadableStream, { quiet: true })
  archive.entry({ name: configName }, configJson)
  archive.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: configName, RepoTags: [reference], Layers: ['layer/layer.tar'] }]))
  const size = (await stat(layerFile)).size
  await new Promise<void>((resolve, reject) => {
    const entry = archive.entry({ name: 'layer/layer.tar', size }, (error) => (error ? reject(error) : resolve()))
    createReadStream(layerFile).on('error', reject).pipe(entry)
  })
  archive.finalize()
  const events = await followDaemon(docker, await loading, () => {})
  const failed = events.find((event) => event.error)
  if (failed) throw new BuildError('UNAVAILABLE', `Docker could not load the image: ${failed.error}`)
}

/** `name` or `name:tag` → `name:tag` (latest by default). */
export function localReference(tag: string): string {
  const [repo, version] = splitReference(tag)
  return `${repo}:${version}`
}

export function splitReference(reference: string): [string, string] {
  const colon = reference.lastIndexOf(':')
  return colon > reference.lastIndexOf('/') ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, 'latest']
}

/** Credentials for `registry` from the Docker CLI's config (`docker login`), when it has them. */
export function registryAuth(registry: string): Docker.AuthConfig | undefined {
  const file = path.join(process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'), 'config.json')
  if (!existsSync(file)) return undefined
  const host = registry.split('/')[0]!
  const auth = (JSON.parse(readFileSync(file, 'utf8')) as { auths?: Record<string, { auth?: string }> }).auths?.[host]?.auth
  if (!auth) return undefined
  const [username, ...rest] = Buffer.from(auth, 'base64').toString().split(':')
  return { username: username!, password: rest.join(':'), serveraddress: host }
}
