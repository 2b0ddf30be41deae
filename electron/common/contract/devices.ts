/** The devices table: CSV in and out, and every problem that would stop a device's files being written. */
import { z } from 'zod'
import { CsvProblem, DeviceFiles, FlashDevice } from '../../../builder/src/vocabulary'
import { type ProcedureMap } from './shared'

export { CsvProblem, DeviceFiles }

/** A device: hostname, variables (device.env) and its own rendered startup-scripts. */
export const Device = FlashDevice
export type Device = z.infer<typeof Device>

/** A problem of one device in a table: `index` is its position, `field` what to mark. */
export const DeviceProblem = z.object({
  index: z.number(),
  field: z.enum(['hostname', 'variables', 'files']),
  /** The variable (for `variables`) or file (for `files`) at fault, when one is. */
  key: z.string().optional(),
  message: z.string(),
})
export type DeviceProblem = z.infer<typeof DeviceProblem>

export const deviceProcedures = {
  /** devices.csv text → devices, with every problem and its row; nothing is imported when there are problems. */
  'devices.parseCsv': { input: z.object({ text: z.string() }).strict(), output: z.object({ devices: z.array(Device), problems: z.array(CsvProblem) }) },
  'devices.toCsv': { input: z.object({ devices: z.array(Device) }).strict(), output: z.object({ csv: z.string() }) },
  /** Every problem that would stop a device's files being written (hostname, variable names, file names), per device. */
  'devices.check': { input: z.object({ devices: z.array(Device) }).strict(), output: z.object({ problems: z.array(DeviceProblem) }) },
} as const satisfies ProcedureMap
