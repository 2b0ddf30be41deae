/**
 * Core's verdict on the table (hostnames, variable names, file names: the rules the writer
 * applies), asked a moment after each change. Core is local, so this is as quick as typing.
 */
import { useEffect, useState } from 'react'
import type { DeviceProblem } from '@common/contract'
import { useClient } from '../../client/context'
import { toDevice, type DeviceRow, type ScriptFile } from './model'

export function useDeviceCheck(rows: DeviceRow[], templates: ScriptFile[]): DeviceProblem[] {
  const client = useClient()
  const [problems, setProblems] = useState<DeviceProblem[]>([])
  useEffect(() => {
    let current = true
    const timer = setTimeout(() => {
      const devices = rows.map((row, index) => toDevice(row, index, templates))
      client.call('devices.check', { devices }).then(
        (result) => current && setProblems(result.problems),
        () => current && setProblems([]),
      )
    }, 150)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [client, rows, templates])
  return problems
}
