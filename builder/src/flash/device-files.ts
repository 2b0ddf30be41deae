/**
 * The files one device gets on its card's boot partition: startup-scripts/device.env (its
 * variables) and its own run-once, every-time and resource files. Written through our FAT
 * module and read back in a fresh session before the card counts as done.
 */
import { createHash } from 'node:crypto'
import { posix } from 'node:path'
import type { Disk } from 'file-disk'
import { BuildError } from '../util/errors'
import { withFat } from '../image/fat'
import { isValidLongName } from '../image/fat/names'
import { HOSTNAME_RULE, isReservedVariable, isValidHostname, type Device } from './devices-csv'
import { deviceWifi } from './device-wifi'

export interface DeviceFile {
  /** Absolute on the FAT partition, e.g. /startup-scripts/device.env. */
  path: string
  content: Buffer
}

export const SCRIPTS_DIR = '/startup-scripts'
export const DEVICE_ENV_PATH = `${SCRIPTS_DIR}/device.env`

// What the runner accepts as a key (builder/rootfs/README.md, "Reads device.env").
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * A value is written as is, since the runner takes it literally. Only a value the runner
 * or an editor would change is wrapped in double quotes, which the runner strips (one
 * level, nothing unescaped): one that starts or ends with a quote (`"x"` would lose its
 * quotes) or with white space (editors trim it). `$`, `\`, `#`, `=` and inner quotes need
 * nothing. Line breaks and NUL cannot be written: device.env is one line per key.
 */
export function envLine(key: string, value: string): string {
  if (!KEY.test(key)) throw new BuildError('INVALID_INPUT', `Variable name "${key}" is not valid: letters, digits and _, not starting with a digit`)
  if (isReservedVariable(key)) throw new BuildError('INVALID_INPUT', `Variable ${key} is reserved by the startup-scripts runner`)
  if (/[\r\n\0]/.test(value)) throw new BuildError('INVALID_INPUT', `Variable ${key} holds a line break or NUL: device.env has one line per variable`)
  return /^[\s"']|[\s"']$/.test(value) ? `${key}="${value}"` : `${key}=${value}`
}

/** device.env for the device: a header comment, HOSTNAME first, then the other keys in code-point order (a WIFI_PSK passphrase hashed: device-wifi.ts). */
export function renderDeviceEnv(device: Device): string {
  if (!isValidHostname(device.hostname)) throw new BuildError('INVALID_INPUT', `Hostname "${device.hostname}" is not valid: it ${HOSTNAME_RULE}`)
  const variables = deviceWifi(device.hostname, device.variables)
  const keys = Object.keys(variables)
    .filter((key) => key !== 'HOSTNAME')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const lines = [
    `# Written by Orchard for ${device.hostname}`,
    envLine('HOSTNAME', device.hostname),
    ...keys.map((key) => envLine(key, variables[key]!)),
  ]
  return `${lines.join('\n')}\n`
}

export interface DeviceExtras {
  runOnce?: Record<string, Buffer>
  everyTime?: Record<string, Buffer>
  resources?: Record<string, Buffer>
}

/** The device's files, sorted by path: device.env plus each extra under its startup-scripts folder. */
export function deviceFiles(device: Device, extra: DeviceExtras = {}): DeviceFile[] {
  const files: DeviceFile[] = [{ path: DEVICE_ENV_PATH, content: Buffer.from(renderDeviceEnv(device), 'utf8') }]
  const add = (dir: string, entries: Record<string, Buffer> | undefined, nested: boolean) => {
    for (const [name, content] of Object.entries(entries ?? {})) {
      files.push({ path: `${SCRIPTS_DIR}/${dir}/${checkName(dir, name, nested)}`, content })
    }
  }
  add('run-once', extra.runOnce, false)
  add('every-time', extra.everyTime, false)
  add('resources', extra.resources, true)
  return checkUnique(sortByPath(files))
}

/** Scripts are single names the runner will run; resources may sit in subfolders (`certs/ca.pem`). */
function checkName(dir: string, name: string, nested: boolean): string {
  const parts = nested ? name.split('/') : [name]
  if (!parts.every(isValidLongName)) {
    const why = nested ? '' : ' (no folders: the runner runs only files)'
    throw new BuildError('INVALID_INPUT', `"${name}" cannot be a file name in ${dir}/ on a FAT card${why}`)
  }
  if (!nested && name.startsWith('.')) {
    throw new BuildError('INVALID_INPUT', `"${name}" in ${dir}/ would never run: the runner skips names starting with "."`)
  }
  return name
}

const byteOrder = (a: DeviceFile, b: DeviceFile) => Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8'))
const sortByPath = (files: DeviceFile[]) => [...files].sort(byteOrder)

/** FAT matches names case-insensitively, so `A.sh` and `a.sh` would be one file. */
function checkUnique(files: DeviceFile[]): DeviceFile[] {
  const seen = new Map<string, string>()
  for (const file of files) {
    if (!file.path.startsWith('/')) throw new BuildError('INVALID_INPUT', `Device file path must be absolute: ${file.path}`)
    const key = file.path.toLowerCase()
    const earlier = seen.get(key)
    if (earlier !== undefined) throw new BuildError('INVALID_INPUT', `Device files ${earlier} and ${file.path} are the same file on FAT`)
    seen.set(key, file.path)
  }
  return files
}

/** SHA256 over the files in path order, each as path, NUL, length, NUL, content: no two file sets share a stream. */
export function deviceFilesHash(files: DeviceFile[]): string {
  const hash = createHash('sha256')
  for (const file of sortByPath(files)) {
    hash.update(`${file.path}\0${file.content.length}\0`, 'utf8')
    hash.update(file.content)
  }
  return hash.digest('hex')
}

/**
 * Writes the files (making their folders; other files on the card stay), flushes, then
 * reads every one back in a second FAT session (fresh from the disk, no cached sectors)
 * and compares byte for byte.
 */
export async function writeDeviceFiles(disk: Disk, boot: { offset: number; size: number }, files: DeviceFile[]): Promise<{ hash: string }> {
  checkUnique(files)
  await withFat(disk, boot, async (fs) => {
    for (const file of files) {
      const dir = posix.dirname(file.path)
      if (dir !== '/') await fs.mkdirp(dir)
      await fs.writeFile(file.path, file.content)
    }
  })
  await disk.flush()
  await withFat(disk, boot, async (fs) => {
    for (const file of files) {
      const back = await fs.readFile(file.path).catch((error: unknown) => {
        throw new Error(`Device files did not read back correctly: ${file.path}`, { cause: error })
      })
      if (!back.equals(file.content)) throw new Error(`Device files did not read back correctly: ${file.path}`)
    }
  })
  return { hash: deviceFilesHash(files) }
}
