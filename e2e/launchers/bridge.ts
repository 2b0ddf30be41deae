/** Starts the real core and the built renderer behind the loopback bridge (`npm run web`'s server). */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { projectRoot } from './paths'

export interface BridgeServer {
  url: string
  origin: string
  token: string
  stop(): Promise<void>
}

/** `env` is added to core's environment (test drives, a private data dir). */
export async function startBridgeServer(env: Record<string, string> = {}): Promise<BridgeServer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'electron/bridge/serve.ts', '--json'], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`bridge server exited (${code}) before printing its URL`)))
  })
  const { url, origin, token } = JSON.parse(firstLine) as { url: string; origin: string; token: string }
  return {
    url,
    origin,
    token,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
