/**
 * The API contract: every procedure (name → input/output schema) and every event
 * (name → payload schema). The single source of truth for names and shapes; both
 * transports (Electron IPC, the loopback bridge) and the renderer's client use it.
 */
import { z } from 'zod'
import { ErrorShape } from './errors'

const NoInput = z.object({}).strict()

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

export const procedures = {
  'app.info': { input: NoInput, output: AppInfo },
  'system.check': { input: NoInput, output: SystemCheck },
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>

export const events = {
  /** One probe of a running system.check finished (lets the UI fill in as it goes). */
  'system.probe': z.object({ checkId: z.string(), capability: CapabilityId, probe: ProbeResult }),
} as const satisfies Record<string, z.ZodType>

export type Method = keyof typeof procedures
export type Input<M extends Method> = z.input<(typeof procedures)[M]['input']>
export type Output<M extends Method> = z.output<(typeof procedures)[M]['output']>
export type EventName = keyof typeof events
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>

export function isMethod(name: string): name is Method {
  return Object.hasOwn(procedures, name)
}
export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name)
}

/** What every call returns, whatever the transport: never a raw exception. */
export const CallResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorShape }),
])
export type CallResult = z.infer<typeof CallResult>
