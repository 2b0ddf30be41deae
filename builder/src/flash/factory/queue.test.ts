import { describe, expect, it } from 'vitest'
import { DeviceQueue } from './queue'

const devices = ['a', 'b', 'c'].map((hostname) => ({ hostname, variables: { HOSTNAME: hostname } }))

describe('DeviceQueue', () => {
  it('hands devices out in table order, one card each, and never a done one again', () => {
    const queue = new DeviceQueue(devices)
    expect(queue.take('/dev/sdb')?.hostname).toBe('a')
    expect(queue.take('/dev/sdc')?.hostname).toBe('b')
    queue.done('a')
    expect(queue.take('/dev/sdd')?.hostname).toBe('c')
    expect(queue.take('/dev/sde')).toBeNull()
    expect(queue.counts()).toEqual({ pending: 0, writing: 2, done: 1, total: 3 })
    expect(() => queue.done('a')).toThrow('a is not being written')
  })

  it('a failed card puts its device back in its table place, counting the attempt', () => {
    const queue = new DeviceQueue(devices)
    queue.take('/dev/sdb')
    queue.take('/dev/sdc')
    queue.failed('a', 'card pulled mid-write')
    expect(queue.take('/dev/sdd')?.hostname).toBe('a')
    expect(queue.entries()[0]).toMatchObject({ hostname: 'a', status: 'writing', attempts: 2, drive: '/dev/sdd', lastError: 'card pulled mid-write' })
  })

  it('an earlier run: done stays done, a card it was writing waits again, reflash asks for all again', () => {
    const first = new DeviceQueue(devices)
    first.take('/dev/sdb')
    first.done('a')
    first.take('/dev/sdb')
    const again = new DeviceQueue(devices, first.entries())
    expect(again.entries().map((e) => e.status)).toEqual(['done', 'pending', 'pending'])
    expect(again.entries()[1]!.lastError).toBe('the run stopped while this card was written')
    expect(again.take('/dev/sdc')?.hostname).toBe('b')
    again.reflashAll()
    expect(again.take('/dev/sdc')?.hostname).toBe('a')
  })

  it('refuses a table that names a device twice', () => {
    expect(() => new DeviceQueue([...devices, devices[0]!])).toThrow('a is listed twice in the devices table')
  })
})
