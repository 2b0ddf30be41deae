/** The contract round trip over a real WebSocket on loopback, against the real core. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createBridgeTransport, type BridgeTransport } from '@common/bridge-transport'
import { BRIDGE_CLOSE } from '@common/channels'
import { createClient } from '@common/client'
import { OrchardError } from '@common/errors'
import { createCore } from '../core'
import http from 'node:http'
import { BRIDGE_MAX_PAYLOAD, startBridge, type Bridge } from './server'

let bridge: Bridge
let staticDir: string
const transports: BridgeTransport[] = []

/** A bare socket on the bridge (no transport), optionally already past the token. */
async function rawSocket(hello = true, options?: ConstructorParameters<typeof WebSocket>[2]) {
  const raw = new WebSocket(`${bridge.origin.replace('http', 'ws')}/bridge`, options)
  raw.on('error', () => undefined)
  await new Promise((resolve) => raw.once('open', resolve))
  if (hello) raw.send(JSON.stringify({ type: 'hello', token: bridge.token }))
  return raw
}

const closeCode = (raw: WebSocket) => new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)))

function connect(token = bridge.token) {
  const transport = createBridgeTransport(bridge.origin, token, WebSocket)
  transports.push(transport)
  return transport
}

beforeAll(async () => {
  staticDir = await mkdtemp(path.join(os.tmpdir(), 'orchard-bridge-'))
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Orchard test</title>')
  const core = createCore({ runtime: { name: 'orchard', version: '9.9.9', runtime: 'node' } })
  bridge = await startBridge({ ...core, staticDir })
})

afterAll(async () => {
  for (const transport of transports) transport.close()
  await bridge.close()
  await rm(staticDir, { recursive: true, force: true })
})

describe('bridge', () => {
  it('answers a valid call with the value from core', async () => {
    const client = createClient(connect())
    const info = await client.call('app.info', {})
    expect(info).toMatchObject({ name: 'orchard', version: '9.9.9', runtime: 'node', platform: process.platform, arch: process.arch })
    expect(info.versions.node).toBe(process.versions.node)
  })

  it('surfaces invalid input as a coded error with the schema issues', async () => {
    const client = createClient(connect())
    const failure = await client.call('app.info', { bogus: 1 } as never).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(OrchardError)
    expect(failure).toMatchObject({ code: 'INVALID_INPUT', detail: { issues: [{ code: 'unrecognized_keys' }] } })
  })

  it('answers an unknown method with UNKNOWN_METHOD', async () => {
    const result = await connect().call('drives.format', { all: true })
    expect(result).toEqual({ ok: false, error: { code: 'UNKNOWN_METHOD', message: 'Unknown method "drives.format"' } })
  })

  it('delivers subscribed events while a call runs, and stops after unsubscribing', async () => {
    const client = createClient(connect())
    const heard: string[] = []
    const checkIds = new Set<string>()
    const stop = client.on('system.probe', ({ checkId, capability, probe }) => {
      checkIds.add(checkId)
      heard.push(`${capability}/${probe.id}`)
    })
    const check = await client.call('system.check', {})
    expect([...checkIds]).toEqual([check.checkId])
    const expected = check.capabilities.flatMap((capability) => capability.probes.map((probe) => `${capability.id}/${probe.id}`))
    expect(expected.length).toBeGreaterThan(5)
    expect(heard.sort()).toEqual(expected.sort())

    stop()
    await client.call('system.check', {})
    expect(heard).toHaveLength(expected.length)
  })

  it('does not send events to a connection that never subscribed', async () => {
    const listening = createClient(connect())
    const silent = connect()
    const silentHeard: unknown[] = []
    // Listen on the raw socket of a second transport: it subscribes to nothing.
    const raw = await rawSocket()
    raw.on('message', (data) => silentHeard.push(JSON.parse(String(data))))
    let heard = 0
    listening.on('system.probe', () => heard++)
    await listening.call('system.check', {})
    await silent.call('app.info', {})
    raw.close()
    expect(heard).toBeGreaterThan(0)
    expect(silentHeard).toEqual([])
  })

  it.each([
    ['a wrong token', 'not-the-token', BRIDGE_CLOSE.invalidToken],
    ['no token', '', BRIDGE_CLOSE.missingToken],
  ])('closes a connection with %s, and its calls fail as UNAVAILABLE', async (_name, token, expected) => {
    const transport = connect(token)
    expect(await transport.closed).toEqual({ code: expected.code, reason: expected.reason })
    const result = await transport.call('app.info', {})
    expect(result).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } })
    if (!result.ok) expect(result.error.message).toContain(String(expected.code))
  })

  it('closes a connection that sends a malformed message', async () => {
    const raw = await rawSocket()
    const closed = closeCode(raw)
    raw.send('{"type":"launch-missiles"}')
    expect(await closed).toBe(BRIDGE_CLOSE.badMessage.code)
  })

  it('takes the token only from the first message: one in the URL query is ignored, a call before hello closes the connection', async () => {
    const withQuery = new WebSocket(`${bridge.origin.replace('http', 'ws')}/bridge?token=${bridge.token}`)
    await new Promise((resolve) => withQuery.once('open', resolve))
    const queryClosed = closeCode(withQuery)
    withQuery.send(JSON.stringify({ type: 'call', id: 1, method: 'app.info', input: {} }))
    expect(await queryClosed).toBe(BRIDGE_CLOSE.missingToken.code)

    const twice = await rawSocket()
    const twiceClosed = closeCode(twice)
    twice.send(JSON.stringify({ type: 'hello', token: bridge.token }))
    expect(await twiceClosed).toBe(BRIDGE_CLOSE.badMessage.code)
  })

  it('prints a page URL that carries the token in its fragment, which browsers never send', () => {
    const url = new URL(bridge.url)
    expect(url.search).toBe('')
    expect(new URLSearchParams(url.hash.slice(1)).get('token')).toBe(bridge.token)
  })

  it('refuses to bind to a non-loopback address', async () => {
    const core = createCore({ runtime: { name: 'orchard', version: '0', runtime: 'node' } })
    for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
      await expect(startBridge({ ...core, host })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    }
  })

  it('serves the renderer with a CSP, and nothing outside its folder', async () => {
    const page = await fetch(`${bridge.origin}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Orchard test')
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    const escape = await fetch(`${bridge.origin}/%2e%2e/%2e%2e/etc/passwd`)
    expect(escape.status).toBe(404)
  })

  it.each(['/%', '//', '/%E0%A4%A', '//etc/passwd', '/a%00b', '/..%2f..%2fetc%2fpasswd', '/%2e%2e%5c..%5cetc', '*'])('answers the malformed path %s with 400 or 404 and keeps serving', async (target) => {
    const status = await rawRequest(target)
    expect([400, 404]).toContain(status)
    expect((await fetch(`${bridge.origin}/`)).status).toBe(200)
  })

  it.each([
    ['a DNS-rebinding host', () => ({ host: `evil.example:${port()}` })],
    ['a foreign origin', () => ({ origin: 'http://evil.example' })],
    ['another loopback port', () => ({ origin: `http://127.0.0.1:${Number(port()) + 1}` })],
  ])('refuses a page request from %s with 403', async (_name, headers) => {
    expect(await rawRequest('/', headers())).toBe(403)
  })

  it('serves its own origin and localhost', async () => {
    expect(await rawRequest('/', { origin: bridge.origin })).toBe(200)
    expect(await rawRequest('/', { host: `localhost:${port()}` })).toBe(200)
  })

  it.each([
    ['a DNS-rebinding host', () => ({ host: `evil.example:${port()}` })],
    ['a foreign origin', () => ({ origin: 'http://evil.example' })],
  ])('refuses the WebSocket upgrade from %s, even with the token', async (_name, headers) => {
    const raw = new WebSocket(`${bridge.origin.replace('http', 'ws')}/bridge`, { headers: headers() })
    const refused = await new Promise<number>((resolve, reject) => {
      raw.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
      raw.once('open', () => reject(new Error('the upgrade was accepted')))
      raw.once('error', reject)
    })
    expect(refused).toBe(403)
  })

  it('accepts the WebSocket from its own origin', async () => {
    const raw = await rawSocket(true, { origin: bridge.origin })
    expect(raw.readyState).toBe(WebSocket.OPEN)
    raw.close()
  })

  it('closes a connection that sends a frame over maxPayload, and serves others', async () => {
    expect(BRIDGE_MAX_PAYLOAD).toBeLessThanOrEqual(16 * 1024 * 1024)
    const raw = await rawSocket()
    const closed = closeCode(raw)
    raw.send('x'.repeat(BRIDGE_MAX_PAYLOAD + 1))
    expect(await closed).toBe(1009)
    expect(await connect().call('app.info', {})).toMatchObject({ ok: true })
  })
})

const port = () => new URL(bridge.origin).port

/** A request with its target and headers exactly as given (fetch would normalise both). */
function rawRequest(target: string, headers: Record<string, string> = {}): Promise<number> {
  const { hostname, port: at } = new URL(bridge.origin)
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port: at, path: target, headers, setHost: !headers.host }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    request.on('error', reject)
    request.end()
  })
}
