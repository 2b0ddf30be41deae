/** orchard-pipeline.yaml: the stack name, parameters, mappings and outputs the app and docs rely on. */
import { describe, expect, it } from 'vitest'
import { resources, template, type Json } from './test-template'

describe('orchard-pipeline.yaml', () => {
  it('documents the stack-name rules, and they fit the bucket name limit', () => {
    expect(template.Description).toMatch(/STACK NAME: 1-32 characters, lowercase/)
    const rules = template.Metadata.Orchard.StackNameRules
    expect(rules.Pattern).toBe('^[a-z][a-z0-9-]{0,31}$')
    expect(resources.Bucket.Properties.BucketName).toEqual({ 'Fn::Sub': '${AWS::StackName}-${AWS::AccountId}-${AWS::Region}' })
    // stack (32) + "-" + account id (12) + "-" + the longest region code (14, e.g. ap-southeast-5)
    expect(32 + 1 + 12 + 1 + 'ap-southeast-5'.length).toBeLessThanOrEqual(63)
  })

  it('has every parameter with a default, and the documented choices', () => {
    const parameters = template.Parameters as Json
    for (const [name, parameter] of Object.entries(parameters)) expect(parameter, name).toHaveProperty('Default')
    expect(parameters.Architecture.AllowedValues).toEqual(['x86_64', 'arm64'])
    expect(parameters.ComputeType.AllowedValues).toContain(parameters.ComputeType.Default)
    expect(parameters.BuildTimeoutMinutes).toMatchObject({ Type: 'Number', MinValue: 5, MaxValue: 2160 })
    expect(parameters.EnableEcr.AllowedValues).toEqual(['true', 'false'])
    // The builder travels in build.zip: no parameter says where to fetch it.
    expect(Object.keys(parameters).sort()).toEqual(['Architecture', 'BuildMode', 'BuildRetentionDays', 'BuildTimeoutMinutes', 'ComputeType', 'EcrImagesToKeep', 'EnableEcr', 'SeedBuildZipUrl'])
    expect(template.Mappings.Architectures).toEqual({
      x86_64: { EnvironmentType: 'LINUX_CONTAINER', Image: 'aws/codebuild/standard:7.0' },
      arm64: { EnvironmentType: 'ARM_CONTAINER', Image: 'aws/codebuild/amazonlinux2-aarch64-standard:3.0' },
    })
  })

  it('outputs the names the app needs', () => {
    expect(template.Outputs).toMatchObject({
      BucketName: { Value: { Ref: 'Bucket' } },
      PipelineName: { Value: { Ref: 'Pipeline' } },
      BuildProjectName: { Value: { Ref: 'BuildProject' } },
    })
  })
})
