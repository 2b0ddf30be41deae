import { describe, expect, it } from 'vitest'
import { qemuArgs } from './qemu'

const files = { kernel: '/k/Image', initramfs: '/k/initrd', dtb: '/k/pi3.dtb', cmdline: 'console=serial0,115200 root=PARTUUID=0fc4a2d1-02 rootwait' }
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1]

describe('qemuArgs (virt)', () => {
  it('gives a guest two CPUs unless told, and one when it boots beside another', () => {
    expect(after(qemuArgs('virt', '/d.img', files), '-smp')).toBe('2')
    expect(after(qemuArgs('virt', '/d.img', files, { cpus: 1 }), '-smp')).toBe('1')
  })

  it('has no network card unless asked, and then one that reaches nothing outside', () => {
    expect(after(qemuArgs('virt', '/d.img', files), '-nic')).toBe('none')
    const args = qemuArgs('virt', '/d.img', files, { network: true })
    expect(after(args, '-netdev')).toBe('user,id=net0,restrict=on')
    expect(after(args, '-append')).toContain('net.ifnames=0')
  })
})
