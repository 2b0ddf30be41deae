/** orchard-pipeline.yaml's build: the CodeBuild project and the buildspec it runs, the pipeline that starts it, and ECR. */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { BuildStatusSchema } from '../src/cloud/status'
import { resources, template, type Json } from './test-template'

const BUILDSPEC_FILE = fileURLToPath(new URL('../buildspec.yml', import.meta.url))

describe('orchard-pipeline.yaml', () => {
  describe('the build', () => {
    const project = resources.BuildProject.Properties

    it('runs privileged, from the architecture mapping, with the bucket in its environment', () => {
      expect(project.Environment.PrivilegedMode).toBe(true)
      expect(project.Environment.Type).toEqual({ 'Fn::FindInMap': ['Architectures', { Ref: 'Architecture' }, 'EnvironmentType'] })
      expect(project.Environment.Image).toEqual({ 'Fn::FindInMap': ['Architectures', { Ref: 'Architecture' }, 'Image'] })
      expect(project.Environment.ComputeType).toEqual({ Ref: 'ComputeType' })
      expect(project.TimeoutInMinutes).toEqual({ Ref: 'BuildTimeoutMinutes' })
      const variables = project.Environment.EnvironmentVariables.filter((variable: Json) => 'Name' in variable)
      expect(variables).toContainEqual({ Name: 'ORCHARD_BUCKET', Value: { Ref: 'Bucket' } })
      expect(project.LogsConfig.CloudWatchLogs.GroupName).toEqual({ Ref: 'BuildLogGroup' })
    })

    const buildspec = parse(readFileSync(BUILDSPEC_FILE, 'utf8')) as Json
    const commands: string[] = Object.values(buildspec.phases as Json).flatMap((phase: Json) => [...(phase.commands ?? []), ...(phase.finally ?? [])])

    it('reads its buildspec from build.zip (builder/buildspec.yml), which runs `orchard cloud worker`', () => {
      expect(project.Source).toEqual({ Type: 'CODEPIPELINE' })
      expect(buildspec.version).toBe(0.2)
      expect(buildspec.env).toEqual({ shell: 'bash' })
      expect(Object.keys(buildspec.phases)).toEqual(['install', 'build'])
      expect(buildspec.phases.build.commands).toEqual(['orchard cloud worker'])
      const install = (buildspec.phases.install.commands as string[]).join('\n')
      // Installs only what is missing, and the builder from the zip with its lock file.
      expect(install).toContain('command -v "$tool"')
      expect(install).toContain('e2fsprogs fuse2fs dosfstools mtools fdisk xz-utils qemu-user-static binfmt-support')
      expect(install).toContain('if ! command -v orchard >/dev/null; then')
      expect(install).toContain('tar -xzf "$CODEBUILD_SRC_DIR/orchard-builder.tgz"')
      expect(install).toContain('npm ci --omit=dev')
    })

    it('has commands bash can parse', (context) => {
      if (spawnSync('bash', ['--version']).error) context.skip('bash is not installed: the buildspec commands were not parsed')
      commands.forEach((command, index) => {
        const result = spawnSync('bash', ['-n', '-c', command], { encoding: 'utf8' })
        expect(result.status, `command ${index}: ${result.stderr}`).toBe(0)
      })
    })

    it('marks the build failed when the builder could not be installed (a status the app reads)', (context) => {
      if (spawnSync('bash', ['--version']).error) context.skip('bash is not installed')
      const dir = mkdtempSync(path.join(tmpdir(), 'orchard-buildspec-'))
      try {
        const [bin, src, s3] = ['bin', 'src', 's3'].map((name) => path.join(dir, name)) as [string, string, string]
        for (const folder of [bin, src, s3]) mkdirSync(folder)
        // A stand-in `aws s3 cp - s3://bucket/key …`: stdin into s3/<key>; no `orchard` on PATH.
        writeFileSync(path.join(bin, 'aws'), '#!/bin/sh\nfor a; do case "$a" in s3://*) dest="$a";; esac; done\nkey="${dest#s3://*/}"\nmkdir -p "$FAKE_S3/$(dirname "$key")" && cat > "$FAKE_S3/$key"\n', { mode: 0o755 })
        for (const tool of ['node', 'tr', 'date', 'cat', 'mkdir', 'dirname']) {
          const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim()
          if (found) symlinkSync(found, path.join(bin, tool))
        }
        const id = '20250101-120000-1a2b3c4d'
        writeFileSync(path.join(src, 'build.json'), JSON.stringify({ id }))
        const [finallyCommand] = buildspec.phases.install.finally as string[]
        const bash = spawnSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim()
        const result = spawnSync(bash, ['-c', finallyCommand!], {
          encoding: 'utf8',
          env: { PATH: bin, FAKE_S3: s3, CODEBUILD_SRC_DIR: src, CODEBUILD_BUILD_SUCCEEDING: '0', ORCHARD_BUCKET: 'b' },
        })
        expect(result.status, result.stderr).toBe(0)
        const status = BuildStatusSchema.parse(JSON.parse(readFileSync(path.join(s3, 'builds', id, 'status.json'), 'utf8')))
        expect(status).toMatchObject({ id, result: 'failed', error: expect.stringMatching(/^UNAVAILABLE: the build machine could not be prepared/) })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })

  describe('the pipeline', () => {
    const pipeline = resources.Pipeline.Properties
    const [source, build] = pipeline.Stages as Json[]

    it('takes build.zip from the bucket, started by EventBridge rather than polling', () => {
      const action = source!.Actions[0]
      expect(action.ActionTypeId).toEqual({ Category: 'Source', Owner: 'AWS', Provider: 'S3', Version: '1' })
      expect(action.Configuration).toEqual({ S3Bucket: { Ref: 'Bucket' }, S3ObjectKey: 'build.zip', PollForSourceChanges: 'false' })
      const rule = resources.StartOnUpload.Properties
      expect(rule.EventPattern).toEqual({
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: 'Bucket' }] }, object: { key: ['build.zip'] } },
      })
      expect(rule.Targets[0].Arn['Fn::Sub']).toContain(':codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipeline}')
    })

    it('builds with the project, passing the run\'s ids', () => {
      const action = build!.Actions[0]
      expect(action.ActionTypeId).toEqual({ Category: 'Build', Owner: 'AWS', Provider: 'CodeBuild', Version: '1' })
      expect(action.Configuration.ProjectName).toEqual({ Ref: 'BuildProject' })
      expect(JSON.parse(action.Configuration.EnvironmentVariables)).toEqual([
        { name: 'ORCHARD_PIPELINE_EXECUTION_ID', value: '#{codepipeline.PipelineExecutionId}', type: 'PLAINTEXT' },
      ])
      expect(pipeline).toMatchObject({ PipelineType: 'V2', ExecutionMode: 'QUEUED' })
    })
  })

  it('creates the ECR repository only when asked, scanned on push and pruned to the last N images', () => {
    const repository = resources.EcrRepository
    expect(repository.Condition).toBe('CreateEcr')
    expect(template.Conditions.CreateEcr).toEqual({ 'Fn::Equals': [{ Ref: 'EnableEcr' }, 'true'] })
    expect(repository.Properties.ImageScanningConfiguration).toEqual({ ScanOnPush: true })
    const policy = JSON.parse((repository.Properties.LifecyclePolicy.LifecyclePolicyText['Fn::Sub'] as string).replaceAll('${EcrImagesToKeep}', '10'))
    expect(policy.rules[0]).toMatchObject({ selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 }, action: { type: 'expire' } })
    expect(template.Outputs.EcrRepositoryUri).toEqual({
      Condition: 'CreateEcr',
      Description: expect.any(String),
      Value: { 'Fn::GetAtt': ['EcrRepository', 'RepositoryUri'] },
    })
  })
})
