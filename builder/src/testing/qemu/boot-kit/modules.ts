/** Kernel module dependencies from each module's .modinfo (what depmod would compute), in load order. */
import fsp from 'node:fs/promises'
import path from 'node:path'
import { splitLines } from '../../../util/lines'

/** A module to load: its name (underscores) and its .ko file. */
export interface ModuleFile {
  name: string
  file: string
}

/** The NUL-separated `key=value` strings of an ELF64 little-endian module's .modinfo section. */
export function modinfo(elf: Buffer): Record<string, string> {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error('not a little-endian ELF64 module')
  const shoff = Number(elf.readBigUInt64LE(0x28))
  const shentsize = elf.readUInt16LE(0x3a)
  const shnum = elf.readUInt16LE(0x3c)
  const section = (i: number) => {
    const at = shoff + i * shentsize
    return { name: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 0x18)), size: Number(elf.readBigUInt64LE(at + 0x20)) }
  }
  const names = section(elf.readUInt16LE(0x3e))
  const info: Record<string, string> = {}
  for (let i = 0; i < shnum; i++) {
    const s = section(i)
    const nameEnd = elf.indexOf(0, names.offset + s.name)
    if (elf.toString('latin1', names.offset + s.name, nameEnd) !== '.modinfo') continue
    for (const entry of elf.toString('latin1', s.offset, s.offset + s.size).split('\0')) {
      const eq = entry.indexOf('=')
      if (eq > 0) info[entry.slice(0, eq)] = entry.slice(eq + 1)
    }
  }
  return info
}

const moduleName = (file: string): string => path.basename(file).replace(/\.ko$/, '').replace(/-/g, '_')

async function walk(dir: string, found: string[] = []): Promise<string[]> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) await walk(full, found)
    else if (entry.name.endsWith('.ko')) found.push(full)
  }
  return found
}

/** `wanted` and what they depend on, as files in load order (dependencies first); built-in ones left out. */
export async function resolveModules(modulesDir: string, wanted: readonly string[]): Promise<ModuleFile[]> {
  const files = new Map((await walk(path.join(modulesDir, 'kernel'))).map((file) => [moduleName(file), file]))
  const builtin = new Set(
    splitLines(await fsp.readFile(path.join(modulesDir, 'modules.builtin'), 'utf8').catch(() => '')).filter(Boolean).map(moduleName),
  )
  const order: ModuleFile[] = []
  const visiting = new Set<string>()
  const visit = async (name: string, by: string | null): Promise<void> => {
    if (builtin.has(name) || order.some((m) => m.name === name) || visiting.has(name)) return
    const file = files.get(name)
    if (!file) throw new Error(`module ${name}${by ? ` (needed by ${by})` : ''} is neither in ${modulesDir}/kernel nor built in`)
    visiting.add(name)
    const depends = (modinfo(await fsp.readFile(file)).depends ?? '').split(',').filter(Boolean)
    for (const dep of depends) await visit(dep.replace(/-/g, '_'), name)
    order.push({ name, file })
  }
  for (const name of wanted) await visit(name, null)
  return order
}
