/** 32-byte directory entries: the 8.3 entry (FAT spec §6) and LFN entries (§7), and FAT timestamps. */

export const ENTRY = 32
export const ATTR_READ_ONLY = 0x01
export const ATTR_VOLUME_ID = 0x08
export const ATTR_DIRECTORY = 0x10
export const ATTR_ARCHIVE = 0x20
/** READ_ONLY | HIDDEN | SYSTEM | VOLUME_ID marks an LFN entry. */
export const ATTR_LFN = 0x0f
export const DELETED = 0xe5
export const LAST_LFN = 0x40

/** UTF-16 offsets of the 13 name characters inside an LFN entry. */
const LFN_CHAR_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30]

export const isLfn = (attr: number): boolean => (attr & 0x3f) === ATTR_LFN

/** A FAT timestamp as stored: date, time and DIR_CrtTimeTenth. */
export interface FatStamp {
  date: number
  time: number
  tenths: number
}

/**
 * Date (bits 15-9 year since 1980, 8-5 month, 4-0 day) and time (15-11 h, 10-5 min, 4-0 s/2):
 * local time as mtools writes, or UTC (a reproducible build's fixed time must not depend on
 * the builder's time zone).
 */
export function encodeTimestamp(when: Date, utc = false): FatStamp {
  const [fullYear, month, day, hours, minutes, seconds] = utc
    ? [when.getUTCFullYear(), when.getUTCMonth(), when.getUTCDate(), when.getUTCHours(), when.getUTCMinutes(), when.getUTCSeconds()]
    : [when.getFullYear(), when.getMonth(), when.getDate(), when.getHours(), when.getMinutes(), when.getSeconds()]
  const year = Math.min(Math.max(fullYear, 1980), 2107)
  const date = ((year - 1980) << 9) | ((month + 1) << 5) | day
  const time = (hours << 11) | (minutes << 5) | (seconds >> 1)
  // DIR_CrtTimeTenth: 0-199 hundredths of a second on top of the 2-second time.
  const tenths = (seconds & 1) * 100 + Math.floor(when.getMilliseconds() / 10)
  return { date, time, tenths }
}

export function decodeTimestamp(date: number, time: number): Date {
  if (date === 0) return new Date(1980, 0, 1)
  return new Date(1980 + (date >> 9), ((date >> 5) & 0xf) - 1, date & 0x1f, time >> 11, (time >> 5) & 0x3f, (time & 0x1f) * 2)
}

export const entryCluster = (e: Buffer): number => (e.readUInt16LE(20) << 16) | e.readUInt16LE(26)

export function setEntryCluster(e: Buffer, cluster: number): void {
  e.writeUInt16LE(cluster >>> 16, 20) // DIR_FstClusHI
  e.writeUInt16LE(cluster & 0xffff, 26) // DIR_FstClusLO
}

/** Stamps the write time (and the access date), as any modification does. */
export function touch(e: Buffer, { date, time }: FatStamp): void {
  e.writeUInt16LE(time, 22) // DIR_WrtTime
  e.writeUInt16LE(date, 24) // DIR_WrtDate
  e.writeUInt16LE(date, 18) // DIR_LstAccDate
}

/** A fresh 8.3 entry without its name (bytes 0-10 and 12 are filled in by the directory). */
export function newEntry(attr: number, cluster: number, size: number, when: FatStamp): Buffer {
  const e = Buffer.alloc(ENTRY)
  const { date, time, tenths } = when
  e[11] = attr
  e[13] = tenths // DIR_CrtTimeTenth
  e.writeUInt16LE(time, 14) // DIR_CrtTime
  e.writeUInt16LE(date, 16) // DIR_CrtDate
  touch(e, when)
  setEntryCluster(e, cluster)
  e.writeUInt32LE(size, 28)
  return e
}

/** '.' or '..' of a new directory: named by dots, pointing at `cluster` (0 for the root). */
export function dotEntry(name: '.' | '..', cluster: number, when: FatStamp): Buffer {
  const e = newEntry(ATTR_DIRECTORY, cluster, 0, when)
  e.write(name.padEnd(11, ' '), 0, 'latin1')
  return e
}

/** The LFN entries for `name`, in on-disk order: the last part first, flagged 0x40. */
export function lfnEntries(name: string, checksum: number): Buffer[] {
  const count = Math.ceil(name.length / 13)
  const entries: Buffer[] = []
  for (let ordinal = count; ordinal >= 1; ordinal--) {
    const e = Buffer.alloc(ENTRY)
    e[0] = ordinal | (ordinal === count ? LAST_LFN : 0)
    e[11] = ATTR_LFN
    e[13] = checksum
    LFN_CHAR_OFFSETS.forEach((at, i) => {
      const index = (ordinal - 1) * 13 + i
      // After the name: one 0x0000 terminator, then 0xFFFF padding (spec §7.1).
      const unit = index < name.length ? name.charCodeAt(index) : index === name.length ? 0 : 0xffff
      e.writeUInt16LE(unit, at)
    })
    entries.push(e)
  }
  return entries
}

/** The 13 UTF-16 units of one LFN entry, cut at the terminator. */
export function lfnPart(e: Buffer): { text: string; terminated: boolean } {
  let text = ''
  for (const at of LFN_CHAR_OFFSETS) {
    const unit = e.readUInt16LE(at)
    if (unit === 0) return { text, terminated: true }
    text += String.fromCharCode(unit)
  }
  return { text, terminated: false }
}
