/** Measuring for the flash benches: wall time after a sync, blocks really written, bytes in use. */
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { extractPartition, sfdiskTable } from '../../builder/src/testing/disk-tools'

export interface Timing {
  /** Wall-clock seconds. */
  seconds: number
  /** CPU seconds (user + system) of this process and the children it waited for (xz): what a busy machine does not inflate. */
  cpu: number
}

/** CPU seconds so far of this process and its waited-for children, from /proc/self/stat (utime, stime, cutime, cstime). */
function cpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0)
  return ticks / CLOCK_TICKS
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/** How long `run` takes, after a sync so one run's writeback is not charged to the next. */
export async function timed(label: string, run: () => Promise<unknown>): Promise<Timing> {
  spawnSync('sync')
  const start = process.hrtime.bigint()
  const cpuStart = cpuSeconds()
  await run()
  const timing = { seconds: Number(process.hrtime.bigint() - start) / 1e9, cpu: cpuSeconds() - cpuStart }
  console.log(`${label.padEnd(10)} ${timing.seconds.toFixed(2)} s (cpu ${timing.cpu.toFixed(2)} s)`)
  return timing
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** Blocks allocated on disk for a (sparse) file: what was really written. */
export const allocated = async (file: string) => (await stat(file)).blocks * 512

/** Bytes the image's filesystems use (up to the first partition, FAT in use, ext4 in use), measured by tools that are not ours. */
export function bytesInUse(raw: string, workDir: string): number {
  const table = sfdiskTable(raw)
  const fat = extractPartition(raw, 1, path.join(workDir, 'p1'))
  const ext = extractPartition(raw, 2, path.join(workDir, 'p2'))
  const mdir = execFileSync('mdir', ['-i', fat, '::'], { encoding: 'utf8' })
  const fatFree = Number(/([\d ]+) bytes free/.exec(mdir)![1]!.replace(/ /g, ''))
  const fatUsed = table.partitions[0]!.size * 512 - fatFree
  const dump = execFileSync('dumpe2fs', ['-h', ext], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(dump)![1])
  const extUsed = (field('Block count') - field('Free blocks')) * field('Block size')
  execFileSync('rm', ['-f', fat, ext])
  return table.partitions[0]!.start * 512 + fatUsed + extUsed
}
