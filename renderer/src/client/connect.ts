/**
 * Picks the transport: the preload API inside Electron, else the loopback bridge whose
 * token came in the page URL. Components only ever see the typed client.
 */
import { createBridgeTransport } from '@common/bridge-transport'
import { createClient, type Client } from '@common/client'
import type { Transport } from '@common/wire'

declare global {
  interface Window {
    orchard?: Transport
  }
}

const TOKEN_KEY = 'orchard.bridgeToken'

export function connect(): Client {
  if (window.orchard) return createClient(window.orchard)

  const params = new URLSearchParams(window.location.search)
  const fromUrl = params.get('token')
  if (fromUrl) {
    // Keep the token for reloads of this tab, but out of the address bar and history.
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    window.history.replaceState(null, '', window.location.pathname + window.location.hash)
  }
  const token = fromUrl ?? sessionStorage.getItem(TOKEN_KEY)
  if (!token) {
    throw new Error('No Electron preload and no bridge token. Start Orchard with "npm run web" and open the URL it prints.')
  }
  return createClient(createBridgeTransport(window.location.origin, token, WebSocket))
}
