import { describe, expect, it, vi } from 'vitest'
import { procedures, type AppInfo, type SystemCheck } from '@common/contract'
import { OrchardError } from '@common/errors'
import { createDispatcher, type Handlers } from './dispatcher'

const info: AppInfo = {
  name: 'orchard',
  version: '1.2.3',
  runtime: 'node',
  platform: 'linux',
  arch: 'x64',
  elevated: false,
  versions: { node: '20', v8: '11', electron: null, chrome: null },
}
const check: SystemCheck = { checkId: 'c1', checkedAt: new Date(0).toISOString(), capabilities: [] }

function dispatcherWith(overrides: Partial<Handlers> = {}) {
  const onInternalError = vi.fn()
  const notInThisTest = () => {
    throw new Error('not used in this test')
  }
  const unused = Object.fromEntries(Object.keys(procedures).map((method) => [method, notInThisTest])) as unknown as Handlers
  const handlers: Handlers = { ...unused, 'app.info': () => info, 'system.check': () => check, ...overrides }
  return { dispatcher: createDispatcher(handlers, { onInternalError }), onInternalError }
}

describe('dispatcher', () => {
  it('returns the handler value for a valid call', async () => {
    const { dispatcher } = dispatcherWith()
    expect(await dispatcher.dispatch('app.info', {})).toEqual({ ok: true, value: info })
  })

  it('treats a missing input as an empty object', async () => {
    const { dispatcher } = dispatcherWith()
    expect(await dispatcher.dispatch('system.check', undefined)).toEqual({ ok: true, value: check })
  })

  it('rejects input that fails the schema, naming the offending path', async () => {
    const handler = vi.fn(() => info)
    const { dispatcher } = dispatcherWith({ 'app.info': handler })
    const result = await dispatcher.dispatch('app.info', { surprise: true })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.code).toBe('INVALID_INPUT')
    expect(result.error.message).toContain('app.info')
    expect(result.error.detail).toMatchObject({ issues: [{ code: 'unrecognized_keys' }] })
    expect(handler).not.toHaveBeenCalled()
  })

  it('rejects an unknown method, including names inherited from Object.prototype', async () => {
    const { dispatcher } = dispatcherWith()
    for (const method of ['nope.nothing', 'toString', '__proto__']) {
      const result = await dispatcher.dispatch(method, {})
      expect(result).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } })
    }
  })

  it('passes an OrchardError through with its code and detail', async () => {
    const { dispatcher, onInternalError } = dispatcherWith({
      'system.check': () => {
        throw new OrchardError('UNAVAILABLE', 'Docker is not running', { socket: '/var/run/docker.sock' })
      },
    })
    expect(await dispatcher.dispatch('system.check', {})).toEqual({
      ok: false,
      error: { code: 'UNAVAILABLE', message: 'Docker is not running', detail: { socket: '/var/run/docker.sock' } },
    })
    expect(onInternalError).not.toHaveBeenCalled()
  })

  it('turns an unexpected exception into INTERNAL and reports it', async () => {
    const boom = new TypeError('x is undefined')
    const { dispatcher, onInternalError } = dispatcherWith({
      'app.info': async () => {
        throw boom
      },
    })
    const result = await dispatcher.dispatch('app.info', {})
    expect(result).toMatchObject({ ok: false, error: { code: 'INTERNAL', message: 'app.info failed unexpectedly: x is undefined' } })
    expect(onInternalError).toHaveBeenCalledWith('app.info', boom)
  })

  it('refuses to send a value that breaks the output schema', async () => {
    const { dispatcher } = dispatcherWith({ 'app.info': () => ({ ...info, elevated: 'yes' }) as unknown as AppInfo })
    expect(await dispatcher.dispatch('app.info', {})).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
  })
})
