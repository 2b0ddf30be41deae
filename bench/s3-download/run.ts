/**
 * bench/s3-download: one object from one s3rver, two ways, in one run:
 *   ours   — downloadVerified: parallel ranged GETs, SHA256 in order (worker thread),
 *            positional writes, fsync, rename only when the hash matches
 *   plain  — one GetObject streamed to a file: no hash, no verification, no fsync
 * The s3rver runs in its own process (S3 is elsewhere; sharing our event loop would tax
 * the parallel side). Runs alternate, after a `sync` each, 7 times; the best of each counts.
 * Also printed, for reference: plain with a SHA256 on the way (what verification costs here).
 * Usage: npm run bench -- s3-download [-- --mib <size>] (default 256 MiB)
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { downloadVerified } from '../../builder/src/cloud/client/download/download'
import { createS3Client } from '../../builder/src/cloud/s3'
import { formatBytes, formatSpeed } from '../../builder/src/util/bytes'
import { S3RVER_CREDENTIALS } from '../../builder/src/testing/s3'

const mibFlag = process.argv.indexOf('--mib')
const MIB = mibFlag > 0 ? Number(process.argv[mibFlag + 1]) : 256
const RUNS = 7
const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-bench-s3-'))
const server = spawn(process.execPath, ['--import', 'tsx', path.join(path.dirname(fileURLToPath(import.meta.url)), 'server.ts')], {
  stdio: ['pipe', 'pipe', 'inherit'],
})

try {
  const endpoint = await new Promise<string>((resolve, reject) => {
    server.stdout.once('data', (data) => resolve(String(data).trim()))
    server.once('exit', (code) => reject(new Error(`the s3rver process ended (${code})`)))
  })
  const client = createS3Client({ region: 'us-east-1', endpoint, credentials: S3RVER_CREDENTIALS })
  // Random (incompressible) data, hashed as it is made.
  const source = path.join(dir, 'source.img')
  const hash = createHash('sha256')
  const out = createWriteStream(source)
  for (let left = MIB; left > 0; left -= 64) {
    const block = randomBytes(Math.min(64, left) << 20)
    hash.update(block)
    if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  await new Promise<void>((resolve) => out.end(() => resolve()))
  const sha256 = hash.digest('hex')
  await client.send(new PutObjectCommand({ Bucket: 'bench', Key: 'image.img', Body: createReadStream(source), ContentLength: MIB << 20 }))
  await rm(source)
  console.log(`object: ${formatBytes(MIB * 2 ** 20)} (--mib ${MIB}) on s3rver at ${endpoint} (own process); ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`)

  const timed = async (label: string, run: () => Promise<void>): Promise<number> => {
    spawnSync('sync')
    const start = process.hrtime.bigint()
    await run()
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    console.log(`${label.padEnd(11)} ${seconds.toFixed(2)} s  ${formatSpeed((MIB * 2 ** 20) / seconds)}`)
    return seconds
  }
  const plainTo = async (file: string, transform?: Transform) => {
    const object = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: 'image.img' }))
    if (transform) await pipeline(object.Body as Readable, transform, createWriteStream(file))
    else await pipeline(object.Body as Readable, createWriteStream(file))
  }
  const times = { ours: [] as number[], plain: [] as number[], hashed: [] as number[] }
  for (let run = 0; run < RUNS; run++) {
    const file = path.join(dir, 'download.img')
    times.ours.push(await timed('ours', () => downloadVerified({ client, bucket: 'bench', key: 'image.img', expectedSha256: sha256, dest: file }).then(() => {})))
    await rm(file)
    times.plain.push(await timed('plain', () => plainTo(file)))
    await rm(file)
    const check = createHash('sha256')
    times.hashed.push(
      await timed('plain+hash', () =>
        plainTo(
          file,
          new Transform({
            transform(chunk: Buffer, _encoding, callback) {
              check.update(chunk)
              callback(null, chunk)
            },
          }),
        ),
      ),
    )
    if (check.digest('hex') !== sha256) throw new Error('the plain download does not match the object')
    await rm(file)
  }
  const best = (list: number[]) => Math.min(...list)
  console.log(`best: ours ${best(times.ours).toFixed(2)} s (verified), plain ${best(times.plain).toFixed(2)} s (not verified), plain+hash ${best(times.hashed).toFixed(2)} s`)
  console.log(`for reference: plain+hash runs at ${(best(times.plain) / best(times.hashed)).toFixed(2)} of the plain speed (the cost of hashing here); ours at ${(best(times.hashed) / best(times.ours)).toFixed(2)} of plain+hash`)
  console.log(`ratio s3-download: ${(best(times.plain) / best(times.ours)).toFixed(2)} (ours runs at this fraction of the plain speed; target >= 0.8)`)
} finally {
  server.stdin.end()
  await new Promise((resolve) => (server.exitCode === null ? server.once('exit', resolve) : resolve(null)))
  await rm(dir, { recursive: true, force: true })
}
