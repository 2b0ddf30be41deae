/**
 * `debian:bookworm-slim` without Docker Hub: where the daemon cannot pull it (offline test
 * machines, sandboxes), a minimal Debian bookworm for the host's architecture is made with
 * `debootstrap --variant=minbase`, kept as a tarball in the cache and `docker import`ed under
 * that tag. Idempotent: nothing happens while the tag exists; a later run imports the cached
 * tarball (seconds) instead of debootstrapping again (minutes).
 *
 * Tests call it before building builder/Dockerfile, and so does scripts/setup-system.sh
 * (`node --import tsx builder/src/container/base-image.ts`). The real Dockerfile builds on
 * it unchanged.
 */
import { createReadStream, existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type Docker from 'dockerode'
import { connectDocker, followDaemon } from '../util/docker-daemon'
import { cacheDir } from '../util/paths'
import { runCommand } from '../util/process'
import { removeStaleTemps, removeTree, tempName } from '../util/temp'
import { findExecutable } from '../util/tools'

export const BASE_IMAGE = 'debian:bookworm-slim'
const SUITE = 'bookworm'
const MIRROR = 'http://deb.debian.org/debian'
/** Bump when the tarball is made differently, so an old cached one stops matching. */
const BASE_VERSION = 1

const DEB_ARCH: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', arm64: 'arm64' }

export interface BaseImageOptions {
  docker?: Docker
  cache?: string
  onLine?: (line: string) => void
}

export interface BaseImageResult {
  tag: string
  /** How the tag came to be: it was there, from the cached tarball, or debootstrapped now. */
  how: 'present' | 'imported' | 'debootstrapped'
}

export function baseTarballPath(cache = cacheDir()): string {
  return path.join(cache, 'container', `debian-${SUITE}-minbase-${DEB_ARCH[process.arch] ?? process.arch}-v${BASE_VERSION}.tar.gz`)
}

/** Why the base image could not be made here (when it is missing and not cached), or null. */
export function baseImageProblem(cache = cacheDir()): string | null {
  if (existsSync(baseTarballPath(cache))) return null
  if (process.platform !== 'linux') return 'making debian:bookworm-slim needs Linux (debootstrap)'
  if (!DEB_ARCH[process.arch]) return `no Debian architecture for ${process.arch}`
  if (process.getuid?.() !== 0) return 'making debian:bookworm-slim with debootstrap needs root'
  if (!findExecutable('debootstrap')) return 'debootstrap is not installed (Debian package debootstrap)'
  return null
}

export async function ensureBaseImage(options: BaseImageOptions = {}): Promise<BaseImageResult> {
  const docker = options.docker ?? connectDocker()
  const say = options.onLine ?? (() => {})
  const present = await docker
    .getImage(BASE_IMAGE)
    .inspect()
    .then(() => true, () => false)
  if (present) return { tag: BASE_IMAGE, how: 'present' }
  const tarball = baseTarballPath(options.cache)
  let how: BaseImageResult['how'] = 'imported'
  if (!existsSync(tarball)) {
    const problem = baseImageProblem(options.cache)
    if (problem) throw new Error(`${BASE_IMAGE} is missing and cannot be made: ${problem}`)
    await makeTarball(tarball, say)
    how = 'debootstrapped'
  }
  say(`importing ${path.basename(tarball)} as ${BASE_IMAGE}`)
  const [repo, tag] = BASE_IMAGE.split(':') as [string, string]
  // The real image's only setting: `CMD ["bash"]`.
  const stream = await docker.importImage(createReadStream(tarball) as unknown as string, { repo, tag, changes: 'CMD ["bash"]' })
  const events = await followDaemon(docker, stream, () => {})
  const failed = events.find((event) => event.error)
  if (failed) throw new Error(`docker import of ${tarball} failed: ${failed.error}`)
  return { tag: BASE_IMAGE, how }
}

// Written into the image as Debian's own slim image has them: main, updates and security.
const SOURCES = `Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`
// What the official image's dpkg and apt configuration does to stay small.
const DPKG_EXCLUDES = `path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
`
const APT_CLEAN = `DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
`

async function makeTarball(tarball: string, say: (line: string) => void): Promise<void> {
  const dir = path.dirname(tarball)
  await mkdir(dir, { recursive: true })
  await removeStaleTemps(dir, '.base-') // a killed debootstrap's root (it may still have /proc mounted)
  const work = path.join(dir, tempName('.base-'))
  await mkdir(work)
  const root = path.join(work, 'root')
  try {
    say(`debootstrap --variant=minbase ${SUITE} (${DEB_ARCH[process.arch]}) from ${MIRROR}`)
    await run('debootstrap', ['--variant=minbase', `--arch=${DEB_ARCH[process.arch]}`, SUITE, root, MIRROR], (line) => /^I: (Retrieving Release|Base system installed)/.test(line) && say(line))
    for (const sub of ['var/lib/apt/lists', 'var/cache/apt/archives', 'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale']) {
      const full = path.join(root, sub)
      for (const name of await readdir(full).catch(() => [] as string[])) {
        if (['partial', 'lock', 'locale.alias'].includes(name)) continue
        await rm(path.join(full, name), { recursive: true, force: true })
      }
    }
    await rm(path.join(root, 'etc/apt/sources.list'), { force: true })
    await writeFile(path.join(root, 'etc/apt/sources.list.d/debian.sources'), SOURCES)
    await writeFile(path.join(root, 'etc/dpkg/dpkg.cfg.d/docker'), DPKG_EXCLUDES)
    await writeFile(path.join(root, 'etc/apt/apt.conf.d/docker-clean'), APT_CLEAN)
    await writeFile(path.join(root, 'etc/apt/apt.conf.d/docker-no-languages'), 'Acquire::Languages "none";\n')
    // Docker provides these at run time.
    await rm(path.join(root, 'etc/resolv.conf'), { force: true })
    await writeFile(path.join(root, 'etc/hostname'), '')
    await writeFile(path.join(root, 'etc/machine-id'), '')
    say('packing the root filesystem')
    const temp = path.join(work, 'base.tar.gz')
    await run('tar', ['--numeric-owner', '--xattrs', '-C', root, '-czf', temp, '.'])
    await rename(temp, tarball)
  } finally {
    // Through removeTree: debootstrap may leave /proc mounted in the root it failed on.
    await removeTree(work).catch(() => undefined) // if not now, then by the next run's removeStaleTemps
  }
}

/** `command` from PATH or sbin; its output lines go to `onLine`, its last ones into the error. */
async function run(command: string, args: string[], onLine: (line: string) => void = () => {}): Promise<void> {
  await runCommand(findExecutable(command) ?? command, args, { onLine: (line) => onLine(line), label: command })
}

// `node --import tsx builder/src/container/base-image.ts`: what scripts/setup-system.sh runs.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  ensureBaseImage({ onLine: (line) => console.log(`[base-image] ${line}`) }).then(
    ({ how }) => console.log(`[base-image] ${BASE_IMAGE}: ${how}`),
    (error: Error) => {
      console.error(`[base-image] ${error.message}`)
      process.exitCode = 1
    },
  )
}
