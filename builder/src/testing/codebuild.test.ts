/** The harness plays CodeBuild's phase rules (it must, for the pipeline test to mean anything). */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runBuildspec } from './codebuild'

const hasBash = !spawnSync('bash', ['--version']).error
const spec = (phases: string) => `version: 0.2\nenv:\n  shell: bash\nphases:\n${phases}`
async function run(phases: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchard-codebuild-'))
  try {
    const result = await runBuildspec({ buildspec: spec(phases), srcDir: dir, env: { PATH: process.env.PATH } })
    return { ...result, statuses: result.phases.map((phase) => `${phase.name}:${phase.status}`) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe.skipIf(!hasBash)('the CodeBuild harness', () => {
  const all = (install: string, build: string) =>
    `  install:\n    commands: ['${install}', 'echo install-2']\n    finally: ['echo install-finally $CODEBUILD_BUILD_SUCCEEDING']\n  pre_build:\n    commands: ['echo pre']\n  build:\n    commands: ['${build}']\n  post_build:\n    commands: ['echo post $CODEBUILD_BUILD_SUCCEEDING']\n`

  it('runs every phase in order, in the source folder', async () => {
    const result = await run(all('echo "$CODEBUILD_SRC_DIR" | grep -q orchard-codebuild-', 'true'))
    expect(result.succeeded).toBe(true)
    expect(result.statuses).toEqual(['install:SUCCEEDED', 'pre_build:SUCCEEDED', 'build:SUCCEEDED', 'post_build:SUCCEEDED'])
    expect(result.output).toBe('install-2\ninstall-finally 1\npre\npost 1\n')
  })

  it('a failed install: the rest of its commands skipped, its finally run, every later phase skipped', async () => {
    const result = await run(all('false', 'true'))
    expect(result.succeeded).toBe(false)
    expect(result.statuses).toEqual(['install:FAILED', 'pre_build:SKIPPED', 'build:SKIPPED', 'post_build:SKIPPED'])
    expect(result.output).toBe('install-finally 0\n')
  })

  it('a failed build still runs post_build, with CODEBUILD_BUILD_SUCCEEDING=0', async () => {
    const result = await run(all('true', 'exit 3'))
    expect(result.succeeded).toBe(false)
    expect(result.statuses).toEqual(['install:SUCCEEDED', 'pre_build:SUCCEEDED', 'build:FAILED', 'post_build:SUCCEEDED'])
    expect(result.output).toContain('post 0\n')
    expect(result.phases[2]!.commands).toEqual([{ command: 'exit 3', exitCode: 3, finally: false }])
  })

  it('refuses buildspec keys it does not play', async () => {
    await expect(run("  build:\n    on-failure: CONTINUE\n    commands: ['true']\n")).rejects.toThrow('phases.build.on-failure')
  })
})
