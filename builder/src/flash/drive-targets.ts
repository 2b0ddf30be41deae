/** Devices named by a caller, matched against a drive list made here: only what is connected now counts. */
import { BuildError } from '../util/errors'
import type { Drive } from './drives'
import type { FlashTarget } from './write'

export function driveTargets(devices: string[], drives: Drive[]): Extract<FlashTarget, { kind: 'drive' }>[] {
  return devices.map((device) => {
    const drive = drives.find((d) => d.device === device)
    if (!drive) throw new BuildError('NOT_FOUND', `${device} is not a connected drive (any more)`)
    return { kind: 'drive', drive }
  })
}
