/** Recognizes a partition's filesystem by its superblock, not by the partition type byte. */
import type { ReadAt } from './partitions'

export type FilesystemKind = 'fat' | 'ext' | 'unknown'

export async function detectFilesystem(read: ReadAt, offset: number): Promise<{ kind: FilesystemKind; label: string }> {
  const head = await read(offset, 2048)
  if (head.readUInt16LE(1024 + 56) === 0xef53) {
    return { kind: 'ext', label: cString(head.subarray(1024 + 120, 1024 + 136)) }
  }
  const fat32 = head.toString('latin1', 82, 87) === 'FAT32'
  const fat16 = head.toString('latin1', 54, 57) === 'FAT'
  if (head.readUInt16LE(510) === 0xaa55 && (fat32 || fat16)) {
    return { kind: 'fat', label: head.toString('latin1', fat32 ? 71 : 43, fat32 ? 82 : 54).trim() }
  }
  return { kind: 'unknown', label: '' }
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0)
  return bytes.toString('utf8', 0, end === -1 ? bytes.length : end)
}
