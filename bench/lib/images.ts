/**
 * Stock images for the flash benches, made once and cached under the cache's bench/ folder:
 * the arm64 fixture compressed with xz, and a 2.5 GiB image shaped like Raspberry Pi OS Lite
 * (the fixture with its root partition grown into sparse zeros: mostly free space, as the
 * real one is). Names carry the fixture's own name, so a new fixture makes new copies.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { sfdiskTable } from '../../builder/src/testing/disk-tools'
import { testFixture } from '../../builder/src/testing/test-fixture'
import { cacheDir } from '../../builder/src/util/paths'

export const LITE_SIZE = 2.5 * 1024 ** 3

const benchCache = () => path.join(cacheDir(), 'bench')

/** `make(partial)` writes the file; it becomes `target` only when it finished. */
async function cached(target: string, what: string, make: (partial: string) => void): Promise<string> {
  if (existsSync(target)) return target
  await mkdir(path.dirname(target), { recursive: true })
  console.log(`making ${what} once (cached for later runs)…`)
  const partial = `${target}.partial`
  make(partial)
  execFileSync('mv', [partial, target])
  return target
}

const xz = (from: string, to: string) => execFileSync('sh', ['-c', `xz -T0 -6 -c "${from}" > "${to}"`])

/** The arm64 fixture as .img.xz. */
export async function compressedFixture(): Promise<string> {
  const fixture = await testFixture('arm64')
  return cached(path.join(benchCache(), `${path.basename(fixture)}.xz`), 'the compressed fixture', (partial) => xz(fixture, partial))
}

/** The fixture grown to 2.5 GiB (root partition and filesystem to the end of the disk), as .img.xz. */
export async function liteShapedImage(): Promise<string> {
  const fixture = await testFixture('arm64')
  const name = `${path.basename(fixture, '.img')}-lite-2.5G.img.xz`
  return cached(path.join(benchCache(), name), 'a 2.5 GiB image shaped like Raspberry Pi OS Lite', (partial) => {
    const work = path.join(path.dirname(partial), `lite-${process.pid}`)
    execFileSync('mkdir', ['-p', work])
    try {
      const image = path.join(work, 'lite.img')
      execFileSync('cp', ['--sparse=always', fixture, image])
      execFileSync('truncate', ['-s', String(LITE_SIZE), image])
      // Partition 2 to the end of the disk, then its ext4 grown over it (on a copy of the partition: no loop device needed).
      execFileSync('sh', ['-c', `echo ', +' | sfdisk --quiet --no-reread -N 2 "${image}"`])
      const root = sfdiskTable(image).partitions[1]!
      const ext = path.join(work, 'root.ext4')
      execFileSync('dd', [`if=${image}`, `of=${ext}`, 'bs=1M', `skip=${root.start * 512}`, 'iflag=skip_bytes', 'conv=sparse', 'status=none'])
      execFileSync('truncate', ['-s', String(root.size * 512), ext])
      execFileSync('e2fsck', ['-f', '-p', ext])
      execFileSync('resize2fs', ['-f', ext], { stdio: 'ignore' })
      execFileSync('dd', [`if=${ext}`, `of=${image}`, 'bs=1M', `seek=${root.start * 512}`, 'oflag=seek_bytes', 'conv=sparse,notrunc', 'status=none'])
      xz(image, partial)
    } finally {
      execFileSync('rm', ['-rf', work])
    }
  })
}

