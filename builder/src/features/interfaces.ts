/**
 * Raspberry Pi interfaces: I2C, SPI, the serial port and its login console, 1-Wire and USB
 * gadget mode (Ethernet over the USB-C/OTG port). What `raspi-config nonint do_i2c` and
 * friends do, done at build time so no ARM code runs: config.txt dtparams and overlays in
 * one marked block, cmdline.txt's console and modules-load, i2c-dev loaded at boot. On
 * every release, cloud-init's too: the build is their one owner, so cloud-init's
 * `rpi: interfaces` is not used (it would apply them a second time at first boot).
 * A field left out leaves the image's own setting alone.
 */
import { z } from 'zod'
import { BuildError } from '../util/errors'
import { extWriteFile } from '../image/ext'
import { defineFeature } from './feature'

const Interfaces = z
  .object({
    i2c: z.boolean().optional(),
    spi: z.boolean().optional(),
    serialPort: z.boolean().optional(),
    serialConsole: z.boolean().optional(),
    onewire: z.boolean().optional(),
    usbGadget: z.boolean().optional(),
  })
  .strict()
type Interfaces = z.output<typeof Interfaces>

const BEGIN = '# --- Orchard: interfaces (begin) ---'
const END = '# --- Orchard: interfaces (end) ---'
const GADGET_MODULES = ['dwc2', 'g_ether']
const SERIAL_CONSOLE = /^console=(serial0|ttyAMA0|ttyS0),/

/** config.txt with our block (replaced if there, at the end so it wins) and overlays switched off commented out. */
export function editConfigTxt(text: string, wanted: Interfaces): string {
  const lines = text.split('\n')
  const begin = lines.indexOf(BEGIN)
  const end = lines.indexOf(END)
  if (begin !== -1 && end > begin) lines.splice(begin, end - begin + 1)
  const off = [wanted.onewire === false && 'w1-gpio', wanted.usbGadget === false && 'dwc2'].filter(Boolean)
  const kept = lines.map((line) => (off.some((overlay) => new RegExp(`^\\s*dtoverlay=${overlay}\\b`).test(line)) ? `#${line} # off: Orchard interfaces` : line))
  const serialPort = wanted.serialPort ?? (wanted.serialConsole ? true : undefined)
  const block = [
    wanted.i2c !== undefined && `dtparam=i2c_arm=${wanted.i2c ? 'on' : 'off'}`,
    wanted.spi !== undefined && `dtparam=spi=${wanted.spi ? 'on' : 'off'}`,
    serialPort !== undefined && `enable_uart=${serialPort ? 1 : 0}`,
    wanted.onewire && 'dtoverlay=w1-gpio',
    wanted.usbGadget && 'dtoverlay=dwc2',
  ].filter((line): line is string => Boolean(line))
  while (kept.length && kept.at(-1) === '') kept.pop()
  // [all]: the block must not land inside a board-specific section such as [cm4].
  return `${[...kept, ...(block.length ? ['', BEGIN, '[all]', ...block, END] : [])].join('\n')}\n`
}

/** cmdline.txt (one line) with the serial console and the gadget modules as asked. */
export function editCmdline(text: string, wanted: Interfaces): string {
  let words = text.trim().split(/\s+/).filter(Boolean)
  if (wanted.serialConsole === false) words = words.filter((word) => !SERIAL_CONSOLE.test(word))
  if (wanted.serialConsole && !words.some((word) => SERIAL_CONSOLE.test(word))) words.unshift('console=serial0,115200')
  if (wanted.usbGadget !== undefined) {
    const current = words.find((word) => word.startsWith('modules-load='))
    const modules = (current?.slice('modules-load='.length).split(',') ?? []).filter((name) => name && !GADGET_MODULES.includes(name))
    if (wanted.usbGadget) modules.push(...GADGET_MODULES)
    const merged = modules.length ? `modules-load=${modules.join(',')}` : null
    if (current) words = words.flatMap((word) => (word === current ? (merged ? [merged] : []) : [word]))
    else if (merged) words.push(merged)
  }
  return `${words.join(' ')}\n`
}

const needsCmdline = (wanted: Interfaces) => wanted.serialConsole !== undefined || wanted.usbGadget !== undefined

export const interfaces = defineFeature({
  id: 'interfaces',
  title: 'Raspberry Pi interfaces',
  schema: { interfaces: Interfaces.optional() },
  check: ({ interfaces }) =>
    interfaces?.serialConsole && interfaces.serialPort === false
      ? [{ path: ['interfaces', 'serialConsole'], message: 'a serial console needs the serial port (serialPort: true or left out)' }]
      : [],
  writeRoot: async ({ interfaces }, fs) => {
    // raspi-config's do_i2c loads i2c-dev too, so /dev/i2c-* exists for user programs.
    if (interfaces?.i2c) await extWriteFile(fs, '/etc/modules-load.d/orchard-i2c.conf', 'i2c-dev\n', 0o644)
  },
  writeBoot: async ({ interfaces }, fat, { onStep }) => {
    if (!interfaces || !Object.values(interfaces).some((value) => value !== undefined)) return
    const config = (await fat.exists('/config.txt')) ? (await fat.readFile('/config.txt')).toString('utf8') : ''
    await fat.writeFile('/config.txt', editConfigTxt(config, interfaces))
    if (needsCmdline(interfaces)) {
      if (!(await fat.exists('/cmdline.txt'))) {
        throw new BuildError('INVALID_IMAGE', 'interfaces.serialConsole and interfaces.usbGadget change the boot partition\'s cmdline.txt, which this image does not have')
      }
      await fat.writeFile('/cmdline.txt', editCmdline((await fat.readFile('/cmdline.txt')).toString('utf8'), interfaces))
    }
    onStep(`interfaces: ${describeInterfaces(interfaces)}`)
  },
  describe: ({ interfaces }) => (interfaces && describeInterfaces(interfaces) ? [`interfaces: ${describeInterfaces(interfaces)}`] : []),
  example: { interfaces: { i2c: true, spi: true, serialPort: true, serialConsole: false, onewire: true, usbGadget: true } },
})

const NAMES: Record<keyof Interfaces, string> = { i2c: 'I2C', spi: 'SPI', serialPort: 'serial port', serialConsole: 'serial console', onewire: '1-Wire', usbGadget: 'USB gadget' }

function describeInterfaces(wanted: Interfaces): string {
  return (Object.keys(NAMES) as (keyof Interfaces)[])
    .filter((key) => wanted[key] !== undefined)
    .map((key) => `${NAMES[key]} ${wanted[key] ? 'on' : 'off'}`)
    .join(', ')
}
