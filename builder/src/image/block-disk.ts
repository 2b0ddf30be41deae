/**
 * A file-disk Disk over an image file or a block device (an SD card). file-disk takes the
 * capacity from fstat, which is 0 for a block device; here it comes from the kernel.
 */
import { constants } from 'node:fs'
import { open, readFile, realpath, type FileHandle } from 'node:fs/promises'
import { basename } from 'node:path'
import { FileDisk, type Disk } from 'file-disk'
import { BuildError } from '../util/errors'
import { runCommand } from '../util/process'

export interface OpenedDisk {
  disk: Disk
  capacity: number
  /** Flushes to the device (fsync) when writable, then closes. */
  close(): Promise<void>
}

/** 'copyOnWrite' opens read-only and keeps every write in memory (builds never touch their source). */
export type DiskMode = 'read' | 'write' | 'copyOnWrite'

class SizedFileDisk extends FileDisk {
  constructor(
    handle: FileHandle,
    readOnly: boolean,
    recordWrites: boolean,
    private readonly size: number,
  ) {
    super(handle, readOnly, recordWrites)
  }

  protected override async _getCapacity(): Promise<number> {
    return this.size
  }
}

export async function openDisk(path: string, mode: DiskMode): Promise<OpenedDisk> {
  const handle = await openHandle(path, mode === 'write' ? 'write' : 'read', false)
  let target = handle
  try {
    const stats = await handle.stat()
    let capacity: number
    if (stats.isFile()) {
      capacity = stats.size
    } else if (stats.isBlockDevice() || stats.isCharacterDevice()) {
      // TODO: macOS (/dev/rdiskN: ioctl DKIOCGETBLOCKCOUNT) and Windows (\\.\PhysicalDriveN: IOCTL_DISK_GET_LENGTH_INFO).
      if (process.platform !== 'linux' || !stats.isBlockDevice()) {
        throw new BuildError('INVALID_INPUT', `${path}: block devices are supported on Linux only for now`)
      }
      capacity = await linuxBlockDeviceSize(path)
      if (mode === 'write') {
        // Reopen exclusively: the kernel refuses (EBUSY) while the card or one of its partitions is mounted.
        await handle.close()
        target = await openHandle(path, mode, true)
      }
    } else {
      throw new BuildError('INVALID_INPUT', `${path} is neither a disk image file nor a block device`)
    }
    const disk = new SizedFileDisk(target, mode !== 'write', mode === 'copyOnWrite', capacity)
    return {
      disk,
      capacity,
      async close() {
        try {
          if (mode === 'write') await target.sync()
        } finally {
          await target.close()
        }
      },
    }
  } catch (error) {
    await target.close().catch(() => {})
    throw error
  }
}

async function openHandle(path: string, mode: 'read' | 'write', exclusive: boolean): Promise<FileHandle> {
  const flags = mode === 'write' ? constants.O_RDWR | (exclusive ? constants.O_EXCL : 0) : constants.O_RDONLY
  try {
    return await open(path, flags)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new BuildError('NOT_FOUND', `No such file or device: ${path}`)
    if (code === 'ENOMEDIUM') throw new BuildError('NOT_FOUND', `No card in ${path}`)
    if (code === 'EBUSY') throw new BuildError('UNWRITABLE', `${path} is in use (mounted?): unmount it first`)
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
      throw new BuildError('UNWRITABLE', `Cannot open ${path} for ${mode === 'write' ? 'writing' : 'reading'}: ${code}`)
    }
    throw error
  }
}

/** Bytes, from /sys/class/block/<name>/size (512-byte sectors whatever the device's block size), else blockdev. */
async function linuxBlockDeviceSize(path: string): Promise<number> {
  const name = basename(await realpath(path))
  try {
    const sectors = Number((await readFile(`/sys/class/block/${name}/size`, 'utf8')).trim())
    if (Number.isSafeInteger(sectors)) return sectors * 512
  } catch {
    // no sysfs (a container without /sys): ask blockdev
  }
  const { stdout } = await runCommand('blockdev', ['--getsize64', path])
  const bytes = Number(stdout.trim())
  if (!Number.isSafeInteger(bytes)) throw new Error(`blockdev --getsize64 ${path} printed ${JSON.stringify(stdout)}`)
  return bytes
}
