/**
 * Run by tests inside a private mount namespace (`unshare -m`), where the test mounted a test
 * drive's partition at a system mount point: lists the drives as this namespace sees them and
 * tries to flash the one named; prints what it saw as one JSON line.
 * Usage: system-drive-probe <image> <device> <environment|root-file> <cache dir>
 */
import { listDrives, type TestDriveSource } from '../flash/drives'
import { flashImage } from '../flash/write'
import { BuildError } from '../util/errors'

const [image, device, testDrives, cache] = process.argv.slice(2) as [string, string, TestDriveSource, string]
const drive = (await listDrives({ testDrives })).find((d) => d.device === device)
let refused: { code: string; message: string } | null = null
if (drive) {
  try {
    await flashImage({ image, targets: [{ kind: 'drive', drive }], cache, recordsFile: null })
  } catch (error) {
    refused = error instanceof BuildError ? { code: error.code, message: error.message } : { code: 'THREW', message: String(error) }
  }
}
const seen = drive && { system: drive.system, systemUses: drive.systemUses, mountpoints: drive.mountpoints }
console.log(JSON.stringify({ drive: seen ?? null, refused }))
