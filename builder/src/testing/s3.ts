/**
 * Real parts for S3 tests and benchmarks: an s3rver on loopback (random port, temp folder)
 * and a TCP proxy that logs each request's Range header and can cut every connection
 * after a number of response bytes, then refuse new ones until told otherwise.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import type { EventEmitter } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import S3rver from 's3rver'
import { createS3Client, type CloudS3Options } from '../cloud/s3'

export interface TestS3 {
  port: number
  endpoint: string
  dir: string
  /** A client for this server (path style, the s3rver keys, checksums only when required). */
  client(options?: CloudS3Options): S3Client
  /** Calls `listener` for each S3 event notification s3rver raises (ObjectCreated:Put/Post/Copy, ObjectRemoved:Delete); returns the unsubscribe. */
  onEvent(listener: (event: S3EventRecord) => void): () => void
  close(): Promise<void>
}

/** The fields of an S3 event notification record the tests read. */
export interface S3EventRecord {
  eventName: string
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } }
}

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

export async function startS3(buckets: string[]): Promise<TestS3> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-s3rver-'))
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name })) })
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  return {
    port,
    endpoint,
    dir,
    client: (options = {}) => createS3Client({ region: 'us-east-1', endpoint, credentials: S3RVER_CREDENTIALS, ...options }),
    onEvent: (listener) => {
      const handler = (event: { Records: S3EventRecord[] }) => event.Records.forEach(listener)
      // s3rver is a Koa app (an EventEmitter), though its types do not say so.
      const emitter = server as unknown as EventEmitter
      emitter.on('event', handler)
      return () => void emitter.off('event', handler)
    },
    close: async () => {
      await server.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export interface LoggedRequest {
  method: string
  path: string
  range: string | null
}

export interface CuttingProxy {
  port: number
  endpoint: string
  requests: LoggedRequest[]
  /** Response bytes passed so far (all connections). */
  bytes(): number
  /**
   * Cuts every open connection once `bytes` more response bytes have passed; with `thenDown`,
   * refuses new connections afterwards until `up()`.
   */
  cutAfter(bytes: number, options?: { thenDown?: boolean }): void
  up(): void
  close(): Promise<void>
}

const REQUEST_HEAD = /(GET|HEAD|PUT|POST|DELETE) (\S+) HTTP\/1\.1\r\n([\s\S]*?)\r\n\r\n/g

export async function startCuttingProxy(targetPort: number): Promise<CuttingProxy> {
  const requests: LoggedRequest[] = []
  const sockets = new Set<net.Socket>()
  let passed = 0
  let cutAt: number | null = null
  let downAfterCut = false
  let down = false
  let cutting = false

  const cutAll = () => {
    for (const socket of sockets) socket.destroy()
    sockets.clear()
  }

  const server = net.createServer((client) => {
    if (down) {
      client.destroy()
      return
    }
    const upstream = net.connect(targetPort, '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    let head = ''
    client.on('data', (data: Buffer) => {
      head += data.toString('latin1')
      REQUEST_HEAD.lastIndex = 0
      let match: RegExpExecArray | null
      let consumed = 0
      while ((match = REQUEST_HEAD.exec(head))) {
        const range = /^range:\s*(.+)$/im.exec(match[3]!)?.[1]?.trim() ?? null
        requests.push({ method: match[1]!, path: match[2]!, range })
        consumed = REQUEST_HEAD.lastIndex
      }
      head = head.slice(consumed).slice(-64 * 1024)
      upstream.write(data)
    })
    upstream.on('data', (data: Buffer) => {
      if (cutting) return
      if (cutAt !== null && passed + data.length >= cutAt) {
        const allowed = cutAt - passed
        passed = cutAt
        cutAt = null
        cutting = true
        if (downAfterCut) down = true
        client.write(data.subarray(0, allowed))
        setImmediate(() => {
          cutting = false
          cutAll()
        })
        return
      }
      passed += data.length
      client.write(data)
    })
    const end = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', end)
    upstream.on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    bytes: () => passed,
    cutAfter: (bytes, options = {}) => {
      cutAt = passed + bytes
      downAfterCut = options.thenDown ?? false
    },
    up: () => {
      down = false
    },
    close: async () => {
      cutAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
