/**
 * The API contract: every procedure (name → input/output schema) and every event
 * (name → payload schema), one file per domain, assembled here. The single source of truth
 * for names and shapes; both transports (Electron IPC, the loopback bridge) and the
 * renderer's client use it. Shapes the builder shares come from builder/src/vocabulary.ts.
 */
import { z } from 'zod'
import { ErrorShape } from '../errors'
import { appEvents, appProcedures } from './app'
import { buildEvents, buildProcedures } from './builds'
import { catalogEvents, catalogProcedures } from './catalog'
import { cardProcedures } from './cards'
import { cloudEvents, cloudProcedures } from './cloud'
import { deviceProcedures } from './devices'
import { factoryEvents, factoryProcedures } from './factory'
import { fileProcedures } from './files'
import { flashEvents, flashProcedures } from './flash'
import { recipeProcedures } from './recipes'
import { settingsProcedures } from './settings'

export * from './app'
export * from './builds'
export * from './cards'
export * from './catalog'
export * from './cloud'
export * from './desktop'
export * from './devices'
export * from './factory'
export * from './files'
export * from './flash'
export * from './recipes'
export * from './settings'

export const procedures = {
  ...appProcedures,
  ...recipeProcedures,
  ...buildProcedures,
  ...flashProcedures,
  ...factoryProcedures,
  ...cardProcedures,
  ...deviceProcedures,
  ...fileProcedures,
  ...settingsProcedures,
  ...cloudProcedures,
  ...catalogProcedures,
}

export const events = {
  ...appEvents,
  ...buildEvents,
  ...flashEvents,
  ...factoryEvents,
  ...cloudEvents,
  ...catalogEvents,
}

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
