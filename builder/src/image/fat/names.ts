/**
 * FAT names: long-name validity, Windows-style 8.3 aliases (basis name + "~N" tail, FAT spec
 * §7.4), the NT lowercase flags and the LFN checksum (spec §7.2).
 */

/** Characters a long name may not hold (spec §7.3), plus the control characters. */
const INVALID_LONG = /[\\/:*?"<>|\x00-\x1f]/ // eslint-disable-line no-control-regex
/** Characters an 8.3 name may hold besides A-Z and 0-9 (spec §6.1). */
const SHORT_SPECIALS = new Set("$%'-_@~`!(){}^#&")
const MAX_LONG = 255

/** NT byte 12 (DIR_NTRes): base / extension stored uppercase but shown lowercase. */
export const LOWER_BASE = 0x08
export const LOWER_EXT = 0x10

export function isValidLongName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_LONG &&
    name !== '.' &&
    name !== '..' &&
    !INVALID_LONG.test(name) &&
    // Windows drops trailing dots and spaces, so such a name could not be opened again there.
    !/[. ]$/.test(name)
  )
}

const isShortChar = (c: string) => (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || SHORT_SPECIALS.has(c)

/** 11 bytes as stored: base padded to 8, extension padded to 3. */
export const rawShort = (base: string, ext: string): string => base.padEnd(8, ' ') + ext.padEnd(3, ' ')

export interface ShortName {
  raw: string
  caseFlags: number
  /** False when the short entry alone carries the name (an exact 8.3 name, maybe with NT case flags). */
  needsLfn: boolean
}

/** The name as a plain 8.3 name, when it is one: one case per part, valid characters, 8 + 3. */
export function exactShortName(name: string): ShortName | null {
  const dot = name.indexOf('.')
  const base = dot === -1 ? name : name.slice(0, dot)
  const ext = dot === -1 ? '' : name.slice(dot + 1)
  if (base.length < 1 || base.length > 8 || ext.length > 3 || ext.includes('.') || (dot !== -1 && ext === '')) return null
  const baseCase = partCase(base)
  const extCase = partCase(ext)
  if (baseCase === null || extCase === null) return null
  const caseFlags = (baseCase ? LOWER_BASE : 0) | (extCase ? LOWER_EXT : 0)
  return { raw: rawShort(base.toUpperCase(), ext.toUpperCase()), caseFlags, needsLfn: false }
}

/** null: mixed case or a character 8.3 cannot hold; true: lowercase letters only; false: uppercase or none. */
function partCase(part: string): boolean | null {
  const upper = part.toUpperCase()
  if (![...upper].every(isShortChar)) return null
  if (part === upper) return false
  return part === part.toLowerCase() ? true : null
}

/** The basis name (spec §7.4 steps 1-7) and whether making it lost anything. */
export function basisName(name: string): { base: string; ext: string; lossy: boolean } {
  let lossy = false
  const map = (part: string) =>
    [...part.toUpperCase()]
      .map((c) => {
        if (isShortChar(c)) return c
        lossy = true
        return '_'
      })
      .join('')
  let s = name.replace(/ /g, '')
  const stripped = s.replace(/^\.+/, '')
  if (s !== name || stripped !== s) lossy = true
  s = stripped
  const dot = s.lastIndexOf('.')
  const rawBase = dot === -1 ? s : s.slice(0, dot).replace(/\./g, '')
  const rawExt = dot === -1 ? '' : s.slice(dot + 1)
  if (dot !== -1 && rawBase.length !== dot) lossy = true
  let base = map(rawBase)
  let ext = map(rawExt)
  if (base.length > 8 || ext.length > 3) lossy = true
  base = base.slice(0, 8) || '_'
  ext = ext.slice(0, 3)
  return { base, ext, lossy }
}

/**
 * The short name for a new entry, unique against `taken` (raw 11-byte names already in the
 * directory). The "~N" tail comes only when the basis lost something or collides.
 */
export function shortNameFor(name: string, taken: ReadonlySet<string>): ShortName {
  const exact = exactShortName(name)
  if (exact && !taken.has(exact.raw)) return exact
  const { base, ext, lossy } = basisName(name)
  const plain = rawShort(base, ext)
  if (!lossy && !taken.has(plain)) return { raw: plain, caseFlags: 0, needsLfn: true }
  for (let n = 1; n < 1_000_000; n++) {
    const tail = `~${n}`
    const raw = rawShort(base.slice(0, 8 - tail.length) + tail, ext)
    if (!taken.has(raw)) return { raw, caseFlags: 0, needsLfn: true }
  }
  throw new Error(`no free short name for ${name}`)
}

/** The checksum each LFN entry carries over its 8.3 name (spec §7.2). */
export function lfnChecksum(raw: Buffer | string): number {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw
  let sum = 0
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + bytes[i]!) & 0xff
  return sum
}

/** How the short entry reads as a name: `README.TXT`, or `config.txt` under the NT case flags. */
export function displayShortName(raw: string, caseFlags: number): string {
  let base = raw.slice(0, 8).trimEnd()
  let ext = raw.slice(8, 11).trimEnd()
  if (base.startsWith('\x05')) base = '\xe5' + base.slice(1) // spec §6.1: 0x05 stands for a leading 0xE5
  if (caseFlags & LOWER_BASE) base = base.toLowerCase()
  if (caseFlags & LOWER_EXT) ext = ext.toLowerCase()
  return ext ? `${base}.${ext}` : base
}

/** Number of LFN entries a long name takes: 13 UTF-16 units each. */
export const lfnSlots = (name: string): number => Math.ceil(name.length / 13)
