/**
 * bench/flash: one .img.xz to 4 destinations (image files), three ways, in one run:
 *   ours     — flashImage: threaded xz first, then a trimmed multi-destination write, verified
 *   etcher   — etcher-sdk's plain decompressThenFlash (streaming lzma-native, no trim), verified
 *   dd       — xzcat | tee | dd, no verification
 * Prints times, the ratios (targets: ≥ 2× etcher, ≥ 0.8× dd) and bytes written vs bytes in use.
 * Usage: npm run bench -- flash [-- --image <file.img.xz>] (default: the arm64 fixture, compressed once and cached)
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { flashImage } from '../../builder/src/flash/write'
import { imageSize } from '../../builder/src/source/image-size'
import { formatBytes } from '../../builder/src/util/bytes'
import { compressedFixture } from '../lib/images'
import { etcherFlashToFiles } from '../lib/etcher'
import { allocated, bytesInUse, timed } from '../lib/measure'

const DESTINATIONS = 4
const imageFlag = process.argv.indexOf('--image')
const image = imageFlag > 0 ? path.resolve(process.argv[imageFlag + 1]!) : await compressedFixture()
const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-bench-flash-'))
const outputs = (name: string) => Array.from({ length: DESTINATIONS }, (_, i) => path.join(dir, `${name}-${i}.img`))

try {
  const rawSize = (await imageSize(image))!
  console.log(`image: ${image} (${formatBytes(rawSize)} uncompressed) → ${DESTINATIONS} destinations`)

  const ours = await timed('ours', () => flashImage({ image, targets: outputs('ours').map((p) => ({ kind: 'file', path: p })), recordsFile: path.join(dir, 'records.jsonl') }))
  const oursWritten = (await Promise.all(outputs('ours').map(allocated))).reduce((a, b) => a + b, 0) / DESTINATIONS

  const etcher = await timed('etcher', () => etcherFlashToFiles(image, outputs('etcher')))

  const dd = await timed('dd', async () => {
    const [first, ...rest] = outputs('dd')
    const tee = rest.map((p) => `>(dd of="${p}" bs=4M status=none)`).join(' ')
    execFileSync('bash', ['-c', `xzcat "${image}" | tee ${tee} | dd of="${first}" bs=4M status=none; wait`])
  })

  const inUse = bytesInUse(path.join(dir, 'ours-0.img'), dir)
  console.log(`bytes written per destination: ${formatBytes(oursWritten)} (ours) vs ${formatBytes(inUse)} in use (${(oursWritten / inUse).toFixed(2)}x, target <= 1.1)`)
  console.log(`ratio flash-vs-etcher: ${(etcher.seconds / ours.seconds).toFixed(2)} (ours is this many times faster; target >= 2)`)
  console.log(`ratio flash-vs-dd: ${(dd.seconds / ours.seconds).toFixed(2)} (target >= 0.8; dd does not verify)`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
