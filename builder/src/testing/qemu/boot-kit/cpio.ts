/** A cpio "newc" writer: the archive format the kernel unpacks as an initramfs. */

export interface CpioEntry {
  /** Relative, no leading slash: `init`, `bin/busybox`. */
  name: string
  /** Type and permission bits, e.g. 0o100755. */
  mode: number
  data?: Buffer
  /** Character or block devices: [major, minor]. */
  rdev?: [number, number]
}

export const S_IFDIR = 0o040000
export const S_IFREG = 0o100000
export const S_IFCHR = 0o020000

/** A cpio "newc" archive (what the kernel unpacks as an initramfs), owned by root, mtime 0: reproducible. */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  const pad = (length: number): Buffer => Buffer.alloc((4 - (length % 4)) % 4)
  const header = (ino: number, entry: CpioEntry, size: number, nameSize: number): Buffer => {
    const links = (entry.mode & 0o170000) === S_IFDIR ? 2 : 1
    // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
    const fields = [ino, entry.mode, 0, 0, links, 0, size, 0, 0, entry.rdev?.[0] ?? 0, entry.rdev?.[1] ?? 0, nameSize, 0]
    return Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`, 'latin1')
  }
  const add = (ino: number, entry: CpioEntry): void => {
    const name = Buffer.from(`${entry.name}\0`, 'utf8')
    const data = entry.data ?? Buffer.alloc(0)
    parts.push(header(ino, entry, data.length, name.length), name, pad(110 + name.length), data, pad(data.length))
  }
  entries.forEach((entry, i) => add(i + 1, entry))
  add(0, { name: 'TRAILER!!!', mode: 0 })
  return Buffer.concat(parts)
}
