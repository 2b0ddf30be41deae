/**
 * The one dispatcher both adapters (Electron IPC, loopback bridge) call. It validates the
 * input with the contract's schema, runs the handler, validates the output, and turns
 * every failure into `{ ok: false, error }`: raw exceptions never cross the boundary.
 */
import { z } from 'zod'
import { isMethod, procedures, type CallResult, type Input, type Method, type Output } from '@common/contract'
import { OrchardError } from '@common/errors'

export type Handlers = { [M in Method]: (input: Input<M>) => Promise<Output<M>> | Output<M> }

export interface Dispatcher {
  dispatch(method: string, input: unknown): Promise<CallResult>
}

export interface DispatcherOptions {
  /** Where unexpected (INTERNAL) failures are reported; they are bugs worth a stack trace. */
  onInternalError?: (method: string, error: unknown) => void
  /** Recognizes expected failures thrown by lower layers (the builder's) as coded errors. */
  translateError?: (error: unknown) => OrchardError | null
}

export function createDispatcher(handlers: Handlers, options: DispatcherOptions = {}): Dispatcher {
  const report = options.onInternalError ?? ((method, error) => console.error(`[core] ${method} failed:`, error))

  return {
    async dispatch(method, rawInput) {
      if (!isMethod(method)) {
        return failure(new OrchardError('UNKNOWN_METHOD', `Unknown method "${method}"`))
      }
      const spec = procedures[method]
      const input = spec.input.safeParse(rawInput ?? {})
      if (!input.success) {
        return failure(
          new OrchardError('INVALID_INPUT', `Invalid input for ${method}: ${z.prettifyError(input.error)}`, {
            issues: input.error.issues.map(({ path, message, code }) => ({ path: path.map(String), message, code })),
          }),
        )
      }
      try {
        const handler = handlers[method] as (input: unknown) => unknown
        const value = spec.output.parse(await handler(input.data))
        return { ok: true, value }
      } catch (error) {
        const known = error instanceof OrchardError ? error : options.translateError?.(error)
        if (known) return failure(known)
        report(method, error)
        return failure(new OrchardError('INTERNAL', `${method} failed unexpectedly: ${messageOf(error)}`))
      }
    },
  }
}

function failure(error: OrchardError): CallResult {
  return { ok: false, error: error.toShape() }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
