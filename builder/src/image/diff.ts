/** What differs between two images' files, partition by partition, in words a person reads. */
import type { FileRecord, ImageFiles } from './file-list'

export interface FileDifference {
  partition: 'boot' | 'root'
  path: string
  kind: 'added' | 'removed' | 'changed'
  /** For `changed`: each aspect that differs, as "what: a → b". */
  details: string[]
}

export function diffImageFiles(a: ImageFiles, b: ImageFiles): FileDifference[] {
  return [...diffPartition('boot', a.boot, b.boot), ...diffPartition('root', a.root, b.root)]
}

function diffPartition(partition: 'boot' | 'root', a: Map<string, FileRecord>, b: Map<string, FileRecord>): FileDifference[] {
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort()
  return paths.flatMap((path): FileDifference[] => {
    const before = a.get(path)
    const after = b.get(path)
    if (!before) return [{ partition, path, kind: 'added', details: [describe(after!)] }]
    if (!after) return [{ partition, path, kind: 'removed', details: [describe(before)] }]
    const details = changes(before, after)
    return details.length ? [{ partition, path, kind: 'changed', details }] : []
  })
}

function changes(a: FileRecord, b: FileRecord): string[] {
  if (a.type !== b.type) return [`type: ${a.type} → ${b.type}`]
  const out: string[] = []
  if (a.type === 'file' && a.sha256 !== b.sha256) out.push(`content: ${a.size} bytes (sha256 ${a.sha256!.slice(0, 12)}…) → ${b.size} bytes (sha256 ${b.sha256!.slice(0, 12)}…)`)
  if (a.mode !== b.mode) out.push(`mode: ${octal(a.mode)} → ${octal(b.mode)}`)
  if (a.uid !== b.uid || a.gid !== b.gid) out.push(`owner: ${a.uid}:${a.gid} → ${b.uid}:${b.gid}`)
  if (a.target !== b.target) out.push(`link target: ${a.target} → ${b.target}`)
  return out
}

function describe(record: FileRecord): string {
  if (record.type === 'symlink') return `symlink → ${record.target}`
  if (record.type === 'file') return `file, ${record.size} bytes${record.mode !== undefined ? `, mode ${octal(record.mode)}, owner ${record.uid}:${record.gid}` : ''}`
  return record.type
}

const octal = (mode: number | undefined): string => (mode === undefined ? '-' : `0${mode.toString(8).padStart(3, '0')}`)

/** The differences as text: one line per file, its details indented under it. */
export function formatDifferences(differences: FileDifference[]): string {
  return differences
    .map(({ partition, path, kind, details }) => [`${kind.padEnd(7)} ${partition}:${path}`, ...details.map((line) => `          ${line}`)].join('\n'))
    .join('\n')
}
