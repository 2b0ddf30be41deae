/** system.check against this machine's real state, compared with other tools' answers. */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ProbeResult } from '@common/contract'
import { runSystemCheck } from './system-check'

function probe(check: Awaited<ReturnType<typeof runSystemCheck>>, capability: string, id: string): ProbeResult {
  const found = check.capabilities.find((c) => c.id === capability)?.probes.find((p) => p.id === id)
  if (!found) throw new Error(`no probe ${capability}/${id}`)
  return found
}

const dockerCli = spawnSync('docker', ['--version']).status === 0

describe('system.check on this machine', async () => {
  const heard: string[] = []
  const checkIds = new Set<string>()
  const check = await runSystemCheck((checkId, capability, result) => {
    checkIds.add(checkId)
    heard.push(`${capability}/${result.id}`)
  })

  it('reports every probe once as an event', () => {
    const all = check.capabilities.flatMap((c) => c.probes.map((p) => `${c.id}/${p.id}`))
    expect(heard.sort()).toEqual(all.sort())
    expect([...checkIds]).toEqual([check.checkId])
    expect(check.capabilities.map((c) => c.id)).toEqual(['quickBuild', 'dockerBuild', 'cloud', 'flash', 'bootTest'])
  })

  it('calls a capability ready exactly when its required probes pass', () => {
    for (const capability of check.capabilities) {
      expect(capability.ready).toBe(capability.probes.every((p) => p.ok || !p.required))
    }
  })

  it.skipIf(!dockerCli)('agrees with `docker info` about the Docker daemon', () => {
    const dockerInfo = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15_000 })
    expect(probe(check, 'dockerBuild', 'docker').ok).toBe(dockerInfo.status === 0)
  })

  it.skipIf(process.platform !== 'linux' || !existsSync('/usr/sbin/update-binfmts'))('agrees with update-binfmts about qemu-aarch64', () => {
    const display = execFileSync('/usr/sbin/update-binfmts', ['--display', 'qemu-aarch64'], { encoding: 'utf8' })
    const enabled = /qemu-aarch64 \(enabled\)/.test(display)
    // The probe also demands flag F; where update-binfmts says disabled, the probe must fail.
    if (!enabled) expect(probe(check, 'dockerBuild', 'binfmt-aarch64').ok).toBe(false)
    else expect(probe(check, 'dockerBuild', 'binfmt-aarch64').detail).toMatch(/^enabled/)
  })

  it.skipIf(process.platform !== 'linux')('agrees with losetup about loop devices', () => {
    const losetup = spawnSync('losetup', ['--find'], { encoding: 'utf8' })
    expect(probe(check, 'flash', 'loop').ok).toBe(losetup.status === 0)
  })

  it('agrees with the PATH about qemu-system-aarch64', () => {
    const which = spawnSync('sh', ['-c', 'command -v qemu-system-aarch64'])
    expect(probe(check, 'bootTest', 'qemu-system').ok).toBe(which.status === 0)
  })
})
