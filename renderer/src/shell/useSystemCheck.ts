import { useCallback, useEffect, useState } from 'react'
import type { ProbeResult, SystemCheck } from '../../../electron/common/contract'
import { useClient } from '../client/context'

export interface SystemCheckState {
  check: SystemCheck | null
  /** Probes heard so far during a running check. */
  probesSeen: number
  running: boolean
  error: string | null
  recheck: () => void
}

export function useSystemCheck(): SystemCheckState {
  const client = useClient()
  const [check, setCheck] = useState<SystemCheck | null>(null)
  const [probesSeen, setProbesSeen] = useState(0)
  const [running, setRunning] = useState(true)
  const [error, setError] = useState<string | null>(null)

  const run = useCallback(
    () =>
      client
        .call('system.check', {})
        .then(setCheck, (failure: Error) => setError(failure.message))
        .finally(() => setRunning(false)),
    [client],
  )
  const recheck = useCallback(() => {
    setRunning(true)
    setError(null)
    setProbesSeen(0)
    void run()
  }, [run])

  useEffect(() => client.on('system.probe', () => setProbesSeen((n) => n + 1)), [client])
  useEffect(() => void run(), [run])

  return { check, probesSeen, running, error, recheck }
}

export function failingRequired(probes: ProbeResult[]): ProbeResult[] {
  return probes.filter((probe) => probe.required && !probe.ok)
}
