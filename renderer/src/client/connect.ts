/**
 * Picks the transport: the preload API inside Electron, else the loopback bridge whose
 * token came in the page URL's fragment. Components only ever see the typed client.
 */
import { createBridgeTransport } from '@common/bridge-transport'
import { createClient, type Client } from '@common/client'
import type { Transport } from '@common/wire'

declare global {
  interface Window {
    orchard?: Transport
  }
}

export function connect(): Client {
  if (window.orchard) return createClient(window.orchard)

  // The token lives in this page's memory only: not in storage (any script of the origin
  // could read it later), not in the address bar or history. A reload needs the URL again.
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token')
  if (token) window.history.replaceState(null, '', window.location.pathname + window.location.search)
  if (!token) {
    throw new Error('No Electron preload and no bridge token. Open the URL "npm run web" printed (a reload forgets the token).')
  }
  return createClient(createBridgeTransport(window.location.origin, token, WebSocket))
}
