/** The packaged layout agrees with itself: electron-builder.yml, the launcher, the polkit action and the built entry. */
import { execFileSync } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { LINUX_LAUNCHER, packagedWriterCommand, WRITER_ENTRY } from './packaged-writer'

const root = new URL('../../../', import.meta.url)
const read = (file: string) => readFileSync(new URL(file, root), 'utf8')
const builder = YAML.parse(read('electron-builder.yml')) as {
  productName: string
  asarUnpack: string[]
  linux: { extraResources: { from: string; to: string }[] }
  deb: { fpm: string[] }
}

describe('the packaged writer', () => {
  it('ships the Linux launcher where packagedWriterCommand looks, executable', () => {
    const entry = builder.linux.extraResources.find((resource) => resource.to === LINUX_LAUNCHER)
    expect(entry?.from).toBe('resources/linux/orchard-writer')
    accessSync(new URL(entry!.from, root), constants.X_OK)
    expect(packagedWriterCommand({ platform: 'linux', resourcesPath: '/opt/Orchard/resources', execPath: '/opt/Orchard/orchard' })).toEqual({ command: '/opt/Orchard/resources/writer/orchard-writer', args: [] })
  })

  it('starts the entry electron-vite builds, from the launcher and on macOS/Windows', () => {
    expect(read('electron.vite.config.ts')).toMatch(/writer: resolve\('electron\/writer\/index\.ts'\)/)
    expect(WRITER_ENTRY).toBe('out/main/writer.js')
    // Shipped on disk, not only inside app.asar.
    expect(builder.asarUnpack).toEqual(expect.arrayContaining([WRITER_ENTRY, 'out/main/chunks/**']))
    expect(read('resources/linux/orchard-writer')).toContain('"$resources/app.asar/out/main/writer.js"')
    expect(packagedWriterCommand({ platform: 'darwin', resourcesPath: '/Applications/Orchard.app/Contents/Resources', execPath: '/Applications/Orchard.app/Contents/MacOS/Orchard' })).toEqual({
      command: '/Applications/Orchard.app/Contents/MacOS/Orchard',
      args: ['/Applications/Orchard.app/Contents/Resources/app.asar/out/main/writer.js'],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    })
    expect(packagedWriterCommand({ platform: 'win32', resourcesPath: 'C:\\Program Files\\Orchard\\resources', execPath: 'C:\\Program Files\\Orchard\\Orchard.exe' }).args).toEqual(['C:\\Program Files\\Orchard\\resources\\app.asar\\out\\main\\writer.js'])
  })

  it('installs a polkit action whose exec.path is the launcher of the .deb install, naming Orchard in its message', () => {
    const [mapping] = builder.deb.fpm
    const [policyFile, installedAt] = mapping!.split('=')
    expect(installedAt).toBe('/usr/share/polkit-1/actions/dev.orchard.app.policy')
    const policy = read(policyFile!)
    // Well-formed XML, read by a parser that is not ours.
    execFileSync('python3', ['-c', 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])', fileURLToPath(new URL(policyFile!, root))])
    const execPath = /<annotate key="org\.freedesktop\.policykit\.exec\.path">([^<]+)<\/annotate>/.exec(policy)?.[1]
    // electron-builder's .deb installs into /opt/<productName>.
    expect(execPath).toBe(`/opt/${builder.productName}/resources/${LINUX_LAUNCHER}`)
    expect(policy).toMatch(/<action id="dev\.orchard\.app\.write-drives">/)
    expect(policy).toMatch(/<message>Orchard [^<]*\$\(command_line\)<\/message>/)
    expect(policy).toMatch(/<allow_active>auth_admin<\/allow_active>/)
  })
})
