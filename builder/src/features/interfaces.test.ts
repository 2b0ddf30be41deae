import { describe, expect, it } from 'vitest'
import { cloudConfig } from '../customize/boot-files'
import { parseRecipe } from '../recipe/load'
import { sealRecipe } from '../recipe/secrets'
import { BuildError } from '../util/errors'
import { editCmdline, editConfigTxt } from './interfaces'

// Raspberry Pi OS Bookworm's own files, cut down.
const CONFIG = `# For more options and information see
# http://rptl.io/configtxt
#dtparam=i2c_arm=on
#dtparam=spi=on
dtparam=audio=on
camera_auto_detect=1
dtoverlay=vc4-kms-v3d
arm_64bit=1

[cm5]
dtoverlay=dwc2,dr_mode=host

[all]
`
const CMDLINE = 'console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet splash\n'

describe('config.txt', () => {
  it('adds one block under [all] at the end, with only the switches given', () => {
    const out = editConfigTxt(CONFIG, { i2c: true, spi: false, serialPort: true, onewire: true })
    expect(out.endsWith('\n# --- Orchard: interfaces (begin) ---\n[all]\ndtparam=i2c_arm=on\ndtparam=spi=off\nenable_uart=1\ndtoverlay=w1-gpio\n# --- Orchard: interfaces (end) ---\n')).toBe(true)
    expect(out.startsWith(CONFIG.trimEnd())).toBe(true)
  })

  it('replaces its block when built again, instead of adding another', () => {
    const once = editConfigTxt(CONFIG, { i2c: true })
    const twice = editConfigTxt(once, { spi: true })
    expect(twice.match(/Orchard: interfaces \(begin\)/g)).toHaveLength(1)
    expect(twice).toContain('dtparam=spi=on')
    expect(twice).not.toMatch(/^dtparam=i2c_arm=on$/m)
  })

  it('comments out an overlay that is switched off, in every section', () => {
    const out = editConfigTxt(CONFIG, { usbGadget: false })
    expect(out).toContain('#dtoverlay=dwc2,dr_mode=host # off: Orchard interfaces')
    expect(out).not.toMatch(/^dtoverlay=dwc2/m)
  })

  it('turns the serial port on for a serial console left without a port setting', () => {
    expect(editConfigTxt('', { serialConsole: true })).toContain('enable_uart=1')
  })

  it('leaves config.txt alone when nothing is switched', () => {
    expect(editConfigTxt(CONFIG, {})).toBe(`${CONFIG.trimEnd()}\n`)
  })
})

describe('cmdline.txt', () => {
  it('removes the serial console, or adds it when missing', () => {
    expect(editCmdline(CMDLINE, { serialConsole: false })).toBe('console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet splash\n')
    expect(editCmdline('console=tty1 rootwait\n', { serialConsole: true })).toBe('console=serial0,115200 console=tty1 rootwait\n')
    expect(editCmdline(CMDLINE, { serialConsole: true })).toBe(CMDLINE)
  })

  it('adds the gadget modules, merged with a modules-load already there, and takes them out again', () => {
    expect(editCmdline('rootwait\n', { usbGadget: true })).toBe('rootwait modules-load=dwc2,g_ether\n')
    const merged = editCmdline('rootwait modules-load=i2c-dev\n', { usbGadget: true })
    expect(merged).toBe('rootwait modules-load=i2c-dev,dwc2,g_ether\n')
    expect(editCmdline(merged, { usbGadget: false })).toBe('rootwait modules-load=i2c-dev\n')
    expect(editCmdline('rootwait modules-load=dwc2,g_ether\n', { usbGadget: false })).toBe('rootwait\n')
  })
})

describe('the interfaces feature', () => {
  const recipe = (interfaces: unknown) => parseRecipe({ name: 'i', source: { url: 'https://example.org/os.img.xz', sha256: 'a'.repeat(64) }, arch: 'arm64', interfaces })

  it('refuses a serial console without the serial port', () => {
    const error = (() => {
      try {
        recipe({ serialConsole: true, serialPort: false })
      } catch (thrown) {
        return thrown
      }
    })()
    expect(error).toBeInstanceOf(BuildError)
    expect((error as BuildError).message).toContain('interfaces.serialConsole: a serial console needs the serial port')
  })

  it("leaves cloud-init's rpi: interfaces out: the build's config.txt is their one owner", () => {
    const text = cloudConfig(sealRecipe(recipe({ i2c: true, spi: false, serialPort: true, serialConsole: false, onewire: true, usbGadget: true })))
    expect(text).not.toContain('rpi:')
    expect(text).not.toContain('interfaces')
  })
})
