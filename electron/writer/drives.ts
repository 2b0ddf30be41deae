/**
 * The drives the writer sees itself, and the ones a job names: it trusts no list core sends.
 * As root it takes test drives only from root's own files, never from its caller's environment.
 */
import { driveTargets } from '../../builder/src/flash/drive-targets'
import { listDrives, type Drive } from '../../builder/src/flash/drives'

export async function connectedDrives(devices: string[]): Promise<Drive[]> {
  const drives = await listDrives({ testDrives: process.getuid?.() === 0 ? 'root-file' : 'environment' })
  return driveTargets(devices, drives).map((target) => target.drive)
}
