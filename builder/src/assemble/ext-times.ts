/**
 * `mke2fs -d` copies each file's atime and ctime from the host as they are: ctime is
 * always the moment the build wrote the file (no call can set it) and mke2fs's own reads
 * move atimes. Both are set to the build time afterwards, in one debugfs run over every
 * inode in use, under E2FSPROGS_FAKE_TIME so debugfs stamps the superblock with it too.
 */
import { writeFile, rm } from 'node:fs/promises'
import { runCommand } from '../util/process'

export async function pinInodeTimes(fsFile: string, time: Date): Promise<number> {
  const inodes = await inodesInUse(fsFile)
  const seconds = Math.floor(time.getTime() / 1000)
  const script = inodes.map((ino) => `sif <${ino}> atime @${seconds}\nsif <${ino}> ctime @${seconds}\n`).join('')
  const file = `${fsFile}.debugfs`
  await writeFile(file, script)
  try {
    await runCommand('debugfs', ['-w', '-f', file, fsFile], { env: { ...process.env, ...fakeTimeEnv(time) }, stdout: 'ignore' })
  } finally {
    await rm(file, { force: true })
  }
  return inodes.length
}

/** What makes e2fsprogs 1.47 use `time` for "now" (it does not read SOURCE_DATE_EPOCH). */
export function fakeTimeEnv(time: Date): Record<string, string> {
  return { E2FSPROGS_FAKE_TIME: String(Math.floor(time.getTime() / 1000)) }
}

/** The root folder's inode and every inode from the first ordinary one on, that the inode bitmaps mark used. */
export async function inodesInUse(fsFile: string): Promise<number[]> {
  const { stdout } = await runCommand('dumpe2fs', [fsFile])
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(stdout)?.[1] ?? Number.NaN)
  const [count, perGroup, first] = [field('Inode count'), field('Inodes per group'), field('First inode')]
  const free = new Uint8Array(count + 1)
  // Each group's "Free inodes: a-b, c, …" line (absolute inode numbers), in group order.
  for (const match of stdout.matchAll(/^\s+Free inodes: (.*)$/gm)) {
    for (const range of match[1]!.split(',').map((part) => part.trim()).filter(Boolean)) {
      const [from, to = from] = range.split('-').map(Number)
      free.fill(1, from!, to! + 1)
    }
  }
  if (!Number.isFinite(count) || !Number.isFinite(perGroup)) throw new Error(`dumpe2fs gave no inode counts for ${fsFile}`)
  const used = [2]
  for (let ino = first; ino <= count; ino += 1) if (!free[ino]) used.push(ino)
  return used
}
