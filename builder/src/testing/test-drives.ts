/**
 * For tests: registers loop devices as test drives for the elevated writer, which reads them
 * only from root-owned files in TEST_DRIVES_DIR (never from its caller's environment). One
 * file per call, so parallel workers never touch each other's; files of dead test processes
 * are removed on the next call.
 */
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { TEST_DRIVES_DIR } from '../flash/test-drives'
import { removeStaleTemps, tempName } from '../util/temp'

const PREFIX = 'test-'

/** Writes one root-owned 0644 file naming `devices`; the returned function removes it (again is harmless). */
export async function addTestDrives(devices: string[], dir = TEST_DRIVES_DIR): Promise<() => Promise<void>> {
  if (process.getuid?.() !== 0) throw new Error(`addTestDrives needs root: ${dir} must be root-owned`)
  await mkdir(dir, { recursive: true, mode: 0o755 })
  await chmod(dir, 0o755) // whatever the umask: the writer ignores a folder others can write
  await removeStaleTestDrives(dir)
  const name = tempName(PREFIX)
  const file = path.join(dir, name)
  // Written under a dot name the reader skips, then renamed: a listing never sees half a file.
  const partial = path.join(dir, `.${name}`)
  await writeFile(partial, devices.map((device) => `${device}\n`).join(''), { mode: 0o644 })
  await chmod(partial, 0o644)
  await rename(partial, file)
  return () => rm(file, { force: true })
}

/** Removes what dead test processes left in `dir` (a run killed before its cleanup). */
export async function removeStaleTestDrives(dir = TEST_DRIVES_DIR): Promise<string[]> {
  return [...(await removeStaleTemps(dir, PREFIX)), ...(await removeStaleTemps(dir, `.${PREFIX}`))]
}
