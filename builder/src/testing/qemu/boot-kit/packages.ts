/**
 * The kit's Debian packages (the arm64 kernel and busybox-static): the versions pinned in the cache
 * (<cache>/boot/arm64.json) with their .debs, fetched with a private apt when missing.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { splitLines } from '../../../util/lines'
import { findExecutable } from '../../../util/tools'
import { KIT_TOOLS, runTool } from './host-tools'
import { KEYRING, PrivateApt, SUITE } from './private-apt'

const KERNEL_META = 'linux-image-arm64'
const BUSYBOX = 'busybox-static'

/** The versions a kit is made from; the first ones picked stay until `refresh`. */
export interface Pin {
  kernelPackage: string
  kernelVersion: string
  busyboxVersion: string
}

/** The versions and their cached .debs. */
export interface KitInputs {
  pin: Pin
  kernelDeb: string
  busyboxDeb: string
}

export const kitRoot = (cache: string): string => path.join(cache, 'boot')
const pinPath = (cache: string): string => path.join(kitRoot(cache), 'arm64.json')
const debsDir = (cache: string): string => path.join(kitRoot(cache), 'debs')

/** Why a boot kit cannot be made here (unless already cached), or null. */
export function bootKitProblem(): string | null {
  for (const [name, pkg] of Object.entries(KIT_TOOLS)) if (!findExecutable(name)) return `${name} not installed (Debian package ${pkg})`
  if (!fs.existsSync(KEYRING)) return `${KEYRING} missing (Debian package debian-archive-keyring)`
  return null
}

export async function readPin(cache: string): Promise<Pin | null> {
  let pin: Partial<Pin>
  try {
    pin = JSON.parse(await fsp.readFile(pinPath(cache), 'utf8')) as Partial<Pin>
  } catch {
    return null
  }
  return pin.kernelPackage && pin.kernelVersion && pin.busyboxVersion ? (pin as Pin) : null
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  await fsp.writeFile(temp, data)
  await fsp.rename(temp, file)
}

/** The cached .deb of `pkg` at `version`, or null. */
async function findDeb(cache: string, pkg: string, version: string): Promise<string | null> {
  const names = await fsp.readdir(debsDir(cache)).catch(() => [] as string[])
  for (const name of names.filter((n) => n.startsWith(`${pkg}_`) && n.endsWith('.deb'))) {
    const file = path.join(debsDir(cache), name)
    if ((await runTool('dpkg-deb', ['-f', file, 'Version'])).trim() === version) return file
  }
  return null
}

/** The newest kernel and busybox of the suite (after `apt-get update`). */
async function resolveNewest(apt: PrivateApt): Promise<Pin> {
  const meta = await apt.show(KERNEL_META)
  const kernelPackage = /^(linux-image-\S+-arm64)\b/.exec(meta.Depends ?? '')?.[1]
  if (!kernelPackage) throw new Error(`${KERNEL_META} depends on no kernel package: ${JSON.stringify(meta.Depends)}`)
  const kernelVersion = (await apt.show(kernelPackage)).Version
  const busyboxVersion = (await apt.show(BUSYBOX)).Version
  if (!kernelVersion || !busyboxVersion) throw new Error(`apt-cache shows no version for ${kernelPackage} or ${BUSYBOX}`)
  return { kernelPackage, kernelVersion, busyboxVersion }
}

/** The pinned versions (or the newest, when none is pinned or `refresh`) with their .debs in the cache. */
export async function ensurePackages(
  cache: string,
  options: { refresh?: boolean; onProgress?: (line: string) => void },
): Promise<KitInputs> {
  const progress = options.onProgress ?? (() => {})
  const apt = new PrivateApt(path.join(kitRoot(cache), 'apt-arm64'))
  const pin = options.refresh ? null : await readPin(cache)
  const cached = async (p: Pin) => ({
    kernelDeb: await findDeb(cache, p.kernelPackage, p.kernelVersion),
    busyboxDeb: await findDeb(cache, BUSYBOX, p.busyboxVersion),
  })
  if (pin) {
    const { kernelDeb, busyboxDeb } = await cached(pin)
    if (kernelDeb && busyboxDeb) return { pin, kernelDeb, busyboxDeb }
  }
  const problem = bootKitProblem()
  if (problem) throw new Error(`cannot fetch the arm64 kernel: ${problem}`)
  progress(`apt-get update (${SUITE} arm64 package lists, private to ${path.join(kitRoot(cache), 'apt-arm64')})`)
  await apt.update()
  await fsp.mkdir(debsDir(cache), { recursive: true })
  const download = (p: Pin): Promise<void> => {
    progress(`downloading ${p.kernelPackage} ${p.kernelVersion} and ${BUSYBOX} ${p.busyboxVersion}`)
    return apt.download([`${p.kernelPackage}=${p.kernelVersion}`, `${BUSYBOX}=${p.busyboxVersion}`], debsDir(cache))
  }
  // The archive keeps only current versions: a pinned one that is gone gives way to the newest.
  const pinned = pin && (await download(pin).then(() => pin, (error: Error) => {
    progress(`pinned versions unavailable (${splitLines(error.message).at(-1)}), taking the newest`)
    return null
  }))
  const chosen = pinned ?? (await resolveNewest(apt))
  if (!pinned) await download(chosen)
  const { kernelDeb, busyboxDeb } = await cached(chosen)
  if (!kernelDeb || !busyboxDeb) {
    throw new Error(`apt-get download left no .deb for ${chosen.kernelPackage} or ${BUSYBOX} in ${debsDir(cache)}`)
  }
  await writeAtomic(pinPath(cache), `${JSON.stringify(chosen, null, 2)}\n`)
  return { pin: chosen, kernelDeb, busyboxDeb }
}
