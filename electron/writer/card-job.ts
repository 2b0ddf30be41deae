/** A card edit in the writer: only a connected drive that is no system drive and not being flashed. */
import { runCardOp, type CardAnswer, type CardOp } from '../../builder/src/flash/card-ops'
import { BuildError } from '../../builder/src/util/errors'
import { connectedDrives } from './drives'

export async function runCardJob(device: string, op: CardOp, busyDevices: string[]): Promise<CardAnswer> {
  const [drive] = await connectedDrives([device])
  if (drive!.system) throw new BuildError('FORBIDDEN', `${device} is a system drive: the writer opens cards only`)
  if (busyDevices.includes(device)) throw new BuildError('UNSAFE_TARGET', `${device} is being flashed`)
  return runCardOp(drive!.device, op)
}
