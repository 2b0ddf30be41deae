/**
 * Reading back a card whose boot partition is damaged, or made hostile: a directory that
 * leads back to itself or an ancestor once recursed forever in list(), starving the event
 * loop so no in-process timeout could fire. So each case runs the real CLI (`orchard card
 * ls`) with a hard timeout, and must end quickly with INVALID_IMAGE naming the damage.
 */
import { execFile, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeDisk } from '../testing/disk-tools'
import { clusterOffset, entryCluster, entryOf, fatLayout, setEntryCluster, type FatLayout } from '../testing/fat-surgery'
import { EXIT } from '../cli/output'
import { withCard } from './card'

const TOOLS = ['sfdisk', 'mkfs.vfat', 'dd']
const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
const BOOT_OFFSET = 8192 * 512 // where makeDisk puts the first partition
const ORCHARD = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))

let work = ''
let pristine: Buffer
let cards = 0

/** `orchard card ls <image> --json`, killed after 20 s: its exit code and the JSON it printed. */
function cardLs(image: string): Promise<{ code: number | null; killed: boolean; out: unknown }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ORCHARD, 'card', 'ls', image, '--json'], { timeout: 20_000 }, (error, stdout) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
      resolve({ code, killed: error?.killed ?? false, out: stdout ? (JSON.parse(stdout) as unknown) : null })
    })
  })
}

/** A copy of the populated card, damaged by `damage`, as a file. */
async function damaged(damage: (image: Buffer, g: FatLayout) => void): Promise<string> {
  const image = Buffer.from(pristine)
  damage(image, fatLayout(image, BOOT_OFFSET))
  const file = path.join(work, `damaged-${++cards}.img`)
  await writeFile(file, image)
  return file
}

describe.skipIf(missing.length > 0)('reading back a damaged card', () => {
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'orchard-card-damaged-'))
    const file = makeDisk(path.join(work, 'card.img'), [{ type: 'c', filesystem: 'fat', mib: 40 }])
    await withCard(file, 'write', async (card) => {
      await card.write('/startup-scripts/run-once/a.sh', Buffer.from('echo a\n'))
      await card.write('/startup-scripts/resources/loop/x.txt', Buffer.from('x'))
    })
    pristine = await readFile(file)
  })
  afterAll(() => rm(work, { recursive: true, force: true }))

  const cycles: Array<[string, (image: Buffer, g: FatLayout) => void]> = [
    ['a subfolder pointing at its ancestor', (image, g) => setEntryCluster(image, entryOf(image, g, 'loop'), entryCluster(image, entryOf(image, g, 'resour~1')))],
    ['a file turned into a folder pointing at its own folder', (image, g) => {
      const x = entryOf(image, g, 'x.txt')
      image[x + 11] = 0x10
      setEntryCluster(image, x, entryCluster(image, entryOf(image, g, 'loop')))
    }],
    ['the "." entry renamed to a plain name', (image, g) => image.write('DOT        ', clusterOffset(g, entryCluster(image, entryOf(image, g, 'loop'))), 'latin1')],
    ['the ".." entry renamed to a plain name', (image, g) => image.write('UP         ', clusterOffset(g, entryCluster(image, entryOf(image, g, 'loop'))) + 32, 'latin1')],
    ['a subfolder pointing at the root cluster', (image, g) => setEntryCluster(image, entryOf(image, g, 'loop'), g.rootCluster)],
    ['a subfolder with cluster 0 (the root, by the spec’s rule for "..")', (image, g) => setEntryCluster(image, entryOf(image, g, 'loop'), 0)],
    ['a subfolder pointing at /startup-scripts', (image, g) => setEntryCluster(image, entryOf(image, g, 'loop'), entryCluster(image, entryOf(image, g, 'startu~1')))],
  ]

  it.concurrent.each(cycles)('lists a card with %s: INVALID_IMAGE, no endless walk', async (_name, damage) => {
    const run = await cardLs(await damaged(damage))
    expect(run).toMatchObject({
      killed: false,
      code: EXIT.source,
      out: { type: 'error', code: 'INVALID_IMAGE', message: expect.stringMatching(/boot partition is damaged: .*(directory cycle|no cluster of its own)/) },
    })
  })

  it('still lists the undamaged card', async () => {
    const file = await damaged(() => undefined)
    const listed = await withCard(file, 'read', (card) => card.list())
    expect(listed.map((entry) => entry.path)).toContain('/startup-scripts/resources/loop/x.txt')
  })
})
