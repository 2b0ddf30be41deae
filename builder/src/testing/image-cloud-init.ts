/**
 * For tests: an image's own `cloud-init schema`, run in its root file system under qemu-user
 * (binfmt_misc), so a seed is judged by the cloud-init version the release ships, not the host's.
 * The root file system is a copy (an extracted partition): it is mounted read-write for /tmp.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export interface SchemaResult {
  ok: boolean
  output: string
}

function run(command: string, args: string[]): SchemaResult {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000 })
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.trim() }
}

function must(command: string, args: string[]): void {
  const result = run(command, args)
  if (!result.ok) throw new Error(`${command} ${args.join(' ')} failed: ${result.output}`)
}

/** `cloud-init schema` of the image in `rootExt4` over each given file (schema type → content). */
export async function imageCloudInitSchema(
  rootExt4: string, files: { 'cloud-config': string; 'network-config'?: string },
): Promise<Record<string, SchemaResult>> {
  const mnt = await mkdtemp(path.join(os.tmpdir(), 'orchard-schema-'))
  must('mount', ['-o', 'loop', rootExt4, mnt])
  try {
    must('mount', ['-t', 'proc', 'proc', path.join(mnt, 'proc')])
    try {
      await mkdir(path.join(mnt, 'tmp/orchard-schema'), { recursive: true })
      const results: Record<string, SchemaResult> = {}
      for (const [type, content] of Object.entries(files)) {
        if (content === undefined) continue
        await writeFile(path.join(mnt, 'tmp/orchard-schema', type), content)
        results[type] = run('chroot', [mnt, 'cloud-init', 'schema', '--schema-type', type, '--config-file', `/tmp/orchard-schema/${type}`])
      }
      return results
    } finally {
      must('umount', [path.join(mnt, 'proc')])
    }
  } finally {
    must('umount', [mnt])
    await rm(mnt, { recursive: true, force: true })
  }
}
