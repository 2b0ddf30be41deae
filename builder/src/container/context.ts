/**
 * The builder image's build context: the project folder filtered by its `.dockerignore`
 * with Docker's matching rules, listed once, so the same list is hashed (the image tag
 * changes exactly when the content does) and packed into the tar the daemon builds from.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir, readFile, readlink } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import dockerignore from '@balena/dockerignore'
import { pack as tarPack, type Pack } from 'tar-stream'
import { splitLines } from '../util/lines'

/**
 * A `.dockerignore`: which files leave the context (by @balena/dockerignore, a port of
 * Docker's own rules), and which ignored folders need no walk at all (node_modules, .git).
 */
export class DockerIgnore {
  private readonly rules: ReturnType<typeof dockerignore>
  /** The `!exception` patterns, split into path components. */
  private readonly exceptions: string[][]

  constructor(text: string) {
    this.rules = dockerignore({ ignorecase: false }).add(text)
    this.exceptions = splitLines(text)
      .map((line) => line.trim())
      .filter((line) => line.startsWith('!'))
      .map((line) => path.posix.normalize(line.slice(1).trim()).replace(/^\/+/, '').replace(/\/+$/, '').split('/'))
  }

  /** Whether `file` (relative, `/`-separated) is left out of the context. */
  ignores(file: string): boolean {
    return this.rules.ignores(file)
  }

  /** Whether an ignored folder may still hold files an exception brings back (else: not walked). */
  mayHoldExceptions(dir: string): boolean {
    const parts = dir.split('/')
    return this.exceptions.some(
      (exception) =>
        exception.some((part) => part.includes('**')) ||
        (exception.length > parts.length && toRegex(exception.slice(0, parts.length).join('/')).test(dir)),
    )
  }
}

/** A pattern's components as Docker reads them (`*`, `?`, `[…]`, `**`), for the walk's pruning. */
function toRegex(pattern: string): RegExp {
  let out = '^'
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        i++
        if (pattern[i + 1] === '/') {
          i++
          out += '(.*/)?'
        } else {
          out += '.*'
        }
      } else {
        out += '[^/]*'
      }
    } else if (char === '?') {
      out += '[^/]'
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 1)
      if (end < 0) out += '\\['
      else {
        out += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`
        i = end
      }
    } else if (char === '\\' && i + 1 < pattern.length) {
      out += `\\${pattern[++i]}`
    } else {
      out += /[.+^${}()|\]\\]/.test(char) ? `\\${char}` : char
    }
  }
  return new RegExp(`${out}$`)
}

export interface ContextEntry {
  /** Relative to the context folder, `/`-separated. */
  name: string
  kind: 'file' | 'symlink'
  mode: number
  size: number
  linkTarget?: string
}

/**
 * Every file and symlink of `dir` the `.dockerignore` keeps, sorted. The Dockerfile and the
 * `.dockerignore` are always kept: the daemon needs them even where they ignore themselves.
 */
export async function listContext(dir: string, dockerfile: string): Promise<ContextEntry[]> {
  const ignore = new DockerIgnore(await readFile(path.join(dir, '.dockerignore'), 'utf8').catch(() => ''))
  const always = new Set([dockerfile, '.dockerignore'])
  const entries: ContextEntry[] = []
  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(path.join(dir, relative))).sort()
    for (const name of names) {
      const rel = relative ? `${relative}/${name}` : name
      const stat = await lstat(path.join(dir, rel))
      const ignored = ignore.ignores(rel) && !always.has(rel)
      if (stat.isDirectory()) {
        if (!ignored || ignore.mayHoldExceptions(rel) || [...always].some((file) => file.startsWith(`${rel}/`))) await walk(rel)
      } else if (!ignored && (stat.isFile() || stat.isSymbolicLink())) {
        const link = stat.isSymbolicLink() ? await readlink(path.join(dir, rel)) : undefined
        entries.push({ name: rel, kind: link === undefined ? 'file' : 'symlink', mode: stat.mode & 0o777, size: link === undefined ? stat.size : 0, linkTarget: link })
      }
    }
  }
  await walk('')
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** sha256 over the names, kinds, executable bits and contents of the entries, plus `extra`. */
export async function hashContext(dir: string, entries: ContextEntry[], extra: Record<string, string> = {}): Promise<string> {
  const hash = createHash('sha256')
  for (const entry of entries) {
    hash.update(`${entry.kind}\0${entry.name}\0${entry.mode & 0o111 ? 'x' : '-'}\0`)
    if (entry.kind === 'symlink') hash.update(entry.linkTarget!)
    else hash.update(await readFile(path.join(dir, entry.name)))
    hash.update('\0')
  }
  for (const key of Object.keys(extra).sort()) hash.update(`${key}=${extra[key]}\0`)
  return hash.digest('hex')
}

// Fixed owner and time: the tar is a function of the content alone.
const MTIME = new Date('2000-01-01T00:00:00Z')

/** The entries as a tar stream (uncompressed: the daemon is local). */
export function packContext(dir: string, entries: ContextEntry[]): Pack {
  const pack = tarPack()
  void (async () => {
    try {
      for (const entry of entries) {
        const header = { name: entry.name, mode: entry.mode, uid: 0, gid: 0, mtime: MTIME }
        if (entry.kind === 'symlink') {
          pack.entry({ ...header, type: 'symlink', linkname: entry.linkTarget })
          continue
        }
        const sink = pack.entry({ ...header, type: 'file', size: entry.size })
        await pipeline(createReadStream(path.join(dir, entry.name)), sink)
      }
      pack.finalize()
    } catch (error) {
      pack.destroy(error as Error)
    }
  })()
  return pack
}
