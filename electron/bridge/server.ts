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
  /**
   * The page to open: origin plus `#token=`. A fragment is never sent to a server, so the
   * token stays out of request lines, logs and Referer; the page keeps it in memory only.
   */
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

/**
 * The largest frame a client may send. Client messages are calls whose biggest inputs are
 * text a person imports (a devices CSV, a recipe, a card file): 8 MiB holds a devices table
 * of some 40,000 rows with JSON escaping, and is far below ws's 100 MiB default.
 */
export const BRIDGE_MAX_PAYLOAD = 8 * 1024 * 1024

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const host = options.host ?? '127.0.0.1'
  if (!isLoopback(host)) {
    throw new OrchardError('FORBIDDEN', `The bridge only binds to loopback addresses, not "${host}"`)
  }
  const token = options.token ?? randomBytes(32).toString('base64url')
  // Filled in once listening: the port is known only then, and nothing is served before.
  let allowed: { hosts: Set<string>; origins: Set<string> } = { hosts: new Set(), origins: new Set() }
  // A DNS-rebinding page sends a foreign Host; a foreign page sends its own Origin (browsers always send one with a WebSocket).
  const permitted = (request: http.IncomingMessage) => {
    const { host: hostHeader, origin } = request.headers
    return hostHeader !== undefined && allowed.hosts.has(hostHeader.toLowerCase()) && (origin === undefined || allowed.origins.has(origin.toLowerCase()))
  }
  const server = http.createServer((request, response) => {
    if (!permitted(request)) return void response.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden')
    serveStatic(options.staticDir, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' })
      response.end()
    })
  })
  const sockets = new WebSocketServer({
    server,
    path: BRIDGE_PATH,
    maxPayload: BRIDGE_MAX_PAYLOAD,
    verifyClient: ({ req }, done) => (permitted(req) ? done(true) : done(false, 403, 'Forbidden')),
  })
  sockets.on('connection', (socket) => {
    // ws closes the connection itself (1009 for an oversized frame); unheard, the error would end the process.
    socket.on('error', () => undefined)
    awaitHello(socket, token, () => serveConnection(socket, options.dispatcher, options.bus))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, resolve)
  })
  const { port } = server.address() as AddressInfo
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, origin.slice('http://'.length)])
  allowed = { hosts, origins: new Set([...hosts].map((name) => `http://${name}`)) }
  return {
    origin,
    token,
    url: `${origin}/#token=${token}`,
    async close() {
      for (const client of sockets.clients) client.terminate()
      await new Promise<void>((resolve) => sockets.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** How long a connection may stay open without saying who it is. */
const HELLO_TIMEOUT_MS = 10_000

/**
 * The first message must be `hello` with the token; until then nothing reaches the
 * dispatcher. Anything else first closes as missing, a wrong token as invalid.
 */
function awaitHello(socket: WebSocket, token: string, authenticated: () => void): void {
  const missing = () => socket.close(BRIDGE_CLOSE.missingToken.code, BRIDGE_CLOSE.missingToken.reason)
  const timer = setTimeout(missing, HELLO_TIMEOUT_MS)
  socket.once('close', () => clearTimeout(timer))
  socket.once('message', (data) => {
    clearTimeout(timer)
    const hello = parseMessage(data)
    if (hello?.type !== 'hello' || hello.token === '') return missing()
    if (!sameSecret(hello.token, token)) return socket.close(BRIDGE_CLOSE.invalidToken.code, BRIDGE_CLOSE.invalidToken.reason)
    authenticated()
  })
}

function parseMessage(data: unknown): ClientMessage | undefined {
  try {
    return ClientMessage.parse(JSON.parse(String(data)))
  } catch {
    return undefined
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
    const message = parseMessage(data)
    // A second hello is as out of place as garbage.
    if (!message || message.type === 'hello') return socket.close(BRIDGE_CLOSE.badMessage.code, BRIDGE_CLOSE.badMessage.reason)
    if (message.type === 'call') {
      send({ type: 'result', id: message.id, result: await dispatcher.dispatch(message.method, message.input) })
    } else if (message.type === 'subscribe') {
      if (isEventName(message.event)) subscribed.add(message.event)
    } else if (message.type === 'unsubscribe') {
      subscribed.delete(message.event)
    }
  })
}

// The same policy the Electron window's meta tag sets, plus the bridge's own socket.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:* ws://[::1]:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

async function serveStatic(root: string | undefined, request: http.IncomingMessage, response: http.ServerResponse) {
  const pathname = decodedPath(request.url)
  if (pathname === undefined) {
    response.writeHead(400, { 'content-type': 'text/plain' }).end('Bad request')
    return
  }
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

/** The request's path, percent-decoded; undefined when it is not an origin-form path (`*`, `//x`) or decodes to nonsense. */
function decodedPath(target: string | undefined): string | undefined {
  const raw = (target ?? '/').split('?')[0]!
  if (!raw.startsWith('/') || raw.startsWith('//')) return undefined
  try {
    const pathname = decodeURIComponent(raw)
    return pathname.includes('\0') ? undefined : pathname
  } catch {
    return undefined
  }
}
