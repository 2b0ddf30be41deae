/**
 * One factory run as the screen sees it: core's slots, queue and messages, followed through the
 * factory.* events (a run already going when the screen opens is picked up by factory.state).
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { FactoryQueue, FactorySlot, Input } from '@common/contract'
import { useClient } from '../../client/context'

export function useFactory() {
  const client = useClient()
  const [running, setRunning] = useState(false)
  const [slots, setSlots] = useState<FactorySlot[]>([])
  const [queue, setQueue] = useState<FactoryQueue | null>(null)
  /** The last slot change in words, for the live region. */
  const [announcement, setAnnouncement] = useState('')
  const [error, setError] = useState<string | null>(null)
  const runId = useRef<string | null>(null)
  // Events can arrive before factory.start's answer: take them while no other run is known.
  const mine = (id: string) => runId.current === null || runId.current === id

  useEffect(() => {
    void client.call('factory.state', {}).then(
      (state) => {
        setRunning(state.running)
        if (!state.running) return
        setSlots(state.slots)
        setQueue(state.queue)
      },
      () => undefined,
    )
    const offs = [
      client.on('factory.slot', ({ runId: id, slot }) => {
        if (!mine(id)) return
        setSlots((all) => {
          const before = all.find((s) => s.drive === slot.drive)
          if (!before || before.state !== slot.state || before.hostname !== slot.hostname) setAnnouncement(`${slot.drive}: ${slot.message}`)
          return before ? all.map((s) => (s.drive === slot.drive ? slot : s)) : [...all, slot]
        })
      }),
      client.on('factory.slotGone', ({ runId: id, drive }) => {
        if (!mine(id)) return
        setSlots((all) => all.filter((s) => s.drive !== drive))
        setAnnouncement(`${drive}: card removed`)
      }),
      client.on('factory.queue', ({ runId: id, queue: next }) => mine(id) && setQueue(next)),
      client.on('factory.message', ({ runId: id, text }) => mine(id) && setAnnouncement(text)),
      client.on('factory.finished', ({ runId: id, queue: last, error: failure }) => {
        if (!mine(id)) return
        runId.current = null
        setRunning(false)
        if (last) setQueue(last)
        if (failure) setError(failure.message)
        setAnnouncement(failure ? `Factory run failed: ${failure.message}` : 'Factory run ended')
      }),
    ]
    return () => offs.forEach((off) => off())
  }, [client])

  const start = useCallback(
    async (input: Input<'factory.start'>) => {
      setError(null)
      setSlots([])
      setQueue(null)
      runId.current = null
      try {
        const started = await client.call('factory.start', input)
        runId.current = started.runId
        setRunning(true)
      } catch (failure) {
        setError((failure as Error).message)
      }
    },
    [client],
  )

  const control = useCallback(
    async (call: 'factory.pause' | 'factory.resume' | 'factory.stop', abort = false) => {
      try {
        const state = call === 'factory.stop' ? await client.call(call, { abort }) : await client.call(call, {})
        setSlots(state.slots)
        if (state.queue) setQueue(state.queue)
      } catch (failure) {
        setError((failure as Error).message)
      }
    },
    [client],
  )

  /** Stops one reader's card alone: its device waits for the next card. */
  const stopCard = useCallback(
    async (drive: string) => {
      try {
        const state = await client.call('factory.stopCard', { drive })
        setSlots(state.slots)
        if (state.queue) setQueue(state.queue)
      } catch (failure) {
        setError((failure as Error).message)
      }
    },
    [client],
  )

  return { running, slots, queue, announcement, error, start, control, stopCard }
}
