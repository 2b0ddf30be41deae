/**
 * bench/quick-customize: a quick build of an image vs one plain `cp` of the same image,
 * alternating, in one run. Prints the median times and their ratio (target ≤ 1.5×).
 * Usage: npm run bench -- quick-customize [-- --image <file.img>] (default: the arm64 fixture)
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { buildImage } from '../../builder/src/pipeline/build'
import { formatBytes } from '../../builder/src/util/bytes'
import { testFixture } from '../../builder/src/testing/test-fixture'
import { loadRecipe } from '../../builder/src/recipe/load'

const ROUNDS = 5
const imageFlag = process.argv.indexOf('--image')
const image = imageFlag > 0 ? path.resolve(process.argv[imageFlag + 1]!) : await testFixture('arm64')
const arch = 'arm64' // the fixture's; pass an image of the same arch with --image
const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-bench-'))
const sha256 = execFileSync('sha256sum', [image], { encoding: 'utf8' }).split(' ')[0]!
const recipeFile = path.join(dir, 'recipe.yml')
await writeFile(path.join(dir, 'hello.sh'), '#!/bin/sh\necho hello\n')
await writeFile(
  recipeFile,
  `name: bench
source: { path: ${image}, sha256: ${sha256} }
arch: ${arch}
system: { hostname: 'bench-{{serial}}', timezone: Europe/London }
users: [{ name: fleet, password: bench-password, sudo: true }]
wifi: { ssid: BenchNet, passphrase: bench-passphrase, country: GB }
startupScripts: { runOnce: [hello.sh] }
`,
)
const loaded = await loadRecipe(recipeFile)
const cache = path.join(dir, 'cache')

async function timed(run: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint()
  await run()
  return Number(process.hrtime.bigint() - start) / 1e9
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

// The first build verifies the source's SHA256 once; later builds trust the cache index.
const cold = await timed(() => buildImage(loaded, { outDir: path.join(dir, 'out'), cache }))
const ours: number[] = []
const cp: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  cp.push(await timed(() => execFileSync('cp', [image, path.join(dir, 'copy.img')])))
  ours.push(await timed(() => buildImage(loaded, { outDir: path.join(dir, 'out'), cache })))
  await rm(path.join(dir, 'copy.img'))
}
const size = (await stat(image)).size
// The floor any build with a .sha256 output has: SHA-256 over every byte, in memory.
const zeros = Buffer.alloc(8 << 20)
const sha256Floor = await timed(() => {
  const hash = createHash('sha256')
  for (let done = 0; done < size; done += zeros.length) hash.update(zeros.subarray(0, Math.min(zeros.length, size - done)))
  hash.digest()
})
console.log(`image: ${image} (${formatBytes(size)})`)
console.log(`cp:    median ${median(cp).toFixed(3)} s over ${ROUNDS} rounds`)
console.log(`quick: median ${median(ours).toFixed(3)} s over ${ROUNDS} rounds (first build, verifying the source: ${cold.toFixed(3)} s)`)
console.log(`floor: SHA-256 of ${formatBytes(size)} alone takes ${sha256Floor.toFixed(3)} s (${(sha256Floor / median(cp)).toFixed(2)}x cp)`)
console.log(`ratio quick-customize: ${(median(ours) / median(cp)).toFixed(2)} (target <= 1.5)`)
await rm(dir, { recursive: true, force: true })
