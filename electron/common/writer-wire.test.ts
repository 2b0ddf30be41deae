import { describe, expect, it } from 'vitest'
import { FromWriter, MAX_LINE_CHARS, ToWriter, decodeLine, encodeLine } from './writer-wire'

const sha256 = 'a'.repeat(64)
const job = { image: '/i.img.xz', raw: '/cache/i.img', sha256, targets: [{ kind: 'drive', device: '/dev/sdb' }], verify: true }

describe('the writer wire', () => {
  it('takes a flash job of drives and a card job', () => {
    expect(decodeLine(ToWriter, JSON.stringify({ type: 'flash', jobId: 'j', job }))).toMatchObject({ ok: true })
    expect(decodeLine(ToWriter, JSON.stringify({ type: 'card', jobId: 'c', device: '/dev/sdb', op: { name: 'read', path: '/startup-scripts/device.env' } }))).toMatchObject({ ok: true })
  })

  it('refuses unknown fields at every depth, naming the job when the line does', () => {
    const extra = (patch: object) => decodeLine(ToWriter, JSON.stringify({ type: 'flash', jobId: 'j', job: { ...job, ...patch } }))
    expect(extra({ allowSystemDrives: true })).toMatchObject({ ok: false, jobId: 'j', reason: expect.stringContaining('allowSystemDrives') })
    expect(extra({ targets: [{ kind: 'drive', device: '/dev/sdb', force: true }] })).toMatchObject({ ok: false, reason: expect.stringContaining('force') })
    expect(extra({ devices: [{ hostname: 'a', variables: {}, shell: 'x' }] })).toMatchObject({ ok: false, reason: expect.stringContaining('shell') })
    expect(decodeLine(ToWriter, JSON.stringify({ type: 'card', jobId: 'c', device: '/dev/sdb', op: { name: 'list', mode: 'write' } }))).toMatchObject({ ok: false })
  })

  it('refuses a file target with the reason, and what is not JSON', () => {
    const file = decodeLine(ToWriter, JSON.stringify({ type: 'flash', jobId: 'j', job: { ...job, targets: [{ kind: 'file', path: '/etc/passwd' }] } }))
    expect(file).toMatchObject({ ok: false, jobId: 'j', reason: expect.stringContaining('drives only') })
    expect(decodeLine(ToWriter, '{"type":')).toEqual({ ok: false, jobId: null, reason: 'not JSON' })
    expect(decodeLine(FromWriter, 'null')).toMatchObject({ ok: false, jobId: null })
  })

  it('will not encode a line longer than the other side takes', () => {
    const content = 'x'.repeat(MAX_LINE_CHARS)
    expect(encodeLine({ type: 'card', jobId: 'c', device: '/dev/sdb', op: { name: 'write', path: '/startup-scripts/resources/big', content } })).toBeNull()
    expect(encodeLine({ type: 'ready', pid: 1, uid: 0 })).toBe('{"type":"ready","pid":1,"uid":0}\n')
  })
})
