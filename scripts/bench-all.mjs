#!/usr/bin/env node
/** `npm run bench [name…]`: runs bench/<name>/run.ts for each benchmark folder. */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench')
const all = readdirSync(benchDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(benchDir, entry.name, 'run.ts')))
  .map((entry) => entry.name)
const wanted = process.argv.slice(2)
const unknown = wanted.filter((name) => !all.includes(name))
if (unknown.length) {
  console.error(`No such benchmark: ${unknown.join(', ')}. Available: ${all.join(', ') || 'none yet'}`)
  process.exit(2)
}
const chosen = wanted.length ? wanted : all
if (chosen.length === 0) console.log('No benchmarks yet.')
let failed = 0
for (const name of chosen) {
  console.log(`\n━━ bench/${name} ━━`)
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(benchDir, name, 'run.ts')], { stdio: 'inherit' })
  if (run.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
