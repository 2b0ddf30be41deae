/** One flash job: started through core, followed per card through flash.progress, ended by flash.finished. */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { FlashFinished, FlashProgress, Input } from '@common/contract'
import { useClient } from '../../client/context'
import { askToNotify, notifyDone } from '../../ui/notify'

export interface CardProgress {
  /** `starting` until the writer reports the card. */
  phase: FlashProgress['phase'] | 'starting'
  message?: string
  fraction?: number
  speed?: number
  eta?: number
}

export function useFlash(notify: boolean) {
  const client = useClient()
  const [jobId, setJobId] = useState<string | null>(null)
  const [cards, setCards] = useState<Record<string, CardProgress>>({})
  const [result, setResult] = useState<FlashFinished | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [running, setRunning] = useState(false)
  const current = useRef<string | null>(null)
  const startedAt = useRef(0)

  useEffect(() => {
    const offProgress = client.on('flash.progress', (progress) => {
      if (progress.jobId !== current.current) return
      setCards((all) => {
        const before = all[progress.target]
        // Byte progress comes per write; keep the last known fraction through phase messages.
        const fraction = progress.fraction ?? (progress.phase === 'done' ? 1 : before?.phase === progress.phase ? before.fraction : undefined)
        return { ...all, [progress.target]: { phase: progress.phase, message: progress.message, fraction, speed: progress.speed, eta: progress.eta } }
      })
    })
    const offFinished = client.on('flash.finished', (end) => {
      if (end.jobId !== current.current) return
      current.current = null
      setResult(end)
      setRunning(false)
      if (notify) notifyDone(end.ok ? 'Flashing finished' : 'Flashing failed', `${end.records.filter((r) => r.ok).length} of ${end.records.length} cards good`, startedAt.current)
    })
    return () => {
      offProgress()
      offFinished()
    }
  }, [client, notify])

  const start = useCallback(
    async (job: Input<'flash.start'>) => {
      askToNotify()
      startedAt.current = Date.now()
      setResult(null)
      setError(null)
      setRunning(true)
      setCards(Object.fromEntries(job.targets.map((t) => [t.kind === 'drive' ? t.device : t.path, { phase: 'starting' }])))
      try {
        const started = await client.call('flash.start', job)
        current.current = started.jobId
        setJobId(started.jobId)
      } catch (failure) {
        setError((failure as Error).message)
        setRunning(false)
        setCards({})
      }
    },
    [client],
  )

  const cancel = useCallback(async () => {
    if (jobId && current.current) await client.call('flash.cancel', { jobId })
  }, [client, jobId])

  /** Stops one card (a drive's device, an image file's path) alone: the batch's other cards go on. */
  const stopCard = useCallback(
    async (target: string) => {
      if (!jobId || !current.current) return
      // Not `error` (that says the batch did not start): a card that ended meanwhile has nothing to stop.
      await client.call('flash.cancel', { jobId, destination: target }).catch(() => undefined)
    },
    [client, jobId],
  )

  const reset = useCallback(() => {
    setJobId(null)
    setCards({})
    setResult(null)
    setError(null)
  }, [])

  return { running, cards, result, error, start, cancel, stopCard, reset }
}
