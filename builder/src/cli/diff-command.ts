import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { createHash } from 'node:crypto'
import type { Command } from 'commander'
import { diffImageFiles, formatDifferences, type FileDifference } from '../image/diff'
import { listImageFiles } from '../image/file-list'
import { withImage } from '../image/open'
import { findExecutable } from '../util/tools'
import { createReporter, exitCodeFor } from './output'

export interface ImageDiff {
  identical: boolean
  sha256: [string, string]
  /** File differences on the boot (FAT) and root (ext4) partitions; empty when identical. */
  differences: FileDifference[]
}

export function registerDiffCommand(program: Command): void {
  program
    .command('diff')
    .description('Say which files differ between two images and how (both partitions); exit 0 identical, 1 different')
    .argument('<a>', 'a disk image file (.img)')
    .argument('<b>', 'another disk image file (.img)')
    .option('--builtin', "use orchard's own file-level comparison even where diffoscope is installed")
    .option('--json', 'print JSON (always the built-in comparison)')
    .action(async (a: string, b: string, options: { builtin?: boolean; json?: boolean }) => {
      const reporter = createReporter(Boolean(options.json))
      try {
        const diffoscope = options.builtin || options.json ? null : findExecutable('diffoscope')
        if (diffoscope) {
          process.exitCode = await runDiffoscope(diffoscope, a, b)
          return
        }
        const result = await diffImages(a, b)
        reporter.result(result, () => describe(result))
        process.exitCode = result.identical ? 0 : 1
      } catch (error) {
        reporter.error(error)
        process.exitCode = exitCodeFor(error)
      }
    })
}

/** Identical bytes, or every file that differs: the whole-image hashes first, the file lists only when they differ. */
export async function diffImages(a: string, b: string): Promise<ImageDiff> {
  const sha256 = (await Promise.all([fileSha256(a), fileSha256(b)])) as [string, string]
  if (sha256[0] === sha256[1]) return { identical: true, sha256, differences: [] }
  // A root fs that is the same bytes in both has no differing file: its walk (a minute for
  // 10,000 files) is skipped.
  const root = !(await sameRootBytes(a, b))
  const [filesA, filesB] = [await listImageFiles(a, { root }), await listImageFiles(b, { root })]
  return { identical: false, sha256, differences: diffImageFiles(filesA, filesB) }
}

async function sameRootBytes(a: string, b: string): Promise<boolean> {
  const [rootA, rootB] = [await withImage(a, 'read', async (image) => image.root), await withImage(b, 'read', async (image) => image.root)]
  if (rootA.size !== rootB.size) return false
  const [hashA, hashB] = await Promise.all([fileSha256(a, rootA), fileSha256(b, rootB)])
  return hashA === hashB
}

function describe({ identical, sha256, differences }: ImageDiff): string {
  if (identical) return `identical (sha256 ${sha256[0]})`
  const head = `different (sha256 ${sha256[0].slice(0, 16)}… vs ${sha256[1].slice(0, 16)}…)`
  if (!differences.length) return `${head}: every file is the same (type, content, mode, owner, link target); the bytes differ in filesystem metadata (times, layout) or outside the partitions`
  return `${head}: ${differences.length} file${differences.length > 1 ? 's' : ''}\n${formatDifferences(differences)}`
}

/** The SHA256 of a whole file, or of one range of it (a partition). */
function fileSha256(file: string, range?: { offset: number; size: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(file, range ? { start: range.offset, end: range.offset + range.size - 1 } : {})
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
  })
}

/** diffoscope's own report on the terminal; its exit status (0 same, 1 different) is ours. */
function runDiffoscope(diffoscope: string, a: string, b: string): Promise<number> {
  return new Promise((resolve, reject) => {
    spawn(diffoscope, [a, b], { stdio: 'inherit' })
      .on('error', reject)
      .on('exit', (code) => resolve(code ?? 1))
  })
}
