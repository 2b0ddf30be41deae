/** Hashing shared by the builder: files (sources, fixtures) and canonical JSON (recipes, fixture keys). */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { BuildError } from './errors'

export async function sha256File(file: string, options: { onBytes?: (n: number) => void; signal?: AbortSignal } = {}): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) {
    if (options.signal?.aborted) throw new BuildError('CANCELLED', `Cancelled while hashing ${file}`)
    hash.update(chunk as Buffer)
    options.onBytes?.((chunk as Buffer).length)
  }
  return hash.digest('hex')
}

/** JSON with object keys in code-point order at every level and undefined left out, so equal content hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
