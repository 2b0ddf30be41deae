/**
 * For tests: CodePipeline and CodeBuild played locally, so the real builder/buildspec.yml
 * is what runs. `startPipeline` listens to an s3rver for the put (or copy) of `build.zip`
 * (the S3 source action's trigger; one run at a time, as the stack's QUEUED pipeline),
 * fetches it, unzips it into a fresh source folder (as CodeBuild does with the source
 * artifact) and runs the buildspec found at its root with `runBuildspec`. The stack's KMS
 * key is played by a local P-256 key (ORCHARD_LOCAL_SIGNING_KEY; its public key is
 * `publicKeyFile`, what a client trusts); s3rver has no IAM, so no writer role is set.
 *
 * `runBuildspec` follows CodeBuild's rules for a version 0.2 buildspec
 * (docs: "Build phase transitions", "Buildspec reference"):
 *   - phases in the order install, pre_build, build, post_build; each phase's commands in
 *     order with `env.shell` (bash here) in $CODEBUILD_SRC_DIR; the first failing command
 *     ends its phase;
 *   - a phase's `finally` commands run after its commands, failed or not;
 *   - after a failure CODEBUILD_BUILD_SUCCEEDING is 0;
 *   - a failed install or pre_build skips every later phase (CodeBuild goes on to
 *     FINALIZING); a failed build still runs post_build; a failed post_build fails the build.
 * Differences, on purpose: each command runs in its own bash (CodeBuild 0.2 keeps one shell
 * across commands, so `cd` and exports carry over; the Orchard buildspec relies on neither),
 * `runtime-versions` is not acted on (this machine's Node runs), and keys this harness does
 * not know (on-failure, run-as, reports, artifacts, cache …) are refused rather than ignored.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import YAML from 'yaml'
import { CommandError, runCommand } from '../util/process'
import { S3RVER_CREDENTIALS, startS3, type TestS3 } from './s3'
import { testFixture } from './test-fixture'
import { sha256File } from '../util/hash'
import { generateLocalSigningKey } from '../cloud/signing/local-signer'

export const PHASES = ['install', 'pre_build', 'build', 'post_build'] as const
export type PhaseName = (typeof PHASES)[number]
const PHASE_KEYS = new Set(['commands', 'finally', 'runtime-versions'])
const TOP_KEYS = new Set(['version', 'env', 'phases'])

export interface PhaseRun {
  name: PhaseName
  status: 'SUCCEEDED' | 'FAILED' | 'SKIPPED'
  /** Each command run, with its exit code. */
  commands: { command: string; exitCode: number; finally: boolean }[]
}

export interface BuildspecRun {
  succeeded: boolean
  phases: PhaseRun[]
  /** Every command's stdout and stderr, in order. */
  output: string
}

/** Runs a buildspec's phases in `srcDir` as CodeBuild would (see the header for the rules). */
export async function runBuildspec(options: { buildspec: string; srcDir: string; env: NodeJS.ProcessEnv; onOutput?: (text: string) => void }): Promise<BuildspecRun> {
  const spec = YAML.parse(options.buildspec) as { version?: unknown; env?: { shell?: string; variables?: Record<string, string> }; phases?: Record<string, Record<string, unknown>> }
  if (String(spec?.version) !== '0.2') throw new Error(`This harness runs buildspec version 0.2, not ${String(spec?.version)}`)
  for (const key of Object.keys(spec)) if (!TOP_KEYS.has(key)) throw new Error(`The harness does not support the buildspec key "${key}"`)
  for (const key of Object.keys(spec.env ?? {})) if (key !== 'shell' && key !== 'variables') throw new Error(`The harness does not support env.${key}`)
  const shell = spec.env?.shell ?? 'sh'
  const env: NodeJS.ProcessEnv = { ...options.env, ...spec.env?.variables, CODEBUILD_SRC_DIR: options.srcDir, CODEBUILD_BUILD_SUCCEEDING: '1' }
  let output = ''
  const phases: PhaseRun[] = []
  let failedAt: PhaseName | null = null

  for (const name of PHASES) {
    const phase = spec.phases?.[name]
    if (!phase) continue
    for (const key of Object.keys(phase)) if (!PHASE_KEYS.has(key)) throw new Error(`The harness does not support phases.${name}.${key}`)
    const run: PhaseRun = { name, status: 'SUCCEEDED', commands: [] }
    phases.push(run)
    if (failedAt && !(name === 'post_build' && failedAt === 'build')) {
      run.status = 'SKIPPED'
      continue
    }
    const exec = async (command: string, isFinally: boolean) => {
      const take = (line: string) => {
        output += `${line}\n`
        options.onOutput?.(`${line}\n`)
      }
      const exitCode = await runCommand(shell, ['-c', command], { cwd: options.srcDir, env, onLine: take }).then(
        () => 0,
        (error: unknown) => {
          if (!(error instanceof CommandError) || error.cause) throw error
          return error.exitCode ?? 128
        },
      )
      run.commands.push({ command, exitCode, finally: isFinally })
      if (exitCode !== 0) {
        run.status = 'FAILED'
        failedAt ??= name
        env.CODEBUILD_BUILD_SUCCEEDING = '0'
      }
      return exitCode === 0
    }
    for (const command of (phase.commands as string[] | undefined) ?? []) {
      if (!(await exec(command, false))) break
    }
    for (const command of (phase.finally as string[] | undefined) ?? []) {
      if (!(await exec(command, true))) break
    }
  }
  return { succeeded: failedAt === null, phases, output }
}

const ORCHARD_JS = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))

/**
 * A folder for PATH: `orchard` running this checkout's bin/orchard.js (so the buildspec's
 * install phase finds it and installs nothing), and apt-get, yum and update-binfmts that
 * refuse (a test never installs packages or changes binfmt on the host).
 */
export async function harnessBin(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  const write = async (name: string, text: string) => {
    await writeFile(path.join(dir, name), text)
    await chmod(path.join(dir, name), 0o755)
  }
  await write('orchard', `#!/bin/sh\nexec '${process.execPath}' '${ORCHARD_JS}' "$@"\n`)
  for (const tool of ['apt-get', 'yum', 'dnf', 'update-binfmts']) {
    await write(tool, `#!/bin/sh\necho "test harness: will not run ${tool} $*: this machine should have what the build needs" >&2\nexit 1\n`)
  }
  return dir
}

export interface PipelineRun {
  number: number
  executionId: string
  srcDir: string
  result: BuildspecRun
}

export interface LocalPipeline {
  /** The signing key's public half (PEM): what `--signing-key` or the app's setting names. */
  publicKeyFile: string
  /** The next run's result (runs are one at a time, in upload order). */
  next(): Promise<PipelineRun>
  close(): Promise<void>
}

/**
 * Plays the stack's pipeline on `s3`: each ObjectCreated event for `bucket`/build.zip
 * starts a run. `env`: the CodeBuild project's variables (ORCHARD_BUILD_MODE …) and
 * anything else the build needs (ORCHARD_CACHE_DIR).
 */
export async function startPipeline(options: { s3: TestS3; bucket: string; workDir: string; env?: NodeJS.ProcessEnv; onOutput?: (text: string) => void }): Promise<LocalPipeline> {
  const { s3, bucket, workDir } = options
  const bin = await harnessBin(path.join(workDir, 'bin'))
  const keys = generateLocalSigningKey()
  const privateKeyFile = path.join(workDir, 'signing-key.pem')
  const publicKeyFile = path.join(workDir, 'signing-public.pem')
  await writeFile(privateKeyFile, keys.privateKeyPem, { mode: 0o600 })
  await writeFile(publicKeyFile, keys.publicKeyPem)
  const client = s3.client()
  const results: Promise<PipelineRun>[] = []
  let taken = 0
  let queue: Promise<unknown> = Promise.resolve()
  let number = 0
  const unsubscribe = s3.onEvent((record) => {
    if (!record.eventName.startsWith('ObjectCreated:') || record.s3.bucket.name !== bucket || record.s3.object.key !== 'build.zip') return
    const runNumber = ++number
    const run = queue.then(async (): Promise<PipelineRun> => {
      const executionId = randomUUID()
      const runDir = path.join(workDir, `run-${runNumber}`)
      const srcDir = path.join(runDir, 'src')
      await mkdir(srcDir, { recursive: true })
      // The source action's copy of build.zip, then CodeBuild's unzip of it.
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'build.zip' }))
      const zip = path.join(runDir, 'build.zip')
      await writeFile(zip, await object.Body!.transformToByteArray())
      await runCommand('unzip', ['-q', zip, '-d', srcDir])
      const env: NodeJS.ProcessEnv = {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: process.env.HOME,
        TMPDIR: process.env.TMPDIR,
        // CodeBuild's own variables.
        CODEBUILD_BUILD_ID: `orchard-build:${randomUUID()}`,
        CODEBUILD_BUILD_NUMBER: String(runNumber),
        CODEBUILD_RESOLVED_SOURCE_VERSION: object.VersionId ?? object.ETag?.replaceAll('"', '') ?? '',
        CODEBUILD_INITIATOR: `codepipeline/orchard`,
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        // The build role's credentials, here s3rver's, and the endpoint the SDK reads.
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        // The project's variables (orchard-pipeline.yaml) and the pipeline's.
        ORCHARD_BUCKET: bucket,
        ORCHARD_BUILD_MODE: 'auto',
        ORCHARD_ARCH: process.arch === 'arm64' ? 'arm64' : 'x86_64',
        ORCHARD_PIPELINE_EXECUTION_ID: executionId,
        ORCHARD_LOCAL_SIGNING_KEY: privateKeyFile,
        ...options.env,
      }
      const buildspec = await readFile(path.join(srcDir, 'buildspec.yml'), 'utf8')
      const result = await runBuildspec({ buildspec, srcDir, env, onOutput: options.onOutput })
      return { number: runNumber, executionId, srcDir, result }
    })
    queue = run.catch(() => {})
    results.push(run)
  })
  return {
    publicKeyFile,
    next: async () => {
      const index = taken++
      while (!results[index]) await new Promise((resolve) => setTimeout(resolve, 50))
      return results[index]!
    },
    close: async () => {
      unsubscribe()
      await queue
      client.destroy()
    },
  }
}

export interface FixturePipeline {
  s3: TestS3
  pipeline: LocalPipeline
  /** The arm64 fixture in the bucket's sources/ (the build role may read it), as a recipe names it. */
  source: { url: string; sha256: string }
}

/**
 * The stack for a quick cloud build of the fixture: s3rver with `bucket`, the fixture
 * uploaded to sources/fixture.img, the pipeline listening. The worker's cache is its own
 * (the cloud machine's), under `workDir`.
 */
export async function startFixturePipeline(options: { bucket: string; workDir: string; onOutput?: (text: string) => void }): Promise<FixturePipeline> {
  const { bucket, workDir } = options
  const fixture = await testFixture('arm64')
  const s3 = await startS3([bucket])
  try {
    const key = 'sources/fixture.img'
    await new Upload({ client: s3.client(), params: { Bucket: bucket, Key: key, Body: createReadStream(fixture) }, partSize: 64 << 20 }).done()
    const pipeline = await startPipeline({
      s3,
      bucket,
      workDir: path.join(workDir, 'codebuild'),
      // Quick builds need no root or ARM.
      env: { ORCHARD_BUILD_MODE: 'quick', ORCHARD_CACHE_DIR: path.join(workDir, 'codebuild-cache') },
      onOutput: options.onOutput,
    })
    return { s3, pipeline, source: { url: `s3://${bucket}/${key}`, sha256: await sha256File(fixture) } }
  } catch (error) {
    await s3.close()
    throw error
  }
}
