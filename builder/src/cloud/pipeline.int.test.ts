/**
 * The cloud pipeline's round trip, locally: a real s3rver on 127.0.0.1 as the stack's
 * bucket, and a harness (builder/src/testing/codebuild.ts) that plays CodePipeline and
 * CodeBuild: on the put of build.zip it unzips it and runs the buildspec.yml inside it,
 * phase by phase with CodeBuild's environment, so the real builder/buildspec.yml is what
 * runs. The CLI sends the build (`orchard cloud build --follow --download`), the status
 * objects go through the phases to succeeded, the image comes back verified against its
 * published SHA256, and its content equals a local `orchard build` of the same recipe.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { verify } from 'unixcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT } from '../cli/output'
import { fixtureUnavailableReason } from '../testing/test-fixture'
import { debugfs, extractPartition, sha256sum } from '../testing/disk-tools'
import { startFixturePipeline, type LocalPipeline, type PipelineRun } from '../testing/codebuild'
import { S3RVER_CREDENTIALS, type TestS3 } from '../testing/s3'
import { splitLines } from '../util/lines'
import { CommandError, runCommand } from '../util/process'
import { BuildStatusSchema, type BuildStatus } from './status'

const ORCHARD = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))
const BUCKET = 'orchard-data'
const PASSWORD = 'pipeline-password-1'
const PASSPHRASE = 'pipeline-passphrase-1'
const skip = fixtureUnavailableReason('arm64') ?? (process.getuid?.() === 0 ? null : 'reading the images back (debugfs rdump) needs root to keep owners')
if (skip) console.log(`[pipeline] skipped: ${skip}`)

let dir: string
let s3: TestS3
let pipeline: LocalPipeline
let sourceSha: string

interface Cli {
  code: number | null
  lines: Record<string, unknown>[]
  stderr: string
}

/** The CLI as a user runs it, with the local S3's credentials and endpoint. */
async function orchard(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Cli> {
  const { code, stdout, stderr } = await runCommand(process.execPath, [ORCHARD, ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      ...env,
    },
  }).then(
    (output) => ({ code: 0, ...output }),
    (error: unknown) => {
      if (!(error instanceof CommandError) || error.cause) throw error
      return { code: error.exitCode, ...error.output }
    },
  )
  return { code, stderr, lines: splitLines(stdout).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>) }
}

async function getText(key: string): Promise<string> {
  const object = await s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
  return object.Body!.transformToString()
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))
  return (listed.Contents ?? []).map((object) => object.Key!).sort()
}

/** A sha512-crypt hash: salted anew by every build. */
const CRYPT = /\$6\$[A-Za-z0-9./]+\$[A-Za-z0-9./]+/g

/**
 * Every entry under `root`: type, mode, owner, and content hash or link target; `skipPaths`
 * left out, `saltedPaths` hashed with their crypt hashes replaced by a placeholder.
 */
async function tree(root: string, skipPaths: ReadonlySet<string>, saltedPaths: ReadonlySet<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  const walk = async (relative: string) => {
    for (const name of (await readdir(path.join(root, relative))).sort()) {
      const rel = `${relative}/${name}`
      if (skipPaths.has(rel)) continue
      const full = path.join(root, rel)
      const info = await lstat(full)
      const head = `${(info.mode & 0o7777).toString(8)} ${info.uid}:${info.gid}`
      if (info.isDirectory()) {
        out.set(rel, `dir ${head}`)
        await walk(rel)
      } else if (info.isSymbolicLink()) {
        out.set(rel, `link ${head} ${await readlink(full)}`)
      } else {
        const content = saltedPaths.has(rel) ? (await readFile(full, 'utf8')).replace(CRYPT, '<crypt hash>') : await readFile(full)
        out.set(rel, `file ${head} ${createHash('sha256').update(content).digest('hex')}`)
      }
    }
  }
  await walk('')
  return out
}

/** The image's boot files (mtools) and root fs (debugfs rdump) as folders. */
async function unpackImage(image: string, into: string): Promise<{ boot: string; root: string }> {
  await mkdir(into, { recursive: true })
  const bootFs = extractPartition(image, 1, path.join(into, 'boot.fat'))
  const rootFs = extractPartition(image, 2, path.join(into, 'root.ext4'))
  const boot = path.join(into, 'boot')
  const root = path.join(into, 'root')
  await mkdir(boot)
  await mkdir(root)
  execFileSync('mcopy', ['-s', '-n', '-m', '-i', bootFs, '::/*', boot])
  debugfs(rootFs, `rdump / ${root}`)
  await rm(bootFs)
  await rm(rootFs)
  return { boot, root }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-pipeline-'))
  if (skip) return
  ;({ s3, pipeline, source: { sha256: sourceSha } } = await startFixturePipeline({
    bucket: BUCKET,
    workDir: dir,
    onOutput: process.env.ORCHARD_PIPELINE_VERBOSE ? (text) => process.stdout.write(text) : undefined,
  }))
}, 600_000)

afterAll(async () => {
  await pipeline?.close()
  await s3?.close()
  await rm(dir, { recursive: true, force: true })
})

async function writeRecipe(name: string, sha256: string): Promise<string> {
  const folder = path.join(dir, name)
  await mkdir(path.join(folder, 'scripts'), { recursive: true })
  await writeFile(path.join(folder, 'motd'), 'Built in the cloud, or not.\n')
  await writeFile(path.join(folder, 'scripts', 'hello.sh'), '#!/bin/sh\necho hello from $(hostname)\n')
  const file = path.join(folder, 'recipe.yml')
  await writeFile(
    file,
    [
      `name: ${name}`,
      'arch: arm64',
      `source: { url: "s3://${BUCKET}/sources/fixture.img", sha256: ${sha256} }`,
      'system: { hostname: kiosk-01, timezone: Europe/Berlin }',
      `users: [{ name: pi, password: ${PASSWORD}, sudo: true }]`,
      `wifi: { ssid: Office, passphrase: ${PASSPHRASE}, country: GB }`,
      'files: [{ source: motd, target: /etc/motd }]',
      'startupScripts: { everyTime: [scripts/hello.sh] }',
      '',
    ].join('\n'),
  )
  return file
}

describe.skipIf(skip)('a cloud build, locally: CLI → build.zip → buildspec → status objects → verified download', () => {
  let cli: Cli
  let run: PipelineRun
  let id: string

  beforeAll(async () => {
    const recipe = await writeRecipe('kiosk', sourceSha)
    ;[cli, run] = await Promise.all([
      orchard(['cloud', 'build', recipe, '--bucket', BUCKET, '--endpoint', s3.endpoint, '--download', path.join(dir, 'library'), '--signing-key', pipeline.publicKeyFile, '--json']),
      pipeline.next(),
    ])
    id = (cli.lines.find((line) => line.type === 'result') as { id?: string } | undefined)?.id ?? ''
  }, 900_000)

  it('ran the buildspec from build.zip: install found orchard (this checkout) and installed nothing, build ran the worker', () => {
    expect(run.result.phases.map((phase) => [phase.name, phase.status]), run.result.output).toEqual([
      ['install', 'SUCCEEDED'],
      ['build', 'SUCCEEDED'],
    ])
    expect(run.result.output).not.toContain('test harness: will not run')
    expect(run.result.phases[1]!.commands.map((command) => command.command)).toEqual(['orchard cloud worker'])
    expect(cli.code, cli.stderr).toBe(0)
  })

  it('went through the phases to succeeded in its status objects', async () => {
    // What the CLI saw following the status objects (polls: a short phase may fall between two).
    const seen = [...new Set(cli.lines.filter((line) => line.type === 'progress').map((line) => line.phase as string))]
    expect(seen.slice(0, 3)).toEqual(['pack', 'upload', 'queued'])
    expect(seen.slice(-2)).toEqual(['done', 'download'])
    expect(seen).toContain('source')
    // Every phase the worker went through, in order, from its log.
    const log = (await getText(`builds/${id}/build.log`)).trim().split('\n').map((line) => JSON.parse(line) as { type: string; phase?: string })
    const phases = [...new Set(log.filter((entry) => entry.type === 'progress').map((entry) => entry.phase))]
    expect(phases).toEqual(['setup', 'source', 'customize', 'write', 'compress', 'upload'])
    expect(log.at(-1)!.type).toBe('result')
    const status: BuildStatus = BuildStatusSchema.parse(JSON.parse(await getText(`builds/${id}/status.json`)))
    expect(status).toMatchObject({ id, result: 'succeeded', phase: 'done', percent: 100 })
    expect(Date.parse(status.endedAt!)).toBeGreaterThanOrEqual(Date.parse(status.startedAt))
    expect(await keysUnder(`builds/${id}/`)).toEqual(
      [`build.log`, `build.zip`, `buildinfo.json`, `kiosk.img.sha256`, `kiosk.img.xz`, `kiosk.img.xz.sha256`, `kiosk.img.xz.sig.json`, `status.json`].map((name) => `builds/${id}/${name}`),
    )
  })

  it('published no secret: status, log, build info and checksums hold neither the password, the passphrase, the PSK nor the hash', async () => {
    const texts = await Promise.all(['status.json', 'build.log', 'buildinfo.json', 'kiosk.img.sha256', 'kiosk.img.xz.sha256', 'kiosk.img.xz.sig.json'].map((name) => getText(`builds/${id}/${name}`)))
    const recipeInZip = await readFile(path.join(run.srcDir, 'recipe.yml'), 'utf8')
    const psk = /psk: "?([0-9a-f]{64})/.exec(recipeInZip)![1]!
    const hash = /passwordHash: "?(\$6\$[^\s"]+)/.exec(recipeInZip)![1]!
    for (const text of texts) {
      for (const secret of [PASSWORD, PASSPHRASE, psk, hash]) expect(text).not.toContain(secret)
    }
    expect(texts[1]).toContain('"type":"result"')
  })

  it('downloaded the image verified against the published SHA256, and it equals a local build of the same recipe', async () => {
    const result = cli.lines.find((line) => line.type === 'result') as { download: { image: string; sha256: string } }
    const image = path.join(dir, 'library', 'kiosk.img.xz')
    expect(result.download.image).toBe(image)
    expect(sha256sum(image)).toBe(result.download.sha256)
    expect((await getText(`builds/${id}/kiosk.img.xz.sha256`)).split(/\s+/)[0]).toBe(result.download.sha256)
    // Signed by the pipeline's key (KMS in AWS, a local P-256 key here) for this build (issue 14).
    expect((result.download as unknown as { signedBy: unknown }).signedBy).toMatchObject({ buildId: id, keyId: expect.stringMatching(/^local:/) })
    execFileSync('xz', ['-dk', image])
    const cloudImage = path.join(dir, 'library', 'kiosk.img')
    expect(sha256sum(cloudImage)).toBe((await readFile(path.join(dir, 'library', 'kiosk.img.sha256'), 'utf8')).split(/\s+/)[0])

    const local = await orchard(['build', path.join(dir, 'kiosk', 'recipe.yml'), '--out', path.join(dir, 'local'), '--mode', 'quick', '--json'], {
      ORCHARD_CACHE_DIR: path.join(dir, 'local-cache'),
    })
    expect(local.code, local.stderr).toBe(0)
    const localImage = path.join(dir, 'local', 'kiosk.img')

    // Build info: equal but for the time, the recipe hash (the cloud's recipe names its files
    // by their place in build.zip, files/motd, so it hashes differently) and the recipe file
    // (a local build names it for `orchard rebuild`; the cloud's recipe travelled in build.zip).
    const info = async (file: string) => {
      const { builtAt, recipeSha256, recipeFile, ...rest } = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
      expect(builtAt).toEqual(expect.any(String))
      expect(recipeSha256).toMatch(/^[0-9a-f]{64}$/)
      return { rest, recipeFile }
    }
    const [cloudInfo, localInfo] = [await info(path.join(dir, 'library', 'buildinfo.json')), await info(path.join(dir, 'local', 'buildinfo.json'))]
    expect(cloudInfo.rest).toEqual(localInfo.rest)
    expect([cloudInfo.recipeFile, localInfo.recipeFile]).toEqual([undefined, 'recipe.yml'])

    // The images: same size, same boot files and root fs, entry by entry (type, mode,
    // owner, content), the password hash aside (each build salts it anew; both verify).
    expect((await lstat(cloudImage)).size).toBe((await lstat(localImage)).size)
    const cloud = await unpackImage(cloudImage, path.join(dir, 'cloud-unpacked'))
    const mine = await unpackImage(localImage, path.join(dir, 'local-unpacked'))
    const variable = new Set(['/buildinfo/buildinfo.json', '/buildinfo/buildinfo.txt'])
    const salted = new Set(['/etc/shadow', '/startup-scripts/run-once/first_run_setup.sh'])
    const [cloudBoot, localBoot] = await Promise.all([tree(cloud.boot, variable, salted), tree(mine.boot, variable, salted)])
    expect(cloudBoot.size).toBeGreaterThan(3)
    expect(Object.fromEntries(cloudBoot)).toEqual(Object.fromEntries(localBoot))
    const [cloudRoot, localRoot] = await Promise.all([tree(cloud.root, variable, salted), tree(mine.root, variable, salted)])
    expect(cloudRoot.size).toBeGreaterThan(1000)
    expect(Object.fromEntries(cloudRoot)).toEqual(Object.fromEntries(localRoot))
    // A quick build sets the password at first boot, from the hash in first_run_setup.sh.
    for (const boot of [cloud.boot, mine.boot]) {
      const [hash] = (await readFile(path.join(boot, 'startup-scripts/run-once/first_run_setup.sh'), 'utf8')).match(CRYPT)!
      expect(verify(PASSWORD, hash!)).toBe(true)
    }
  })
})

describe.skipIf(skip)('a failing cloud build', () => {
  it('ends failed with the code in its status, publishes its log and no image; the CLI exits as for a local build', async () => {
    const recipe = await writeRecipe('broken', 'e'.repeat(64))
    const [cli, run] = await Promise.all([orchard(['cloud', 'build', recipe, '--bucket', BUCKET, '--follow', '--json']), pipeline.next()])
    // The worker ran and failed, so the build phase failed (CodeBuild marks the build failed).
    expect(run.result.phases.map((phase) => [phase.name, phase.status])).toEqual([
      ['install', 'SUCCEEDED'],
      ['build', 'FAILED'],
    ])
    const error = cli.lines.find((line) => line.type === 'error') as { code: string; message: string; detail: { id: string } }
    expect(error.code).toBe('CHECKSUM_MISMATCH')
    expect(cli.code).toBe(EXIT.source)
    const id = error.detail.id
    const status = BuildStatusSchema.parse(JSON.parse(await getText(`builds/${id}/status.json`)))
    expect(status).toMatchObject({ id, result: 'failed', phase: 'source', error: expect.stringMatching(/^CHECKSUM_MISMATCH: SHA256 mismatch/) })
    expect(await keysUnder(`builds/${id}/`)).toEqual([`builds/${id}/build.log`, `builds/${id}/build.zip`, `builds/${id}/status.json`])
    expect(await getText(`builds/${id}/build.log`)).toContain('"code":"CHECKSUM_MISMATCH"')
  }, 600_000)
})
