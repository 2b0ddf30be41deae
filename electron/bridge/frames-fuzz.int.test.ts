/**
 * A started bridge under random WebSocket frames (fast-check, kept small: each case is a
 * connection): text and binary frames of random bytes, random JSON, client messages with
 * fields changed, before and after `hello`. The bridge answers each call it can parse with
 * a result for that id, closes the connection on anything else (4400, or 4401 before
 * hello), never crashes, and a fresh client's valid call still works after every case.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createBridgeTransport } from '@common/bridge-transport'
import { BRIDGE_CLOSE, BRIDGE_PATH } from '@common/channels'
import { ServerMessage } from '@common/wire'
import { fuzzRuns, fuzzSummary } from '../../builder/src/testing/fuzz'
import { createCore } from '../core'
import { startBridge, type Bridge } from './server'

let bridge: Bridge
let staticDir: string

beforeAll(async () => {
  staticDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-bridge-fuzz-'))
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>fuzz</title>')
  bridge = await startBridge({ ...createCore({ runtime: { name: 'orchard', version: '9.9.9', runtime: 'node' } }), staticDir })
})
afterAll(async () => {
  await bridge.close()
  await rm(staticDir, { recursive: true, force: true })
})

type Frame = string | Buffer

/** Calls only to methods that change nothing (app.info) or do not exist: a random input must not flash a drive. */
const call = fc.record({
  type: fc.constant('call'),
  id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
  method: fc.oneof(fc.constantFrom('app.info', 'no.such.method', '__proto__', 'constructor', ''), fc.string({ maxLength: 10 }).map((s) => `x.${s}`)),
  input: fc.anything(),
})
const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ maxLength: 100 }),
  fc.json(),
  call.map((message) => JSON.stringify(message)),
  fc.record({ type: fc.constantFrom('subscribe', 'unsubscribe'), event: fc.oneof(fc.string(), fc.constantFrom('system.probe', '__proto__')) }).map((m) => JSON.stringify(m)),
  fc.constantFrom('{"type":"hello","token":""}', '{"type":"hello"}', '{"type":"call","id":1,"method":"app.info"}', 'null', '[]', '{"__proto__":{"type":"call"}}'),
)

interface Outcome {
  closed: number | null
  results: ServerMessage[]
}

/** A connection that says hello (when `hello`), sends `frames`, and waits for the close or the answers. */
async function exchange(frames: Frame[], hello: boolean): Promise<Outcome> {
  const socket = new WebSocket(`${bridge.origin.replace('http', 'ws')}${BRIDGE_PATH}`)
  const outcome: Outcome = { closed: null, results: [] }
  socket.on('message', (data) => {
    const parsed = ServerMessage.safeParse(JSON.parse(String(data)))
    if (!parsed.success) throw new Error(`the bridge sent a malformed message: ${String(data)}`)
    outcome.results.push(parsed.data)
  })
  const closed = new Promise<void>((resolve) => socket.once('close', (code) => ((outcome.closed = code), resolve())))
  socket.on('error', () => undefined)
  await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)))
  if (hello) socket.send(JSON.stringify({ type: 'hello', token: bridge.token }))
  for (const f of frames) socket.send(f)
  // Calls answer asynchronously: long enough for app.info, then close from our side if the bridge did not.
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 150))])
  if (outcome.closed === null) {
    socket.close()
    await closed
  }
  return outcome
}

const stillServes = async () => {
  const transport = createBridgeTransport(bridge.origin, bridge.token, WebSocket)
  try {
    expect(await transport.call('app.info', {})).toMatchObject({ ok: true, value: { version: '9.9.9' } })
  } finally {
    transport.close()
  }
}

describe('the bridge under random frames', () => {
  it('closes a connection whose first frame is random bytes as missing its hello (4401), and serves the next', async () => {
    expect((await exchange([Buffer.from([0xff, 0xfe, 0x00, 0x7b])], false)).closed).toBe(BRIDGE_CLOSE.missingToken.code)
    await stillServes()
  })

  it('fuzz: each parsed call answered for its id, anything else closes 4400 (4401 before hello); the bridge serves on', async () => {
    const count = { connections: 0, frames: 0, 'closed by the bridge': 0, results: 0 }
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 6 }), fc.boolean(), async (frames, hello) => {
        const outcome = await exchange(frames, hello)
        count.connections++
        count.frames += frames.length
        count.results += outcome.results.length
        if (outcome.closed !== 1005 && outcome.closed !== 1000) {
          count['closed by the bridge']++
          expect([BRIDGE_CLOSE.badMessage.code, BRIDGE_CLOSE.missingToken.code, BRIDGE_CLOSE.invalidToken.code]).toContain(outcome.closed)
        }
        if (!hello) expect(outcome.results).toEqual([])
        for (const result of outcome.results) expect(result.type).toBe('result')
        await stillServes()
      }),
      fuzzRuns(200, 5),
    )
    fuzzSummary('bridge frames', count)
  }, 30_000)

  it('fuzz: calls with random methods and inputs are each answered with a result for their id, the connection kept', async () => {
    const count = { connections: 0, calls: 0 }
    // JSON-expressible inputs: an undefined input leaves no `input` key, which is not a call (it closes 4400, as above).
    const validCall = fc.record({ type: fc.constant('call'), method: call.map((c) => c.method), input: fc.jsonValue() })
    await fc.assert(
      fc.asyncProperty(fc.array(validCall, { minLength: 1, maxLength: 6 }), async (calls) => {
        const frames = calls.map((c, i) => JSON.stringify({ ...c, id: i }))
        const outcome = await exchange(frames, true)
        count.connections++
        count.calls += calls.length
        expect(outcome.closed).toBe(1005) // closed by us, not the bridge
        expect(outcome.results.map((r) => (r.type === 'result' ? r.id : -1)).sort()).toEqual(calls.map((_, i) => i))
        for (const r of outcome.results) if (r.type === 'result' && !r.result.ok) expect(['UNKNOWN_METHOD', 'INVALID_INPUT']).toContain(r.result.error.code)
      }),
      fuzzRuns(100, 5),
    )
    fuzzSummary('bridge calls', count)
  }, 30_000)
})
