/**
 * The Electron adapter, driven through a minimal stand-in for ipcMain (the Electron
 * binary cannot run here). The dispatcher and bus behind it are the real ones.
 */
import { describe, expect, it, vi } from 'vitest'
import { IPC_CHANNELS } from '@common/channels'
import type { CallResult } from '@common/contract'
import { createCore } from '../core'
import { createSenderCheck, registerIpc, type IpcEventLike, type IpcMainLike, type SenderContents } from './ipc'

type Listener = (event: IpcEventLike, ...args: unknown[]) => unknown

class FakeIpcMain implements IpcMainLike {
  handlers = new Map<string, Listener>()
  listeners = new Map<string, Listener[]>()
  handle(channel: string, listener: Listener) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`)
    this.handlers.set(channel, listener)
  }
  on(channel: string, listener: Listener) {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener])
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel)
  }
  removeAllListeners(channel: string) {
    this.listeners.delete(channel)
  }
  invoke(channel: string, event: IpcEventLike, ...args: unknown[]) {
    const handler = this.handlers.get(channel)
    if (!handler) throw new Error(`no handler for ${channel}`)
    return handler(event, ...args) as Promise<CallResult>
  }
  send(channel: string, event: IpcEventLike, ...args: unknown[]) {
    for (const listener of this.listeners.get(channel) ?? []) listener(event, ...args)
  }
}

function fakeContents(id: number) {
  let onDestroyed = () => {}
  const contents = {
    id,
    destroyed: false,
    send: vi.fn(),
    isDestroyed: () => contents.destroyed,
    once: (_event: 'destroyed', listener: () => void) => (onDestroyed = listener),
    destroy: () => {
      contents.destroyed = true
      onDestroyed()
    },
  }
  return contents satisfies SenderContents
}

function eventFrom(contents: SenderContents, url = 'file:///app/out/renderer/index.html', parent: unknown = null): IpcEventLike {
  return { sender: contents, senderFrame: { url, parent } }
}

function setup() {
  const ipcMain = new FakeIpcMain()
  const core = createCore({ runtime: { name: 'orchard', version: '0.0.0-test', runtime: 'electron' } })
  const windowIds = new Set([1])
  const dispose = registerIpc({ ipcMain, ...core, isTrustedSender: createSenderCheck(() => windowIds, 'file://') })
  return { ipcMain, core, windowIds, dispose }
}

describe('Electron IPC adapter', () => {
  it('dispatches a call from our window to core', async () => {
    const { ipcMain } = setup()
    const result = await ipcMain.invoke(IPC_CHANNELS.call, eventFrom(fakeContents(1)), 'app.info', {})
    expect(result).toMatchObject({ ok: true, value: { name: 'orchard', version: '0.0.0-test', platform: process.platform } })
  })

  it('returns contract errors, not exceptions, for bad calls', async () => {
    const { ipcMain } = setup()
    const sender = eventFrom(fakeContents(1))
    expect(await ipcMain.invoke(IPC_CHANNELS.call, sender, 'app.info', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    expect(await ipcMain.invoke(IPC_CHANNELS.call, sender, 'no.such', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } })
  })

  it.each([
    ['a window that is not ours', eventFrom(fakeContents(2))],
    ['a subframe of our window', eventFrom(fakeContents(1), 'file:///app/out/renderer/index.html', { url: 'file:///x' })],
    ['our window showing a remote page', eventFrom(fakeContents(1), 'https://evil.example/')],
    ['a sender without a frame', { sender: fakeContents(1), senderFrame: null }],
  ])('refuses calls from %s', async (_name, event) => {
    const { ipcMain, core } = setup()
    const dispatch = vi.spyOn(core.dispatcher, 'dispatch')
    const result = await ipcMain.invoke(IPC_CHANNELS.call, event, 'app.info', {})
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(dispatch).not.toHaveBeenCalled()
  })

  it('pushes events only to windows that subscribed, until they unsubscribe', () => {
    const { ipcMain, core, windowIds } = setup()
    windowIds.add(2)
    const subscriber = fakeContents(1)
    const bystander = fakeContents(2)
    ipcMain.send(IPC_CHANNELS.subscribe, eventFrom(subscriber), 'system.probe')
    const payload = { checkId: 'c1', capability: 'flash' as const, probe: { id: 'p', label: 'P', ok: true, required: true, detail: 'fine' } }
    core.bus.emit('system.probe', payload)
    expect(subscriber.send).toHaveBeenCalledWith(IPC_CHANNELS.event, { event: 'system.probe', payload })
    expect(bystander.send).not.toHaveBeenCalled()

    ipcMain.send(IPC_CHANNELS.unsubscribe, eventFrom(subscriber), 'system.probe')
    core.bus.emit('system.probe', payload)
    expect(subscriber.send).toHaveBeenCalledTimes(1)
  })

  it('ignores subscriptions from untrusted senders and to unknown events', () => {
    const { ipcMain, core } = setup()
    const stranger = fakeContents(9)
    const ours = fakeContents(1)
    ipcMain.send(IPC_CHANNELS.subscribe, eventFrom(stranger), 'system.probe')
    ipcMain.send(IPC_CHANNELS.subscribe, eventFrom(ours), 'no.such.event')
    core.bus.emit('system.probe', { checkId: 'c1', capability: 'cloud', probe: { id: 'p', label: 'P', ok: false, required: true, detail: 'x' } })
    expect(stranger.send).not.toHaveBeenCalled()
    expect(ours.send).not.toHaveBeenCalled()
  })

  it('forgets a destroyed window and removes its channels when disposed', async () => {
    const { ipcMain, core, dispose } = setup()
    const contents = fakeContents(1)
    ipcMain.send(IPC_CHANNELS.subscribe, eventFrom(contents), 'system.probe')
    contents.destroy()
    core.bus.emit('system.probe', { checkId: 'c1', capability: 'cloud', probe: { id: 'p', label: 'P', ok: true, required: true, detail: 'x' } })
    expect(contents.send).not.toHaveBeenCalled()

    dispose()
    expect(ipcMain.handlers.size).toBe(0)
    expect(ipcMain.listeners.size).toBe(0)
  })
})

describe('sender check for a dev server origin', () => {
  const check = createSenderCheck(() => [1], 'http://localhost:5173')
  it('accepts the dev server and refuses look-alikes', () => {
    const contents = fakeContents(1)
    expect(check(eventFrom(contents, 'http://localhost:5173/#/flash'))).toBe(true)
    expect(check(eventFrom(contents, 'http://localhost:5174/'))).toBe(false)
    expect(check(eventFrom(contents, 'http://localhost:5173.evil.example/'))).toBe(false)
    expect(check(eventFrom(contents, 'file:///etc/passwd'))).toBe(false)
  })
})
