/**
 * Damaged FAT filesystems, one named case each (the fuzzer's classes, kept as literal
 * regressions): every read ends with a FatError naming the damage, never a hang or garbage.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BufferDisk } from 'file-disk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withFat, type FatFs } from './fat'
import { chainOf, entryCluster, entryOf, fatLayout, setEntryCluster, setEntrySize, setFatEntry, type FatLayout } from '../testing/fat-surgery'

const TOOLS = ['mkfs.fat', 'mmd', 'mcopy']
const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
const ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1' }
const BIG = Buffer.from(Array.from({ length: 9000 }, (_, i) => (i * 7) % 256))

const images = new Map<12 | 32, Buffer>()
let work = ''

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { env: ENV })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr.toString()}`)
}

/** mkfs.fat and mtools: /DIR/SUB/BIG.BIN (several clusters) and /DIR/SMALL.TXT. */
function made(bits: 12 | 32): Buffer {
  const file = join(work, `fat${bits}.img`)
  run('truncate', ['-s', bits === 32 ? '34M' : '4M', file])
  run('mkfs.fat', ['-F', String(bits), ...(bits === 32 ? ['-s', '1'] : []), file])
  run('mmd', ['-i', file, '::/DIR', '::/DIR/SUB'])
  writeFileSync(join(work, 'big'), BIG)
  writeFileSync(join(work, 'small'), 'small\n')
  run('mcopy', ['-i', file, join(work, 'big'), '::/DIR/SUB/BIG.BIN'])
  run('mcopy', ['-i', file, join(work, 'small'), '::/DIR/SMALL.TXT'])
  return readFileSync(file)
}

/** A damaged copy of the FAT`bits` image, opened: what `fn` gives or throws. */
async function damaged<T>(bits: 12 | 32, damage: (image: Buffer, g: FatLayout) => void, fn: (fs: FatFs) => Promise<T>): Promise<T> {
  const image = Buffer.from(images.get(bits)!)
  damage(image, fatLayout(image))
  return withFat(new BufferDisk(image), { offset: 0, size: image.length }, fn)
}

const bigChain = (image: Buffer, g: FatLayout) => chainOf(image, g, entryCluster(image, entryOf(image, g, 'big.bin')))
const eio = (pattern: RegExp) => ({ name: 'FatError', code: 'EIO', message: expect.stringMatching(pattern) })

describe.skipIf(missing.length > 0)('damaged FAT filesystems', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'orchard-fat-damaged-'))
    images.set(12, made(12))
    images.set(32, made(32))
  })
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('reads the undamaged file', async () => {
    expect((await damaged(12, () => undefined, (fs) => fs.readFile('/DIR/SUB/BIG.BIN'))).equals(BIG)).toBe(true)
  })

  it.each([
    ['a chain that loops back to its start', (i: Buffer, g: FatLayout) => setFatEntry(i, g, bigChain(i, g)[3]!, bigChain(i, g)[0]!), /loops back to cluster/],
    ['a chain pointing at itself', (i: Buffer, g: FatLayout) => setFatEntry(i, g, bigChain(i, g)[1]!, bigChain(i, g)[1]!), /loops back to cluster/],
    ['a chain reaching a free cluster', (i: Buffer, g: FatLayout) => setFatEntry(i, g, bigChain(i, g)[1]!, 0), /goes from cluster \d+ to a free cluster/],
    ['a chain reaching a bad-cluster mark', (i: Buffer, g: FatLayout) => setFatEntry(i, g, bigChain(i, g)[1]!, 0xff7), /to a cluster marked bad/],
    ['a chain reaching the reserved cluster 1', (i: Buffer, g: FatLayout) => setFatEntry(i, g, bigChain(i, g)[1]!, 1), /to cluster 1, outside 2\.\.\d+/],
    ['a chain leaving the volume', (i: Buffer, g: FatLayout) => setFatEntry(i, g, bigChain(i, g)[1]!, g.clusterCount + 2), /outside 2\.\.\d+/],
    ['a size beyond the chain', (i: Buffer, g: FatLayout) => setEntrySize(i, entryOf(i, g, 'big.bin'), 0xffffffff), /holds \d+ clusters, \d+ needed/],
    ['a file starting at cluster 0 with a size', (i: Buffer, g: FatLayout) => setEntryCluster(i, entryOf(i, g, 'big.bin'), 0), /starts at a free cluster/],
  ])('FAT12 with %s: EIO naming it', async (_name, damage, message) => {
    await expect(damaged(12, damage, (fs) => fs.readFile('/DIR/SUB/BIG.BIN'))).rejects.toMatchObject(eio(message))
  })

  it('FAT32 with a root directory chain that loops: EIO on open of any path', async () => {
    const loop = (i: Buffer, g: FatLayout) => setFatEntry(i, g, g.rootCluster, g.rootCluster)
    await expect(damaged(32, loop, (fs) => fs.readdir('/'))).rejects.toMatchObject(eio(/loops back to cluster 2/))
  })

  it('FAT32 with a folder whose chain is longer than any folder may be: EIO, not 2 MiB+ read into memory', async () => {
    // DIR's one cluster now continues into the free clusters after it, linked one by one for 4100 clusters (2 MiB + 2 KiB).
    const long = (i: Buffer, g: FatLayout) => {
      const first = entryCluster(i, entryOf(i, g, 'dir'))
      const from = 1000
      setFatEntry(i, g, first, from)
      for (let n = from; n < from + 4100; n++) setFatEntry(i, g, n, n + 1)
      setFatEntry(i, g, from + 4100, 0x0fffffff)
    }
    await expect(damaged(32, long, (fs) => fs.readdir('/DIR'))).rejects.toMatchObject(eio(/spans 4102 clusters, more than a directory may hold/))
  })

  it('FAT32 with a folder pointing at its parent: EIO from tree(), readdir and a write below it', async () => {
    const up = (i: Buffer, g: FatLayout) => setEntryCluster(i, entryOf(i, g, 'sub'), entryCluster(i, entryOf(i, g, 'dir')))
    await expect(damaged(32, up, (fs) => fs.tree('/'))).rejects.toMatchObject(eio(/'SUB' is reached twice .* directory cycle/))
    await expect(damaged(32, up, (fs) => fs.readdir('/DIR/SUB'))).rejects.toMatchObject(eio(/directory cycle/))
    await expect(damaged(32, up, (fs) => fs.mkdirp('/DIR/SUB/NEW'))).rejects.toMatchObject(eio(/directory cycle/))
    await expect(damaged(32, up, (fs) => fs.writeFile('/DIR/SUB/SUB/X', 'x'))).rejects.toMatchObject(eio(/directory cycle/))
  })

  it.each([
    ['bytes per sector 0', (i: Buffer) => i.writeUInt16LE(0, 11)],
    ['sectors per cluster 3', (i: Buffer) => void (i[13] = 3)],
    ['no FAT copies', (i: Buffer) => void (i[16] = 0)],
    ['a total size beyond the partition', (i: Buffer) => i.writeUInt32LE(0xffffffff, 32)],
    ['a FAT larger than the volume', (i: Buffer) => i.writeUInt32LE(0x7fffffff, 36)],
    ['the root cluster out of range', (i: Buffer) => i.writeUInt32LE(0x0ffffff0, 44)],
    ['no boot signature', (i: Buffer) => i.writeUInt16LE(0, 510)],
  ])('FAT32 boot sector with %s: EINVAL "not a FAT filesystem"', async (_name, damage) => {
    await expect(damaged(32, damage, (fs) => fs.readdir('/'))).rejects.toMatchObject({ name: 'FatError', code: 'EINVAL', message: 'not a FAT filesystem' })
  })
})
