/** The app itself and the machine it runs on: app.info, system.check and its probes. */
import { z } from 'zod'
import { NoInput, type EventMap, type ProcedureMap } from './shared'

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  runtime: z.enum(['electron', 'node']),
  platform: z.string(),
  arch: z.string(),
  elevated: z.boolean(),
  versions: z.object({
    node: z.string(),
    v8: z.string(),
    electron: z.string().nullable(),
    chrome: z.string().nullable(),
  }),
})
export type AppInfo = z.infer<typeof AppInfo>

export const CapabilityId = z.enum(['quickBuild', 'dockerBuild', 'cloud', 'flash', 'bootTest'])
export type CapabilityId = z.infer<typeof CapabilityId>

export const ProbeResult = z.object({
  id: z.string(),
  label: z.string(),
  ok: z.boolean(),
  /** A capability is ready when all of its required probes pass. */
  required: z.boolean(),
  detail: z.string(),
  /** How to fix a failing probe, for a person. */
  fix: z.string().optional(),
})
export type ProbeResult = z.infer<typeof ProbeResult>

export const Capability = z.object({
  id: CapabilityId,
  label: z.string(),
  ready: z.boolean(),
  probes: z.array(ProbeResult),
})
export type Capability = z.infer<typeof Capability>

export const SystemCheck = z.object({
  /** Names this run; its `system.probe` events carry the same id. */
  checkId: z.string(),
  checkedAt: z.string(),
  capabilities: z.array(Capability),
})
export type SystemCheck = z.infer<typeof SystemCheck>

export const appProcedures = {
  'app.info': { input: NoInput, output: AppInfo },
  'system.check': { input: NoInput, output: SystemCheck },
} as const satisfies ProcedureMap

export const appEvents = {
  /** One probe of a running system.check finished (lets the UI fill in as it goes). */
  'system.probe': z.object({ checkId: z.string(), capability: CapabilityId, probe: ProbeResult }),
} as const satisfies EventMap
