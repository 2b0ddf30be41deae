/**
 * Issue 14's end-to-end secret check: a recipe with a secret in every field that holds one
 * (two users' passwords, the wifi passphrase) and a devices CSV with a device's own wifi
 * passphrase, taken the ways a user takes them: `orchard build --mode quick`, `orchard
 * flash` with the devices CSV, and `orchard cloud build` through the local pipeline
 * imitation (s3rver + the real buildspec). No plaintext secret may appear anywhere: the
 * raw bytes of every image and card (both filesystems, free space included), build info,
 * build.zip's members, status.json, build.log, the CLI's output, the flash records and
 * their CSV export. Sealed forms (crypt hashes, PSKs) may sit only where the device needs
 * them, and never in what is published or recorded. First boot is the boot suite's part
 * (testing/qemu/proof.boot.test.ts).
 */
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readRecords, recordsToCsv } from '../flash/records'
import { wifiPsk } from '../recipe/crypt'
import { startFixturePipeline, type LocalPipeline } from '../testing/codebuild'
import { extractPartition, mtype, sha256sum } from '../testing/disk-tools'
import { stringsInFile } from '../testing/find-bytes'
import { S3RVER_CREDENTIALS, type TestS3 } from '../testing/s3'
import { fixtureUnavailableReason, testFixture } from '../testing/test-fixture'
import { CommandError, runCommand } from '../util/process'

const ORCHARD = fileURLToPath(new URL('../../../bin/orchard.js', import.meta.url))
const BUCKET = 'orchard-secrets'
const SSID = 'Orchard Office'
const DEVICE_SSID = 'Shop Floor'
// Distinct, greppable plaintexts: one per field that holds a secret, and a device's own.
const PLAIN = {
  adminPassword: 'plain-admin-password-7Q2',
  kioskPassword: 'plain-kiosk-password-9W4',
  wifiPassphrase: 'plain-wifi-passphrase-3E8',
  devicePassphrase: 'plain-device-passphrase-5R1',
}
const plaintexts = Object.values(PLAIN)
// The Connect sign-in token cannot be hashed: the image must carry it (a scrubbed first_run_setup.sh
// line), so it is checked as a sealed form: in no output, log, status, record or build info.
const CONNECT_TOKEN = 'rpuak_sealed-connect-token-8T6'
const skip = fixtureUnavailableReason('arm64') ?? (process.getuid?.() === 0 ? null : 'reading images back needs root')
if (skip) console.log(`[no-plaintext-secrets] skipped: ${skip}`)

let dir: string

/** The CLI as a user runs it; stdout and stderr are part of what is checked. */
async function orchard(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  const run = runCommand(process.execPath, [ORCHARD, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ORCHARD_DATA_DIR: path.join(dir, 'data'), ...env } })
  return run.then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: unknown) => {
      if (!(error instanceof CommandError) || error.cause) throw error
      return { code: error.exitCode, output: error.output.stdout + error.output.stderr }
    },
  )
}

/** Which secrets `text` shows. */
const shown = (text: string, secrets: readonly string[]) => secrets.filter((secret) => text.includes(secret))

async function writeRecipe(source: string): Promise<string> {
  const folder = path.join(dir, 'recipe')
  await mkdir(path.join(folder, 'scripts'), { recursive: true })
  await writeFile(path.join(folder, 'scripts', 'hello.sh'), '#!/bin/sh\necho hello\n')
  const file = path.join(folder, 'recipe.yml')
  await writeFile(
    file,
    [
      'name: secrets',
      'arch: arm64',
      `source: ${source}`,
      'system: { hostname: secret-host }',
      'users:',
      `  - { name: admin, password: ${PLAIN.adminPassword}, sudo: true }`,
      `  - { name: kiosk, password: ${PLAIN.kioskPassword} }`,
      `wifi: { ssid: ${SSID}, passphrase: ${PLAIN.wifiPassphrase}, country: GB }`,
      `connect: { token: ${CONNECT_TOKEN} }`,
      'startupScripts: { everyTime: [scripts/hello.sh] }',
      '',
    ].join('\n'),
  )
  return file
}

/** The sealed forms a quick build put in first_run_setup.sh: the crypt hashes and the PSK. */
function sealedForms(image: string): string[] {
  const script = mtype(extractPartition(image, 1, path.join(dir, 'sealed.fat')), '/startup-scripts/run-once/first_run_setup.sh')
  const hashes = script.match(/\$6\$[A-Za-z0-9./]+\$[A-Za-z0-9./]+/g) ?? []
  expect(hashes).toHaveLength(2)
  expect(script).toContain(`CONNECT_TOKEN='${CONNECT_TOKEN}' # orchard:secret`)
  return [...hashes, wifiPsk(SSID, PLAIN.wifiPassphrase), wifiPsk(DEVICE_SSID, PLAIN.devicePassphrase), CONNECT_TOKEN]
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-secrets-'))
}, 60_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe.skipIf(skip)('no plaintext secret anywhere: quick build, flash with a devices CSV', () => {
  let built: { code: number | null; output: string }
  let flashed: { code: number | null; output: string }
  let image: string
  let card: string
  let sealed: string[]

  beforeAll(async () => {
    const fixture = await testFixture('arm64')
    const recipe = await writeRecipe(`{ path: ${fixture}, sha256: ${sha256sum(fixture)} }`)
    built = await orchard(['build', recipe, '--mode', 'quick', '--out', path.join(dir, 'out'), '--json'])
    expect(built.code, built.output).toBe(0)
    image = path.join(dir, 'out', 'secrets.img')
    sealed = sealedForms(image)
    const devices = path.join(dir, 'devices.csv')
    await writeFile(devices, `hostname,WIFI_SSID,WIFI_PSK\nshop-01,${DEVICE_SSID},${PLAIN.devicePassphrase}\n`)
    card = path.join(dir, 'card.img')
    flashed = await orchard(['flash', image, '--to', card, '--devices', devices, '--json'])
    expect(flashed.code, flashed.output).toBe(0)
  }, 900_000)

  it('the built image holds no plaintext secret in any byte (boot and root filesystems, free space too)', async () => {
    expect(await stringsInFile(image, plaintexts)).toEqual([])
  })

  it('build info and the build output show neither plaintext nor sealed secrets', async () => {
    const names = (await readdir(path.join(dir, 'out'))).filter((name) => name.startsWith('buildinfo') || name.endsWith('.json') || name.endsWith('.txt'))
    expect(names.length).toBeGreaterThan(0)
    for (const name of names) expect(shown(await readFile(path.join(dir, 'out', name), 'utf8'), [...plaintexts, ...sealed]), name).toEqual([])
    expect(shown(built.output, [...plaintexts, ...sealed])).toEqual([])
  })

  it('the flashed card holds no plaintext secret in any byte, the device passphrase included', async () => {
    expect(await stringsInFile(card, plaintexts)).toEqual([])
  })

  it("the flash output, the records and their CSV export show no secret, not even the device's PSK", async () => {
    expect(shown(flashed.output, [...plaintexts, ...sealed])).toEqual([])
    const records = await readRecords(path.join(dir, 'data', 'flash-records.jsonl'))
    expect(records).toHaveLength(1)
    expect(shown(JSON.stringify(records) + recordsToCsv(records), [...plaintexts, ...sealed])).toEqual([])
  })
})

describe.skipIf(skip)('no plaintext secret anywhere: a cloud build through the local pipeline', () => {
  let s3: TestS3
  let pipeline: LocalPipeline
  let output: string
  let id: string

  const getObject = async (key: string) => {
    const object = await s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
    return Buffer.from(await object.Body!.transformToByteArray())
  }

  beforeAll(async () => {
    const stack = await startFixturePipeline({ bucket: BUCKET, workDir: dir })
    ;({ s3, pipeline } = stack)
    const recipe = await writeRecipe(`{ url: "${stack.source.url}", sha256: ${stack.source.sha256} }`)
    const env = {
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
    }
    const [cli] = await Promise.all([orchard(['cloud', 'build', recipe, '--bucket', BUCKET, '--download', path.join(dir, 'library'), '--signing-key', pipeline.publicKeyFile, '--json'], env), pipeline.next()])
    expect(cli.code, cli.output).toBe(0)
    output = cli.output
    id = (/"type":"result".*?"id":"([^"]+)"/.exec(output) ?? /"id":"([^"]+)"/.exec(output))![1]!
  }, 900_000)

  afterAll(async () => {
    await pipeline?.close()
    await s3?.close()
  })

  it("build.zip's members carry no plaintext secret (the recipe in it is sealed)", async () => {
    const zip = path.join(dir, 'published-build.zip')
    await writeFile(zip, await getObject(`builds/${id}/build.zip`))
    const members = path.join(dir, 'zip-members')
    execFileSync('unzip', ['-q', zip, '-d', members])
    const files = (await readdir(members, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile())
    expect(files.map((entry) => entry.name)).toContain('recipe.yml')
    for (const entry of files) expect(await stringsInFile(path.join(entry.parentPath, entry.name), plaintexts), entry.name).toEqual([])
  })

  it('status.json, build.log, build info and the CLI output show neither plaintext nor sealed secrets', async () => {
    const recipeInZip = (await readFile(path.join(dir, 'zip-members', 'recipe.yml'), 'utf8')) || ''
    const sealed = [...(recipeInZip.match(/\$6\$[A-Za-z0-9./]+\$[A-Za-z0-9./]+/g) ?? []), wifiPsk(SSID, PLAIN.wifiPassphrase), CONNECT_TOKEN]
    expect(sealed).toHaveLength(4)
    expect(recipeInZip).toContain(`authKey: ${CONNECT_TOKEN}`)
    for (const name of ['status.json', 'build.log', 'buildinfo.json']) {
      expect(shown((await getObject(`builds/${id}/${name}`)).toString('utf8'), [...plaintexts, ...sealed]), name).toEqual([])
    }
    expect(shown(output, [...plaintexts, ...sealed])).toEqual([])
  })

  it('the downloaded image holds no plaintext secret in any byte', async () => {
    const xz = path.join(dir, 'library', 'secrets.img.xz')
    execFileSync('xz', ['-dk', xz])
    expect(await stringsInFile(xz.slice(0, -'.xz'.length), plaintexts)).toEqual([])
  })
})
