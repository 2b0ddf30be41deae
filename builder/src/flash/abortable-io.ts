/**
 * The image a flash reads and the cards and files it writes, each failing its next I/O once
 * `signal` is aborted: etcher-sdk has no cancel of its own, a flash running inside the app's
 * process cannot be ended by ending a process, and one job in a shared writer must stop
 * alone. Guarding the source alone is not enough: etcher-sdk reads ahead of a slow card and
 * verifies by reading the card back, so only the destinations' own I/O stops those at once.
 * The guard goes on the instance: etcher-sdk's streams call `read`/`write` on it, whatever
 * its class (File, BlockDevice, EditedFile). Whoever aborted, a stopped card's record reads
 * "cancelled".
 */
import type { sourceDestination } from 'etcher-sdk'
import { BuildError } from '../util/errors'

export function stopsOn<T extends sourceDestination.File>(io: T, signal: AbortSignal | undefined): T {
  if (!signal) return io
  const read = io.read.bind(io)
  const write = io.write.bind(io)
  const check = () => {
    if (signal.aborted) throw new BuildError('CANCELLED', 'cancelled')
  }
  io.read = (...args) => {
    check()
    return read(...args)
  }
  io.write = (...args) => {
    check()
    return write(...args)
  }
  return io
}

/** Aborted when either is (the job's signal, one card's), or undefined when neither is given. */
export function eitherSignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const given = signals.filter((signal) => signal !== undefined)
  return given.length > 1 ? AbortSignal.any(given) : given[0]
}
