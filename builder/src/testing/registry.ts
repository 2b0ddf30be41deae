/** For tests: Debian's docker-registry on 127.0.0.1 (a loopback registry Docker pushes to without TLS). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { startCommand } from '../util/process'
import { findExecutable } from '../util/tools'

export function registryUnavailableReason(): string | null {
  return findExecutable('docker-registry') ? null : 'docker-registry is not installed (Debian package docker-registry)'
}

export interface TestRegistry {
  /** host:port, as image references name it. */
  address: string
  stop(): Promise<void>
}

export async function startRegistry(): Promise<TestRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-registry-'))
  const port = await freePort()
  const config = path.join(dir, 'config.yml')
  await writeFile(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`)
  const { child, done } = startCommand('docker-registry', ['serve', config], { stdout: 'ignore' })
  let exited = false
  done.finally(() => (exited = true)).catch(() => {})
  const address = `127.0.0.1:${port}`
  for (let attempt = 0; ; attempt++) {
    if (await fetch(`http://${address}/v2/`).then((response) => response.ok, () => false)) break
    if (exited || attempt > 100) {
      child.kill()
      const why = await done.then(() => 'it exited', (error: Error) => error.message)
      throw new Error(`docker-registry did not start: ${why}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    address,
    async stop() {
      child.kill()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
    server.once('error', reject)
  })
}
