/**
 * Names and codes both ends of a transport agree on. Free of zod on purpose: the
 * sandboxed preload imports this file and must stay a single small bundle.
 */
export const IPC_CHANNELS = {
  call: 'orchard:call',
  subscribe: 'orchard:subscribe',
  unsubscribe: 'orchard:unsubscribe',
  event: 'orchard:event',
} as const

/** The desktop services' channels, preload → main (each one's input and output: contract/desktop.ts). */
export const DESKTOP_CHANNELS = {
  openFile: 'orchard:desktop:open-file',
  saveFile: 'orchard:desktop:save-file',
  showInFolder: 'orchard:desktop:show-in-folder',
} as const

/** Path of the bridge's WebSocket endpoint; the token travels in the first message (`hello`). */
export const BRIDGE_PATH = '/bridge'

/** WebSocket close codes the bridge uses (4000–4999 is the application range). */
export const BRIDGE_CLOSE = {
  missingToken: { code: 4401, reason: 'missing bridge token' },
  invalidToken: { code: 4403, reason: 'invalid bridge token' },
  badMessage: { code: 4400, reason: 'malformed bridge message' },
} as const
