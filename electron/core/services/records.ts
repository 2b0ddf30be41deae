/** The per-card flash records: listed for the app, exported as CSV or JSON. */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { readRecords, recordsToCsv } from '../../../builder/src/flash/records'
import type { Input, Output } from '@common/contract'

export function createRecordsService(file?: string) {
  return {
    list: async (): Promise<Output<'records.list'>> => ({ records: await readRecords(file) }),
    async export({ format, path: target }: Input<'records.export'>): Promise<Output<'records.export'>> {
      const records = await readRecords(file)
      await writeFile(target, format === 'csv' ? recordsToCsv(records) : `${JSON.stringify(records, null, 2)}\n`)
      return { path: path.resolve(target), count: records.length }
    },
  }
}
