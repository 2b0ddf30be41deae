/**
 * The devices table for the app: devices.csv in and out, and the checks that would stop a
 * device's files from being written, run before flashing (the builder's own rules).
 */
import { devicesToCsv, HOSTNAME_RULE, isValidHostname, parseDevicesCsv } from '../../../builder/src/flash/devices-csv'
import { deviceFiles, envLine } from '../../../builder/src/flash/device-files'
import type { DeviceProblem, Input, Output } from '@common/contract'

type Devices = Input<'devices.check'>['devices']

export function parseCsv(text: string): Output<'devices.parseCsv'> {
  return parseDevicesCsv(text)
}

export function toCsv(devices: Devices): Output<'devices.toCsv'> {
  return { csv: devicesToCsv(devices.map(({ hostname, variables }) => ({ hostname, variables }))) }
}

export function checkDevices(devices: Devices): Output<'devices.check'> {
  const problems: DeviceProblem[] = []
  const seen = new Map<string, number>()
  devices.forEach((device, index) => {
    const { hostname } = device
    if (hostname === '') problems.push({ index, field: 'hostname', message: 'Missing hostname' })
    else if (!isValidHostname(hostname)) problems.push({ index, field: 'hostname', message: `"${hostname}" is not a valid hostname: it ${HOSTNAME_RULE}` })
    else if (seen.has(hostname)) problems.push({ index, field: 'hostname', message: `"${hostname}" is also device ${seen.get(hostname)! + 1}` })
    else seen.set(hostname, index)

    let variablesOk = true
    for (const [key, value] of Object.entries(device.variables)) {
      if (key === 'HOSTNAME') continue
      try {
        envLine(key, value)
      } catch (error) {
        variablesOk = false
        problems.push({ index, field: 'variables', key, message: (error as Error).message })
      }
    }
    // File names: the builder's rules (FAT names, no folders for scripts, case clashes).
    if (variablesOk && isValidHostname(hostname)) {
      const files = device.files ?? {}
      try {
        deviceFiles({ hostname, variables: device.variables }, {
          runOnce: buffers(files.runOnce),
          everyTime: buffers(files.everyTime),
          resources: buffers(files.resources),
        })
      } catch (error) {
        problems.push({ index, field: 'files', message: (error as Error).message })
      }
    }
  })
  return { problems }
}

const buffers = (entries: Record<string, string> = {}) => Object.fromEntries(Object.entries(entries).map(([name, text]) => [name, Buffer.from(text, 'utf8')]))
