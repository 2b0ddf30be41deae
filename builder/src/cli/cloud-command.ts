/**
 * `orchard cloud …`: builds on AWS (docs/cloud.md). deploy the stack; build (pack, upload,
 * optionally follow and download); status, list and download of past builds; and `worker`,
 * what the buildspec runs in CodeBuild. The AWS SDK is loaded only when one of them runs,
 * so `orchard --version` and the other commands never load it.
 */
import type { Command } from 'commander'
import { formatBytes, formatSpeed } from '../util/bytes'
import { BuildError } from '../util/errors'
import { cancelOnSignals, createReporter, exitCodeFor, isBuildErrorCode, type Reporter } from './output'

interface AwsOptions {
  region?: string
  profile?: string
  endpoint?: string
  json?: boolean
}
interface BucketOptions extends AwsOptions {
  bucket?: string
  stack?: string
  signingKey?: string
}

const withAws = (command: Command) =>
  command
    .option('--region <region>', 'AWS region (default: AWS_REGION, else the profile\'s)')
    .option('--profile <profile>', 'profile from ~/.aws/config (default: AWS_PROFILE, else "default")')
    .option('--endpoint <url>', 'S3-compatible endpoint instead of AWS S3 (also AWS_ENDPOINT_URL_S3); path-style URLs')
    .option('--json', 'print JSON lines (progress, then the result) on stdout')

const withBucket = (command: Command) =>
  withAws(command)
    .option('--bucket <bucket>', 'the stack\'s data bucket')
    .option('--stack <name>', 'find the bucket from this stack\'s BucketName output (instead of --bucket)')
    .option('--signing-key <key>', 'the KMS key (ARN, id or alias) builds must be signed with, pinned on first use; or a .pem public key (default: ORCHARD_SIGNING_KEY, the stack\'s SigningKeyArn output, else the bucket\'s pin)')

/** Runs a command's body with a reporter, Ctrl+C/SIGTERM as cancel, and the exit code from its error. */
function run<T extends AwsOptions>(body: (options: T, reporter: Reporter, signal: AbortSignal, ...args: string[]) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command
    const options = command.opts() as T
    const positional = args.slice(0, -2) as string[]
    const reporter = createReporter(Boolean(options.json))
    const { signal, release } = cancelOnSignals()
    try {
      await body(options, reporter, signal, ...positional)
    } catch (error) {
      reporter.error(error)
      process.exitCode = exitCodeFor(error)
    } finally {
      release()
    }
  }
}

async function s3For(options: AwsOptions) {
  const { createS3Client } = await import('../cloud/s3')
  return createS3Client({ region: options.region, profile: options.profile, endpoint: options.endpoint })
}

/** The stack's signing key found with its bucket (--stack), for trustFor. */
const stackKeys = new Map<string, string>()

async function bucketFor(options: BucketOptions): Promise<string> {
  if (options.bucket && options.stack) throw new BuildError('INVALID_INPUT', 'Give --bucket or --stack, not both')
  if (options.bucket) return options.bucket
  if (!options.stack) throw new BuildError('INVALID_INPUT', 'Which bucket? Give --bucket <name>, or --stack <name> to read it from the deployed stack')
  const { targetOfStack, createCloudFormationClient } = await import('../cloud/client/stack')
  const { bucket, signingKey } = await targetOfStack(createCloudFormationClient({ region: options.region, profile: options.profile }), options.stack)
  if (signingKey) stackKeys.set(bucket, signingKey)
  return bucket
}

/** The key the bucket's builds must be signed with: --signing-key, ORCHARD_SIGNING_KEY, the stack's, else the bucket's pin. */
async function trustFor(options: BucketOptions, bucket: string) {
  const { kmsFor, trustedKey } = await import('../cloud/client/trusted-key')
  const key = options.signingKey ?? process.env.ORCHARD_SIGNING_KEY ?? stackKeys.get(bucket)
  return trustedKey({ bucket, ...(key && { key }), kms: kmsFor(options) })
}

/** Pure: who built a downloaded image, for the CLI's result lines. */
export function signedByLines(signedBy: { buildId: string; account: string | null; keyId: string; signedAt: string; codebuildBuildId: string | null }): string[] {
  return [
    `  signed  build ${signedBy.buildId} at ${signedBy.signedAt}${signedBy.account ? ` in AWS account ${signedBy.account}` : ''}`,
    `          key ${signedBy.keyId}${signedBy.codebuildBuildId ? `, CodeBuild ${signedBy.codebuildBuildId}` : ''} (signature verified)`,
  ]
}

/** Pure: "12.3 MB/s, 1:05 left" for a download's progress. */
export function speedNote(speed: number, etaSeconds: number | null): string {
  if (!speed) return ''
  const eta = etaSeconds === null ? '' : `, ${Math.floor(etaSeconds / 60)}:${String(Math.round(etaSeconds % 60)).padStart(2, '0')} left`
  return `${formatSpeed(speed)}${eta}`
}

/** Pure: a remote build's error line ("CODE: message") as the BuildError the CLI exits with. */
export function remoteError(id: string, error: string | undefined): BuildError {
  const match = /^([A-Z_]+): ([\s\S]*)$/.exec(error ?? '')
  const code = match && isBuildErrorCode(match[1]!) ? match[1]! : 'UNAVAILABLE'
  return new BuildError(code as BuildError['code'], `Cloud build ${id} failed: ${match && isBuildErrorCode(match[1]!) ? match[2] : (error ?? 'no reason given')}`, { id, remote: error })
}

type S3 = Awaited<ReturnType<typeof s3For>>

/** Follows a build's status objects to the end; returns the final status. */
async function follow(client: S3, bucket: string, id: string, reporter: Reporter, signal: AbortSignal) {
  const { followStatus } = await import('../cloud/client/follow-status')
  let shown = 0
  let last: Awaited<ReturnType<typeof import('../cloud/status').readStatus>> = null
  let previousLines: string[] = []
  for await (const status of followStatus({ client, bucket, id, signal })) {
    // The new lines since the last status (lastLines is a sliding window of 20).
    const overlap = previousLines.length ? status.lastLines.lastIndexOf(previousLines.at(-1)!) : -1
    const fresh = overlap >= 0 ? status.lastLines.slice(overlap + 1) : status.lastLines
    for (const line of fresh) reporter.line(`  ${line}`)
    previousLines = status.lastLines
    reporter.progress(status.phase, status.lastLines.at(-1) ?? status.phase, status.percent / 100)
    last = status
    shown++
  }
  if (!last) throw new BuildError('CLOUD_FAILED', `Build ${id} ended without a status (${shown})`)
  return last
}

async function download(client: S3, bucket: string, id: string, outDir: string, reporter: Reporter, signal: AbortSignal, options: BucketOptions) {
  const { downloadBuild } = await import('../cloud/client/results')
  return downloadBuild({
    client,
    bucket,
    id,
    outDir,
    trust: await trustFor(options, bucket),
    signal,
    onProgress: ({ bytes, total, speed, etaSeconds }) => reporter.progress('download', `${formatBytes(bytes)} of ${formatBytes(total)} ${speedNote(speed, etaSeconds)}`.trim(), total ? bytes / total : 1, bytes, total, speedNote(speed, etaSeconds)),
  })
}

/**
 * `orchard cloud build <recipe> --zip-only <file>`: the build.zip `orchard cloud build` would
 * upload (packBuildZip: sealed recipe, its files, build.json, the buildspec and this
 * builder), written to `file` and nothing else. No AWS SDK, credentials or bucket.
 */
export async function packZipOnly(recipeFile: string, dest: string, reporter?: Reporter) {
  const [{ loadRecipe }, { packBuildZip }, { sha256File }] = await Promise.all([import('../recipe/load'), import('../cloud/client/pack-build-zip'), import('../util/hash')])
  const loaded = await loadRecipe(recipeFile)
  reporter?.progress('pack', 'packing build.zip (recipe, its files, the buildspec and the builder)')
  const packed = await packBuildZip(loaded, { dest })
  return { id: packed.id, file: packed.file, bytes: packed.bytes, sha256: await sha256File(packed.file), manifest: packed.manifest }
}

export function registerCloudCommand(program: Command): void {
  const cloud = program.command('cloud').description('Builds on AWS: deploy the stack, send builds, follow, list and download them (docs/cloud.md)')

  withAws(
    cloud
      .command('deploy')
      .description('Create or update the cloud stack from builder/cloudformation/orchard-pipeline.yaml and wait until it is done')
      .requiredOption('--stack <name>', 'stack name: 1-32 lowercase letters, digits and hyphens, starting with a letter')
      .option('--parameter <Name=value...>', 'template parameters (e.g. EnableEcr=true BuildMode=auto); unnamed ones keep their defaults', []),
  ).action(
    run<AwsOptions & { stack: string; parameter: string[] }>(async (options, reporter, signal) => {
      const { createCloudFormationClient, deployStack, parseParameters } = await import('../cloud/client/stack')
      const parameters = parseParameters(options.parameter)
      const client = createCloudFormationClient({ region: options.region, profile: options.profile })
      signal.addEventListener('abort', () => client.destroy(), { once: true })
      const result = await deployStack({ client, stack: options.stack, parameters, onEvent: (line) => reporter.line(line) })
      reporter.result(result, () =>
        [`Stack ${result.stack} ${result.action} (${result.status})`, ...Object.entries(result.outputs).map(([key, value]) => `  ${key.padEnd(20)} ${value}`)].join('\n'),
      )
    }),
  )

  withBucket(
    cloud
      .command('build')
      .description('Pack the recipe into build.zip (with the buildspec and this builder), upload it to the stack\'s bucket, which starts the pipeline; with --zip-only, only write the zip')
      .argument('<recipe>', 'recipe YAML file')
      .option('--follow', 'follow the build\'s status until it ends')
      .option('--download <dir>', 'then download the image into <dir> (implies --follow)')
      .option('--zip-only <file>', 'only pack build.zip into <file>, upload nothing (no bucket needed): e.g. a first build to seed a new stack with (SeedBuildZipUrl)'),
  ).action(
    run<BucketOptions & { follow?: boolean; download?: string; zipOnly?: string }>(async (options, reporter, signal, recipeFile) => {
      if (options.zipOnly !== undefined) {
        const given = (['bucket', 'stack', 'follow', 'download'] as const).filter((name) => options[name] !== undefined)
        if (given.length) throw new BuildError('INVALID_INPUT', `--zip-only uploads nothing: drop ${given.map((name) => `--${name}`).join(', ')}`)
        const packed = await packZipOnly(recipeFile!, options.zipOnly, reporter)
        reporter.result(packed, () =>
          [`Packed build ${packed.id}: ${packed.file} (${formatBytes(packed.bytes)}), nothing uploaded`, `  sha256  ${packed.sha256}`, '  Send it with `orchard cloud build`, or host it at an https URL and pass it as the stack\'s SeedBuildZipUrl.'].join('\n'),
        )
        return
      }
      const [{ loadRecipe }, { packBuildZip }, { uploadBuildZip }, os, path, fs] = await Promise.all([
        import('../recipe/load'),
        import('../cloud/client/pack-build-zip'),
        import('../cloud/client/upload-build-zip'),
        import('node:os'),
        import('node:path'),
        import('node:fs/promises'),
      ])
      const bucket = await bucketFor(options)
      const client = await s3For(options)
      const loaded = await loadRecipe(recipeFile!)
      const work = await fs.mkdtemp(path.join(os.tmpdir(), 'orchard-cloud-build-'))
      try {
        reporter.progress('pack', 'packing build.zip (recipe, its files, the buildspec and the builder)')
        const packed = await packBuildZip(loaded, { dest: path.join(work, 'build.zip') })
        const uploaded = await uploadBuildZip({
          client,
          bucket,
          packed,
          signal,
          onProgress: ({ bytes, total }) => reporter.progress('upload', 'uploading build.zip', total ? bytes / total : 1, bytes, total),
        })
        reporter.line(`Build ${uploaded.id} queued: s3://${bucket}/builds/${uploaded.id}/`)
        if (!options.follow && !options.download) {
          reporter.result({ id: uploaded.id, bucket, key: uploaded.key, bytes: packed.bytes }, () => `Build ${uploaded.id} sent. Follow it with: orchard cloud status ${uploaded.id} --follow`)
          return
        }
        const status = await follow(client, bucket, uploaded.id, reporter, signal)
        if (status.result !== 'succeeded') throw remoteError(uploaded.id, status.error)
        const downloaded = options.download ? await download(client, bucket, uploaded.id, options.download, reporter, signal, options) : undefined
        reporter.result({ id: uploaded.id, bucket, status, ...(downloaded && { download: downloaded }) }, () =>
          [`Build ${uploaded.id} succeeded`, ...(downloaded ? [`  image   ${downloaded.image}`, `  sha256  ${downloaded.sha256} (verified)`, ...signedByLines(downloaded.signedBy)] : [])].join('\n'),
        )
      } finally {
        await fs.rm(work, { recursive: true, force: true })
      }
    }),
  )

  withBucket(cloud.command('status').description('A build\'s status; with --follow, until it ends').argument('<id>', 'build id').option('--follow', 'follow it until it ends')).action(
    run<BucketOptions & { follow?: boolean }>(async (options, reporter, signal, id) => {
      const bucket = await bucketFor(options)
      const client = await s3For(options)
      const { readStatus } = await import('../cloud/status')
      const status = options.follow ? await follow(client, bucket, id!, reporter, signal) : await readStatus(client, bucket, id!)
      if (!status) throw new BuildError('CLOUD_NOT_FOUND', `Build ${id} has no status in s3://${bucket}/builds/${id}/`, { missing: 'key' })
      reporter.result({ ...status }, () =>
        [
          `${status.id}  ${status.result ?? 'running'}  ${status.phase} ${status.percent}%  started ${status.startedAt}${status.endedAt ? `, ended ${status.endedAt}` : ''}`,
          ...(status.error ? [`  error: ${status.error}`] : []),
          ...(options.follow ? [] : status.lastLines.map((line) => `  ${line}`)),
        ].join('\n'),
      )
      if (options.follow && status.result === 'failed') process.exitCode = exitCodeFor(remoteError(status.id, status.error))
    }),
  )

  withBucket(cloud.command('list').description('Past builds in the bucket, newest first, with their results')).action(
    run<BucketOptions>(async (options, reporter) => {
      const bucket = await bucketFor(options)
      const client = await s3For(options)
      const { listBuilds } = await import('../cloud/client/list-builds')
      const builds = await listBuilds({ client, bucket })
      reporter.result({ bucket, builds }, () =>
        builds.length
          ? builds
              .map(({ id, result, status }) => `${id.padEnd(26)} ${result.padEnd(9)} ${status ? `${status.phase} ${status.percent}%`.padEnd(14) : ''.padEnd(14)} ${status?.error ?? ''}`.trimEnd())
              .join('\n')
          : `No builds in s3://${bucket}/builds/`,
      )
    }),
  )

  withBucket(
    cloud
      .command('download')
      .description('Download a build\'s image (<name>.img.xz) verified against its published SHA256; an interrupted download resumes')
      .argument('<id>', 'build id')
      .requiredOption('--out <dir>', 'folder to put the image in (created if missing)'),
  ).action(
    run<BucketOptions & { out: string }>(async (options, reporter, signal, id) => {
      const bucket = await bucketFor(options)
      const client = await s3For(options)
      const downloaded = await download(client, bucket, id!, options.out, reporter, signal, options)
      reporter.result(downloaded, () =>
        [`Downloaded ${downloaded.image}`, `  sha256  ${downloaded.sha256} (verified)`, ...signedByLines(downloaded.signedBy), ...(downloaded.resumedFrom ? [`  resumed from ${formatBytes(downloaded.resumedFrom)}`] : [])].join('\n'),
      )
    }),
  )

  withAws(
    cloud
      .command('worker')
      .description('The cloud side of a build (run by the buildspec in CodeBuild): build the unpacked build.zip in the current folder and publish to ORCHARD_BUCKET')
      .option('--src <dir>', 'the unpacked build.zip (default: CODEBUILD_SRC_DIR, else the current folder)')
      .option('--bucket <bucket>', 'where builds/<id>/ goes (default: ORCHARD_BUCKET)')
      .option('--mode <mode>', 'build mode (default: ORCHARD_BUILD_MODE, else auto)')
      .option('--fail <message>', 'only mark the build failed with this message (the buildspec\'s install phase uses it)'),
  ).action(
    run<AwsOptions & { src?: string; bucket?: string; mode?: string; fail?: string }>(async (options, reporter, signal) => {
      const bucket = options.bucket ?? process.env.ORCHARD_BUCKET
      if (!bucket) throw new BuildError('INVALID_INPUT', 'No bucket: set ORCHARD_BUCKET (the stack does) or give --bucket')
      const srcDir = options.src ?? process.env.CODEBUILD_SRC_DIR ?? process.cwd()
      const client = await s3For({ ...options, endpoint: options.endpoint ?? process.env.ORCHARD_S3_ENDPOINT })
      const { failCloudBuild, runCloudWorker } = await import('../cloud/worker/worker')
      if (options.fail !== undefined) {
        const status = await failCloudBuild({ srcDir, bucket, message: options.fail, client })
        reporter.result(status, () => `Build ${status.id} marked failed: ${status.error}`)
        return
      }
      const result = await runCloudWorker({
        srcDir,
        bucket,
        client,
        mode: options.mode as never,
        signal,
        // The console (CodeBuild's log): each new line; JSON lines with --json.
        ...(options.json
          ? { onProgress: (phase: string, message: string, fraction?: number, bytes?: number, total?: number) => reporter.progress(phase, message, fraction, bytes, total) }
          : { onLine: (line: string) => reporter.line(line) }),
      })
      if (result.status.result !== 'succeeded') throw remoteError(result.id, result.status.error)
      reporter.result(result, () => `Build ${result.id} succeeded: s3://${bucket}/${result.keys!.image} (sha256 ${result.sha256})`)
    }),
  )
}
