import { readFileSync } from 'node:fs'
import { mkdtemp, open, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { text } from 'node:stream/consumers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CommandError, runCommand, startCommand } from './process'

/** Alive and not a zombie (an orphan here may wait long for a reaper). */
const isRunning = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-process-test-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('the command did not fail')
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(CommandError)
      return error as CommandError
    },
  )

describe('runCommand', () => {
  it('collects stdout and stderr', async () => {
    expect(await runCommand('sh', ['-c', 'echo out; echo err >&2'])).toEqual({ stdout: 'out\n', stderr: 'err\n' })
  })

  it('fails naming the command, its exit code and the end of its stderr', async () => {
    const error = await failure(runCommand('sh', ['-c', 'i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo "line $i" >&2; done; exit 3']))
    expect(error.exitCode).toBe(3)
    expect(error.signal).toBeNull()
    expect(error.cancelled).toBe(false)
    expect(error.message.split('\n')[0]).toBe('sh -c i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo "line $i" >&2; done; exit 3 exited with code 3:')
    expect(error.tail.split('\n')).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 11}`))
    expect(error.output.stderr).toContain('line 1\n')
  })

  it('names the command by its label when given', async () => {
    const error = await failure(runCommand('sh', ['-c', 'exit 1'], { label: 'the check' }))
    expect(error.message).toBe('the check exited with code 1')
    expect(error.command).toBe('the check')
  })

  it('says which signal killed it', async () => {
    const error = await failure(runCommand('sh', ['-c', 'kill -TERM $$']))
    expect(error.signal).toBe('SIGTERM')
    expect(error.exitCode).toBeNull()
    expect(error.message).toContain('was killed by SIGTERM')
  })

  it('fails, not throws, for a program that does not exist', async () => {
    const error = await failure(runCommand('/nonexistent/orchard-test-program', ['x']))
    expect(error.message).toMatch(/^orchard-test-program x could not be started \(.*ENOENT.*\)$/)
    expect(error.exitCode).toBeNull()
  })

  it('writes `input` to stdin and runs in `cwd` with `env`', async () => {
    expect((await runCommand('cat', [], { input: 'hello\n' })).stdout).toBe('hello\n')
    const { stdout } = await runCommand('sh', ['-c', 'pwd; printf %s "$ORCHARD_TEST"'], { cwd: dir, env: { PATH: process.env.PATH, ORCHARD_TEST: 'set' } })
    expect(stdout).toBe(`${dir}\nset`)
  })

  it('is cancelled by its signal, and says so', async () => {
    const controller = new AbortController()
    const started = Date.now()
    const running = runCommand('sleep', ['30'], { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    const error = await failure(running)
    expect(error.cancelled).toBe(true)
    expect(error.message).toBe('sleep 30 was cancelled')
    expect(Date.now() - started).toBeLessThan(5000)
    const early = await failure(runCommand('sleep', ['30'], { signal: AbortSignal.abort() }))
    expect(early.cancelled).toBe(true)
  })

  it('ends the whole process group on cancel with processGroup', async () => {
    const controller = new AbortController()
    let pid = 0
    const running = runCommand('sh', ['-c', 'sleep 30 & echo $!; wait'], {
      processGroup: true,
      signal: controller.signal,
      onLine: (line) => {
        pid = Number(line)
        controller.abort()
      },
    })
    await failure(running)
    expect(pid).toBeGreaterThan(0)
    for (let i = 0; i < 50 && isRunning(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(isRunning(pid)).toBe(false)
  })

  it('hands each non-blank line to onLine, whatever the chunks, and quotes both streams on failure', async () => {
    const lines: [string, string][] = []
    const script = "printf 'a\\nb'; sleep 0.1; printf 'c  \\n\\n'; echo bad >&2; exit 2"
    const error = await failure(runCommand('sh', ['-c', script], { onLine: (line, stream) => lines.push([stream, line]) }))
    expect(lines).toEqual([
      ['stdout', 'a'],
      ['stdout', 'bc'],
      ['stderr', 'bad'],
    ])
    expect(error.tail).toBe('a\nbc\nbad')
    expect(error.output.stdout).toBe('')
  })

  it('writes stdout straight into a file descriptor', async () => {
    const file = path.join(dir, 'out.txt')
    const handle = await open(file, 'w')
    try {
      await runCommand('sh', ['-c', 'echo into the file'], { stdout: handle.fd })
    } finally {
      await handle.close()
    }
    expect(await readFile(file, 'utf8')).toBe('into the file\n')
  })

  it('refuses to collect more stdout than it bounds', async () => {
    const error = await failure(runCommand('head', ['-c', '70000000', '/dev/zero']))
    expect(error.message).toBe('head -c 70000000 /dev/zero printed more than 64 MB')
  })
})

describe('startCommand', () => {
  it('leaves piped streams to the caller', async () => {
    const running = startCommand('tr', ['a-z', 'A-Z'], { stdin: 'pipe', stdout: 'pipe' })
    running.stdin!.end('shout\n')
    expect(await text(running.stdout!)).toBe('SHOUT\n')
    expect(await running.done).toEqual({ stdout: '', stderr: '' })
  })

  it('does not crash the process when only the child is killed', async () => {
    const running = startCommand('sleep', ['30'])
    running.child.kill()
    await new Promise((resolve) => running.child.once('close', resolve))
    await expect(running.done).rejects.toMatchObject({ signal: 'SIGTERM' })
  })
})
