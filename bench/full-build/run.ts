/**
 * bench/full-build: our docker executor vs a plain shell script of the seeds' flow
 * (seeds-flow.sh: loop mount → tar → docker import → docker build → docker export →
 * mkfs + copy) for the same one-package recipe on the arm64 fixture, alternating, in one
 * run. Ours is timed cold (the source imported again) and warm (the import reused, as on a
 * second build of the same source). Prints the times, the output image sizes and the
 * cold ratio (target ≤ 1.0). Root and a Docker daemon needed.
 * Usage: npm run bench -- full-build
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatBytes } from '../../builder/src/util/bytes'
import { dockerUnavailableReason } from '../../builder/src/util/docker-daemon'
import { buildImage } from '../../builder/src/pipeline/build'
import { testFixture } from '../../builder/src/testing/test-fixture'
import { loadRecipe } from '../../builder/src/recipe/load'

const ROUNDS = 2
const PACKAGE = 'cowsay'
const unavailable = await dockerUnavailableReason()
if (unavailable) {
  console.log(`bench/full-build needs Docker: ${unavailable}`)
  process.exit(1)
}
const image = await testFixture('arm64')
const sha256 = execFileSync('sha256sum', [image], { encoding: 'utf8' }).split(' ')[0]!
const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-bench-full-'))
const recipeFile = path.join(dir, 'recipe.yml')
await writeFile(recipeFile, `name: bench\narch: arm64\nsource: { path: ${image}, sha256: ${sha256} }\npackages: [${PACKAGE}]\n`)
const loaded = await loadRecipe(recipeFile)
const cache = path.join(dir, 'cache')
const seedsScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'seeds-flow.sh')
const sourceImage = `orchard-source:${sha256.slice(0, 32)}`

async function timed(run: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint()
  await run()
  return Number(process.hrtime.bigint() - start) / 1e9
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const forgetImport = () => execFileSync('sh', ['-c', `docker rmi -f ${sourceImage} >/dev/null 2>&1 || true`])

try {
  // Verify and cache the source once, as a first build would: both sides then start from the raw image.
  await buildImage(await loadRecipe(await writeQuick()), { outDir: path.join(dir, 'warmup'), cache })
  const seeds: number[] = []
  const cold: number[] = []
  const warm: number[] = []
  let oursBytes = 0
  for (let round = 0; round < ROUNDS; round++) {
    seeds.push(await timed(() => execFileSync(seedsScript, [image, path.join(dir, 'seeds.img'), PACKAGE], { stdio: 'inherit' })))
    forgetImport()
    cold.push(await timed(async () => (oursBytes = (await buildImage(loaded, { outDir: path.join(dir, 'out'), cache, mode: 'docker' })).bytes)))
    warm.push(await timed(() => buildImage(loaded, { outDir: path.join(dir, 'out'), cache, mode: 'docker' })))
  }
  const seedsBytes = (await stat(path.join(dir, 'seeds.img'))).size
  console.log(`seeds' shell flow  ${median(seeds).toFixed(1)} s   image ${formatBytes(seedsBytes)} (root fs du + 800 MB)`)
  console.log(`ours, cold import  ${median(cold).toFixed(1)} s   image ${formatBytes(oursBytes)} (root fs used × 1.15 + 64 MB)`)
  console.log(`ours, warm import  ${median(warm).toFixed(1)} s`)
  console.log(`(ours also does the quick customization, startup-scripts and build info, and hashes the output)`)
  console.log(`image size ratio: ${(oursBytes / seedsBytes).toFixed(2)}x`)
  console.log(`ratio full-build: ${(median(cold) / median(seeds)).toFixed(2)}x time, cold (target <= 1.0)`)
} finally {
  await rm(dir, { recursive: true, force: true })
}

/** A recipe with nothing to run: its build verifies and caches the source. */
async function writeQuick(): Promise<string> {
  const file = path.join(dir, 'quick.yml')
  await writeFile(file, `name: warmup\narch: arm64\nsource: { path: ${image}, sha256: ${sha256} }\n`)
  return file
}
