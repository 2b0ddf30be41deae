import { randomBytes } from 'node:crypto'
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sparseFileStream } from './sparse-file'

const MIB = 1024 * 1024

describe('sparseFileStream', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-sparse-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  /** Writes `data` in chunks of `chunk` bytes (not block-aligned), returns what the file holds and the bytes it allocates. */
  async function written(data: Buffer, chunk: number) {
    const file = path.join(dir, `out-${chunk}.img`)
    const handle = await open(file, 'w')
    const chunks = Array.from({ length: Math.ceil(data.length / chunk) }, (_, i) => data.subarray(i * chunk, (i + 1) * chunk))
    await pipeline(Readable.from(chunks), sparseFileStream(handle))
    await handle.close()
    return { bytes: await readFile(file), allocated: (await stat(file)).blocks * 512 }
  }

  it('gives back the same bytes, leaving holes for the zeros (between, at odd offsets, and at the end)', async () => {
    const data = Buffer.concat([randomBytes(MIB), Buffer.alloc(8 * MIB), randomBytes(3), Buffer.alloc(5 * MIB + 123), randomBytes(4097), Buffer.alloc(2 * MIB)])
    for (const chunk of [65_537, 4096, 3 * MIB + 1]) {
      const { bytes, allocated } = await written(data, chunk)
      expect(bytes.equals(data), `chunks of ${chunk}`).toBe(true)
      // Data is 1 MiB + a few blocks; the 15 MiB of zeros are not allocated.
      expect(allocated, `chunks of ${chunk}`).toBeLessThan(MIB + 64 * 1024)
    }
  }, 60_000)

  it('keeps a block that holds one non-zero byte, and a file of zeros only is all hole at its full length', async () => {
    const one = Buffer.alloc(3 * 4096)
    one[4096 + 4095] = 7
    expect((await written(one, 1000)).bytes.equals(one)).toBe(true)
    const zeros = await written(Buffer.alloc(4 * MIB), 65_536)
    expect(zeros.bytes.length).toBe(4 * MIB)
    expect(zeros.allocated).toBe(0)
  })
})
