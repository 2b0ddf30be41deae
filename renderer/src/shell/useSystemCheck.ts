import { createContext, useCallback, useContext, useEffect, useState } from 'react'
import type { ProbeResult, SystemCheck } from '@common/contract'
import { useClient } from '../client/context'

export interface SystemCheckState {
  check: SystemCheck | null
  /** Probe events heard: during a run, all of them; after it, those of the shown check. */
  probesSeen: number
  running: boolean
  error: string | null
  recheck: () => void
}

export function useSystemCheck(): SystemCheckState {
  const client = useClient()
  const [check, setCheck] = useState<SystemCheck | null>(null)
  const [running, setRunning] = useState(true)
  const [error, setError] = useState<string | null>(null)
  const [heard, setHeard] = useState(0)
  // Another window (or a client over the bridge) may run a check too: count per check id.
  const [perCheck, setPerCheck] = useState<Record<string, number>>({})

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
    setHeard(0)
    void run()
  }, [run])

  useEffect(
    () =>
      client.on('system.probe', ({ checkId }) => {
        setPerCheck((counts) => ({ ...counts, [checkId]: (counts[checkId] ?? 0) + 1 }))
        setHeard((n) => n + 1)
      }),
    [client],
  )
  useEffect(() => void run(), [run])

  const probesSeen = running || !check ? heard : (perCheck[check.checkId] ?? 0)
  return { check, probesSeen, running, error, recheck }
}

export function failingRequired(probes: ProbeResult[]): ProbeResult[] {
  return probes.filter((probe) => probe.required && !probe.ok)
}

/** The check App runs, for the steps that enable or disable their choices by it. */
export const SystemCheckContext = createContext<SystemCheckState | null>(null)

export function useSystemCheckResult(): SystemCheckState | null {
  return useContext(SystemCheckContext)
}

/** Why a capability cannot run here (its failing required probes), or null when it can or is not known yet. */
export function capabilityBlocker(state: SystemCheckState | null, id: string): string | null {
  const capability = state?.check?.capabilities.find((c) => c.id === id)
  if (!capability || capability.ready) return null
  return `Needs ${failingRequired(capability.probes).map((probe) => `${probe.label} (${probe.detail})`).join(', ')}`
}
