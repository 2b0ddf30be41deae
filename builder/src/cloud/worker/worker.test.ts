import { describe, expect, it } from 'vitest'
import { BuildError } from '../../util/errors'
import { imageName } from '../client/results'
import { outputKeys } from '../build-keys'
import { redactText } from '../redact'
import { secretValues } from '../../recipe/secrets'
import { ecrTag, errorLine, overallPercent, resolveBuildId, StatusThrottle } from './worker'

describe('the cloud worker, its pure parts', () => {
  it('maps each phase and its fraction onto one rising overall percent', () => {
    expect(overallPercent('setup')).toBe(0)
    expect(overallPercent('source', 0.5)).toBe(16)
    expect(overallPercent('write', 1)).toBe(80)
    expect(overallPercent('upload', 2)).toBe(99)
    expect(overallPercent('upload', Number.NaN)).toBe(93)
    expect(overallPercent('unknown-phase', 0.5)).toBe(0)
    const order = ['setup', 'source', 'steps', 'customize', 'write', 'compress', 'docker-image', 'upload']
    for (let i = 1; i < order.length; i++) expect(overallPercent(order[i]!, 0)).toBeGreaterThanOrEqual(overallPercent(order[i - 1]!, 1))
  })

  it('throttles status writes: a new phase at once (not twice within a second), else every interval', () => {
    const throttle = new StatusThrottle(5000, 1000)
    expect(throttle.due(0, 'setup')).toBe(true)
    throttle.wrote(0, 'setup')
    expect(throttle.due(500, 'setup')).toBe(false)
    expect(throttle.due(500, 'source')).toBe(false) // a new phase, but too soon
    expect(throttle.due(1000, 'source')).toBe(true)
    throttle.wrote(1000, 'source')
    expect(throttle.due(5999, 'source')).toBe(false)
    expect(throttle.due(6000, 'source')).toBe(true)
  })

  it('names the published objects under builds/<id>/, and finds the image among them', () => {
    const keys = outputKeys('20250101-120000-1a2b3c4d', 'kiosk')
    expect(keys).toEqual({
      image: 'builds/20250101-120000-1a2b3c4d/kiosk.img.xz',
      checksum: 'builds/20250101-120000-1a2b3c4d/kiosk.img.xz.sha256',
      imageChecksum: 'builds/20250101-120000-1a2b3c4d/kiosk.img.sha256',
      buildInfo: 'builds/20250101-120000-1a2b3c4d/buildinfo.json',
      log: 'builds/20250101-120000-1a2b3c4d/build.log',
    })
    expect(imageName('20250101-120000-1a2b3c4d', Object.values(keys))).toBe('kiosk')
    expect(imageName('x', ['builds/x/build.log', 'builds/x/sub/a.img.xz', 'builds/y/b.img.xz'])).toBeNull()
  })

  it('takes the build id from build.json, else the pipeline execution, else the CodeBuild build', () => {
    expect(resolveBuildId({ id: 'abc' }, { ORCHARD_PIPELINE_EXECUTION_ID: 'exec' })).toBe('abc')
    expect(resolveBuildId({ id: '../etc' }, { ORCHARD_PIPELINE_EXECUTION_ID: 'exec-1' })).toBe('exec-1')
    expect(resolveBuildId(null, { CODEBUILD_BUILD_ID: 'orchard-build:0b5e-11' })).toBe('0b5e-11')
    expect(() => resolveBuildId(null, {})).toThrow(BuildError)
  })

  it('tags Docker images for the stack\'s one ECR repository', () => {
    expect(ecrTag('kiosk:1.2')).toBe('kiosk-1.2')
    expect(ecrTag('registry.example:5000/team/kiosk')).toBe('kiosk-latest')
    expect(ecrTag('a b:c')).toBe('a-b-c')
  })

  it('redacts the sealed recipe\'s secrets, and writes errors with their code', () => {
    const psk = 'ab'.repeat(32)
    const secrets = secretValues({ users: [{ passwordHash: '$6$salt$hash' }, {}], wifi: { psk } })
    expect(secrets).toEqual(['$6$salt$hash', psk])
    expect(redactText(`key ${psk} and psk=${psk} for $6$other$x`, secrets)).toBe('key <redacted> and psk=<redacted> for <redacted>')
    expect(errorLine(new BuildError('CHECKSUM_MISMATCH', 'SHA256 mismatch'))).toBe('CHECKSUM_MISMATCH: SHA256 mismatch')
    expect(errorLine(new Error('boom'))).toBe('INTERNAL: boom')
  })
})
