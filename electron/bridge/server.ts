/**
 * The loopback bridge: the same dispatcher as Electron IPC, over a token-guarded
 * WebSocket on 127.0.0.1, plus the built renderer as static files. For browser e2e
 * tests and development; a packaged app never starts it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { isEventName } from '@common/contract'
import { OrchardError } from '@common/errors'
import { BRIDGE_CLOSE, BRIDGE_PATH } from '@common/channels'
import { ClientMessage, type ServerMessage } from '@common/wire'
import type { Dispatcher } from '../core/dispatcher'
import type { EventBus } from '../core/events'

export interface BridgeOptions {
  dispatcher: Dispatcher
  bus: EventBus
  /** Must be a loopback address; anything else is refused. */
  host?: string
  port?: number
  /** The built renderer (`out/renderer`), served at `/`. Omit to serve only the WebSocket. */
  staticDir?: string
  token?: string
}

export interface Bridge {
  /** The page to open: origin plus `?token=`. */
  url: string
  origin: string
  token: string
  close(): Promise<void>
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const host = options.host ?? '127.0.0.1'
  if (!isLoopback(host)) {
    throw new OrchardError('FORBIDDEN', `The bridge only binds to loopback addresses, not "${host}"`)
  }
  const token = options.token ?? randomBytes(32).toString('base64url')
  const server = http.createServer((request, response) => void serveStatic(options.staticDir, request, response))
  const sockets = new WebSocketServer({ server, path: BRIDGE_PATH })
  sockets.on('connection', (socket, request) => {
    const offered = new URL(request.url ?? '', 'http://loopback').searchParams.get('token')
    if (!offered) return socket.close(BRIDGE_CLOSE.missingToken.code, BRIDGE_CLOSE.missingToken.reason)
    if (!sameSecret(offered, token)) return socket.close(BRIDGE_CLOSE.invalidToken.code, BRIDGE_CLOSE.invalidToken.reason)
    serveConnection(socket, options.dispatcher, options.bus)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, resolve)
  })
  const { port } = server.address() as AddressInfo
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  return {
    origin,
    token,
    url: `${origin}/?token=${token}`,
    async close() {
      for (const client of sockets.clients) client.terminate()
      await new Promise<void>((resolve) => sockets.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function sameSecret(offered: string, expected: string): boolean {
  const a = Buffer.from(offered)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function serveConnection(socket: WebSocket, dispatcher: Dispatcher, bus: EventBus): void {
  const subscribed = new Set<string>()
  const send = (message: ServerMessage) => socket.send(JSON.stringify(message))
  const stopListening = bus.listen((event, payload) => {
    if (subscribed.has(event)) send({ type: 'event', event, payload })
  })
  socket.on('close', stopListening)
  socket.on('message', async (data) => {
    let message: ClientMessage
    try {
      message = ClientMessage.parse(JSON.parse(String(data)))
    } catch {
      return socket.close(BRIDGE_CLOSE.badMessage.code, BRIDGE_CLOSE.badMessage.reason)
    }
    if (message.type === 'call') {
      send({ type: 'result', id: message.id, result: await dispatcher.dispatch(message.method, message.input) })
    } else if (message.type === 'subscribe') {
      if (isEventName(message.event)) subscribed.add(message.event)
    } else {
      subscribed.delete(message.event)
    }
  })
}

// The same policy the Electron window's meta tag sets, plus the bridge's own socket.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:* ws://[::1]:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

async function serveStatic(root: string | undefined, request: http.IncomingMessage, response: http.ServerResponse) {
  const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://loopback').pathname)
  const file = root ? path.resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`) : undefined
  const inside = root && file && (file === root || file.startsWith(path.resolve(root) + path.sep))
  const found = inside && request.method === 'GET' ? await stat(file).catch(() => undefined) : undefined
  if (!file || !found?.isFile()) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
    return
  }
  response.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': found.size,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  })
  createReadStream(file).pipe(response)
}
