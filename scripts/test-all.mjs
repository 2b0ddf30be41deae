#!/usr/bin/env node
/**
 * `npm test`: every suite in order, each one's result on its own line, then one total line.
 * Runs all suites even after a failure (so one run shows everything), and exits non-zero
 * if any failed. The system setup runs first; without root it only checks.
 */
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const results = path.join(root, 'test-results')

/** Test counts from each runner's JSON report. */
const readers = {
  vitest: (file) => {
    const report = JSON.parse(readFileSync(file, 'utf8'))
    return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests }
  },
  playwright: (file) => {
    const { stats } = JSON.parse(readFileSync(file, 'utf8'))
    return { passed: stats.expected + stats.flaky, failed: stats.unexpected, skipped: stats.skipped }
  },
}

const vitestJson = (name) => ['--reporter=default', '--reporter=json', `--outputFile.json=test-results/${name}.json`]
const SUITES = [
  { name: 'setup', command: ['bash', 'scripts/setup-system.sh'] },
  { name: 'typecheck', command: ['npm', 'run', '-s', 'typecheck'] },
  { name: 'lint', command: ['npm', 'run', '-s', 'lint'] },
  { name: 'unit', command: ['npm', 'run', '-s', 'test:unit', '--', ...vitestJson('unit')], report: ['vitest', 'unit.json'] },
  {
    name: 'integration',
    command: ['npm', 'run', '-s', 'test:integration', '--', ...vitestJson('integration')],
    report: ['vitest', 'integration.json'],
  },
  { name: 'e2e', command: ['npm', 'run', '-s', 'test:e2e'], report: ['playwright', 'e2e-report.json'] },
  // Built and flashed images booted in QEMU (a few minutes).
  { name: 'boot', command: ['npm', 'run', '-s', 'test:boot', '--', ...vitestJson('boot')], report: ['vitest', 'boot.json'] },
]

const only = process.argv.slice(2)
const chosen = SUITES.filter((s) => only.length === 0 || only.includes(s.name))

/**
 * The boot suite's release fixtures (cold: 15-25 min of debootstrap) build in the background from
 * the start, overlapping the other suites; the boot suite waits for them. Log: test-results/warm-fixtures.log.
 */
let warming = null
function startWarming() {
  mkdirSync(results, { recursive: true })
  const log = openSync(path.join(results, 'warm-fixtures.log'), 'w')
  warming = spawn('npx', ['tsx', 'scripts/warm-release-fixtures.ts'], { cwd: root, stdio: ['ignore', log, log] })
  console.log(`[test] building the release fixtures in the background (pid ${warming.pid}, log test-results/warm-fixtures.log)`)
}
async function waitForWarming() {
  if (!warming) return
  const started = Date.now()
  if (warming.exitCode === null && warming.signalCode === null) await once(warming, 'exit')
  console.log(`[test] release fixtures ready (waited ${((Date.now() - started) / 1000).toFixed(0)} s); log:`)
  console.log(readFileSync(path.join(results, 'warm-fixtures.log'), 'utf8').split('\n').filter((line) => line.startsWith('[warm]')).join('\n'))
}

const rows = []
for (const suite of chosen) {
  // Once setup has installed the tools (or first, without setup), and only when the boot suite runs.
  if (!warming && suite.name !== 'setup' && chosen.some((s) => s.name === 'boot')) startWarming()
  if (suite.name === 'boot') await waitForWarming()
  const reportFile = suite.report && path.join(results, suite.report[1])
  if (reportFile) rmSync(reportFile, { force: true }) // never read a previous run's report
  console.log(`\n━━ ${suite.name} ━━ ${suite.command.join(' ')}`)
  const started = Date.now()
  const run = spawnSync(suite.command[0], suite.command.slice(1), { cwd: root, stdio: 'inherit' })
  const seconds = (Date.now() - started) / 1000
  let counts = null
  if (reportFile && existsSync(reportFile)) counts = readers[suite.report[0]](reportFile)
  // A suite must report its tests; one whose tests all skipped (a part missing here, said
  // in its output) passes, and the summary shows the skips.
  const ok = run.status === 0 && (!suite.report || (counts !== null && counts.passed + counts.failed + counts.skipped > 0))
  rows.push({ name: suite.name, ok, counts, seconds, status: run.status })
}

console.log('\n━━ summary ━━')
const total = { passed: 0, failed: 0, skipped: 0 }
for (const { name, ok, counts, seconds, status } of rows) {
  const what = counts
    ? `${counts.passed} passed · ${counts.failed} failed · ${counts.skipped} skipped`
    : ok
      ? 'ok'
      : `failed (exit ${status})`
  console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(12)} ${what.padEnd(40)} ${seconds.toFixed(1)}s`)
  if (counts) for (const key of Object.keys(total)) total[key] += counts[key]
  if (!ok && (!counts || counts.failed === 0)) total.failed += 1 // a crash with no failed test still fails
}
console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
process.exit(rows.every((row) => row.ok) ? 0 : 1)
