/** Which of Orchard's capabilities can run here, and what is missing for the others. */
import { randomUUID } from 'node:crypto'
import type { Capability, CapabilityId, CloudSettings, ProbeResult, SystemCheck } from '@common/contract'
import { awsCredentialChain, cloudRegion, cloudTarget } from './cloud-probes'
import * as probes from './probes'

interface ProbeSpec {
  run: () => Promise<probes.Probe>
  required: boolean
}
interface CapabilitySpec {
  id: CapabilityId
  label: string
  probes: ProbeSpec[]
}

const need = (run: ProbeSpec['run']): ProbeSpec => ({ run, required: true })
const nice = (run: ProbeSpec['run']): ProbeSpec => ({ run, required: false })

/** What the probes need from the app besides the machine. */
export interface CheckContext {
  /** The saved cloud settings (profile, region, bucket/stack, endpoint). */
  cloud?: () => Promise<CloudSettings>
}

const capabilities = (context: CheckContext): CapabilitySpec[] => [
  {
    id: 'quickBuild',
    label: 'Quick build (in-process, no root, no Docker)',
    probes: [need(probes.nodeVersion), need(() => probes.freeSpace()), nice(probes.multithreadedXz)],
  },
  {
    id: 'dockerBuild',
    label: 'Local Docker build (ARM steps under qemu)',
    probes: [need(probes.dockerDaemon), need(() => probes.binfmt('aarch64')), nice(() => probes.binfmt('arm'))],
  },
  {
    id: 'cloud',
    label: 'Cloud build (AWS)',
    probes: [
      need(async () => awsCredentialChain(await context.cloud?.())),
      need(async () => cloudRegion(await context.cloud?.())),
      need(async () => cloudTarget(await context.cloud?.())),
    ],
  },
  {
    id: 'flash',
    label: 'Flashing SD cards',
    probes: [need(probes.driveList), need(probes.rawDiskAccess), nice(probes.loopDevices)],
  },
  {
    id: 'bootTest',
    label: 'Boot test (emulated Raspberry Pi)',
    probes: [
      need(() => probes.tool('qemu-system', 'qemu-system-aarch64', 'QEMU (qemu-system-aarch64)', 'qemu-system-arm', 'qemu')),
      need(() => probes.tool('mtools', 'mcopy', 'mtools (read FAT without mounting)', 'mtools', 'mtools')),
      need(() => probes.tool('e2fsprogs', 'debugfs', 'e2fsprogs (read ext4 without mounting)', 'e2fsprogs', 'e2fsprogs')),
    ],
  },
]

export type ProbeListener = (checkId: string, capability: CapabilityId, probe: ProbeResult) => void

/** Runs every probe at once; `onProbe` hears each result as it arrives. */
export async function runSystemCheck(onProbe?: ProbeListener, context: CheckContext = {}): Promise<SystemCheck> {
  const checkId = randomUUID()
  const checked = await Promise.all(
    capabilities(context).map(async (spec): Promise<Capability> => {
      const results = await Promise.all(
        spec.probes.map(async ({ run, required }) => {
          const probe: ProbeResult = { ...(await settle(run)), required }
          onProbe?.(checkId, spec.id, probe)
          return probe
        }),
      )
      return { id: spec.id, label: spec.label, ready: results.every((probe) => probe.ok || !probe.required), probes: results }
    }),
  )
  return { checkId, checkedAt: new Date().toISOString(), capabilities: checked }
}

/** A probe that throws is a failed probe, not a failed check. */
async function settle(run: ProbeSpec['run']): Promise<probes.Probe> {
  try {
    return await run()
  } catch (error) {
    return { id: run.name || 'probe', label: run.name || 'probe', ok: false, detail: `Probe failed: ${(error as Error).message}` }
  }
}
