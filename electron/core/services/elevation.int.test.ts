/**
 * Real elevation: core runs as a throwaway unprivileged user and flashes two loop devices
 * through pkexec, with polkitd on the system bus authorising that user by a rule — then
 * the same with polkit saying no. The built writer (electron-vite's out/main/writer.js) is
 * what pkexec runs, by Node.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { chmodSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeDisk } from '../../../builder/src/testing/disk-tools'
import { attachLoop, detachLoop, loopUnavailableReason } from '../../../builder/src/testing/loop'
import { createTestUser, polkitAnswering, polkitUnavailableReason, type TestUser } from '../../../builder/src/testing/polkit'
import { addTestDrives } from '../../../builder/src/testing/test-drives'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const WRITER = path.join(ROOT, 'out/main/writer.js')
const skip = loopUnavailableReason() ?? polkitUnavailableReason()
if (skip) console.log(`[elevation.int] skipped: ${skip}`)

describe.skipIf(skip)('flashing as a normal user through pkexec and polkit', () => {
  let dir: string
  let image: string
  let user: TestUser
  const loops: string[] = []
  let removeTestDrives: () => Promise<void> = async () => {}

  beforeAll(async () => {
    // The writer pkexec runs is the built entry, as the packaged app's is: built from this tree now.
    execFileSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'ignore' })
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-elevation-'))
    chmodSync(dir, 0o755)
    image = makeDisk(path.join(dir, 'source.img'), [
      { mib: 8, type: 'c', filesystem: 'fat' },
      { mib: 16, type: '83', filesystem: 'ext4' },
    ])
    chmodSync(image, 0o644)
    for (const name of ['a', 'b']) {
      const file = path.join(dir, `${name}.card`)
      execFileSync('truncate', ['-s', '64M', file])
      loops.push(attachLoop(file))
    }
    removeTestDrives = await addTestDrives(loops)
    user = createTestUser()
  }, 180_000)

  afterAll(async () => {
    await removeTestDrives()
    for (const device of loops) detachLoop(device)
    user?.remove()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  /** Core as the test user: runuser, with only what core needs in its environment. */
  function flashAsUser(): { coreUid: number; result: { ok: boolean; records?: { ok: boolean; destination: string }[]; error?: { code: string; message: string } } } {
    const env = ['env', '-i', `HOME=${user.home}`, `PATH=${process.env.PATH}`, `ORCHARD_DATA_DIR=${user.home}/orchard-data`, `ORCHARD_CACHE_DIR=${user.home}/orchard-cache`, `ORCHARD_TEST_DRIVES=${loops.join(',')}`]
    const run = spawnSync('runuser', ['-u', user.name, '--', ...env, process.execPath, '--import', 'tsx', path.join(ROOT, 'e2e/launchers/flash-as-user.ts'), WRITER, image, ...loops], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
    const line = run.stdout.trim().split('\n').at(-1) ?? ''
    if (!line.startsWith('{')) throw new Error(`core as ${user.name} printed no result (exit ${run.status}):\n${run.stderr}`)
    return JSON.parse(line) as ReturnType<typeof flashAsUser>
  }

  const head = (device: string) => execFileSync('sh', ['-c', `head -c ${26 << 20} ${device} | sha256sum`], { encoding: 'utf8' }).split(' ')[0]

  it('cannot write the loop devices as that user without elevation', () => {
    expect(spawnSync('runuser', ['-u', user.name, '--', 'sh', '-c', `: > ${loops[0]}`]).status).not.toBe(0)
  })

  it('flashes and verifies both cards when polkit says yes: the writer ran as root, core did not', async () => {
    const stop = await polkitAnswering(user.name, 'YES')
    try {
      const { coreUid, result } = flashAsUser()
      expect(coreUid).toBe(user.uid)
      expect(result.error).toBeUndefined()
      expect(result.ok).toBe(true)
      expect(result.records?.map((record) => [record.destination, record.ok])).toEqual(loops.map((device) => [device, true]))
      // The user could not have written these: only the elevated writer could.
      const source = execFileSync('sh', ['-c', `head -c ${26 << 20} ${image} | sha256sum`], { encoding: 'utf8' }).split(' ')[0]
      for (const device of loops) expect(head(device)).toBe(source)
      // Records are core's, in the user's own data dir, owned by the user.
      const records = path.join(user.home, 'orchard-data', 'flash-records.jsonl')
      expect(execFileSync('stat', ['-c', '%U', records], { encoding: 'utf8' }).trim()).toBe(user.name)
      expect(readFileSync(records, 'utf8').trim().split('\n')).toHaveLength(2)
    } finally {
      stop()
    }
  }, 180_000)

  it('reports FORBIDDEN and writes nothing when polkit says no', async () => {
    for (const device of loops) execFileSync('dd', ['if=/dev/zero', `of=${device}`, 'bs=1M', 'count=26', 'status=none', 'conv=fsync'])
    const before = loops.map(head)
    const stop = await polkitAnswering(user.name, 'NO')
    try {
      const { result } = flashAsUser()
      expect(result.ok).toBe(false)
      expect(result.error?.code).toBe('FORBIDDEN')
      expect(result.error?.message).toMatch(/polkit refused|Not authorized/)
      expect(loops.map(head)).toEqual(before)
    } finally {
      stop()
    }
  }, 180_000)

  it('has the root writer refuse a source its caller could not read, writing nothing', async () => {
    const secret = path.join(dir, 'root-only.img')
    execFileSync('cp', [image, secret])
    chmodSync(secret, 0o600) // root's: the test user may not read it
    const before = head(loops[0]!)
    const job = { type: 'flash', jobId: 'j1', job: { image: secret, raw: secret, sha256: execFileSync('sha256sum', [secret], { encoding: 'utf8' }).split(' ')[0], targets: [{ kind: 'drive', device: loops[0] }], verify: true } }
    // The writer ends when its input closes: keep it open until it answers.
    const writer = spawn(process.execPath, [WRITER, '--caller-uid', String(user.uid), '--drives', loops[0]!], { stdio: ['pipe', 'pipe', 'inherit'] })
    writer.stdin.write(`${JSON.stringify(job)}\n`)
    let failed: { type: string; error?: { code: string; message: string } } | undefined
    for await (const line of createInterface({ input: writer.stdout })) {
      const message = JSON.parse(line) as NonNullable<typeof failed>
      if (message.type === 'failed' || message.type === 'done') {
        failed = message
        break
      }
    }
    writer.stdin.end()
    expect(failed?.error?.code).toBe('FORBIDDEN')
    expect(failed?.error?.message).toContain(`uid ${user.uid} may read`)
    expect(head(loops[0]!)).toBe(before)
  }, 120_000)
})
