/**
 * The same recipe through both executors (docker and chroot): apt packages and a shell
 * step really run as ARM code; each output image is judged with dpkg in an ARM chroot of
 * its own root fs, fsck, sfdisk and mtools; both must install the same packages and files.
 * A step edits the boot partition's files at the boot mount: the FAT gets the edits back.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extractRoot } from '../assemble/repack'
import { buildImage, type BuildResult } from '../pipeline/build'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { withImage } from '../image/open'
import { loadRecipe } from '../recipe/load'
import { debugfs, e2fsck, extractPartition, fsckFat, mls, mtype, sfdiskTable, sha256sum } from '../testing/disk-tools'
import { aptUnavailableReason } from '../testing/network'
import { chrootUnavailableReason } from './chroot-executor'
import { dockerUnavailableReason } from '../util/docker-daemon'

const fixtureSkip = fixtureUnavailableReason('arm64') ?? aptUnavailableReason()
const EXECUTORS = [
  { mode: 'docker' as const, skip: fixtureSkip ?? (await dockerUnavailableReason()) },
  { mode: 'chroot' as const, skip: fixtureSkip ?? chrootUnavailableReason('arm64') },
]
for (const { mode, skip } of EXECUTORS) if (skip) console.log(`[executors] ${mode} skipped: ${skip}`)

// The boot step fails unless the boot partition's files are at the boot mount while it runs.
const BOOT_STEP = [
  'B=/boot/firmware',
  'grep -q PARTUUID $B/cmdline.txt',
  'echo dtoverlay=orchard-proof >> $B/config.txt',
  "sed -i 's/$/ orchard.proof=1/' $B/cmdline.txt",
  'rm $B/issue.txt',
  'mkdir -p "$B/overlays/a folder with a long name"',
  'echo proof > "$B/overlays/a folder with a long name/orchard proof overlay.dtbo"',
]
const RECIPE = `packages: [cowsay]\nsteps:\n  - { name: mark the build, run: "uname -m > /etc/orchard-step" }\n  - name: edit the boot partition\n    run: |\n${BOOT_STEP.map((line) => `      ${line}\n`).join('')}system: { hostname: moo }\n`

describe('one recipe, two executors', () => {
  let dir: string
  let fixture: string
  const built = new Map<string, { result: BuildResult; root: string; lines: string[] }>()

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-executors-'))
    if (!fixtureSkip) fixture = await testFixture('arm64')
  }, 900_000)
  afterAll(() => rm(dir, { recursive: true, force: true }))

  describe.each(EXECUTORS)('$mode', ({ mode, skip }) => {
    beforeAll(async () => {
      if (skip) return
      const file = path.join(dir, `${mode}.yml`)
      await writeFile(file, `name: cowsay-${mode}\narch: arm64\nsource: { path: ${fixture}, sha256: ${sha256sum(fixture)} }\n${RECIPE}`)
      const lines: string[] = []
      const result = await buildImage(await loadRecipe(file), {
        outDir: path.join(dir, `${mode}-out`),
        cache: path.join(dir, 'cache'),
        mode,
        onProgress: (p) => lines.push(`${p.phase}: ${p.message}`),
      })
      // The output's root fs as a folder, read with fuse2fs + tar, not with our ext code.
      const root = path.join(dir, `${mode}-root`)
      await mkdir(root)
      await extractRoot(result.image, await withImage(result.image, 'read', async (image) => image.root), root)
      built.set(mode, { result, root, lines })
    }, 1_200_000)

    it.skipIf(skip)('installed the package (dpkg in an ARM chroot of the output says so) and ran the step as ARM code', async () => {
      const { root } = built.get(mode)!
      const dpkg = spawnSync('chroot', [root, '/usr/bin/dpkg', '-s', 'cowsay'], { encoding: 'utf8' })
      expect(dpkg.status, dpkg.stderr).toBe(0)
      expect(dpkg.stdout).toContain('Status: install ok installed')
      expect(readFileSync(path.join(root, 'etc/orchard-step'), 'utf8')).toBe('aarch64\n')
      // What the build lent is gone: no service block, no resolv.conf (the fixture has none), no apt lists.
      expect(existsSync(path.join(root, 'usr/sbin/policy-rc.d'))).toBe(false)
      expect(existsSync(path.join(root, 'etc/resolv.conf'))).toBe(false)
      expect(existsSync(path.join(root, '.dockerenv'))).toBe(false)
      expect(await readdir(path.join(root, 'var/lib/apt/lists'))).toEqual([])
      // The boot files went back to the FAT: the root fs keeps an empty mount point.
      expect(await readdir(path.join(root, 'boot/firmware'))).toEqual([])
    })

    it.skipIf(skip)('repacked the root fs clean and sized to content, PARTUUIDs consistent', () => {
      const { result } = built.get(mode)!
      const boot = extractPartition(result.image, 1, path.join(dir, `${mode}-b.fat`))
      const rootFs = extractPartition(result.image, 2, path.join(dir, `${mode}-r.ext4`))
      expect(fsckFat(boot).ok).toBe(true)
      const check = e2fsck(rootFs)
      expect(check.ok, check.output).toBe(true)
      const dump = execFileSync('dumpe2fs', ['-h', rootFs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(dump)![1])
      const used = (field('Block count') - field('Free blocks')) * field('Block size')
      const size = sfdiskTable(result.image).partitions[1]!.size * 512
      expect(size).toBeLessThanOrEqual(used * 1.15 + 64 * 2 ** 20 + 4 * 2 ** 20) // + the 4 MiB alignment
      const id = sfdiskTable(result.image).id.replace(/^0x/, '')
      expect(id).toBe(sfdiskTable(fixture).id.replace(/^0x/, ''))
      expect(mtype(boot, '/cmdline.txt')).toContain(`root=PARTUUID=${id}-02`)
      expect(debugfs(rootFs, 'cat /etc/fstab')).toContain(`PARTUUID=${id}-01`)
      expect(debugfs(rootFs, 'stat /usr/local/lib/orchard/startup-runner')).toMatch(/Mode:\s+0755/)
      // What the step did at the boot mount is on the FAT: changed, removed, new with long names.
      expect(mtype(boot, '/config.txt')).toContain('dtoverlay=orchard-proof\n')
      expect(mtype(boot, '/cmdline.txt')).toMatch(/ orchard\.proof=1( |\n|$)/)
      expect(mls(boot, '/')).not.toContain('issue.txt')
      expect(mtype(boot, '/overlays/a folder with a long name/orchard proof overlay.dtbo')).toBe('proof\n')
      expect(JSON.parse(mtype(boot, '/buildinfo/buildinfo.json'))).toMatchObject({ mode, customizations: expect.arrayContaining(['packages cowsay', 'step "mark the build"']) })
    })

    it.skipIf(skip)('reported each step by name and left nothing behind', async () => {
      const { lines } = built.get(mode)!
      expect(lines).toEqual(expect.arrayContaining(['steps: apt-get update', 'steps: install cowsay', 'steps: mark the build', 'steps: edit the boot partition', 'steps: clean apt caches', 'steps: boot partition (/boot/firmware): 3 added, 2 changed, 1 removed']))
      expect(lines.some((line) => line.startsWith('steps: Setting up cowsay'))).toBe(true) // apt's own output streamed
      expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(dir)
      expect((await readdir(path.join(dir, 'cache'))).filter((name) => name.startsWith('full-build-'))).toEqual([])
      if (mode === 'docker') expect(execFileSync('docker', ['ps', '-aq', '--filter', 'label=io.orchard.build'], { encoding: 'utf8' }).trim()).toBe('')
    })
  })

  it.skipIf(EXECUTORS.some((e) => e.skip))('both executors install the same packages and write the same files', () => {
    const packages = (mode: string) => spawnSync('chroot', [built.get(mode)!.root, '/usr/bin/dpkg-query', '-W', '-f', '${Package} ${Version} ${Status}\\n'], { encoding: 'utf8' }).stdout
    const docker = packages('docker')
    expect(docker).toContain('cowsay ')
    expect(docker).toBe(packages('chroot'))
    // The same files, apart from what differs by nature between two runs (logs, caches, the clock).
    const files = (mode: string) =>
      execFileSync('sh', ['-c', 'cd "$1" && find . -xdev \\( -path ./var/log -o -path ./var/cache -o -path ./tmp \\) -prune -o -print | sort', 'files', built.get(mode)!.root], { encoding: 'utf8' })
    expect(files('docker')).toBe(files('chroot'))
  })
})
