/**
 * A loopback HTTP server standing in for downloads.raspberrypi.com in catalog tests: serves
 * files by path with a strong ETag (the body's SHA256), answers If-None-Match with 304, and
 * records what it was asked. `osList()` writes a list in Imager's exact format.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Served {
  body: Buffer | string
  type?: string
  /** Answer this status instead (500, 404 …). */
  status?: number
}

export interface OsListServer {
  origin: string
  files: Map<string, Served>
  /** Every request: path, and the If-None-Match it carried. */
  requests: { path: string; ifNoneMatch: string | null; status: number }[]
  close(): Promise<void>
}

export const etagOf = (body: Buffer | string) => `"${createHash('sha256').update(body).digest('hex')}"`

/** `port`: listen there (to come back on the same origin after close()); any free port by default. */
export async function startOsListServer(port = 0): Promise<OsListServer> {
  const files = new Map<string, Served>()
  const requests: OsListServer['requests'] = []
  const server = http.createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url!, 'http://x').pathname)
    const served = files.get(path)
    const ifNoneMatch = request.headers['if-none-match'] ?? null
    const answer = (status: number, headers: http.OutgoingHttpHeaders = {}, body?: Buffer | string) => {
      requests.push({ path, ifNoneMatch, status })
      response.writeHead(status, headers).end(body)
    }
    if (!served) return answer(404, {}, 'not found')
    if (served.status) return answer(served.status, {}, 'server error')
    const etag = etagOf(served.body)
    if (ifNoneMatch === etag) return answer(304, { etag })
    answer(200, { etag, 'content-type': served.type ?? 'application/json', 'content-length': Buffer.byteLength(served.body) }, served.body)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    files,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** An image entry as Imager's list writes it; `extra` adds or overrides fields. */
export function osListImage(name: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    description: `${name} for tests`,
    icon: 'icons/rpi.png',
    url,
    extract_size: 4194304,
    extract_sha256: '0'.repeat(64),
    image_download_size: 1000,
    image_download_sha256: '1'.repeat(64),
    release_date: '2026-09-15',
    init_format: 'cloudinit-rpi',
    devices: ['pi5-64bit', 'pi4-64bit', 'pi3-64bit'],
    website: 'https://www.raspberrypi.com/software/', // a field Orchard does not use: tolerated
    ...extra,
  }
}

/** A whole list: Imager's `imager` block with its device list, and `os_list` as given. */
export function osList(items: unknown[]): string {
  return JSON.stringify(
    {
      imager: {
        latest_version: '2.0.10',
        url: 'https://www.raspberrypi.com/software/',
        devices: [
          { name: 'Raspberry Pi 5', tags: ['pi5-64bit', 'pi5-32bit'], matching_type: 'exclusive', capabilities: [] },
          { name: 'Raspberry Pi 4', tags: ['pi4-64bit', 'pi4-32bit'], matching_type: 'inclusive', capabilities: [] },
        ],
      },
      os_list: items,
    },
    null,
    2,
  )
}
