/**
 * Real probes of this machine. Each says what it found, and for a failure how to fix it.
 * None reads or reports a secret: the AWS probe names where credentials are, not what.
 */
import { constants, existsSync } from 'node:fs'
import { access, readFile, statfs } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import type { ProbeResult } from '@common/contract'
import { formatBytes } from '../../../builder/src/util/bytes'
import { cacheDir } from '../../../builder/src/util/paths'
import { findExecutable, isElevated, runCommand } from './host'

export type Probe = Omit<ProbeResult, 'required'>

const isLinux = process.platform === 'linux'

/** A fix hint in the platform's own words. */
function installHint(debianPackage: string, brewFormula?: string): string {
  if (process.platform === 'darwin' && brewFormula) return `brew install ${brewFormula}`
  if (isLinux) return `apt-get install ${debianPackage} (or run: sudo npm run setup:system)`
  return `install ${debianPackage}`
}

export async function nodeVersion(): Promise<Probe> {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  const ok = major > 20 || (major === 20 && minor >= 19)
  return {
    id: 'node',
    label: 'Node.js 20.19 or later',
    ok,
    detail: `Node.js ${process.versions.node}`,
    ...(ok ? {} : { fix: 'Install Node.js 20.19+ (https://nodejs.org)' }),
  }
}

export async function tool(
  id: string,
  executable: string,
  label: string,
  debianPackage: string,
  brewFormula?: string,
): Promise<Probe> {
  const found = findExecutable(executable)
  return found
    ? { id, label, ok: true, detail: `${executable} at ${found}` }
    : { id, label, ok: false, detail: `${executable} not found`, fix: installHint(debianPackage, brewFormula) }
}

export async function multithreadedXz(): Promise<Probe> {
  const label = 'xz with threads (fast decompression)'
  const found = findExecutable('xz')
  if (!found) return { id: 'xz', label, ok: false, detail: 'xz not found: the slower built-in decompressor is used', fix: installHint('xz-utils', 'xz') }
  const { stdout } = await runCommand(found, ['--version'])
  const version = /xz \(XZ Utils\) (\d+)\.(\d+)/.exec(stdout)
  // Threaded decompression arrived in 5.4; older xz still works, single-threaded.
  const ok = !!version && (Number(version[1]) > 5 || (Number(version[1]) === 5 && Number(version[2]) >= 4))
  return {
    id: 'xz',
    label,
    ok,
    detail: version ? `xz ${version[1]}.${version[2]}${ok ? '' : ' decompresses on one thread'}` : 'xz version unknown',
    ...(ok ? {} : { fix: 'Install xz-utils 5.4 or later' }),
  }
}

/** Where the Docker Engine API listens, from DOCKER_HOST or the platform default. */
export function dockerEndpoint(env = process.env): { socketPath: string } | { host: string; port: number } {
  const dockerHost = env.DOCKER_HOST
  if (dockerHost?.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) }
  if (dockerHost?.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace(/^tcp:/, 'http:'))
    return { host: url.hostname, port: Number(url.port || 2375) }
  }
  if (dockerHost?.startsWith('npipe://')) return { socketPath: dockerHost.slice('npipe:'.length).replaceAll('/', '\\') }
  return { socketPath: process.platform === 'win32' ? '\\\\.\\pipe\\docker_engine' : '/var/run/docker.sock' }
}

function dockerGet(apiPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ ...dockerEndpoint(), path: apiPath, timeout: 3_000 }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.on('timeout', () => request.destroy(new Error('no answer within 3 s')))
    request.on('error', reject)
  })
}

export async function dockerDaemon(): Promise<Probe> {
  const label = 'Docker daemon answering'
  const endpoint = dockerEndpoint()
  const where = 'socketPath' in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`
  try {
    const ping = await dockerGet('/_ping')
    if (ping.status !== 200) throw new Error(`/_ping answered HTTP ${ping.status}`)
    const version = JSON.parse((await dockerGet('/version')).body) as { Version?: string; Arch?: string }
    return { id: 'docker', label, ok: true, detail: `Docker ${version.Version ?? '?'} (${version.Arch ?? '?'}) at ${where}` }
  } catch (error) {
    return {
      id: 'docker',
      label,
      ok: false,
      detail: `No Docker daemon at ${where}: ${(error as Error).message}`,
      fix: isLinux ? 'Start it: sudo systemctl start docker (or sudo npm run setup:system)' : 'Start Docker Desktop',
    }
  }
}

/** Whether the kernel runs `qemu-<arch>` binaries transparently (needed for ARM steps). */
export async function binfmt(arch: 'aarch64' | 'arm', root = '/proc/sys/fs/binfmt_misc'): Promise<Probe> {
  const id = `binfmt-${arch}`
  const label = `ARM emulation registered (qemu-${arch})`
  if (!isLinux) {
    return { id, label, ok: true, detail: `Not checked on ${process.platform}: Docker Desktop emulates ARM in its own VM` }
  }
  const fix = 'apt-get install qemu-user-static binfmt-support && update-binfmts --enable (or sudo npm run setup:system)'
  if (!existsSync(path.join(root, 'status'))) {
    return { id, label, ok: false, detail: `binfmt_misc is not mounted at ${root}`, fix }
  }
  try {
    const entry = await readFile(path.join(root, `qemu-${arch}`), 'utf8')
    const enabled = /^enabled$/m.test(entry)
    const flags = /^flags: *(\S*)$/m.exec(entry)?.[1] ?? ''
    const interpreter = /^interpreter (\S+)$/m.exec(entry)?.[1] ?? '?'
    // Flag F opens the interpreter at registration, so it works inside chroots and containers.
    const ok = enabled && flags.includes('F')
    return {
      id,
      label,
      ok,
      detail: `${enabled ? 'enabled' : 'disabled'}, interpreter ${interpreter}, flags ${flags || 'none'}`,
      ...(ok ? {} : { fix: `${fix}; the entry needs flag F (fix-binary)` }),
    }
  } catch {
    return { id, label, ok: false, detail: `qemu-${arch} is not registered`, fix }
  }
}

export async function loopDevices(): Promise<Probe> {
  const label = 'Loop devices (image files as disks)'
  if (!isLinux) return { id: 'loop', label, ok: false, detail: `Linux only (this is ${process.platform})` }
  try {
    await access('/dev/loop-control', constants.R_OK | constants.W_OK)
  } catch {
    return { id: 'loop', label, ok: false, detail: '/dev/loop-control is missing or not writable', fix: 'Run as root; modprobe loop' }
  }
  const losetup = findExecutable('losetup')
  return losetup
    ? { id: 'loop', label, ok: true, detail: `/dev/loop-control writable, losetup at ${losetup}` }
    : { id: 'loop', label, ok: false, detail: 'losetup not found', fix: installHint('mount') }
}

function awsConfigDir(env = process.env): { credentials: string; config: string } {
  const home = os.homedir()
  return {
    credentials: env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials'),
    config: env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config'),
  }
}

async function readOptional(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch {
    return ''
  }
}

/** INI section names of an AWS shared file (`[profile x]` in config, `[x]` in credentials). */
function iniProfiles(text: string): string[] {
  return [...text.matchAll(/^\s*\[\s*(?:profile\s+)?([^\]\s]+)\s*\]/gm)].map((match) => match[1] ?? '')
}

/** Finds where AWS credentials would come from, in the SDK's default-chain order. */
export async function awsCredentials(env = process.env): Promise<Probe> {
  const id = 'aws-credentials'
  const label = 'AWS credentials'
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { id, label, ok: true, detail: 'From environment variables (AWS_ACCESS_KEY_ID)' }
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE) return { id, label, ok: true, detail: 'From a web identity token file' }
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    return { id, label, ok: true, detail: 'From the container credentials endpoint' }
  }
  const files = awsConfigDir(env)
  const profile = env.AWS_PROFILE ?? 'default'
  const inCredentials = iniProfiles(await readOptional(files.credentials)).includes(profile)
  const inConfig = iniProfiles(await readOptional(files.config)).includes(profile)
  if (inCredentials || inConfig) {
    return { id, label, ok: true, detail: `Profile "${profile}" in ${inCredentials ? files.credentials : files.config}` }
  }
  return {
    id,
    label,
    ok: false,
    detail: `No credentials in the environment and no profile "${profile}" in ${files.credentials} or ${files.config}`,
    fix: 'Run "aws configure" (or "aws configure sso"), or set AWS_PROFILE',
  }
}

export async function awsRegion(env = process.env): Promise<Probe> {
  const id = 'aws-region'
  const label = 'AWS region chosen'
  const fromEnv = env.AWS_REGION ?? env.AWS_DEFAULT_REGION
  if (fromEnv) return { id, label, ok: true, detail: `${fromEnv} (from the environment)` }
  const profile = env.AWS_PROFILE ?? 'default'
  const config = await readOptional(awsConfigDir(env).config)
  const section = new RegExp(`^\\s*\\[\\s*(?:profile\\s+)?${profile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\]([^[]*)`, 'm').exec(config)
  const region = section && /^\s*region\s*=\s*(\S+)/m.exec(section[1] ?? '')?.[1]
  return region
    ? { id, label, ok: true, detail: `${region} (profile "${profile}")` }
    : { id, label, ok: false, detail: 'No region configured', fix: 'Set AWS_REGION or "region" in ~/.aws/config; the app also lets you pick one' }
}

export async function driveList(): Promise<Probe> {
  const label = 'Drive detection (drivelist)'
  try {
    const drivelist = (await import('drivelist')) as { list(): Promise<{ isSystem: boolean }[]> }
    const drives = await drivelist.list()
    const removable = drives.filter((drive) => !drive.isSystem).length
    return { id: 'drivelist', label, ok: true, detail: `${drives.length} drives seen, ${removable} not system drives` }
  } catch (error) {
    return { id: 'drivelist', label, ok: false, detail: `drivelist failed: ${(error as Error).message}`, fix: 'npm rebuild drivelist' }
  }
}

/** Raw disks need root/admin; without it the writer asks for elevation, which needs a way to ask. */
export async function rawDiskAccess(): Promise<Probe> {
  const id = 'raw-disk'
  const label = 'Raw disk access (elevated, or a way to elevate)'
  if (await isElevated()) return { id, label, ok: true, detail: 'Running elevated' }
  if (process.platform === 'darwin') return { id, label, ok: true, detail: 'macOS asks for an administrator password when flashing' }
  if (process.platform === 'win32') return { id, label, ok: true, detail: 'Windows asks for elevation (UAC) when flashing' }
  for (const helper of ['pkexec', 'sudo']) {
    const found = findExecutable(helper)
    if (found) return { id, label, ok: true, detail: `Not elevated; flashing asks through ${helper}` }
  }
  return { id, label, ok: false, detail: 'Not root and neither pkexec nor sudo found', fix: installHint('policykit-1') }
}

export async function freeSpace(dir = cacheDir(), neededBytes = 8e9): Promise<Probe> {
  const label = `${formatBytes(neededBytes, 0)} free for images`
  let existing = dir
  while (!existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing)
  const stats = await statfs(existing)
  const free = stats.bavail * stats.bsize
  const ok = free >= neededBytes
  return {
    id: 'free-space',
    label,
    ok,
    detail: `${formatBytes(free)} free at ${existing} (cache: ${dir})`,
    ...(ok ? {} : { fix: 'Free some disk space, or set ORCHARD_CACHE_DIR to a larger disk' }),
  }
}
