/** A devices CSV file read for the CLI: every problem in one error, the file named. */
import { readFile } from 'node:fs/promises'
import { BuildError } from '../util/errors'
import { parseDevicesCsv, type Device } from './devices-csv'

export async function readDevicesFile(file: string): Promise<Device[]> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new BuildError('NOT_FOUND', `Devices file not found: ${file}`)
  })
  const { devices, problems } = parseDevicesCsv(text)
  if (problems.length) {
    const lines = problems.map((p) => `  row ${p.row}${p.column ? ` (${p.column})` : ''}: ${p.message}`)
    throw new BuildError('INVALID_RECIPE', `${file} has problems:\n${lines.join('\n')}`, { problems })
  }
  return devices
}
