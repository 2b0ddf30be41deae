/**
 * Our FAT module against the real tools: mkfs.vfat makes each filesystem, mtools reads and
 * writes it beside us, and fsck.fat -n judges every result.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileDisk, withOpenFile } from 'file-disk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FatFs, withFat } from './fat'
import { readPartitionTable } from './partitions'

const MiB = 1024 * 1024
const TOOLS = ['mkfs.vfat', 'fsck.fat', 'mdir', 'mtype', 'mcopy', 'mmd', 'sfdisk', 'mke2fs', 'dd']
const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
const ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1' }

let work = ''
let images = 0

function run(command: string, args: string[], input?: string): Buffer {
  const result = spawnSync(command, args, { env: ENV, input })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr.toString()}`)
  return result.stdout
}

function blank(mib: number, name = `blank-${++images}.img`): string {
  const file = join(work, name)
  closeSync(openSync(file, 'w'))
  truncateSync(file, mib * MiB)
  return file
}

function image(bits: 12 | 16 | 32, mib: number): string {
  const file = blank(mib, `fat${bits}-${++images}.img`)
  run('mkfs.vfat', ['-F', String(bits), '-n', 'BOOTFS', file])
  return file
}

function edit<T>(file: string, fn: (fs: FatFs) => Promise<T>, partition = { offset: 0, size: statSync(file).size }): Promise<T> {
  return withOpenFile(file, 'r+', (handle) => withFat(new FileDisk(handle), partition, fn))
}

/** fsck.fat -n must exit 0 and report nothing it would fix. */
function expectClean(file: string): string {
  const result = spawnSync('fsck.fat', ['-n', file], { encoding: 'utf8' })
  const output = result.stdout + result.stderr
  expect(output).not.toMatch(/differ|wrong|Fixing|Auto-correcting|Truncating|Orphan|Bad|Duplicate|share clusters|Reclaim/i)
  expect(result.status, output).toBe(0)
  return output
}

/** Every path mtools sees, directories with a trailing '/'. */
const tree = (target: string) =>
  run('mdir', ['-/', '-b', '-i', target, '::'])
    .toString()
    .split('\n')
    .filter(Boolean)
    .sort()
const mtype = (target: string, path: string) => run('mtype', ['-i', target, `::${path}`])
const mdirFree = (target: string) => {
  const line = /([\d ]+) bytes free/.exec(run('mdir', ['-i', target, '::']).toString())
  return Number(line![1]!.replace(/ /g, ''))
}

/** A file's bytes, deterministic and distinct per seed (xorshift32 seeded from the seed's hash). */
function content(size: number, seed: string): Buffer {
  const out = Buffer.alloc(Math.ceil(size / 4) * 4)
  let x = createHash('sha256').update(seed).digest().readUInt32LE(0) || 1
  for (let at = 0; at < out.length; at += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out.writeUInt32LE(x >>> 0, at)
  }
  return out.subarray(0, size)
}

/** Buffers compared by digest: deep equality walks a megabyte byte by byte, slowly. */
const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex')

async function expectCode(promise: Promise<unknown>, code: string, path?: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e as Error & { code?: string },
  )
  expect(error, `expected ${code}`).not.toBeNull()
  expect(error!.code).toBe(code)
  if (path) expect(error!.message).toContain(path)
}

const SCRIPT_DIRS = ['run-once', 'every-time', 'ran-once', 'failed', 'logs', 'resources']

const skipped = missing.length ? ` (skipped, missing: ${missing.join(', ')})` : ''
const suite = `FAT read-write against mkfs.vfat, mtools and fsck.fat${skipped}`

describe.skipIf(missing.length > 0)(suite, () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'orchard-fat-'))
  })
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  describe.each([
    { bits: 32 as const, mib: 64 },
    { bits: 16 as const, mib: 32 },
  ])('FAT$bits', ({ bits, mib }) => {
    it('writes the startup-scripts layout, which mtools lists and reads back byte for byte', async () => {
      const file = image(bits, mib)
      const setup = content(50 * 1024, 'setup')
      await edit(file, async (fs) => {
        for (const dir of SCRIPT_DIRS) await fs.mkdirp(`/startup-scripts/${dir}`)
        await fs.mkdirp('/buildinfo')
        await fs.writeFile('/startup-scripts/run-once/first_run_setup.sh', setup)
        await fs.writeFile('/buildinfo/buildinfo.txt', 'Built by Orchard\n')
        await fs.writeFile('/buildinfo/buildinfo.json', '{"version":1}\n')
        expect(await fs.readdir('/startup-scripts')).toEqual(SCRIPT_DIRS)
        expect(await fs.readFile('/startup-scripts/run-once/first_run_setup.sh')).toEqual(setup)
      })
      expectClean(file)
      expect(tree(file)).toEqual(
        [
          '::/buildinfo/',
          '::/buildinfo/buildinfo.json',
          '::/buildinfo/buildinfo.txt',
          '::/startup-scripts/',
          ...SCRIPT_DIRS.map((dir) => `::/startup-scripts/${dir}/`),
          '::/startup-scripts/run-once/first_run_setup.sh',
        ].sort(),
      )
      expect(mtype(file, '/startup-scripts/run-once/first_run_setup.sh')).toEqual(setup)
      expect(mtype(file, '/buildinfo/buildinfo.txt').toString()).toBe('Built by Orchard\n')
      expect(run('mdir', ['-i', file, '::/buildinfo']).toString()).toMatch(/buildinfo\.json/)
    })

    it('reads what mtools wrote and overwrites it with other lengths', async () => {
      const file = image(bits, mib)
      const cmdline = join(work, 'cmdline.txt')
      writeFileSync(cmdline, 'console=serial0,115200 root=PARTUUID=1234-02 rootwait\n')
      run('mcopy', ['-i', file, cmdline, '::cmdline.txt'])
      run('mmd', ['-i', file, '::/already'])
      const long = join(work, 'A Long Name, with commas.txt')
      writeFileSync(long, content(5000, 'long'))
      run('mcopy', ['-i', file, long, '::/already/A Long Name, with commas.txt'])

      const bigger = content(9000, 'bigger')
      await edit(file, async (fs) => {
        expect((await fs.readFile('/cmdline.txt')).toString()).toBe(readFileSync(cmdline, 'utf8'))
        const root = await fs.list('/')
        expect(root.map((e) => [e.name, e.isDirectory])).toEqual([
          ['cmdline.txt', false],
          ['already', true],
        ])
        expect(root[0]!.size).toBe(statSync(cmdline).size)
        expect(Math.abs(root[0]!.mtime.getTime() - Date.now())).toBeLessThan(120_000)
        expect(await fs.readdir('/already')).toEqual(['A Long Name, with commas.txt'])
        expect(await fs.readFile('/already/a long name, WITH commas.txt')).toEqual(content(5000, 'long'))
        await fs.writeFile('/cmdline.txt', bigger)
      })
      expectClean(file)
      expect(mtype(file, '/cmdline.txt')).toEqual(bigger)
      await edit(file, async (fs) => {
        await fs.writeFile('/CMDLINE.TXT', 'short\n')
        await fs.writeFile('/ssh', '') // the empty file that enables sshd: no cluster at all
        await fs.writeFile('/already/A Long Name, with commas.txt', '')
        await fs.writeFile('/ssh', 'now with content')
      })
      expectClean(file)
      expect(mtype(file, '/cmdline.txt').toString()).toBe('short\n')
      expect(mtype(file, '/ssh').toString()).toBe('now with content')
      expect(mtype(file, '/already/A Long Name, with commas.txt').length).toBe(0)
      expect(tree(file)).toEqual(['::/already/', '::/already/A Long Name, with commas.txt', '::/cmdline.txt', '::/ssh'])
    })

    it('unlinks, removes, renames and looks names up case-insensitively', async () => {
      const file = image(bits, mib)
      const setup = content(20_000, 'setup')
      await edit(file, async (fs) => {
        for (const dir of SCRIPT_DIRS) await fs.mkdirp(`/startup-scripts/${dir}`)
        await fs.writeFile('/startup-scripts/run-once/first_run_setup.sh', setup)
        await fs.writeFile('/startup-scripts/run-once/10-wifi.sh', 'echo wifi\n')
        await fs.writeFile('/startup-scripts/run-once/20-users.sh', 'echo users\n')
        await fs.mkdirp('/startup-scripts/resources/certs/ca')
        await fs.writeFile('/startup-scripts/resources/certs/ca/root.pem', 'PEM\n')
        await fs.mkdirp('/buildinfo/old')
        await fs.writeFile('/buildinfo/old/notes.txt', 'notes\n')
        await fs.writeFile('/delete-me.txt', 'bye')
        await fs.mkdir('/empty')
      })
      expectClean(file)

      await edit(file, async (fs) => {
        expect(await fs.readFile('/Startup-Scripts/RUN-ONCE/First_Run_Setup.sh')).toEqual(setup)
        expect(await fs.exists('/STARTUP-SCRIPTS/run-once/FIRST_~1.SH')).toBe(true) // the 8.3 alias
        const stat = await fs.stat('/startup-scripts/RUN-ONCE/first_run_setup.SH')
        expect([stat.isFile(), stat.isDirectory(), stat.size]).toEqual([true, false, 20_000])
        expect((await fs.stat('/startup-scripts')).isDirectory()).toBe(true)
        expect((await fs.stat('/')).isDirectory()).toBe(true)

        await fs.unlink('/delete-me.txt')
        await fs.rmdir('/empty')
        await expectCode(fs.rmdir('/startup-scripts/resources'), 'ENOTEMPTY', '/startup-scripts/resources')
        await expectCode(fs.unlink('/startup-scripts'), 'EISDIR', '/startup-scripts')
        await expectCode(fs.rmdir('/startup-scripts/run-once/10-wifi.sh'), 'ENOTDIR')
        await expectCode(fs.readFile('/startup-scripts'), 'EISDIR')
        await expectCode(fs.writeFile('/startup-scripts/run-once', 'x'), 'EISDIR')
        await expectCode(fs.readdir('/startup-scripts/run-once/10-wifi.sh'), 'ENOTDIR')
        await expectCode(fs.writeFile('/startup-scripts/run-once/10-wifi.sh/x', 'x'), 'ENOTDIR')
        await expectCode(fs.readFile('/nope.txt'), 'ENOENT', '/nope.txt')
        await expectCode(fs.unlink('/delete-me.txt'), 'ENOENT')
        await expectCode(fs.writeFile('/no-dir/file.txt', 'x'), 'ENOENT', '/no-dir/file.txt')
        await expectCode(fs.rename('/nope.txt', '/other.txt'), 'ENOENT')
        await expectCode(fs.rename('/startup-scripts/run-once/10-wifi.sh', '/no-dir/10-wifi.sh'), 'ENOENT')
        await expectCode(fs.mkdir('/startup-scripts'), 'EEXIST', '/startup-scripts')
        await expectCode(fs.mkdir('/STARTUP-SCRIPTS'), 'EEXIST')
        await expectCode(fs.rename('/startup-scripts/run-once/10-wifi.sh', '/startup-scripts/run-once/20-USERS.sh'), 'EEXIST')
        await expectCode(fs.rename('/startup-scripts', '/startup-scripts/logs/loop'), 'EINVAL')
        await expectCode(fs.writeFile('/bad?name.txt', 'x'), 'EINVAL', 'bad?name.txt')
        await expectCode(fs.mkdir('/startup-scripts/..'), 'EINVAL')
        await expectCode(fs.writeFile('/startup-scripts/.', 'x'), 'EINVAL')
        expect(await fs.exists('/nope/deeper')).toBe(false)

        // A run-once script moves to ran-once/ after it ran; within a directory; case only.
        await fs.rename('/startup-scripts/run-once/first_run_setup.sh', '/startup-scripts/ran-once/first_run_setup.sh')
        await fs.rename('/startup-scripts/run-once/10-wifi.sh', '/startup-scripts/run-once/15-wifi-renamed-long.sh')
        await fs.rename('/startup-scripts/run-once/20-users.sh', '/startup-scripts/run-once/20-USERS.sh')
        // Directories: out to the root ('..' becomes 0) and deeper elsewhere.
        await fs.rename('/startup-scripts/resources/certs', '/certs')
        await fs.rename('/buildinfo/old', '/startup-scripts/logs/old-buildinfo')
        expect(await fs.readdir('/startup-scripts/run-once')).toEqual(['15-wifi-renamed-long.sh', '20-USERS.sh'])
        expect(await fs.readFile('/certs/ca/root.pem')).toEqual(Buffer.from('PEM\n'))
      })
      expectClean(file)
      expect(tree(file)).toEqual(
        [
          '::/buildinfo/',
          '::/certs/',
          '::/certs/ca/',
          '::/certs/ca/root.pem',
          '::/startup-scripts/',
          ...SCRIPT_DIRS.map((dir) => `::/startup-scripts/${dir}/`),
          '::/startup-scripts/logs/old-buildinfo/',
          '::/startup-scripts/logs/old-buildinfo/notes.txt',
          '::/startup-scripts/ran-once/first_run_setup.sh',
          '::/startup-scripts/run-once/15-wifi-renamed-long.sh',
          '::/startup-scripts/run-once/20-USERS.sh',
        ].sort(),
      )
      expect(mtype(file, '/startup-scripts/ran-once/first_run_setup.sh')).toEqual(setup)
      expect(mtype(file, '/startup-scripts/logs/old-buildinfo/notes.txt').toString()).toBe('notes\n')
      expect(mtype(file, '/certs/ca/root.pem').toString()).toBe('PEM\n')
      // mtools follows the moved directories' '..' entries.
      expect(run('mdir', ['-b', '-i', file, '::/certs/ca/../..']).toString()).toMatch(/certs/)
    })

    it('fails with ENOSPC before changing anything, leaving the old content and a clean filesystem', async () => {
      const file = image(bits, mib)
      const keep = content(3000, 'keep')
      let written = 0
      await edit(file, async (fs) => {
        await fs.writeFile('/keep.txt', keep)
        await fs.mkdir('/fill')
        for (;;) {
          const before = await fs.freeBytes()
          const error = await fs.writeFile(`/fill/part-${written}.bin`, content(MiB, `fill${written}`)).catch((e: Error) => e)
          if (!error) {
            written++
            continue
          }
          expect((error as Error & { code: string }).code).toBe('ENOSPC')
          expect(await fs.exists(`/fill/part-${written}.bin`)).toBe(false)
          expect(await fs.freeBytes()).toBe(before)
          break
        }
        const free = await fs.freeBytes()
        await expectCode(fs.writeFile('/keep.txt', content(free + keep.length + 64 * 1024, 'huge')), 'ENOSPC', '/keep.txt')
        expect(await fs.readFile('/keep.txt')).toEqual(keep)
        expect(await fs.freeBytes()).toBe(free)
        // Replacing a file with as much again fits by reusing its own clusters.
        await fs.writeFile('/fill/part-0.bin', content(MiB, 'again'))
      })
      expect(written).toBeGreaterThan(mib / 2)
      expectClean(file)
      expect(mtype(file, '/keep.txt')).toEqual(keep)
      expect(digest(mtype(file, '/fill/part-0.bin'))).toBe(digest(content(MiB, 'again')))
      expect(digest(mtype(file, `/fill/part-${written - 1}.bin`))).toBe(digest(content(MiB, `fill${written - 1}`)))
    })

    it('grows a directory to 300 colliding long names, each with its own short name, and reuses freed slots', async () => {
      const file = image(bits, mib)
      const names = Array.from({ length: 300 }, (_, i) => `longname-${String(i + 1).padStart(4, '0')}.sh`)
      await edit(file, async (fs) => {
        await fs.mkdirp('/startup-scripts/run-once')
        for (const name of names) await fs.writeFile(`/startup-scripts/run-once/${name}`, `echo ${name}\n`)
        expect(await fs.readdir('/startup-scripts/run-once')).toEqual(names)
      })
      expectClean(file)
      const listed = tree(file).filter((line) => line.startsWith('::/startup-scripts/run-once/') && !line.endsWith('/'))
      expect(listed).toEqual(names.map((name) => `::/startup-scripts/run-once/${name}`).sort())
      const shorts = run('mdir', ['-i', file, '::/startup-scripts/run-once'])
        .toString()
        .split('\n')
        .filter((line) => line.includes('longname-'))
        .map((line) => line.slice(0, 12))
      expect(shorts).toHaveLength(300)
      expect(new Set(shorts).size).toBe(300)
      expect(mtype(file, '/startup-scripts/run-once/longname-0300.sh').toString()).toBe('echo longname-0300.sh\n')

      await edit(file, async (fs) => {
        const free = await fs.freeBytes()
        for (const name of names.slice(100, 120)) await fs.unlink(`/startup-scripts/run-once/${name}`)
        for (let i = 0; i < 20; i++) await fs.writeFile(`/startup-scripts/run-once/again-${String(i).padStart(7, '0')}.sh`, '')
        expect(await fs.freeBytes()).toBe(free + 20 * clusterSize(file)) // the data went; the directory did not grow
      })
      expectClean(file)
      expect(tree(file).filter((line) => line.includes('/again-'))).toHaveLength(20)
    })

    it('keeps the FSInfo free count and freeBytes() equal to what fsck.fat and mdir count', async () => {
      const file = image(bits, mib)
      let free = 0
      await edit(file, async (fs) => {
        await fs.mkdirp('/a/b/c')
        await fs.writeFile('/a/b/c/data.bin', content(700_000, 'data'))
        await fs.writeFile('/a/small.txt', 'small')
        await fs.writeFile('/gone.bin', content(300_000, 'gone'))
        await fs.unlink('/gone.bin')
        await fs.writeFile('/a/small.txt', content(100_000, 'grown'))
        free = await fs.freeBytes()
      })
      const output = expectClean(file)
      const [, used, total] = /(\d+)\/(\d+) clusters/.exec(output)!
      const cluster = clusterSize(file)
      expect(free).toBe((Number(total) - Number(used)) * cluster)
      expect(mdirFree(file)).toBe(free)
      if (bits === 32) expect(head(file, 4, 512 + 488).readUInt32LE(0)).toBe(free / cluster)
      expect(await edit(file, (fs) => fs.freeBytes())).toBe(free)
    })

    it('writes back everything done before fn threw, and serializes concurrent calls', async () => {
      const file = image(bits, mib)
      const failure = await edit(file, async (fs) => {
        const writes = Array.from({ length: 20 }, (_, i) => fs.writeFile(`/parallel-file-${i}.txt`, content(3000 + i, `p${i}`)))
        await Promise.all(writes)
        await fs.mkdirp('/half/done')
        throw new Error('boom')
      }).catch((e: Error) => e)
      expect(failure.message).toBe('boom')
      expectClean(file)
      expect(tree(file).filter((line) => line.startsWith('::/parallel-file-'))).toHaveLength(20)
      expect(mtype(file, '/parallel-file-7.txt')).toEqual(content(3007, 'p7'))
      expect(tree(file)).toContain('::/half/done/')
    })
  })

  it('reports ENOSPC when the FAT16 fixed root directory is full', async () => {
    const file = image(16, 32) // 512 root entries, one of them the volume label
    let made = 0
    await edit(file, async (fs) => {
      for (;;) {
        const error = await fs.writeFile(`/F${made}.TXT`, 'x').catch((e: Error & { code?: string }) => e)
        if (error) {
          expect(error.code).toBe('ENOSPC')
          break
        }
        made++
      }
      await expectCode(fs.mkdir('/more'), 'ENOSPC', '/more')
      await fs.unlink('/F7.TXT')
      await fs.writeFile('/F7B.TXT', 'reused slot')
    })
    expect(made).toBe(511)
    expectClean(file)
    expect(tree(file)).toHaveLength(511)
    expect(mtype(file, '/F7B.TXT').toString()).toBe('reused slot')
  })

  it('grows the FAT32 root directory as a cluster chain', async () => {
    const file = image(32, 64) // 512-byte clusters: 16 entries each
    const names = Array.from({ length: 150 }, (_, i) => `boot-overlay-${i}.dtbo`)
    await edit(file, async (fs) => {
      for (const name of names) await fs.writeFile(`/${name}`, name)
    })
    expectClean(file)
    expect(tree(file)).toEqual(names.map((name) => `::/${name}`).sort())
    expect(mtype(file, '/boot-overlay-149.dtbo').toString()).toBe('boot-overlay-149.dtbo')
  })

  it('reads and writes simple files on FAT12', async () => {
    const file = image(12, 4)
    const data = content(70_000, 'fat12')
    await edit(file, async (fs) => {
      await fs.mkdirp('/startup-scripts/run-once')
      for (let i = 0; i < 30; i++) await fs.writeFile(`/startup-scripts/run-once/script-${i}.sh`, content(1000 + i * 97, `s${i}`))
      await fs.writeFile('/config.txt', data)
      await fs.unlink('/startup-scripts/run-once/script-3.sh')
      await fs.rename('/startup-scripts/run-once/script-4.sh', '/script-4.sh')
      expect(await fs.readFile('/config.txt')).toEqual(data)
    })
    expectClean(file)
    expect(mtype(file, '/config.txt')).toEqual(data)
    expect(mtype(file, '/startup-scripts/run-once/script-29.sh')).toEqual(content(1000 + 29 * 97, 's29'))
    expect(mtype(file, '/script-4.sh')).toEqual(content(1000 + 4 * 97, 's4'))
    expect(tree(file)).toHaveLength(2 + 1 + 1 + 28)
    expect(await edit(file, (fs) => fs.freeBytes())).toBe(mdirFree(file))
  })

  it('edits a partition at a non-zero offset inside an MBR disk image and nothing outside it', async () => {
    const disk = blank(4 + 64)
    run('sfdisk', ['-q', disk], 'label: dos\nstart=8192, type=c\n')
    const part = image(32, 64)
    run('dd', [`if=${part}`, `of=${disk}`, 'bs=512', 'seek=8192', 'conv=notrunc', 'status=none'])
    const table = await readPartitionTable(async (position, length) => head(disk, length, position), statSync(disk).size)
    const p1 = table.partitions[0]!
    expect([p1.offset, p1.size, p1.type]).toEqual([8192 * 512, 64 * MiB, '0c'])
    const outside = () => createHash('sha256').update(head(disk, p1.offset)).digest('hex')
    const before = outside()

    await edit(
      disk,
      async (fs) => {
        await fs.mkdirp('/startup-scripts/run-once')
        await fs.writeFile('/startup-scripts/run-once/first_run_setup.sh', content(50 * 1024, 'offset'))
        await fs.writeFile('/config.txt', 'arm_64bit=1\n')
      },
      p1,
    )
    expect(outside()).toBe(before)
    const target = `${disk}@@${p1.offset}`
    expect(tree(target)).toEqual([
      '::/config.txt',
      '::/startup-scripts/',
      '::/startup-scripts/run-once/',
      '::/startup-scripts/run-once/first_run_setup.sh',
    ])
    expect(mtype(target, '/startup-scripts/run-once/first_run_setup.sh')).toEqual(content(50 * 1024, 'offset'))
    const extracted = join(work, 'extracted.img')
    run('dd', [`if=${disk}`, `of=${extracted}`, 'bs=512', 'skip=8192', `count=${(64 * MiB) / 512}`, 'status=none'])
    expectClean(extracted)
  })

  it('refuses a partition that is not FAT', async () => {
    const zeros = blank(8)
    const ext4 = blank(8)
    run('mke2fs', ['-q', '-t', 'ext4', '-F', ext4])
    for (const file of [zeros, ext4]) {
      const error = await edit(file, async () => 'opened').catch((e: Error & { code?: string }) => e)
      expect(error).toBeInstanceOf(Error)
      expect((error as Error & { code?: string }).code).toBe('EINVAL')
      expect((error as Error).message).toBe('not a FAT filesystem')
    }
  })

  it('writes 6 directories, 20 small files and a 2 MB file in well under 100 ms', async () => {
    const times: number[] = []
    for (let round = 0; round < 3; round++) {
      const file = image(32, 128)
      const small = Array.from({ length: 20 }, (_, i) => content(2000, `f${i}`))
      const kernel = content(2 * MiB, 'kernel')
      const writes: Array<[number, number]> = []
      const start = performance.now()
      await withOpenFile(file, 'r+', async (handle) => {
        const disk = new RecordingDisk(handle, writes)
        await withFat(disk, { offset: 0, size: statSync(file).size }, async (fs) => {
          for (const dir of SCRIPT_DIRS) await fs.mkdirp(`/startup-scripts/${dir}`)
          for (const [i, data] of small.entries()) await fs.writeFile(`/startup-scripts/resources/file-${i}.conf`, data)
          await fs.writeFile('/kernel8.img', kernel)
        })
      })
      times.push(performance.now() - start)
      expectClean(file)
      // Whole sectors only (block devices), and few calls: data runs, then coalesced metadata.
      expect(writes.filter(([position, length]) => position % 512 !== 0 || length % 512 !== 0)).toEqual([])
      expect(writes.length).toBeLessThan(40)
      if (round === 0) console.log(`${writes.length} disk writes`)
    }
    console.log(`FAT32 session (6 dirs, 20 files, 2 MB): ${times.map((t) => t.toFixed(1)).join(' / ')} ms`)
    expect(Math.min(...times)).toBeLessThan(100)
  })
})

/** A FileDisk that notes every write's position and length. */
class RecordingDisk extends FileDisk {
  constructor(
    handle: ConstructorParameters<typeof FileDisk>[0],
    private readonly writes: Array<[number, number]>,
  ) {
    super(handle)
  }

  override write(buffer: Buffer, bufferOffset: number, length: number, position: number) {
    this.writes.push([position, length])
    return super.write(buffer, bufferOffset, length, position)
  }
}

/** Raw bytes of a file, for the few fields checked without any FAT reader. */
function head(file: string, length: number, position = 0): Buffer {
  const fd = openSync(file, 'r')
  try {
    const out = Buffer.alloc(length)
    readSync(fd, out, 0, length, position)
    return out
  } finally {
    closeSync(fd)
  }
}

/** Bytes per cluster, straight from the boot sector (BPB_BytsPerSec × BPB_SecPerClus). */
function clusterSize(file: string): number {
  const boot = head(file, 512)
  return boot.readUInt16LE(11) * boot[13]!
}
