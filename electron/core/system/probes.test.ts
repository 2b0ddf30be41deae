import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { awsCredentials, awsRegion, binfmt, dockerEndpoint } from './probes'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'orchard-probes-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('awsCredentials', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'

  it('finds keys in the environment without echoing them', async () => {
    const probe = await awsCredentials({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: secret })
    expect(probe.ok).toBe(true)
    expect(JSON.stringify(probe)).not.toContain(secret)
    expect(JSON.stringify(probe)).not.toContain('AKIDEXAMPLE')
  })

  it('finds the chosen profile in a shared credentials file', async () => {
    const credentials = path.join(dir, 'credentials')
    await writeFile(credentials, `[default]\naws_access_key_id = AKID\naws_secret_access_key = ${secret}\n[fleet]\naws_access_key_id = AKID2\n`)
    const env = { AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: path.join(dir, 'none') }
    expect(await awsCredentials({ ...env, AWS_PROFILE: 'fleet' })).toMatchObject({ ok: true, detail: `Profile "fleet" in ${credentials}` })
    const missing = await awsCredentials({ ...env, AWS_PROFILE: 'factory' })
    expect(missing).toMatchObject({ ok: false, fix: expect.stringContaining('aws configure') })
    expect(JSON.stringify(missing)).not.toContain(secret)
  })

  it('finds an SSO profile in the config file', async () => {
    const config = path.join(dir, 'config')
    await writeFile(config, '[profile sso-dev]\nsso_session = corp\nsso_account_id = 123456789012\nregion = eu-west-1\n')
    const env = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'), AWS_PROFILE: 'sso-dev' }
    expect(await awsCredentials(env)).toMatchObject({ ok: true })
    expect(await awsRegion(env)).toMatchObject({ ok: true, detail: 'eu-west-1 (profile "sso-dev")' })
  })

  it('reports no credentials when there are none', async () => {
    const env = { AWS_CONFIG_FILE: path.join(dir, 'a'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'b') }
    expect(await awsCredentials(env)).toMatchObject({ ok: false })
    expect(await awsRegion(env)).toMatchObject({ ok: false })
  })
})

describe.runIf(process.platform === 'linux')('binfmt', () => {
  const entry = (state: string, flags: string) =>
    `${state}\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: ${flags}\noffset 0\nmagic 7f454c46\n`

  it('needs the entry enabled and with flag F', async () => {
    await writeFile(path.join(dir, 'status'), 'enabled\n')
    await writeFile(path.join(dir, 'qemu-aarch64'), entry('enabled', 'PF'))
    expect(await binfmt('aarch64', dir)).toMatchObject({ ok: true, detail: expect.stringContaining('flags PF') })
    await writeFile(path.join(dir, 'qemu-aarch64'), entry('enabled', 'P'))
    expect(await binfmt('aarch64', dir)).toMatchObject({ ok: false, fix: expect.stringContaining('flag F') })
    await writeFile(path.join(dir, 'qemu-aarch64'), entry('disabled', 'PF'))
    expect(await binfmt('aarch64', dir)).toMatchObject({ ok: false, detail: expect.stringMatching(/^disabled/) })
  })

  it('says when the entry or binfmt_misc itself is missing', async () => {
    expect(await binfmt('arm', dir)).toMatchObject({ ok: false, detail: expect.stringContaining('not mounted') })
    await writeFile(path.join(dir, 'status'), 'enabled\n')
    expect(await binfmt('arm', dir)).toMatchObject({ ok: false, detail: 'qemu-arm is not registered' })
  })
})

describe('dockerEndpoint', () => {
  it('follows DOCKER_HOST', () => {
    expect(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({ socketPath: '/run/user/1000/docker.sock' })
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toEqual({ host: '10.0.0.5', port: 2376 })
  })
})

