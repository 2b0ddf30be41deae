/**
 * Random input for the writer's wire (fast-check arbitraries): random bytes as text, random
 * JSON, valid card, flash and cancel messages with one field replaced, removed or added, and the
 * literal oddities. Shared by the session's unit fuzz and the real writer process's.
 */
import fc from 'fast-check'

const SHA = 'a'.repeat(64)
export const VALID_CARD = { type: 'card', jobId: 'card-1', device: '/dev/sdz', op: { name: 'write', path: '/startup-scripts/device.env', content: 'X=1\n' } }
export const VALID_CANCEL = { type: 'cancel', jobId: 'flash-1' }
export const VALID_FLASH = { type: 'flash', jobId: 'flash-1', job: { image: '/tmp/a.img', raw: '/tmp/a.img', sha256: SHA, targets: [{ kind: 'drive', device: '/dev/sdz' }], verify: true } }

/** A valid message with one field (at any depth) replaced, removed or added. */
export const mutatedMessage = fc
  .record({ base: fc.constantFrom(VALID_CARD, VALID_FLASH, VALID_CANCEL), pick: fc.nat(), how: fc.constantFrom('replace', 'remove', 'add'), value: fc.anything(), key: fc.string({ maxLength: 8 }) })
  .map(({ base, pick, how, value, key }) => {
    const copy = structuredClone(base) as Record<string, unknown>
    const holders: Array<Record<string, unknown>> = []
    const collect = (node: unknown) => {
      if (node && typeof node === 'object') {
        holders.push(node as Record<string, unknown>)
        Object.values(node).forEach(collect)
      }
    }
    collect(copy)
    const holder = holders[pick % holders.length]!
    const keys = Object.keys(holder)
    const field = keys[pick % Math.max(keys.length, 1)] ?? key
    if (how === 'replace') holder[field] = value
    else if (how === 'remove') delete holder[field]
    else holder[key] = value
    return JSON.stringify(copy)
  })

/** One line of anything: bytes (as latin1 text), JSON values, mutated valid messages, the literal oddities. */
export const randomLine = fc
  .oneof(
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    fc.json(),
    mutatedMessage,
    fc.constantFrom('null', '[]', '{}', '"card"', '{"type":"card"}', '{"type":"flash","jobId":null}', '{"__proto__":{"type":"card"}}', '\r', '\uFEFF{}', '{"type":"card","jobId":"x".repeat}'),
  )
  .map((line) => line.replace(/\n/g, ' '))
