/**
 * The FAT module under fuzzing (fast-check): filesystems made and filled by mkfs.fat and
 * mtools, then damaged the way a hostile or worn card can be (boot sector fields, FAT entries
 * that loop, leave the volume or hit a bad-cluster mark, directory entries pointing at an
 * ancestor, at nothing or at a neighbour, impossible sizes, random names and bytes). Every
 * open, walk, read and write must end with data or a FatError, never a hang or another error.
 * On a sample, fsck.fat -n judges the damaged image: when it finds nothing wrong, mtools
 * must read what we read, and fsck.fat must still find nothing wrong after our writes.
 */
import { spawnSync } from 'node:child_process'
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withFat, type FatTreeEntry } from './fat'
import { FatError } from './fat/errors'
import { fuzzRuns, fuzzSummary } from '../testing/fuzz'
import { SparseDisk } from '../testing/sparse-disk'
import { chainOf, clusterOffset, fatLayout, rawEntries, setEntryCluster, setEntrySize, setFatEntry, type FatLayout, type RawEntry } from '../testing/fat-surgery'

const TOOLS = ['mkfs.fat', 'fsck.fat', 'mmd', 'mcopy', 'mdir', 'mtype']
const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
const ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1' }

/** What each filesystem holds, made with mtools: nested folders, multi-cluster files, long names, a folder of many entries. */
const FILES: Record<string, Buffer> = {
  '/startup-scripts/run-once/10-setup.sh': Buffer.from('#!/bin/sh\necho setup\n'),
  '/startup-scripts/resources/certs/ca.pem': Buffer.from(Array.from({ length: 9000 }, (_, i) => (i * 7) % 256)),
  '/startup-scripts/device.env': Buffer.from('HOSTNAME=pi\n'),
  '/buildinfo/buildinfo.json': Buffer.from('{"name":"fuzz"}'),
  '/a/b/c/deep file with a long name.txt': Buffer.from('deep\n'.repeat(300)),
  '/EMPTY.TXT': Buffer.alloc(0),
  ...Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`/many/file number ${i}.txt`, Buffer.from(`file ${i}\n`)])),
}

interface Base {
  bits: 12 | 16 | 32
  /** The image's bytes up to its last non-zero sector (metadata and files), and its full size: the rest is zeros. */
  image: Buffer
  size: number
  /** A copy of the whole image on disk, for fsck.fat and mtools: each case patches it, then puts it back. */
  file: string
  g: FatLayout
  entries: RawEntry[]
  /** Every cluster in use, with the chain it belongs to. */
  used: Array<{ cluster: number; chain: number[] }>
  /** Per file: the byte ranges its read depends on (boot sector, its folders and its own clusters and FAT entries). */
  deps: Map<string, Array<[number, number]>>
}

/** The byte ranges that decide what reading `e` gives: while none changes, the read must give the same bytes. */
function dependencies(image: Buffer, g: FatLayout, e: RawEntry): Array<[number, number]> {
  const ranges: Array<[number, number]> = [[0, 512], [g.rootDirOffset, g.rootDirOffset + g.rootDirBytes]]
  const entryBytes = g.bits === 12 ? 2 : g.bits / 8
  for (const first of [...e.ancestors.filter((c) => c >= 2), e.cluster]) {
    for (const cluster of chainOf(image, g, first)) {
      ranges.push([clusterOffset(g, cluster), clusterOffset(g, cluster) + g.clusterSize])
      const at = g.bits === 12 ? cluster + (cluster >> 1) : cluster * entryBytes
      for (let copy = 0; copy < g.fatCount; copy++) ranges.push([g.fatOffset + copy * g.fatBytes + at, g.fatOffset + copy * g.fatBytes + at + entryBytes])
    }
  }
  return ranges
}

let work = ''
const bases: Base[] = []

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { env: ENV, encoding: 'utf8', timeout: 20_000 })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}

function makeBase(bits: 12 | 16 | 32, mib: number): Base {
  const file = join(work, `base${bits}.img`)
  run('truncate', ['-s', `${mib}M`, file])
  run('mkfs.fat', ['-F', String(bits), ...(bits === 32 ? ['-s', '1'] : []), '-n', 'FUZZ', file])
  const dirs = new Set(Object.keys(FILES).flatMap((path) => path.split('/').slice(1, -1).map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}`)))
  for (const dir of [...dirs].sort()) run('mmd', ['-i', file, `::${dir}`])
  for (const [path, data] of Object.entries(FILES)) {
    const local = join(work, 'local')
    writeFileSync(local, data)
    run('mcopy', ['-i', file, local, `::${path}`])
  }
  const whole = readFileSync(file)
  const g = fatLayout(whole)
  let last = whole.length - 1
  while (last > 0 && whole[last] === 0) last--
  // Up to the last non-zero byte, and past every place mutate() touches.
  const headBytes = Math.max(last + 1, g.dataOffset + 64 * g.clusterSize)
  const image = Buffer.from(whole.subarray(0, Math.ceil(headBytes / 65536) * 65536))
  const entries = rawEntries(image, g)
  const deps = new Map<string, Array<[number, number]>>()
  for (const [path, data] of Object.entries(FILES)) {
    const e = entries.find((c) => !c.isDirectory && c.size === data.length && image.subarray(clusterOffset(g, c.cluster), clusterOffset(g, c.cluster) + data.length).equals(data))
    if (e) deps.set(path, dependencies(image, g, e))
  }
  const used = entries.filter((e) => e.cluster >= 2 && e.name[0] !== '.').flatMap((e) => chainOf(image, g, e.cluster).map((cluster, _, chain) => ({ cluster, chain })))
  if (g.bits !== bits || used.length < 30) throw new Error(`base FAT${bits} came out as FAT${g.bits} with ${used.length} clusters in use`)
  const copy = join(dirname(file), `work${bits}.img`)
  copyFileSync(file, copy)
  return { bits, image, size: whole.length, file: copy, g, entries, used, deps }
}

/** Offsets where `head` differs from the base image, found 4 KiB at a time. */
function changed(base: Buffer, head: Buffer): number[] {
  const out: number[] = []
  for (let at = 0; at < head.length; at += 4096) {
    if (base.subarray(at, at + 4096).equals(head.subarray(at, at + 4096))) continue
    for (let i = at; i < Math.min(at + 4096, head.length); i++) if (base[i] !== head[i]) out.push(i)
  }
  return out
}

/** A file read back with other bytes than mtools wrote is wrong unless damage touched what its read depends on. */
function expectUnchangedUnlessDamaged(base: Base, head: Buffer, seen: Seen): number {
  const offsets = changed(base.image, head)
  let compared = 0
  for (const [path, data] of seen.files) {
    const deps = base.deps.get(path)
    if (!deps || deps.some(([from, to]) => offsets.some((o) => o >= from && o < to))) continue
    compared++
    expect(data.equals(FILES[path]!), `${path} reads other bytes, though nothing it depends on changed`).toBe(true)
  }
  return compared
}

// Boot sector fields (offset, bytes) worth damaging: every BPB field our parser reads, the jump and the signature.
const BPB_FIELDS: Array<[number, 1 | 2 | 4]> = [[0, 1], [11, 2], [13, 1], [14, 2], [16, 1], [17, 2], [19, 2], [21, 1], [22, 2], [32, 4], [36, 4], [40, 2], [44, 4], [48, 2], [510, 2]]
const EDGE = [0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0xff7, 0xff8, 0xffff, 0xfff7, 0x10000, 0x0ffffff7, 0x0fffffff, 0x7fffffff, 0xffffffff]
const number = fc.oneof(fc.constantFrom(...EDGE), fc.nat({ max: 0xffffffff }))

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('bpb' as const), field: fc.nat(), value: number }),
  fc.record({
    kind: fc.constant('fat' as const),
    pick: fc.nat(),
    to: fc.constantFrom('self', 'chain-start', 'free', 'reserved', 'bad', 'end', 'past-end', 'cross-link', 'random'),
    value: number,
  }),
  fc.record({
    kind: fc.constant('entry' as const),
    pick: fc.nat(),
    field: fc.constantFrom('cluster', 'size', 'attr', 'name', 'first-byte'),
    to: fc.constantFrom('ancestor', 'parent', 'self', 'root', 'zero', 'past-end', 'cross-link', 'chain-plus-one', 'random'),
    value: number,
    bytes: fc.uint8Array({ minLength: 11, maxLength: 11 }),
  }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
)
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never

const at = <T>(list: T[], index: number): T => list[index % list.length]!

/** Applies one mutation to `image` (a copy of `base.image`). */
function mutate(image: Buffer, base: Base, m: Mutation): void {
  const { g } = base
  const bad = g.bits === 32 ? 0x0ffffff7 : g.bits === 16 ? 0xfff7 : 0xff7
  const end = g.bits === 32 ? 0x0fffffff : g.bits === 16 ? 0xffff : 0xfff
  if (m.kind === 'bpb') {
    const [offset, size] = at(BPB_FIELDS, m.field)
    if (size === 1) image[offset] = m.value & 0xff
    else if (size === 2) image.writeUInt16LE(m.value & 0xffff, offset)
    else image.writeUInt32LE(m.value >>> 0, offset)
  } else if (m.kind === 'fat') {
    const { cluster, chain } = at(base.used, m.pick)
    const value = {
      self: cluster,
      'chain-start': chain[0]!,
      free: 0,
      reserved: 1,
      bad,
      end,
      'past-end': g.clusterCount + 2 + (m.value % 1000),
      'cross-link': at(base.used, m.pick + m.value).cluster,
      random: m.value,
    }[m.to]
    setFatEntry(image, g, cluster, value)
  } else if (m.kind === 'entry') {
    const e = at(base.entries, m.pick)
    if (m.field === 'cluster') {
      const cluster = {
        ancestor: at(e.ancestors, m.value),
        parent: e.ancestors.at(-1)!,
        self: e.cluster,
        root: g.rootCluster,
        zero: 0,
        'past-end': g.clusterCount + 2 + (m.value % 1000),
        'cross-link': at(base.entries, m.value).cluster,
        'chain-plus-one': e.cluster + 1,
        random: m.value,
      }[m.to]
      setEntryCluster(image, e.at, cluster)
    } else if (m.field === 'size') {
      const chainBytes = chainOf(image, g, e.cluster).length * g.clusterSize
      setEntrySize(image, e.at, m.to === 'chain-plus-one' ? chainBytes + 1 : m.to === 'zero' ? 0 : m.value)
    } else if (m.field === 'attr') image[e.at + 11] = m.value & 0xff
    else if (m.field === 'name') Buffer.from(m.bytes).copy(image, e.at)
    else image[e.at] = at([0x00, 0xe5, 0x2e, 0x05, 0x20, m.value & 0xff], m.value)
  } else {
    // Anywhere in the metadata: boot sector, FATs, root region and the first data clusters (folders live there).
    image[m.at % (g.dataOffset + 64 * g.clusterSize)] = m.value
  }
}

interface Seen {
  /** The error opening or walking gave, if any (a FatError, checked). */
  failed?: FatError
  tree: FatTreeEntry[]
  files: Map<string, Buffer>
}

/** Fails the property (rethrows) for anything but a FatError: that is the crash we look for. */
function expectFatError(error: unknown): FatError {
  if (error instanceof FatError) return error
  throw error
}

/** Opens, walks the whole tree and reads every file (up to 64), as the card view does. */
async function explore(disk: SparseDisk): Promise<Seen> {
  const seen: Seen = { tree: [], files: new Map() }
  try {
    await withFat(disk, { offset: 0, size: await disk.getCapacity() }, async (fs) => {
      seen.tree = await fs.tree('/')
      for (const entry of seen.tree.filter((e) => !e.isDirectory).slice(0, 64)) {
        try {
          const data = await fs.readFile(entry.path)
          expect(data.length, entry.path).toBe(entry.size)
          seen.files.set(entry.path, data)
        } catch (error) {
          expectFatError(error)
        }
      }
    })
  } catch (error) {
    seen.failed = expectFatError(error)
  }
  return seen
}

/** The writes the card view does: a new script in a new folder, a replaced file, a removal. */
async function writeSome(disk: SparseDisk): Promise<FatError | undefined> {
  try {
    await withFat(disk, { offset: 0, size: await disk.getCapacity() }, async (fs) => {
      await fs.mkdirp('/startup-scripts/run-once/new/deeper')
      await fs.writeFile('/startup-scripts/run-once/new/deeper/20-new.sh', NEW_SCRIPT)
      await fs.writeFile('/startup-scripts/device.env', 'HOSTNAME=changed\n'.repeat(100))
      await fs.unlink('/buildinfo/buildinfo.json')
    })
    return undefined
  } catch (error) {
    return expectFatError(error)
  }
}
const NEW_SCRIPT = Buffer.from('#!/bin/sh\necho new\n'.repeat(200))

/** Runs `fn` on the base's file patched to hold `disk`'s bytes, then puts the base's bytes back. */
function onDisk<T>(base: Base, disk: SparseDisk, fn: (file: string) => T): T {
  const put = (head: Buffer, tail: Map<number, Buffer>) => {
    const fd = openSync(base.file, 'r+')
    try {
      writeSync(fd, head, 0, head.length, 0)
      for (const [sector, data] of tail) writeSync(fd, data, 0, data.length, sector * 512)
    } finally {
      closeSync(fd)
    }
  }
  put(disk.head, disk.tail)
  try {
    return fn(base.file)
  } finally {
    put(base.image, new Map([...disk.tail.keys()].map((sector) => [sector, Buffer.alloc(512)])))
  }
}

/** fsck.fat -n: exit 0 with nothing it would fix. */
function fsckClean(file: string): { clean: boolean; output: string } {
  const result = spawnSync('fsck.fat', ['-n', file], { encoding: 'utf8', timeout: 20_000 })
  const output = `${result.stdout}${result.stderr}`
  return { clean: result.status === 0 && !/differ|wrong|Fixing|Auto-correcting|Truncating|Orphan|Duplicate|share clusters|Reclaim/i.test(output), output }
}

const mtype = (file: string, path: string) => spawnSync('mtype', ['-i', file, `::${path}`], { env: ENV, timeout: 20_000 })

/** Where fsck.fat finds nothing wrong, mtools must see the files we read, byte for byte. */
function expectMtoolsAgree(file: string, seen: Seen): void {
  for (const [path, data] of seen.files) {
    const theirs = mtype(file, path)
    if (theirs.status === 0) expect(theirs.stdout.equals(data), `${path}: mtools reads other bytes`).toBe(true)
  }
}


describe.skipIf(missing.length > 0)('FAT under fuzzing', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'orchard-fat-fuzz-'))
    bases.push(makeBase(12, 4), makeBase(16, 16), makeBase(32, 34))
  }, 120_000)
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('reads every file of the undamaged filesystems as mtools wrote them', async () => {
    for (const base of bases) {
      expect(base.deps.size, `FAT${base.bits}: files found by their bytes`).toBe(Object.keys(FILES).length)
      const seen = await explore(new SparseDisk(Buffer.from(base.image), base.size))
      expect(seen.failed).toBeUndefined()
      expect(Object.fromEntries(seen.files)).toEqual(FILES)
    }
  })

  it('opens, walks and reads damaged filesystems: data or a FatError; mtools agrees where fsck.fat finds no fault', async () => {
    const count = { cases: 0, refused: 0, 'files compared with what mtools wrote': 0, 'judged by fsck.fat': 0, 'fsck-clean, compared with mtools': 0 }
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 2 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.nat({ max: 3 }), async (which, mutations, sample) => {
        const base = bases[which]!
        const disk = new SparseDisk(Buffer.from(base.image), base.size)
        for (const m of mutations) mutate(disk.head, base, m)
        const seen = await explore(disk)
        count.cases++
        if (seen.failed) count.refused++
        count['files compared with what mtools wrote'] += expectUnchangedUnlessDamaged(base, disk.head, seen)
        if (sample !== 0) return
        count['judged by fsck.fat']++
        onDisk(base, disk, (file) => {
          if (!fsckClean(file).clean) return
          count['fsck-clean, compared with mtools']++
          expectMtoolsAgree(file, seen)
        })
      }),
      fuzzRuns(400, 8),
    )
    fuzzSummary('FAT read', count)
    expect(count['fsck-clean, compared with mtools']).toBeGreaterThan(0)
  }, 60_000)

  it('writes to damaged filesystems: done or a FatError; fsck.fat finds no new fault and mtools reads the new file', async () => {
    const count = { cases: 0, refused: 0, 'fsck-clean before, judged after': 0 }
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 2 }), fc.array(mutation, { minLength: 1, maxLength: 2 }), fc.nat({ max: 2 }), async (which, mutations, sample) => {
        const base = bases[which]!
        const disk = new SparseDisk(Buffer.from(base.image), base.size)
        for (const m of mutations) mutate(disk.head, base, m)
        const cleanBefore = sample === 0 && onDisk(base, disk, (file) => fsckClean(file).clean)
        const failed = await writeSome(disk)
        count.cases++
        if (failed) count.refused++
        if (!cleanBefore) return
        count['fsck-clean before, judged after']++
        onDisk(base, disk, (file) => {
          const after = fsckClean(file)
          expect(after.clean, `${failed?.message ?? 'all writes done'}\n${after.output}`).toBe(true)
          if (!failed) expect(mtype(file, '/startup-scripts/run-once/new/deeper/20-new.sh').stdout.equals(NEW_SCRIPT)).toBe(true)
        })
      }),
      fuzzRuns(150, 8),
    )
    fuzzSummary('FAT write', count)
    expect(count['fsck-clean before, judged after']).toBeGreaterThan(0)
  }, 60_000)
})
