/**
 * One build at a time from this window: started through core, followed through its
 * builds.progress / builds.finished events (picked out by build id), with a speed and
 * time left measured from the bytes reported.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { BuildFinished, BuildProgress, Input } from '@common/contract'
import { useClient } from '../../client/context'
import { askToNotify, notifyDone } from '../../ui/notify'

export interface BuildState {
  buildId: string | null
  running: boolean
  progress: BuildProgress | null
  speed?: number
  eta?: number
  log: string[]
  finished: BuildFinished | null
  error: string | null
}

const initial: BuildState = { buildId: null, running: false, progress: null, log: [], finished: null, error: null }

export function useBuild(notify: boolean, onBuilt: (output: Extract<BuildFinished, { ok: true }>['output']) => void) {
  const client = useClient()
  const [state, setState] = useState<BuildState>(initial)
  const current = useRef<string | null>(null)
  const startedAt = useRef(0)
  const sample = useRef<{ at: number; bytes: number; phase: string } | null>(null)
  const built = useRef(onBuilt)
  useEffect(() => {
    built.current = onBuilt
  }, [onBuilt])

  useEffect(() => {
    const offProgress = client.on('builds.progress', (progress) => {
      if (progress.buildId !== current.current) return
      const now = Date.now()
      let speed: number | undefined
      let eta: number | undefined
      const last = sample.current
      if (progress.bytes !== undefined && last && last.phase === progress.phase && now > last.at && progress.bytes >= last.bytes) {
        speed = ((progress.bytes - last.bytes) * 1000) / (now - last.at)
        if (speed > 0 && progress.totalBytes) eta = (progress.totalBytes - progress.bytes) / speed
      }
      if (progress.bytes !== undefined) sample.current = { at: now, bytes: progress.bytes, phase: progress.phase }
      const line = `[${new Date(now).toLocaleTimeString()}] ${progress.phase}: ${progress.message}`
      setState((s) => ({ ...s, progress, speed: speed ?? s.speed, eta, log: s.log.at(-1)?.endsWith(`${progress.phase}: ${progress.message}`) ? s.log : [...s.log, line] }))
    })
    const offFinished = client.on('builds.finished', (finished) => {
      if (finished.buildId !== current.current) return
      current.current = null
      const line = finished.ok ? `Done: ${finished.output.image} (sha256 ${finished.output.sha256})` : `Failed: ${finished.error.message}`
      setState((s) => ({ ...s, running: false, finished, log: [...s.log, line] }))
      if (finished.ok) built.current(finished.output)
      if (notify) notifyDone(finished.ok ? 'Build finished' : 'Build failed', finished.ok ? finished.output.image : finished.error.message, startedAt.current)
    })
    return () => {
      offProgress()
      offFinished()
    }
  }, [client, notify])

  const start = useCallback(
    async (input: Input<'builds.start'>) => {
      askToNotify()
      startedAt.current = Date.now()
      sample.current = null
      setState({ ...initial, running: true, log: [`Building ${input.recipePath} → ${input.outDir} (${input.mode})`] })
      try {
        const { buildId } = await client.call('builds.start', input)
        current.current = buildId
        setState((s) => ({ ...s, buildId }))
      } catch (error) {
        setState((s) => ({ ...s, running: false, error: (error as Error).message, log: [...s.log, `Not started: ${(error as Error).message}`] }))
      }
    },
    [client],
  )

  const cancel = useCallback(async () => {
    if (state.buildId) await client.call('builds.cancel', { buildId: state.buildId })
  }, [client, state.buildId])

  return { state, start, cancel }
}
