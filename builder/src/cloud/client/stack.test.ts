import { describe, expect, it } from 'vitest'
import { BuildError } from '../../util/errors'
import { checkStackName, parseParameters, translateCloudFormationError } from './stack'

describe('the cloud stack', () => {
  it('reads Name=value parameters (values may hold "=")', () => {
    expect(parseParameters(['EnableEcr=true', 'BuildMode=a=b'])).toEqual([
      { ParameterKey: 'EnableEcr', ParameterValue: 'true' },
      { ParameterKey: 'BuildMode', ParameterValue: 'a=b' },
    ])
    expect(() => parseParameters(['EnableEcr'])).toThrow(/Name=value/)
    expect(() => parseParameters(['=x'])).toThrow(BuildError)
  })

  it('checks stack names against the template\'s rules', () => {
    expect(() => checkStackName('orchard-1')).not.toThrow()
    for (const bad of ['Orchard', '1orchard', 'a'.repeat(33), 'xn--abc', 'sthree-x', 'a_b']) expect(() => checkStackName(bad), bad).toThrow(BuildError)
  })

  it('translates CloudFormation failures into the CLOUD_* codes', () => {
    const named = (name: string, message: string, status?: number) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })
    expect(translateCloudFormationError(named('ValidationError', 'Stack with id orchard does not exist', 400), 'DescribeStacks', 'orchard')).toMatchObject({ code: 'CLOUD_NOT_FOUND' })
    expect(translateCloudFormationError(named('AccessDenied', 'no', 403), 'CreateStack', 'orchard').message).toContain('cloudformation:CreateStack')
    expect(translateCloudFormationError(named('InsufficientCapabilitiesException', 'Requires capabilities'), 'CreateStack', 'orchard')).toMatchObject({ code: 'CLOUD_FAILED' })
    expect(translateCloudFormationError(named('CredentialsProviderError', 'Could not load credentials from any providers'), 'DescribeStacks', 'orchard')).toMatchObject({ code: 'CLOUD_AUTH' })
    expect(translateCloudFormationError(named('ExpiredToken', 'expired'), 'UpdateStack', 'orchard')).toMatchObject({ code: 'CLOUD_AUTH' })
    expect(translateCloudFormationError(named('Throttling', 'Rate exceeded', 400), 'UpdateStack', 'orchard')).toMatchObject({ code: 'CLOUD_FAILED', message: 'UpdateStack orchard failed: Throttling: Rate exceeded' })
  })
})
