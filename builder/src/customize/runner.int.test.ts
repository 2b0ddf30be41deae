/**
 * The on-device startup-scripts runner, run for real on this host under dash and under
 * busybox ash, with a temp dir as "/" (ORCHARD_ROOT) and fake kernel boot ids.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { RC_LOCAL_LINE, ROOTFS_DIR, RUNNER_PATH, rcLocalWithHook } from './runner-files'

const RUNNER = path.join(ROOTFS_DIR, RUNNER_PATH)
const SECRET = 's3cr3t-wifi-key'
const ENV_KEYS = ['GREETING', 'SINGLE', 'PLAIN', 'LITERAL', 'UNBALANCED', 'FIRST', 'EMPTY', 'NINE']
const LOG_LINE = /^(run-once|every-time) exit=(\S+) seconds=(\d+) (.+)$/

const onPath = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0
const SHELLS = [
  { name: 'dash', argv: ['dash'], present: onPath('dash') },
  { name: 'busybox sh', argv: ['busybox', 'sh'], present: onPath('busybox') },
]

const temps: string[] = []
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** A fake "/" with a TMPDIR and a place for the scripts' own traces. */
function fakeRoot() {
  const root = mkdtempSync(path.join(tmpdir(), 'orchard-runner-'))
  temps.push(root)
  mkdirSync(path.join(root, 'tmp'))
  mkdirSync(path.join(root, 'trace'))
  return { root, trace: (name: string) => path.join(root, 'trace', name) }
}

function write(file: string, text: string) {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, text)
}

function runRunner(
  shell: string[],
  root: string,
  options: { bootId?: string; env?: Record<string, string>; args?: string[]; started?: (pid: number) => void } = {},
): Promise<Run> {
  const [program, ...shellArgs] = shell as [string, ...string[]]
  const env: Record<string, string> = {
    // node on the PATH for the `#!/usr/bin/env node` script
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    ORCHARD_ROOT: root,
    TMPDIR: path.join(root, 'tmp'),
    ...(options.bootId ? { ORCHARD_BOOT_ID: options.bootId } : {}),
    ...options.env,
  }
  return new Promise((resolve, reject) => {
    const child = spawn(program, [...shellArgs, RUNNER, ...(options.args ?? [])], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('spawn', () => options.started?.(child.pid as number))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const read = (file: string) => readFileSync(file, 'utf8')
const lines = (file: string) => (existsSync(file) ? read(file).split('\n').filter(Boolean) : [])
const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : [])

/** The one log dir of the boot whose fake boot id starts with `short`. */
function bootLogDir(scripts: string, short: string): string {
  const dirs = list(path.join(scripts, 'logs')).filter((d) => d.endsWith(`-${short}`))
  expect(dirs).toHaveLength(1)
  expect(dirs[0]).toMatch(new RegExp(`^\\d{8}-\\d{6}-${short}$`))
  return path.join(scripts, 'logs', dirs[0] as string)
}

/** runner.log's per-script lines as `kind name exit`. */
function results(logDir: string): string[] {
  return lines(path.join(logDir, 'runner.log'))
    .map((line) => LOG_LINE.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[4]} ${m[2]}`)
}

/** Every file under dir (for "the secret is nowhere"). */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
}

for (const shell of SHELLS) {
  describe.skipIf(!shell.present)(`startup-runner under ${shell.name} (needs ${shell.argv[0]} on the PATH)`, () => {
    it('runs run-once scripts once and every-time scripts every boot, with logs, secrets scrubbed, failures kept', async () => {
      const { root, trace } = fakeRoot()
      const scripts = path.join(root, 'boot/firmware/startup-scripts')
      const order = trace('order')
      const append = (what: string) => `echo ${what} >> '${order}'\n`

      write(
        path.join(scripts, 'run-once/10-a.sh'),
        append('10-a') +
          `n=$(cat '${trace('counter')}' 2>/dev/null || echo 0); echo $((n + 1)) > '${trace('counter')}'\n` +
          `WIFI_PSK='${SECRET}' # orchard:secret\n` +
          `[ -n "$WIFI_PSK" ] && echo psk-set > '${trace('psk')}'\n` +
          // claimed before it runs: it is already in ran-once/, no longer in run-once/
          `[ -f ran-once/10-a.sh ] && [ ! -e run-once/10-a.sh ] && echo claimed > '${trace('claimed')}'\n` +
          `pwd > '${trace('cwd')}'\n` +
          `printf '%s\\n' ${ENV_KEYS.map((k) => `"${k}=[\${${k}-unset}]"`).join(' ')} > '${trace('env')}'\n` +
          `printf '%s\\n' "$ORCHARD_BOOT" "$ORCHARD_SCRIPTS" "$ORCHARD_RESOURCES" > '${trace('orchard-env')}'\n` +
          'echo hello from 10-a\n',
      )
      write(path.join(scripts, 'run-once/20-fail.sh'), append('20-fail') + 'echo fail output\necho to stderr >&2\nexit 3\n')
      write(path.join(scripts, 'run-once/30-python-like'), '#!/bin/sh -e\n' + `echo "30-python-like:$-" >> '${order}'\n`)
      write(
        path.join(scripts, 'run-once/35-node.js'),
        `#!/usr/bin/env node\nrequire('node:fs').appendFileSync(${JSON.stringify(order)}, '35-node\\n')\n`,
      )
      // CR would end up in the file name and the test below without the CR-free copy
      write(path.join(scripts, 'run-once/40-crlf.sh'), `#!/bin/sh\r\nx=1\r\n[ "$x" = 1 ] && echo 40-crlf >> '${order}'\r\n`)
      write(path.join(scripts, 'run-once/._10-a.sh'), append('macos-junk'))
      mkdirSync(path.join(scripts, 'run-once/a-directory'))
      write(path.join(scripts, 'every-time/50-count.sh'), append('50-count') + `echo x >> '${trace('every')}'\n`)
      // Windows-edited: BOM, CRLF, no final newline; nothing in it may be evaluated
      write(
        path.join(scripts, 'device.env'),
        [
          '\uFEFFFIRST=1',
          '# a comment',
          'GREETING="hello world"',
          `SINGLE='say "hi"'`,
          'PLAIN=a=b c',
          `LITERAL=$(touch '${trace('pwned')}')`,
          'UNBALANCED="abc',
          'EMPTY=',
          '9NINE=no',
          'NINE =no',
          'PATH=/nowhere',
          'export GREETING=ignored',
          '   ',
          '  # an indented comment',
        ].join('\r\n'),
      )
      // /boot/firmware wins over /boot
      write(path.join(root, 'boot/startup-scripts/run-once/99-wrong-boot.sh'), append('wrong-boot'))

      // boot 1
      const first = await runRunner(shell.argv, root, { bootId: 'aaaaaaaa-0000-4000-8000-000000000001' })
      expect(first.code).toBe(0)
      expect(lines(order)).toEqual(['10-a', '20-fail', '30-python-like:e', '35-node', '40-crlf', '50-count'])
      expect(read(trace('counter')).trim()).toBe('1')
      expect(read(trace('psk')).trim()).toBe('psk-set')
      expect(read(trace('claimed')).trim()).toBe('claimed')
      expect(read(trace('cwd')).trim()).toBe(scripts)
      expect(lines(trace('orchard-env'))).toEqual([path.join(root, 'boot/firmware'), scripts, path.join(root, 'var/lib/orchard/resources')])
      expect(lines(trace('env'))).toEqual([
        'GREETING=[hello world]',
        'SINGLE=[say "hi"]',
        'PLAIN=[a=b c]',
        `LITERAL=[$(touch '${trace('pwned')}')]`,
        'UNBALANCED=["abc]',
        'FIRST=[1]',
        'EMPTY=[]',
        'NINE=[unset]',
      ])
      expect(existsSync(trace('pwned'))).toBe(false)

      // every subdirectory exists (device.env moved off the card); run-once/ keeps only what is not a script
      expect(list(scripts)).toEqual(['every-time', 'failed', 'logs', 'ran-once', 'resources', 'run-once'])
      expect(list(path.join(scripts, 'run-once'))).toEqual(['._10-a.sh', 'a-directory'])
      expect(list(path.join(scripts, 'ran-once'))).toEqual(['10-a.sh', '30-python-like', '35-node.js', '40-crlf.sh'])
      expect(list(path.join(scripts, 'every-time'))).toEqual(['50-count.sh'])

      const ranA = read(path.join(scripts, 'ran-once/10-a.sh'))
      expect(ranA).toContain('# (secret removed after it ran) orchard:scrubbed\n')
      expect(ranA).not.toContain(SECRET)
      expect(ranA).toContain('echo hello from 10-a') // the rest is kept as it was
      expect(read(path.join(scripts, 'ran-once/40-crlf.sh'))).toContain('\r\n') // the original, not the copy

      expect(list(path.join(scripts, 'failed'))).toEqual(['20-fail.sh', '20-fail.sh.log'])
      expect(read(path.join(scripts, 'failed/20-fail.sh.log'))).toBe('fail output\nto stderr\n')

      const log1 = bootLogDir(scripts, 'aaaaaaaa')
      expect(list(log1)).toEqual(['10-a.sh.log', '20-fail.sh.log', '30-python-like.log', '35-node.js.log', '40-crlf.sh.log', '50-count.sh.log', 'runner.log'])
      expect(read(path.join(log1, '10-a.sh.log'))).toBe('hello from 10-a\n')
      expect(results(log1)).toEqual([
        'run-once 10-a.sh 0',
        'run-once 20-fail.sh 3',
        'run-once 30-python-like 0',
        'run-once 35-node.js 0',
        'run-once 40-crlf.sh 0',
        'every-time 50-count.sh 0',
      ])
      // ignored device.env lines are reported by number, never by content
      const runnerLog = read(path.join(log1, 'runner.log'))
      expect(runnerLog).toMatch(/line 9 ignored/)
      expect(runnerLog).toMatch(/line 11 ignored: PATH is reserved/)
      expect(runnerLog).not.toContain('nowhere')
      expect(runnerLog.match(/ignored/g)).toHaveLength(4) // lines 9 to 12, not the blank or the comment

      // boot 2: a new run-once script with a name that already ran
      write(path.join(scripts, 'run-once/10-a.sh'), append('10-a-again'))
      const second = await runRunner(shell.argv, root, { bootId: 'bbbbbbbb-0000-4000-8000-000000000002' })
      expect(second.code).toBe(0)
      expect(lines(order).slice(6)).toEqual(['10-a-again', '50-count'])
      expect(read(trace('counter')).trim()).toBe('1')
      expect(lines(trace('every'))).toHaveLength(2)
      expect(list(path.join(scripts, 'failed'))).toEqual(['20-fail.sh', '20-fail.sh.log'])

      const log2 = bootLogDir(scripts, 'bbbbbbbb')
      expect(list(log2)).toEqual(['10-a.sh.log', '50-count.sh.log', 'runner.log'])
      expect(results(log2)).toEqual(['run-once 10-a.sh 0', 'every-time 50-count.sh 0'])
      const renamed = list(path.join(scripts, 'ran-once')).filter((n) => n.startsWith('10-a.sh.'))
      expect(renamed).toEqual([`10-a.sh.${path.basename(log2)}`])
      expect(read(path.join(scripts, 'ran-once/10-a.sh'))).toBe(ranA)

      // the secret is nowhere on the card, and the runner left no temp files behind
      for (const file of allFiles(path.join(root, 'boot'))) expect(read(file), file).not.toContain(SECRET)
      expect(list(path.join(root, 'tmp'))).toEqual([])
    })

    it('gives each boot its own log directory, even the same boot id within one second', async () => {
      const { root } = fakeRoot()
      mkdirSync(path.join(root, 'boot/firmware/startup-scripts/every-time'), { recursive: true })
      write(path.join(root, 'boot/firmware/startup-scripts/every-time/a.sh'), 'echo a\n')
      for (let i = 0; i < 3; i++) expect((await runRunner(shell.argv, root, { bootId: 'cccccccc-same' })).code).toBe(0)
      const dirs = list(path.join(root, 'boot/firmware/startup-scripts/logs'))
      expect(dirs).toHaveLength(3)
      for (const dir of dirs) expect(dir).toMatch(/^\d{8}-\d{6}-cccccccc(-\d+)?$/)
    })

    it('stops a hanging script at ORCHARD_SCRIPT_TIMEOUT (exit 124, failed) and goes on', async () => {
      const { root, trace } = fakeRoot()
      const scripts = path.join(root, 'boot/firmware/startup-scripts')
      write(path.join(scripts, 'run-once/10-hang.sh'), 'echo started\nexec sleep 60\n')
      write(path.join(scripts, 'run-once/20-after.sh'), `echo after > '${trace('after')}'\n`)
      const started = Date.now()
      const run = await runRunner(shell.argv, root, { bootId: 'dddddddd', env: { ORCHARD_SCRIPT_TIMEOUT: '2' } })
      expect(run.code).toBe(0)
      expect(Date.now() - started).toBeLessThan(20_000)
      expect(read(trace('after')).trim()).toBe('after')
      const logDir = bootLogDir(scripts, 'dddddddd')
      expect(results(logDir)).toEqual(['run-once 10-hang.sh 124', 'run-once 20-after.sh 0'])
      expect(read(path.join(logDir, 'runner.log'))).toMatch(/^run-once exit=124 seconds=[2-9] 10-hang\.sh$/m)
      expect(list(path.join(scripts, 'failed'))).toEqual(['10-hang.sh', '10-hang.sh.log'])
      expect(read(path.join(scripts, 'failed/10-hang.sh.log'))).toBe('started\n')
    })

    it('on TERM (shutdown) stops the running script, records it and leaves the rest for next boot', async () => {
      const { root, trace } = fakeRoot()
      const scripts = path.join(root, 'boot/firmware/startup-scripts')
      write(path.join(scripts, 'run-once/10-slow.sh'), `echo started > '${trace('started')}'\nexec sleep 60\n`)
      write(path.join(scripts, 'run-once/20-next.sh'), `echo next > '${trace('next')}'\n`)
      let pid = 0
      const running = runRunner(shell.argv, root, { bootId: 'eeeeeeee', started: (p) => (pid = p) })
      for (let i = 0; i < 100 && !existsSync(trace('started')); i++) await new Promise((r) => setTimeout(r, 100))
      expect(existsSync(trace('started'))).toBe(true)
      const sent = Date.now()
      process.kill(pid, 'SIGTERM')
      const run = await running
      expect(run.code).toBe(0)
      expect(Date.now() - sent).toBeLessThan(10_000)
      expect(existsSync(trace('next'))).toBe(false)
      expect(list(path.join(scripts, 'run-once'))).toEqual(['20-next.sh'])
      expect(list(path.join(scripts, 'failed'))).toEqual(['10-slow.sh', '10-slow.sh.log'])
      const runnerLog = read(path.join(bootLogDir(scripts, 'eeeeeeee'), 'runner.log'))
      expect(runnerLog).toMatch(/^run-once exit=143 seconds=\d+ 10-slow\.sh$/m)
      expect(runnerLog).toContain('stopped early')
    })

    it('finds /boot/startup-scripts on older releases and passes resources and the boot path', async () => {
      const { root, trace } = fakeRoot()
      const scripts = path.join(root, 'boot/startup-scripts')
      write(path.join(scripts, 'resources/site.conf'), 'site=orchard\n')
      write(
        path.join(scripts, 'run-once/10-legacy.sh'),
        `cat "$ORCHARD_RESOURCES/site.conf" > '${trace('conf')}'\necho "$ORCHARD_BOOT" > '${trace('boot')}'\n`,
      )
      mkdirSync(path.join(root, 'boot/firmware')) // mounted, but without startup-scripts
      const run = await runRunner(shell.argv, root, { bootId: 'ffffffff' })
      expect(run.code).toBe(0)
      expect(read(trace('conf'))).toBe('site=orchard\n')
      expect(read(trace('boot')).trim()).toBe(path.join(root, 'boot'))
      expect(list(path.join(scripts, 'ran-once'))).toEqual(['10-legacy.sh'])
      expect(results(bootLogDir(scripts, 'ffffffff'))).toEqual(['run-once 10-legacy.sh 0'])
      expect(existsSync(path.join(root, 'boot/firmware/startup-scripts'))).toBe(false)
    })

    it('moves device.env and resources/ off the card to root-only storage, wiped in place, and scripts still find them on every boot', async () => {
      const { root, trace } = fakeRoot()
      const scripts = path.join(root, 'boot/firmware/startup-scripts')
      const state = path.join(root, 'var/lib/orchard')
      const KEY = '-----BEGIN PRIVATE KEY-----\nk3y-material\n-----END PRIVATE KEY-----\n'
      write(path.join(scripts, 'device.env'), `SITE=north\nWIFI_PSK=${SECRET}\n`)
      write(path.join(scripts, 'resources/certs/device.key'), KEY)
      write(path.join(scripts, 'resources/site.conf'), 'site=orchard\n')
      // A second name for the card's device.env: shows whether its bytes were overwritten or only unlinked.
      linkSync(path.join(scripts, 'device.env'), trace('env-link'))
      const report = (name: string) =>
        `printf '%s\\n' "site=$SITE" "psk=\${WIFI_PSK:-unset}" "res=$ORCHARD_RESOURCES" "$(cat "$ORCHARD_RESOURCES/certs/device.key" 2>&1 | sed -n 2p)" >> '${trace(name)}'\n`
      write(path.join(scripts, 'run-once/10-once.sh'), report('once'))
      write(path.join(scripts, 'every-time/50-every.sh'), report('every'))

      expect((await runRunner(shell.argv, root, { bootId: 'a1a1a1a1' })).code).toBe(0)
      const seen = ['site=north', `psk=${SECRET}`, `res=${path.join(state, 'resources')}`, 'k3y-material']
      expect(lines(trace('once'))).toEqual(seen)
      expect(lines(trace('every'))).toEqual(seen)
      // Nothing secret is left on the card, not even in the old file's bytes.
      expect(list(scripts)).toEqual(['every-time', 'failed', 'logs', 'ran-once', 'resources', 'run-once'])
      expect(list(path.join(scripts, 'resources'))).toEqual([])
      for (const file of allFiles(path.join(root, 'boot'))) {
        expect(read(file), file).not.toContain(SECRET)
        expect(read(file), file).not.toContain('k3y-material')
      }
      expect(readFileSync(trace('env-link')).equals(Buffer.alloc(`SITE=north\nWIFI_PSK=${SECRET}\n`.length))).toBe(true)
      // Root-only: the folders 0700, the files 0600.
      const mode = (file: string) => statSync(path.join(state, file)).mode & 0o777
      expect([mode('.'), mode('resources'), mode('resources/certs'), mode('device.env'), mode('resources/certs/device.key'), mode('resources/site.conf')]).toEqual([
        0o700, 0o700, 0o700, 0o600, 0o600, 0o600,
      ])
      expect(read(path.join(state, 'resources/certs/device.key'))).toBe(KEY)
      const runnerLog = read(path.join(bootLogDir(scripts, 'a1a1a1a1'), 'runner.log'))
      expect(runnerLog).toContain(`device.env moved to ${path.join(state, 'device.env')} (root only) and wiped from the card`)
      expect(runnerLog).toContain('2 resource file(s) moved')

      // Every boot after: the every-time script still sees the same values.
      expect((await runRunner(shell.argv, root, { bootId: 'b2b2b2b2' })).code).toBe(0)
      expect(lines(trace('every')).slice(4)).toEqual(seen)

      // A device.env written to the card later replaces the stored one as a whole.
      write(path.join(scripts, 'device.env'), 'SITE=south\n')
      expect((await runRunner(shell.argv, root, { bootId: 'c3c3c3c3' })).code).toBe(0)
      expect(lines(trace('every')).slice(8)).toEqual(['site=south', 'psk=unset', `res=${path.join(state, 'resources')}`, 'k3y-material'])
      expect(existsSync(path.join(scripts, 'device.env'))).toBe(false)
    })

    it('finishes a wipe cut off by power loss, never reading the half-wiped file', async () => {
      const { root, trace } = fakeRoot()
      const scripts = path.join(root, 'boot/firmware/startup-scripts')
      write(path.join(scripts, '.scrub/1'), `WIFI_PSK=${SECRET}\n`)
      write(path.join(root, 'var/lib/orchard/device.env'), 'SITE=stored\n')
      write(path.join(scripts, 'every-time/50-every.sh'), `echo "$SITE" > '${trace('site')}'\n`)
      expect((await runRunner(shell.argv, root, { bootId: 'd4d4d4d4' })).code).toBe(0)
      expect(read(trace('site'))).toBe('stored\n')
      expect(existsSync(path.join(scripts, '.scrub'))).toBe(false)
    })

    it('scrubs secrets left in ran-once/ by a run that was cut off (power loss), overwriting the old bytes', async () => {
      const { root, trace } = fakeRoot()
      const scripts = path.join(root, 'boot/firmware/startup-scripts')
      const original = `echo a\r\nKEY=${SECRET} # Orchard:Secret\r\necho b\r\n`
      write(path.join(scripts, 'ran-once/10-cut.sh'), original)
      // FAT frees a replaced file's clusters without clearing them: the old bytes must be zeros, not just unlinked.
      linkSync(path.join(scripts, 'ran-once/10-cut.sh'), trace('script-link'))
      expect((await runRunner(shell.argv, root, { bootId: '12345678' })).code).toBe(0)
      expect(read(path.join(scripts, 'ran-once/10-cut.sh'))).toBe('echo a\r\n# (secret removed after it ran) orchard:scrubbed\r\necho b\r\n')
      expect(readFileSync(trace('script-link')).equals(Buffer.alloc(original.length))).toBe(true)
      expect(list(scripts)).not.toContain('.scrub')
      expect(list(path.join(scripts, 'ran-once'))).toEqual(['10-cut.sh'])
    })

    it('exits 0 when there is no startup-scripts directory; --check exits 1 then', async () => {
      const { root } = fakeRoot()
      mkdirSync(path.join(root, 'boot/firmware'), { recursive: true })
      const run = await runRunner(shell.argv, root)
      expect(run.code).toBe(0)
      expect(run.stderr).toContain('no startup-scripts directory')
      expect((await runRunner(shell.argv, root, { args: ['--check'] })).code).toBe(1)
      expect(list(path.join(root, 'boot/firmware'))).toEqual([])
    })

    it('--check lists what would run and changes nothing', async () => {
      const { root, trace } = fakeRoot()
      const scripts = path.join(root, 'boot/firmware/startup-scripts')
      write(path.join(scripts, 'run-once/10-a.sh'), `#!/bin/bash -eu\necho ran > '${trace('ran')}'\n`)
      write(path.join(scripts, 'every-time/20-b.sh'), 'echo b\n')
      write(path.join(scripts, 'device.env'), `HOSTNAME_SUFFIX=7\nWIFI_PSK=${SECRET}\n`)
      const run = await runRunner(shell.argv, root, { args: ['--check'] })
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('would run run-once/10-a.sh with /bin/bash -eu')
      expect(run.stdout).toContain('would run every-time/20-b.sh with /bin/sh')
      expect(run.stdout).toContain('device.env: WIFI_PSK')
      expect(run.stdout).not.toContain(SECRET)
      expect(existsSync(trace('ran'))).toBe(false)
      expect(list(scripts)).toEqual(['device.env', 'every-time', 'run-once'])
    })

    it('runs first_run_setup.sh before every other run-once script, whatever their names', async () => {
      const { root, trace } = fakeRoot()
      const scripts = path.join(root, 'boot/firmware/startup-scripts')
      for (const name of ['00-early.sh', 'first_run_setup.sh', 'A-upper.sh', 'zz-late.sh']) {
        write(path.join(scripts, `run-once/${name}`), `echo ${name} >> '${trace('order')}'\n`)
      }
      expect((await runRunner(shell.argv, root, { bootId: 'cccccccc-0000-4000-8000-000000000003' })).code).toBe(0)
      expect(lines(trace('order'))).toEqual(['first_run_setup.sh', '00-early.sh', 'A-upper.sh', 'zz-late.sh'])
    })

    it('runs from the rc.local hook under sh -e without systemd, and not with it', async () => {
      const { root, trace } = fakeRoot()
      const scripts = path.join(root, 'boot/firmware/startup-scripts')
      write(path.join(scripts, 'every-time/10-boot.sh'), `echo booted >> '${trace('booted')}'\nexit 5\n`)
      const systemdDir = path.join(root, 'run/systemd/system')
      const hook = RC_LOCAL_LINE.replace('/run/systemd/system', systemdDir).replace(RUNNER_PATH, RUNNER)
      expect(hook).not.toBe(RC_LOCAL_LINE)
      const rcLocal = path.join(root, 'rc.local')
      writeFileSync(rcLocal, rcLocalWithHook(null).replace(RC_LOCAL_LINE, hook).replace('exit 0', `echo end > '${trace('end')}'\nexit 0`))
      const env = { ...process.env, ORCHARD_ROOT: root, ORCHARD_BOOT_ID: 'abcdef12', TMPDIR: path.join(root, 'tmp') }
      const rcRun = () => spawnSync(shell.argv[0] as string, [...shell.argv.slice(1), '-e', rcLocal], { env, encoding: 'utf8' })

      expect(rcRun().status).toBe(0)
      expect(lines(trace('booted'))).toEqual(['booted'])
      expect(read(trace('end')).trim()).toBe('end') // a failing script does not stop rc.local

      mkdirSync(systemdDir, { recursive: true })
      expect(rcRun().status).toBe(0)
      expect(lines(trace('booted'))).toEqual(['booted'])
    })
  })
}

describe.each(SHELLS.filter((shell) => shell.present).map((shell) => [shell.name, shell] as const))("cloud-init's seed under %s", (_name, shell) => {
  const HASH = '$6$saltsalt$' + 'h'.repeat(86)
  const PSK = 'a1'.repeat(32)

  function seeded() {
    const { root } = fakeRoot()
    const boot = path.join(root, 'boot/firmware')
    mkdirSync(path.join(boot, 'startup-scripts'), { recursive: true })
    write(path.join(boot, 'user-data'), `#cloud-config\nusers:\n  - name: fleet\n    hashed_passwd: ${HASH}\n`)
    write(path.join(boot, 'network-config'), `network:\n  version: 2\n  wifis:\n    wlan0:\n      access-points:\n        Net: { password: ${PSK} }\n`)
    write(path.join(boot, 'meta-data'), 'dsmode: local\ninstance-id: orchard-0123456789abcdef\n')
    return { root, boot }
  }

  it('keeps the seed while cloud-init has not read it, wipes it once cloud-init has its copy, and leaves stubs cloud-init still reads', async () => {
    const { root, boot } = seeded()
    const first = await runRunner(shell.argv, root, { bootId: 'seedaaaa' })
    expect(first.stdout).toContain('cloud-init has not read its seed yet')
    expect(read(path.join(boot, 'user-data'))).toContain(HASH)

    write(path.join(root, 'var/lib/cloud/instance/user-data.txt'), read(path.join(boot, 'user-data')))
    const second = await runRunner(shell.argv, root, { bootId: 'seedbbbb' })
    expect(second.stdout).toContain('user-data wiped from the card')
    expect(second.stdout).toContain('network-config wiped from the card')
    const userData = read(path.join(boot, 'user-data'))
    expect(userData).toMatch(/^#cloud-config\n# Applied by cloud-init at first boot, then wiped from the card \(orchard:seed-scrubbed\)\.\n$/)
    expect(read(path.join(boot, 'network-config'))).toBe('# Applied by cloud-init at first boot, then wiped from the card (orchard:seed-scrubbed).\n')
    // meta-data names the instance (no secret): cloud-init needs it to know it already ran.
    expect(read(path.join(boot, 'meta-data'))).toContain('instance-id: orchard-0123456789abcdef')
    const everything = list(boot).map((name) => (statSync(path.join(boot, name)).isFile() ? read(path.join(boot, name)) : '')).join('')
    expect(everything).not.toContain(HASH)
    expect(everything).not.toContain(PSK)
    expect(existsSync(path.join(boot, 'startup-scripts/.scrub'))).toBe(false)

    const third = await runRunner(shell.argv, root, { bootId: 'seedcccc' })
    expect(third.stdout).not.toContain('wiped from the card')
    expect(read(path.join(boot, 'user-data'))).toBe(userData)
  })

  it('leaves user-data alone on a card without a NoCloud seed (no meta-data)', async () => {
    const { root, boot } = seeded()
    rmSync(path.join(boot, 'meta-data'))
    write(path.join(root, 'var/lib/cloud/instance/user-data.txt'), 'x')
    await runRunner(shell.argv, root, { bootId: 'seeddddd' })
    expect(read(path.join(boot, 'user-data'))).toContain(HASH)
  })
})

describe('the runner script', () => {
  it('is executable and passes sh -n under every shell here (and shellcheck when installed)', () => {
    expect(statSync(RUNNER).mode & 0o111).not.toBe(0)
    for (const shell of SHELLS.filter((s) => s.present)) {
      const check = spawnSync(shell.argv[0] as string, [...shell.argv.slice(1), '-n', RUNNER], { encoding: 'utf8' })
      expect(check.status, `${shell.name}: ${check.stderr}`).toBe(0)
    }
    if (onPath('shellcheck')) {
      const lint = spawnSync('shellcheck', ['-s', 'sh', RUNNER], { encoding: 'utf8' })
      expect(lint.status, lint.stdout).toBe(0)
    }
  })
})
