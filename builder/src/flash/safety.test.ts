import { describe, expect, it } from 'vitest'
import type { Drive } from './drives'
import { VERY_LARGE_BYTES, checkDrive, describeSystemUses, fileDestinationProblem, isFlashable, visibleDrives, type DriveIssue, type SafetyContext } from './safety'

const GB = 1e9
const MiB = 1 << 20

function drive(fields: Partial<Drive> = {}): Drive {
  return {
    device: '/dev/sdb',
    raw: '/dev/sdb',
    description: 'Generic SD card reader',
    size: 32 * GB,
    removable: true,
    system: false,
    systemUses: [],
    readOnly: false,
    virtual: false,
    busType: 'USB',
    mountpoints: [],
    serial: null,
    source: {} as Drive['source'],
    ...fields,
  }
}

const context = (fields: Partial<SafetyContext> = {}): SafetyContext => ({
  imageSize: 8.6 * GB,
  imagePath: '/home/me/images/pi.img',
  busyDevices: [],
  platform: 'linux',
  ...fields,
})

const codes = (issues: DriveIssue[]) => issues.map((issue) => `${issue.code}:${issue.severity}`)

describe('checkDrive', () => {
  it('finds nothing wrong with a removable card that fits', () => {
    expect(checkDrive(drive(), context())).toEqual([])
  })

  it('refuses a system drive, and only warns when the override allows it', () => {
    const system = drive({ device: '/dev/sda', system: true, removable: false, size: 64 * GB })
    expect(checkDrive(system, context())).toEqual([
      { code: 'SYSTEM_DRIVE', severity: 'error', message: "/dev/sda (64.0 GB) is a system drive: writing it could destroy this computer's operating system" },
    ])
    const allowed = checkDrive(system, context({ allowSystemDrives: true }))
    expect(codes(allowed)).toEqual(['SYSTEM_DRIVE:warning'])
    expect(isFlashable(allowed)).toBe(true)
  })

  describe('SYSTEM_DRIVE by what the drive holds', () => {
    it('refuses a drive holding a system mount, naming it, whatever drivelist said and whatever the override', () => {
      const loop = drive({ device: '/dev/loop7', busType: 'VIRTUAL', systemUses: [{ kind: 'mount', path: '/home' }], system: true, mountpoints: ['/home'] })
      const expected = [{ code: 'SYSTEM_DRIVE', severity: 'error', message: '/dev/loop7 holds /home (a system mount): Orchard never writes a drive the running system uses' }]
      expect(checkDrive(loop, context({ imagePath: null }))).toEqual(expected)
      expect(checkDrive(loop, context({ imagePath: null, allowSystemDrives: true }))).toEqual(expected)
    })

    it('says what the drive holds: several mounts, swap', () => {
      expect(describeSystemUses([{ kind: 'swap', path: '/dev/loop3' }])).toBe('the swap space /dev/loop3 (in use)')
      expect(
        describeSystemUses([
          { kind: 'mount', path: '/' },
          { kind: 'mount', path: '/boot/firmware' },
          { kind: 'mount', path: '/home' },
          { kind: 'mount', path: '/home' },
          { kind: 'swap', path: '/var/swap' },
        ]),
      ).toBe('/, /boot/firmware and /home (system mounts) and the swap space /var/swap (in use)')
    })
  })

  describe('SOURCE_DRIVE: the image lives on the drive', () => {
    it('finds the image under one of the mount points', () => {
      const issues = checkDrive(drive({ mountpoints: ['/media/me/bootfs', '/media/me/rootfs'] }), context({ imagePath: '/media/me/rootfs/pi.img' }))
      expect(issues).toEqual([
        { code: 'SOURCE_DRIVE', severity: 'error', message: '/dev/sdb (32.0 GB) holds the image /media/me/rootfs/pi.img (mounted at /media/me/rootfs): it cannot be written while it is read' },
      ])
    })

    it('needs a whole path segment: /media/card is not inside /media/car', () => {
      expect(checkDrive(drive({ mountpoints: ['/media/car'] }), context({ imagePath: '/media/card/pi.img' }))).toEqual([])
      expect(codes(checkDrive(drive({ mountpoints: ['/media/card/'] }), context({ imagePath: '/media/card/pi.img' })))).toEqual(['SOURCE_DRIVE:error'])
    })

    it('counts the root mount point: everything lives under /', () => {
      expect(codes(checkDrive(drive({ mountpoints: ['/'] }), context()))).toEqual(['SOURCE_DRIVE:error'])
    })

    it('normalizes the image path (.. cannot climb out of the check)', () => {
      expect(codes(checkDrive(drive({ mountpoints: ['/media/card'] }), context({ imagePath: '/media/other/../card/pi.img' })))).toEqual(['SOURCE_DRIVE:error'])
    })

    it('is case-sensitive on Linux', () => {
      expect(checkDrive(drive({ mountpoints: ['/media/Card'] }), context({ imagePath: '/media/card/pi.img' }))).toEqual([])
    })

    it('ignores case and takes either slash on Windows', () => {
      const usb = drive({ device: '\\\\.\\PhysicalDrive2', raw: '\\\\.\\PhysicalDrive2', mountpoints: ['E:\\'] })
      expect(codes(checkDrive(usb, context({ platform: 'win32', imagePath: 'e:/Images/pi.img' })))).toEqual(['SOURCE_DRIVE:error'])
      expect(codes(checkDrive(usb, context({ platform: 'win32', imagePath: 'E:\\images\\pi.img' })))).toEqual(['SOURCE_DRIVE:error'])
      expect(checkDrive(usb, context({ platform: 'win32', imagePath: 'C:\\Users\\me\\pi.img' }))).toEqual([])
    })

    it('ignores case on macOS, whose volumes usually do', () => {
      const card = drive({ device: '/dev/disk4', raw: '/dev/rdisk4', mountpoints: ['/Volumes/BOOTFS'] })
      expect(codes(checkDrive(card, context({ platform: 'darwin', imagePath: '/Volumes/bootfs/pi.img' })))).toEqual(['SOURCE_DRIVE:error'])
    })

    it('has nothing to check without an image path', () => {
      expect(checkDrive(drive({ mountpoints: ['/'] }), context({ imagePath: null }))).toEqual([])
    })
  })

  it('refuses a drive smaller than the image, naming both sizes', () => {
    expect(checkDrive(drive({ size: 7.9 * GB }), context())).toEqual([
      { code: 'TOO_SMALL', severity: 'error', message: '/dev/sdb (7.9 GB) is too small for the image (8.6 GB)' },
    ])
  })

  it('shows more digits when one decimal would make both sizes look equal', () => {
    const [issue] = checkDrive(drive({ size: 7_960_000_000 }), context({ imageSize: 8_000_000_000 }))
    expect(issue?.message).toBe('/dev/sdb (7.96 GB) is too small for the image (8.00 GB)')
    const [bytes] = checkDrive(drive({ size: 8_000_000_000 - 512 }), context({ imageSize: 8_000_000_000 }))
    expect(bytes?.message).toBe('/dev/sdb (7999999488 bytes) is too small for the image (8000000000 bytes)')
  })

  it('accepts a drive exactly the size of the image, and uses MB for small ones', () => {
    expect(checkDrive(drive({ size: 32 * MiB }), context({ imageSize: 32 * MiB }))).toEqual([])
    expect(checkDrive(drive({ device: '/dev/loop4', size: 16 * MiB }), context({ imageSize: 32 * MiB }))[0]?.message).toBe(
      '/dev/loop4 (16.8 MB) is too small for the image (33.6 MB)',
    )
  })

  it('refuses a drive of unknown size instead of calling it too small', () => {
    expect(checkDrive(drive({ size: 0 }), context())).toEqual([
      { code: 'UNKNOWN_SIZE', severity: 'error', message: '/dev/sdb: its size is unknown, so nothing says the image (8.6 GB) fits' },
    ])
    expect(codes(checkDrive(drive({ size: Number.NaN }), context()))).toEqual(['UNKNOWN_SIZE:error'])
  })

  it('refuses a read-only drive', () => {
    expect(checkDrive(drive({ readOnly: true }), context())).toEqual([
      { code: 'READ_ONLY', severity: 'error', message: "/dev/sdb (32.0 GB) is read-only (is the card's lock switch on?)" },
    ])
  })

  it('warns about a drive larger than 128 GB, but lets it be flashed', () => {
    const issues = checkDrive(drive({ size: 2e12 }), context())
    expect(issues).toEqual([{ code: 'VERY_LARGE', severity: 'warning', message: '/dev/sdb (2.0 TB) is larger than 128 GB: is it really an SD card?' }])
    expect(isFlashable(issues)).toBe(true)
    expect(checkDrive(drive({ size: VERY_LARGE_BYTES }), context())).toEqual([])
    expect(codes(checkDrive(drive({ size: VERY_LARGE_BYTES + 1 }), context()))).toEqual(['VERY_LARGE:warning'])
  })

  it('refuses a drive another job is flashing, by device or raw path', () => {
    expect(checkDrive(drive(), context({ busyDevices: ['/dev/sdc', '/dev/sdb'] }))).toEqual([
      { code: 'BUSY', severity: 'error', message: '/dev/sdb (32.0 GB) is being flashed by another job' },
    ])
    const mac = drive({ device: '/dev/disk4', raw: '/dev/rdisk4' })
    expect(codes(checkDrive(mac, context({ platform: 'darwin', busyDevices: ['/dev/rdisk4'] })))).toEqual(['BUSY:error'])
    expect(checkDrive(drive(), context({ busyDevices: ['/dev/sdb1'] }))).toEqual([])
  })

  it('compares busy devices without case on Windows only', () => {
    const usb = drive({ device: '\\\\.\\PhysicalDrive2', raw: '\\\\.\\PhysicalDrive2' })
    expect(codes(checkDrive(usb, context({ platform: 'win32', busyDevices: ['\\\\.\\PHYSICALDRIVE2'] })))).toEqual(['BUSY:error'])
    expect(checkDrive(drive(), context({ busyDevices: ['/dev/SDB'] }))).toEqual([])
  })

  it('reports every problem at once, errors before warnings', () => {
    const bad = drive({ system: true, readOnly: true, size: 256 * GB, mountpoints: ['/'] })
    const issues = checkDrive(bad, context({ imageSize: 300 * GB, busyDevices: ['/dev/sdb'] }))
    expect(codes(issues)).toEqual(['SYSTEM_DRIVE:error', 'SOURCE_DRIVE:error', 'TOO_SMALL:error', 'READ_ONLY:error', 'BUSY:error', 'VERY_LARGE:warning'])
    expect(isFlashable(issues)).toBe(false)
    const overridden = checkDrive(drive({ system: true, size: 256 * GB }), context({ allowSystemDrives: true }))
    expect(codes(overridden)).toEqual(['SYSTEM_DRIVE:warning', 'VERY_LARGE:warning'])
    expect(isFlashable(overridden)).toBe(true)
  })

  it('lets the override lift only the system rule', () => {
    const issues = checkDrive(drive({ system: true, readOnly: true }), context({ allowSystemDrives: true }))
    expect(codes(issues)).toEqual(['READ_ONLY:error', 'SYSTEM_DRIVE:warning'])
    expect(isFlashable(issues)).toBe(false)
  })
})

describe('isFlashable', () => {
  it('is true with no issues or only warnings, false with any error', () => {
    expect(isFlashable([])).toBe(true)
    expect(isFlashable([{ code: 'VERY_LARGE', severity: 'warning', message: '' }])).toBe(true)
    expect(isFlashable([{ code: 'VERY_LARGE', severity: 'warning', message: '' }, { code: 'BUSY', severity: 'error', message: '' }])).toBe(false)
  })
})

describe('visibleDrives', () => {
  const drives = [drive({ device: '/dev/sda', system: true }), drive({ device: '/dev/sdb' }), drive({ device: '/dev/sdc' })]

  it('hides system drives unless asked to show them, keeping the order', () => {
    expect(visibleDrives(drives, false).map((d) => d.device)).toEqual(['/dev/sdb', '/dev/sdc'])
    expect(visibleDrives(drives, true).map((d) => d.device)).toEqual(['/dev/sda', '/dev/sdb', '/dev/sdc'])
  })
})

describe('fileDestinationProblem', () => {
  const sector = (at: number, bytes: number[] | string) => {
    const head = Buffer.alloc(1024)
    if (typeof bytes === 'string') head.write(bytes, at, 'latin1')
    else head.set(bytes, at)
    return head
  }

  it('lets a new path and an existing disk image (MBR or GPT) be written', () => {
    expect(fileDestinationProblem('/out/new.img', { kind: 'missing' })).toBeNull()
    expect(fileDestinationProblem('/out/pi.img', { kind: 'file', head: sector(510, [0x55, 0xaa]) })).toBeNull()
    expect(fileDestinationProblem('/out/gpt.img', { kind: 'file', head: sector(512, 'EFI PART') })).toBeNull()
  })

  it('refuses an existing file that is not a disk image, however short', () => {
    const message = '/etc/cron.daily/backup exists and is not a disk image (no MBR or GPT partition table): Orchard overwrites only disk image files'
    expect(fileDestinationProblem('/etc/cron.daily/backup', { kind: 'file', head: Buffer.from('#!/bin/sh\n') })).toBe(message)
    expect(fileDestinationProblem('/out/empty.img', { kind: 'file', head: Buffer.alloc(0) })).toMatch(/is not a disk image/)
    expect(fileDestinationProblem('/out/x.img', { kind: 'file', head: sector(510, [0xaa, 0x55]) })).toMatch(/is not a disk image/)
  })

  it('refuses a link and whatever is not a regular file', () => {
    expect(fileDestinationProblem('/out/card.img', { kind: 'symlink', target: '/etc/shadow' })).toBe(
      '/out/card.img is a symbolic link (to /etc/shadow): name the drive or image file itself, never a link',
    )
    expect(fileDestinationProblem('/out', { kind: 'directory' })).toBe('/out is a directory: only a drive or a disk image file can be flashed')
    expect(fileDestinationProblem('/out/pipe', { kind: 'fifo' })).toBe('/out/pipe is a FIFO (named pipe): only a drive or a disk image file can be flashed')
    expect(fileDestinationProblem('/dev/null', { kind: 'character-device' })).toBe('/dev/null is a character device: only a drive or a disk image file can be flashed')
    expect(fileDestinationProblem('/dev/sdb', { kind: 'block-device' })).toBe('/dev/sdb is a block device: flash it as a drive, not as an image file')
  })
})
