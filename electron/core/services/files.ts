/** Local files the app reads or writes on the user's behalf: hashing a picked source, exported text. */
import { readFile, stat } from 'node:fs/promises'
import { writeFileAtomic } from '../../../builder/src/util/temp'
import path from 'node:path'
import { formatBytes } from '../../../builder/src/util/bytes'
import { sha256File } from '../../../builder/src/util/hash'
import type { Output } from '@common/contract'
import { OrchardError } from '@common/errors'

async function regularFile(file: string): Promise<{ full: string; bytes: number }> {
  const full = path.resolve(file)
  const info = await stat(full).catch(() => null)
  if (!info) throw new OrchardError('NOT_FOUND', `No such file: ${full}`)
  if (!info.isFile()) throw new OrchardError('INVALID_INPUT', `Not a regular file: ${full}`)
  return { full, bytes: info.size }
}

export async function hashFile(file: string): Promise<Output<'files.sha256'>> {
  const { full, bytes } = await regularFile(file)
  return { path: full, sha256: await sha256File(full), bytes }
}

const TEXT_LIMIT = 16 * 1024 * 1024 // CSVs and scripts: a bigger file was picked by mistake

export async function readText(file: string): Promise<Output<'files.readText'>> {
  const { full, bytes } = await regularFile(file)
  if (bytes > TEXT_LIMIT) throw new OrchardError('INVALID_INPUT', `${full} is ${formatBytes(bytes)}: too big for a text file here`)
  return { path: full, content: await readFile(full, 'utf8') }
}

export async function writeText(file: string, content: string): Promise<Output<'files.writeText'>> {
  const full = path.resolve(file)
  await writeFileAtomic(full, content).catch((error: NodeJS.ErrnoException) => {
    throw new OrchardError('UNWRITABLE', `Cannot write ${full}: ${error.code ?? error.message}`)
  })
  return { path: full }
}
