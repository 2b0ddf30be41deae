/**
 * For component tests: the real core in its own process (the bridge server) and the typed
 * client over its WebSocket. A process of its own keeps jsdom's globals out of core's code.
 */
import { WebSocket } from 'ws'
import { createBridgeTransport } from '@common/bridge-transport'
import { createClient, type Client } from '@common/client'
import { startBridgeServer } from './bridge'

export async function startCoreClient(env: Record<string, string> = {}): Promise<{ client: Client; stop(): Promise<void> }> {
  const server = await startBridgeServer(env)
  const client = createClient(createBridgeTransport(server.origin, server.token, WebSocket as never))
  return { client, stop: () => server.stop() }
}
