/**
 * bench/customise-on-flash: a stock .img.xz to 4 image files, each with its own device files,
 * customised on the way by a recipe (user, wifi, hostname pattern, a run-once script), in one
 * run against:
 *   plain   — our own flash of the same stock image to 4 destinations, no recipe, no devices
 *   etcher  — etcher-sdk's plain decompressThenFlash (streaming lzma-native, no trim), verified
 * Ours and plain alternate, 3 rounds each, medians compared; etcher runs once (it is the slow one).
 * Wall time is the measure; CPU time (this process and xz) is printed beside it, because on a
 * shared machine wall time is mostly waiting for the other jobs.
 * Targets: ≤ 1.1× plain, ≥ 2× faster than etcher, bytes written per card ≤ 1.1× the card's bytes in use.
 * Run on the fixture (488 MiB) and on a 2.5 GiB image shaped like Raspberry Pi OS Lite (bench/lib/images.ts).
 * Usage: npm run bench -- customise-on-flash   (or: npx tsx bench/customise-on-flash/run.ts [--only fixture|lite])
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { loadFlashRecipe } from '../../builder/src/flash/customise-on-flash'
import { flashImage, type FlashDevice } from '../../builder/src/flash/write'
import { imageSize } from '../../builder/src/source/image-size'
import { formatBytes } from '../../builder/src/util/bytes'
import { compressedFixture, liteShapedImage } from '../lib/images'
import { etcherFlashToFiles } from '../lib/etcher'
import { allocated, bytesInUse, median, timed, type Timing } from '../lib/measure'

const DESTINATIONS = 4
const ROUNDS = 3
const onlyFlag = process.argv.indexOf('--only')
const only = onlyFlag > 0 ? process.argv[onlyFlag + 1] : null

async function bench(label: string, image: string): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-bench-cof-'))
  const cache = path.join(dir, 'cache')
  const outputs = (name: string) => Array.from({ length: DESTINATIONS }, (_, i) => path.join(dir, `${name}-${i}.img`))
  const files = (name: string) => outputs(name).map((p) => ({ kind: 'file' as const, path: p }))
  try {
    await writeFile(path.join(dir, 'hello.sh'), '#!/bin/sh\necho "hello from $(hostname)"\n')
    await writeFile(
      path.join(dir, 'recipe.yml'),
      `name: bench
source: { path: ${image}, sha256: ${'0'.repeat(64)} } # a flash's source is the image it is given
arch: arm64
system: { hostname: 'bench-{{serial}}', timezone: Europe/London }
users: [{ name: fleet, password: bench-password, sudo: true }]
wifi: { ssid: BenchNet, passphrase: bench-passphrase, country: GB }
startupScripts: { runOnce: [hello.sh] }
`,
    )
    const recipe = await loadFlashRecipe(path.join(dir, 'recipe.yml'))
    const devices: FlashDevice[] = Array.from({ length: DESTINATIONS }, (_, i) => ({ hostname: `bench-${i + 1}`, variables: { SITE: `site-${i + 1}` } }))
    const recordsFile = path.join(dir, 'records.jsonl')

    console.log(`\n${label}: ${image} (${formatBytes((await imageSize(image))!)} uncompressed) → ${DESTINATIONS} image files`)
    const ours: Timing[] = []
    const plain: Timing[] = []
    for (let round = 0; round < ROUNDS; round++) {
      plain.push(await timed('plain', () => flashImage({ image, targets: files('plain'), cache, recordsFile })))
      ours.push(await timed('customised', () => flashImage({ image, targets: files('ours'), devices, recipe, cache, recordsFile })))
    }
    const etcher = await timed('etcher', () => etcherFlashToFiles(image, outputs('etcher')))

    const written = (await Promise.all(outputs('ours').map(allocated))).reduce((a, b) => a + b, 0) / DESTINATIONS
    const inUse = bytesInUse(outputs('ours')[0]!, dir)
    const wall = { ours: median(ours.map((t) => t.seconds)), plain: median(plain.map((t) => t.seconds)) }
    const cpu = { ours: median(ours.map((t) => t.cpu)), plain: median(plain.map((t) => t.cpu)) }
    console.log(`median: customised ${wall.ours.toFixed(2)} s (cpu ${cpu.ours.toFixed(2)} s), plain ${wall.plain.toFixed(2)} s (cpu ${cpu.plain.toFixed(2)} s)`)
    console.log(`bytes written per card: ${formatBytes(written)} vs ${formatBytes(inUse)} in use (${(written / inUse).toFixed(2)}x, target <= 1.1)`)
    console.log(`ratio customise-on-flash-vs-plain (${label}): ${(wall.ours / wall.plain).toFixed(2)} (target <= 1.1; cpu ${(cpu.ours / cpu.plain).toFixed(2)})`)
    console.log(
      `ratio customise-on-flash-vs-etcher (${label}): ${(etcher.seconds / wall.ours).toFixed(2)} (ours is this many times faster; target >= 2; cpu ${(etcher.cpu / cpu.ours).toFixed(2)})`,
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (only !== 'lite') await bench('fixture', await compressedFixture())
if (only !== 'fixture') await bench('lite-shaped', await liteShapedImage())
