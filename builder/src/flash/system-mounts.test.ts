/** Which disks hold system mounts and swap, from real-looking mountinfo, /proc/swaps and sysfs layouts. */
import { describe, expect, it } from 'vitest'
import { parseMountinfo } from '../util/mountinfo'
import { diskUses, parseSwaps, runningSystemUses, type BlockSysfs } from './system-mounts'

interface Layout {
  /** partition → its disk */
  partitions?: Record<string, string>
  /** device-mapper / md device → what it is built on */
  slaves?: Record<string, string[]>
  /** /dev links (/dev/mapper/…) → kernel name */
  links?: Record<string, string>
  /** major:minor → kernel name */
  numbers?: Record<string, string>
  disks?: string[]
}

/** A sysfs that knows the layout's devices, answering as the kernel's does. */
function sysfs({ partitions = {}, slaves = {}, links = {}, numbers = {}, disks = [] }: Layout): BlockSysfs {
  const names = new Set([...disks, ...Object.keys(partitions), ...Object.values(partitions), ...Object.keys(slaves), ...Object.values(slaves).flat()])
  return {
    nameOfPath: (devicePath) => links[devicePath] ?? (names.has(devicePath.replace(/^\/dev\//, '')) ? devicePath.replace(/^\/dev\//, '') : null),
    nameOfNumber: (majorMinor) => numbers[majorMinor] ?? null,
    parentOf: (name) => partitions[name] ?? null,
    slavesOf: (name) => slaves[name] ?? [],
  }
}

const mountinfo = (...lines: string[]) => lines.join('\n')
const NO_SWAP = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n'
const swaps = (...lines: string[]) => NO_SWAP + lines.join('\n')
const VIRTUAL = [
  '21 26 0:20 / /proc rw,relatime - proc proc rw',
  '22 26 0:21 / /sys rw,relatime - sysfs sysfs rw',
  '23 26 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12335000k',
  '24 23 0:22 / /dev/shm rw,relatime shared:4 - tmpfs tmpfs rw',
  '30 26 0:27 / /run rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,size=800000k,mode=755',
]

const asObject = (uses: ReturnType<typeof diskUses>) => Object.fromEntries(uses)

describe('diskUses', () => {
  it('a Raspberry Pi on its SD card (mmcblk), with a card reader holding another card', () => {
    const uses = diskUses(
      mountinfo(
        '26 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw',
        ...VIRTUAL,
        '40 26 179:1 / /boot/firmware rw,relatime shared:29 - vfat /dev/mmcblk0p1 rw,fmask=0022,dmask=0022',
        '52 26 8:17 / /media/pi/bootfs rw,nosuid,nodev,relatime shared:300 - vfat /dev/sda1 rw',
      ),
      swaps('/var/swap                               file\t\t102396\t\t0\t\t-2'),
      sysfs({ partitions: { mmcblk0p1: 'mmcblk0', mmcblk0p2: 'mmcblk0', sda1: 'sda' } }),
    )
    expect(asObject(uses)).toEqual({
      mmcblk0: {
        mountpoints: ['/', '/boot/firmware'],
        system: [{ kind: 'mount', path: '/' }, { kind: 'mount', path: '/boot/firmware' }, { kind: 'swap', path: '/var/swap' }],
      },
      sda: { mountpoints: ['/media/pi/bootfs'], system: [] },
    })
  })

  it('finds /dev/root (no such node) by its major:minor', () => {
    const uses = diskUses(
      mountinfo('15 1 179:2 / / rw,noatime - ext4 /dev/root rw', '16 15 179:1 / /boot rw,relatime - vfat /dev/mmcblk0p1 rw'),
      NO_SWAP,
      sysfs({ partitions: { mmcblk0p1: 'mmcblk0', mmcblk0p2: 'mmcblk0' }, numbers: { '179:2': 'mmcblk0p2' } }),
    )
    expect(uses.get('mmcblk0')?.system).toEqual([{ kind: 'mount', path: '/' }, { kind: 'mount', path: '/boot' }])
  })

  it('a laptop on NVMe: LVM on LUKS on a partition, swap on a logical volume', () => {
    const layout = sysfs({
      partitions: { nvme0n1p1: 'nvme0n1', nvme0n1p2: 'nvme0n1', nvme0n1p3: 'nvme0n1' },
      slaves: { 'dm-0': ['nvme0n1p3'], 'dm-1': ['dm-0'], 'dm-2': ['dm-0'] },
      links: { '/dev/mapper/vg-root': 'dm-1', '/dev/mapper/vg-swap': 'dm-2' },
    })
    const uses = diskUses(
      mountinfo(
        '26 1 253:1 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw,errors=remount-ro',
        ...VIRTUAL,
        '29 26 259:2 / /boot rw,relatime shared:61 - ext4 /dev/nvme0n1p2 rw',
        '30 29 259:1 / /boot/efi rw,relatime shared:63 - vfat /dev/nvme0n1p1 rw,fmask=0077',
      ),
      swaps('/dev/dm-2                               partition\t8388604\t\t0\t\t-2'),
      layout,
    )
    expect(asObject(uses)).toEqual({
      nvme0n1: {
        mountpoints: ['/', '/boot', '/boot/efi'],
        system: [{ kind: 'mount', path: '/' }, { kind: 'mount', path: '/boot' }, { kind: 'swap', path: '/dev/dm-2' }],
      },
    })
  })

  it('a USB SSD (sd) with btrfs subvolumes at / and /home', () => {
    const uses = diskUses(
      mountinfo(
        '26 1 0:30 /@ / rw,noatime shared:1 - btrfs /dev/sda2 rw,ssd,space_cache=v2,subvolid=256,subvol=/@',
        '41 26 0:30 /@home /home rw,noatime shared:30 - btrfs /dev/sda2 rw,ssd,space_cache=v2,subvolid=257,subvol=/@home',
        '40 26 8:1 / /boot/firmware rw,relatime shared:29 - vfat /dev/sda1 rw',
      ),
      NO_SWAP,
      sysfs({ partitions: { sda1: 'sda', sda2: 'sda' } }),
    )
    expect(uses.get('sda')?.system.map((use) => use.path)).toEqual(['/', '/home', '/boot/firmware'])
    // findmnt's way of writing the same source
    const findmntStyle = diskUses(mountinfo('41 26 0:30 /@home /home rw - btrfs /dev/sda2[/@home] rw'), NO_SWAP, sysfs({ partitions: { sda2: 'sda' } }))
    expect(findmntStyle.get('sda')?.system).toEqual([{ kind: 'mount', path: '/home' }])
  })

  it('a loop device whose partition is mounted at /home, and another in use as swap', () => {
    const uses = diskUses(
      mountinfo('26 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard', '69 47 259:0 / /home rw,relatime - ext4 /dev/loop0p1 rw'),
      swaps('/dev/loop1                              partition\t16380\t\t0\t\t-2'),
      sysfs({ disks: ['vda', 'loop1'], partitions: { loop0p1: 'loop0' } }),
    )
    expect(uses.get('loop0')).toEqual({ mountpoints: ['/home'], system: [{ kind: 'mount', path: '/home' }] })
    expect(uses.get('loop1')).toEqual({ mountpoints: [], system: [{ kind: 'swap', path: '/dev/loop1' }] })
    expect(uses.get('vda')?.system).toEqual([{ kind: 'mount', path: '/' }])
  })

  it('dm-crypt over a partition at /home; a swap file on a data disk, path with a space', () => {
    const uses = diskUses(
      mountinfo(
        '26 1 8:2 / / rw,relatime - ext4 /dev/sda2 rw',
        '50 26 253:3 / /home rw,relatime - ext4 /dev/mapper/crypthome rw',
        '51 26 8:33 / /mnt/data rw,relatime - ext4 /dev/sdc1 rw',
      ),
      swaps('/mnt/data/swap\\040file                   file\t\t1048572\t\t0\t\t-2'),
      sysfs({ partitions: { sda2: 'sda', sdb1: 'sdb', sdc1: 'sdc' }, slaves: { 'dm-3': ['sdb1'] }, links: { '/dev/mapper/crypthome': 'dm-3' } }),
    )
    expect(uses.get('sdb')).toEqual({ mountpoints: ['/home'], system: [{ kind: 'mount', path: '/home' }] })
    expect(uses.get('sdc')).toEqual({ mountpoints: ['/mnt/data'], system: [{ kind: 'swap', path: '/mnt/data/swap file' }] })
  })

  it('counts only the system mount points themselves, and nothing for an overlay root', () => {
    const uses = diskUses(
      mountinfo(
        '26 1 0:50 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/ABC',
        '27 26 8:17 / /home/pi/usb rw,relatime - vfat /dev/sdb1 rw',
        '28 26 8:33 / /var/lib/docker rw,relatime - ext4 /dev/sdc1 rw',
        '29 26 8:49 / /media/with\\040space rw,relatime - ext4 /dev/sdd1 rw',
      ),
      NO_SWAP,
      sysfs({ partitions: { sdb1: 'sdb', sdc1: 'sdc', sdd1: 'sdd' } }),
    )
    expect(asObject(uses)).toEqual({
      sdb: { mountpoints: ['/home/pi/usb'], system: [] },
      sdc: { mountpoints: ['/var/lib/docker'], system: [] },
      sdd: { mountpoints: ['/media/with space'], system: [] },
    })
  })

  it('md RAID: a mount on md0 belongs to every disk under it', () => {
    const uses = diskUses(
      mountinfo('26 1 9:0 / /var rw - ext4 /dev/md0 rw'),
      NO_SWAP,
      sysfs({ partitions: { sda1: 'sda', sdb1: 'sdb' }, slaves: { md0: ['sda1', 'sdb1'] } }),
    )
    expect([...uses.keys()].sort()).toEqual(['sda', 'sdb'])
  })
})

describe('parseMountinfo and parseSwaps', () => {
  it('reads the fields around the optional ones and the separator', () => {
    expect(parseMountinfo('41 26 0:30 /@home /home rw,noatime shared:30 master:2 - btrfs /dev/sda2 rw,subvol=/@home\nnot a mount line')).toEqual([
      { device: '0:30', root: '/@home', mountPoint: '/home', fsType: 'btrfs', source: '/dev/sda2' },
    ])
  })

  it('reads every swap area after the header, unescaped', () => {
    expect(parseSwaps(swaps('/dev/zram0 partition 1048572 0 100', '/swap\\040file file 1024 0 -2'))).toEqual([
      { path: '/dev/zram0', type: 'partition' },
      { path: '/swap file', type: 'file' },
    ])
    expect(parseSwaps('')).toEqual([])
  })
})

describe('runningSystemUses (macOS, Windows)', () => {
  it('macOS: the drive mounted at /', () => {
    expect(runningSystemUses(['/', '/System/Volumes/Data'], 'darwin')).toEqual([{ kind: 'mount', path: '/' }])
    expect(runningSystemUses(['/Volumes/bootfs'], 'darwin')).toEqual([])
  })

  it('Windows: the drive holding %SystemDrive%, however the letter is written', () => {
    expect(runningSystemUses(['C:\\', 'E:\\'], 'win32', 'C:')).toEqual([{ kind: 'mount', path: 'C:\\' }])
    expect(runningSystemUses(['d:\\'], 'win32', 'D:')).toEqual([{ kind: 'mount', path: 'd:\\' }])
    expect(runningSystemUses(['E:\\'], 'win32')).toEqual([])
    expect(runningSystemUses(['C:\\'], 'win32')).toHaveLength(1) // C: when %SystemDrive% is unset
    expect(runningSystemUses(['/'], 'win32', 'C:')).toEqual([])
  })
})
