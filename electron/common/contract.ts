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

export const RecipeProblem = z.object({ path: z.string(), message: z.string() })

export const RecipeValidation = z.object({
  valid: z.boolean(),
  problems: z.array(RecipeProblem),
  /** The recipe's name when it parsed far enough to have one. */
  name: z.string().nullable(),
})

export const BuildMode = z.enum(['auto', 'quick'])

export const BuildPhase = z.enum(['source', 'customize', 'write', 'compress', 'done'])

export const BuildProgress = z.object({
  buildId: z.string(),
  phase: BuildPhase,
  message: z.string(),
  fraction: z.number().min(0).max(1).optional(),
  bytes: z.number().optional(),
  totalBytes: z.number().optional(),
})
export type BuildProgress = z.infer<typeof BuildProgress>

export const BuildOutput = z.object({
  image: z.string(),
  sha256: z.string(),
  compressed: z.string().nullable(),
  buildInfoFile: z.string(),
  bytes: z.number(),
  customizations: z.array(z.string()),
  release: z.string(),
})
export type BuildOutput = z.infer<typeof BuildOutput>

export const BuildFinished = z.discriminatedUnion('ok', [
  z.object({ buildId: z.string(), ok: z.literal(true), output: BuildOutput }),
  z.object({ buildId: z.string(), ok: z.literal(false), error: ErrorShape }),
])
export type BuildFinished = z.infer<typeof BuildFinished>

const FilePath = z.string().min(1)

export const procedures = {
  'app.info': { input: NoInput, output: AppInfo },
  'system.check': { input: NoInput, output: SystemCheck },
  /** Checks recipe YAML; relative paths in it are checked against `baseDir` when given. */
  'recipes.validate': { input: z.object({ yaml: z.string(), baseDir: FilePath.optional() }).strict(), output: RecipeValidation },
  'recipes.load': { input: z.object({ path: FilePath }).strict(), output: z.object({ path: z.string(), yaml: z.string(), validation: RecipeValidation }) },
  /** Writes recipe YAML (only a valid one) to `path`, atomically. */
  'recipes.save': { input: z.object({ path: FilePath, yaml: z.string() }).strict(), output: z.object({ path: z.string() }) },
  /** Starts a build in the background; progress and the end arrive as builds.* events. */
  'builds.start': {
    input: z.object({ recipePath: FilePath, outDir: FilePath, mode: BuildMode.default('auto') }).strict(),
    output: z.object({ buildId: z.string() }),
  },
  'builds.cancel': { input: z.object({ buildId: z.string() }).strict(), output: z.object({ cancelled: z.boolean() }) },
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>

export const events = {
  /** One probe of a running system.check finished (lets the UI fill in as it goes). */
  'system.probe': z.object({ checkId: z.string(), capability: CapabilityId, probe: ProbeResult }),
  'builds.progress': BuildProgress,
  'builds.finished': BuildFinished,
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
