/**
 * Bad inputs through the real CLI: each fails with its own message and exit code, and
 * leaves nothing behind (no output file, no partial file in the cache).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { makeDisk, sha256sum } from '../testing/disk-tools'
import { formatBytes } from '../util/bytes'
import { EXIT } from './output'

const ORCHARD = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))
let dir: string
let cache: string

function orchard(...args: string[]) {
  const run = spawnSync(process.execPath, [ORCHARD, ...args], { encoding: 'utf8', env: { ...process.env, ORCHARD_CACHE_DIR: cache } })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

/** Every file under `root`, relative. */
async function filesUnder(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort()
}

async function recipe(name: string, source: { path: string; sha256: string }, extra = ''): Promise<string> {
  const file = path.join(dir, `${name}.yml`)
  await writeFile(file, `name: ${name}\narch: arm64\nsource:\n  path: ${source.path}\n  sha256: ${source.sha256}\n${extra}`)
  return file
}

const sources: Record<string, { path: string; sha256: string }> = {}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-cli-'))
  cache = path.join(dir, 'cache')
  const add = (name: string, file: string) => (sources[name] = { path: file, sha256: sha256sum(file) })
  add('good', makeDisk(path.join(dir, 'good.img'), [{ type: 'c', filesystem: 'fat', mib: 40 }, { type: '83', filesystem: 'ext4', mib: 16 }]))
  add('noFat', makeDisk(path.join(dir, 'no-fat.img'), [{ type: '83', filesystem: 'ext4', mib: 16 }]))
  add('noExt', makeDisk(path.join(dir, 'no-ext.img'), [{ type: 'c', filesystem: 'fat', mib: 40 }, { type: '83', filesystem: 'none', mib: 8 }]))
  execFileSync('xz', ['-k', '-T0', sources.good!.path])
  const xz = `${sources.good!.path}.xz`
  execFileSync('truncate', ['-s', '2000', xz])
  add('truncatedXz', xz)
  await writeFile(path.join(dir, 'notes.txt'), 'not an image\n'.repeat(100))
  add('text', path.join(dir, 'notes.txt'))
  execFileSync('python3', ['-c', 'import sys,zipfile; zipfile.ZipFile(sys.argv[1],"w").write(sys.argv[2],"notes.txt")', path.join(dir, 'empty.zip'), path.join(dir, 'notes.txt')])
  add('zipWithoutImage', path.join(dir, 'empty.zip'))
}, 120_000)

afterAll(() => rm(dir, { recursive: true, force: true }))

const validWifi = 'wifi: { ssid: home, passphrase: long-enough-1, country: GB }\n'

describe('orchard build refuses bad input', () => {
  const cases: [string, () => Promise<[string[], number, string]>][] = [
    ['checksum mismatch', async () => {
      const wrong = 'e'.repeat(64)
      return [[await recipe('c1', { ...sources.good!, sha256: wrong })], EXIT.source, `SHA256 mismatch for ${sources.good!.path}: expected ${wrong}, got ${sources.good!.sha256}`]
    }],
    ['truncated .xz', async () => [[await recipe('c2', sources.truncatedXz!)], EXIT.source, `${sources.truncatedXz!.path} is not a valid .xz archive: `]],
    ['zip without an image', async () => [[await recipe('c3', sources.zipWithoutImage!)], EXIT.source, `${sources.zipWithoutImage!.path} holds no .img disk image`]],
    ['a file that is not a disk image', async () => [[await recipe('c4', sources.text!)], EXIT.source, `${sources.text!.path} is neither a disk image nor a .xz, .gz or .zip archive of one`]],
    ['an image without a FAT partition', async () => [[await recipe('c5', sources.noFat!)], EXIT.source, `No FAT boot partition in ${sources.noFat!.path} (partitions: #1 ext)`]],
    ['an image without an ext4 partition', async () => [[await recipe('c6', sources.noExt!)], EXIT.source, `No ext4 root partition in ${sources.noExt!.path} (partitions: #1 fat, #2 unknown)`]],
    ['an invalid hostname', async () => [[await recipe('c7', sources.good!, 'system: { hostname: "Bad_Host" }\n')], EXIT.usage, 'system.hostname: must be 1–63 lowercase letters']],
    ['an SSID over 32 bytes', async () => [[await recipe('c8', sources.good!, `wifi: { ssid: "${'é'.repeat(17)}", passphrase: long-enough-1, country: GB }\n`)], EXIT.usage, 'wifi.ssid: must be at most 32 bytes (UTF-8)']],
    ['a passphrase under 8 characters', async () => [[await recipe('c9', sources.good!, validWifi.replace('long-enough-1', 'short'))], EXIT.usage, 'wifi.passphrase: must be 8 to 63 characters']],
    ['a passphrase over 63 characters', async () => [[await recipe('c10', sources.good!, validWifi.replace('long-enough-1', 'x'.repeat(64)))], EXIT.usage, 'wifi.passphrase: must be 8 to 63 characters']],
    ['a malformed SSH key', async () => [[await recipe('c11', sources.good!, 'users: [{ name: pi, sshKeys: ["ssh-rsa not-a-key"] }]\n')], EXIT.usage, 'users[0].sshKeys[0]: is not an OpenSSH public key']],
    ['an unknown recipe field', async () => [[await recipe('c12', sources.good!, 'wifi_ssid: home\n')], EXIT.usage, 'wifi_ssid: unknown field "wifi_ssid"']],
    ['a missing source file', async () => [[await recipe('c13', { path: 'gone.img.xz', sha256: 'a'.repeat(64) })], EXIT.usage, `source.path: file not found: ${path.join(dir, 'gone.img.xz')}`]],
    ['packages in a quick build', async () => [[await recipe('c14', sources.good!, 'packages: [cowsay]\n'), '--mode', 'quick'], EXIT.usage, 'This recipe needs ARM code to run (packages)']],
  ]

  it.each(cases)('%s', async (_name, make) => {
    const [args, code, message] = await make()
    const out = path.join(dir, `out-${path.basename(args[0]!, '.yml')}`)
    const run = orchard('build', ...args, '--out', out)
    expect(run.stderr).toContain(message)
    expect(run.code).toBe(code)
    expect(await filesUnder(out)).toEqual([])
    expect((await filesUnder(cache)).filter((file) => file !== 'verified.json' && !/^sources\/[0-9a-f]{64}/.test(file))).toEqual([])
  })

  it('an output folder that cannot be made', async () => {
    const blocker = path.join(dir, 'a-file')
    await writeFile(blocker, 'x')
    const run = orchard('build', await recipe('c15', sources.good!), '--out', path.join(blocker, 'out'))
    expect(run.stderr).toContain(`Cannot create the output folder ${path.join(blocker, 'out')}: ENOTDIR`)
    expect(run.code).toBe(EXIT.unwritable)
  })

  it('reports errors as one JSON line with --json', async () => {
    const run = orchard('build', await recipe('c16', sources.good!, 'system: { hostname: "-x" }\n'), '--out', path.join(dir, 'json'), '--json')
    const line = JSON.parse(run.stdout.trim().split('\n').pop()!)
    expect(line).toMatchObject({ type: 'error', code: 'INVALID_RECIPE', detail: { problems: [{ path: 'system.hostname' }] } })
    expect(run.code).toBe(EXIT.usage)
  })
})

describe('orchard recipe validate', () => {
  it('prints every problem with its path and exits 2', async () => {
    const file = await recipe('v1', sources.good!, 'system: { hostname: "-x", locale: english }\nusers: [{ name: Root }]\n')
    const run = orchard('recipe', 'validate', file)
    expect(run.stdout).toContain(`${file}: 3 problems`)
    expect(run.stdout).toContain('  system.hostname: must be')
    expect(run.stdout).toContain('  system.locale: must be a locale such as en_GB.UTF-8')
    expect(run.stdout).toContain('  users[0].name: must be a Linux user name')
    expect(run.code).toBe(EXIT.usage)
  })

  it('says valid and exits 0 for a good recipe, listing the local files a build will carry', async () => {
    const file = await recipe('v2', sources.good!, validWifi)
    const size = (await stat(sources.good!.path)).size
    expect(orchard('recipe', 'validate', file)).toMatchObject({ code: 0, stdout: `${file}: valid (v2)\n  carries source.path: ${sources.good!.path} (${formatBytes(size)})\n` })
  })

  it('refuses a file outside the recipe folder at its field (exit 2), and lists one the recipe allows', async () => {
    await mkdir(path.join(dir, 'keys'), { recursive: true })
    await writeFile(path.join(dir, 'keys', 'id_ed25519'), 'PRIVATE\n')
    const project = path.join(dir, 'project')
    await mkdir(project, { recursive: true })
    const file = path.join(project, 'r.yml')
    const head = `name: r\narch: arm64\nsource: { path: ${sources.good!.path}, sha256: ${sources.good!.sha256} }\nfiles: [{ source: ../keys/id_ed25519, target: /root/id }]\n`
    await writeFile(file, head)
    const refused = orchard('recipe', 'validate', file)
    expect(refused.stdout).toContain(`  files[0].source: ${path.join(dir, 'keys', 'id_ed25519')} is outside the recipe's folder`)
    expect(refused.code).toBe(EXIT.usage)

    await writeFile(file, `${head}allowFilesOutside: [../keys]\n`)
    const allowed = orchard('recipe', 'validate', file, '--json')
    expect(JSON.parse(allowed.stdout)).toMatchObject({ valid: true, files: [{ field: 'source.path' }, { field: 'files[0].source', allowedBy: 'allowFilesOutside[0]' }] })
    expect(orchard('recipe', 'validate', file).stdout).toContain(`carries files[0].source: ${path.join(dir, 'keys', 'id_ed25519')} (8 bytes), outside the recipe folder: allowFilesOutside[0]`)
  })
})

const fixtureSkip = fixtureUnavailableReason('arm64')
describe.skipIf(fixtureSkip)('orchard build and inspect on the fixture', () => {
  it('refuses a recipe whose arch is not the image\'s', async () => {
    const fixture = await testFixture('arm64')
    const file = await recipe('arch', { path: fixture, sha256: sha256sum(fixture) })
    await writeFile(file, (await import('node:fs')).readFileSync(file, 'utf8').replace('arch: arm64', 'arch: armhf'))
    const run = orchard('build', file, '--out', path.join(dir, 'arch-out'))
    expect(run.stderr).toContain("The recipe says arch armhf but the image's programs are arm64")
    expect(run.code).toBe(EXIT.source)
    expect(await filesUnder(path.join(dir, 'arch-out'))).toEqual([])
  }, 120_000)

  it('builds, then inspect shows partitions, release, startup-scripts and build info', async () => {
    const fixture = await testFixture('arm64')
    const file = await recipe('ok', { path: fixture, sha256: sha256sum(fixture) }, 'system: { hostname: inspected }\n')
    const out = path.join(dir, 'ok-out')
    const build = orchard('build', file, '--out', out)
    expect(build.stdout).toContain(`Built ${path.join(out, 'ok.img')}`)
    expect(build.code).toBe(0)
    const inspect = orchard('inspect', path.join(out, 'ok.img'))
    expect(inspect.code).toBe(0)
    expect(inspect.stdout).toContain('MBR disk id 0fc4a2d1')
    expect(inspect.stdout).toContain('PARTUUID=0fc4a2d1-02 root "rootfs"')
    expect(inspect.stdout).toContain('/startup-scripts/run-once/first_run_setup.sh')
    expect(inspect.stdout).toContain('  - hostname inspected')
    expect(inspect.stdout).toMatch(/\nShape: (generic|firstrun); a build's settings are applied by first_run_setup\.sh/)
    const json = JSON.parse(orchard('inspect', path.join(out, 'ok.img'), '--json').stdout)
    expect(json).toMatchObject({ type: 'result', release: { arch: 'arm64', bootMount: '/boot/firmware', firstBoot: 'first_run_setup.sh' }, buildInfo: { name: 'ok' } })
  }, 120_000)
})
