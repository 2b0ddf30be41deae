/**
 * The cloud stack (builder/cloudformation/orchard-pipeline.yaml) through CloudFormation:
 * `deployStack` creates or updates it and waits; `stackOutputs` reads its outputs, so the
 * CLI and the app's cloud service can find the data bucket from the stack name. Failures
 * become BuildErrors with the CLOUD_* codes S3 uses.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
  waitUntilStackCreateComplete,
  waitUntilStackUpdateComplete,
  type Parameter,
} from '@aws-sdk/client-cloudformation'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { BuildError } from '../../util/errors'
import { PROJECT_DIR } from './builder-tarball'
import { translateS3Error, type CloudS3Options } from '../s3'

export const TEMPLATE_FILE = path.join(PROJECT_DIR, 'builder', 'cloudformation', 'orchard-pipeline.yaml')
/** The stack-name rules of the template (docs/cloud.md, "Stack name"). */
export const STACK_NAME = /^[a-z][a-z0-9-]{0,31}$/

export function createCloudFormationClient(options: Pick<CloudS3Options, 'region' | 'profile' | 'credentials'> & { endpoint?: string } = {}): CloudFormationClient {
  return new CloudFormationClient({
    ...(options.region && { region: options.region }),
    ...(options.profile && { profile: options.profile }),
    ...(options.credentials && { credentials: options.credentials }),
    ...(options.endpoint && { endpoint: options.endpoint }),
  })
}

/** Pure: `Key=Value` arguments as CloudFormation parameters (a value may hold "="). */
export function parseParameters(pairs: readonly string[]): Parameter[] {
  return pairs.map((pair) => {
    const at = pair.indexOf('=')
    if (at <= 0) throw new BuildError('INVALID_INPUT', `Not a stack parameter: "${pair}" (write Name=value, e.g. EnableEcr=true)`)
    return { ParameterKey: pair.slice(0, at), ParameterValue: pair.slice(at + 1) }
  })
}

export function checkStackName(name: string): void {
  if (!STACK_NAME.test(name) || name.startsWith('xn--') || name.startsWith('sthree-')) {
    throw new BuildError('INVALID_INPUT', `Stack name "${name}" cannot be used: 1-32 lowercase letters, digits and hyphens, starting with a letter (the bucket name derives from it)`)
  }
}

/** Pure: a CloudFormation failure → the BuildError a person can act on (`profile`: the client's, for sign-in hints). */
export function translateCloudFormationError(thrown: unknown, action: string, stack: string, profile?: string): BuildError {
  if (thrown instanceof BuildError) return thrown
  const error = (thrown ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  const name = error.name ?? 'Error'
  const message = error.message ?? String(thrown)
  const detail = { action, stack, code: name }
  if (name === 'ValidationError' && /does not exist/i.test(message)) {
    return new BuildError('CLOUD_NOT_FOUND', `The stack ${stack} does not exist in this account and region. Deploy it with "orchard cloud deploy --stack ${stack}", or choose its region.`, { ...detail, missing: 'stack' })
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || error.$metadata?.httpStatusCode === 403) {
    return new BuildError('CLOUD_ACCESS_DENIED', `Access denied: the AWS credentials in use may not ${action} on stack ${stack}. They need cloudformation:${action} (and, to deploy, the permissions to create what the template holds).`, detail)
  }
  if (name === 'ValidationError' || name === 'InsufficientCapabilitiesException' || name === 'AlreadyExistsException') {
    return new BuildError('CLOUD_FAILED', `CloudFormation refused ${action} on ${stack}: ${message}`, detail)
  }
  // Credentials, region and network problems read the same as for S3.
  const translated = translateS3Error(thrown, { action, bucket: stack, ...(profile && { profile }) })
  if (translated.code !== 'CLOUD_FAILED' && translated.code !== 'CLOUD_NOT_FOUND' && translated.code !== 'CLOUD_ACCESS_DENIED') return translated
  return new BuildError('CLOUD_FAILED', `${action} ${stack} failed: ${name}: ${message}`, detail)
}

async function cfnCall<T>(client: CloudFormationClient, action: string, stack: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw translateCloudFormationError(error, action, stack, (client.config as { profile?: string }).profile)
  }
}

/** The stack's outputs (BucketName, PipelineName, …) and its status; `signal` aborts the request (CANCELLED). */
export async function stackOutputs(client: CloudFormationClient, stack: string, signal?: AbortSignal): Promise<{ status: string; outputs: Record<string, string> }> {
  const described = await cfnCall(client, 'DescribeStacks', stack, () => client.send(new DescribeStacksCommand({ StackName: stack }), { abortSignal: signal }))
  const found = described.Stacks?.[0]
  if (!found) throw new BuildError('CLOUD_NOT_FOUND', `The stack ${stack} does not exist in this account and region.`, { missing: 'stack', stack })
  const outputs = Object.fromEntries((found.Outputs ?? []).filter((output) => output.OutputKey).map((output) => [output.OutputKey!, output.OutputValue ?? '']))
  return { status: found.StackStatus ?? 'UNKNOWN', outputs }
}

/** The data bucket of a deployed stack (its BucketName output). */
export async function bucketOfStack(client: CloudFormationClient, stack: string, signal?: AbortSignal): Promise<string> {
  return (await targetOfStack(client, stack, signal)).bucket
}

/** The stack's bucket and the KMS key its builds are signed with (SigningKeyArn; null on a stack from before signing). */
export async function targetOfStack(client: CloudFormationClient, stack: string, signal?: AbortSignal): Promise<{ bucket: string; signingKey: string | null }> {
  const { outputs, status } = await stackOutputs(client, stack, signal)
  if (!outputs.BucketName) throw new BuildError('CLOUD_NOT_FOUND', `The stack ${stack} (${status}) has no BucketName output: is it an Orchard stack, and is it deployed?`, { missing: 'bucket', stack })
  return { bucket: outputs.BucketName, signingKey: outputs.SigningKeyArn ?? null }
}

export interface DeployResult {
  stack: string
  action: 'created' | 'updated' | 'unchanged'
  status: string
  outputs: Record<string, string>
}

/**
 * Creates the stack, or updates it when it exists, from the template, and waits until
 * CloudFormation is done ("No updates are to be performed" is success). A failed create
 * or update is reported with the first failure reason CloudFormation recorded.
 */
export async function deployStack(options: {
  client: CloudFormationClient
  stack: string
  parameters?: Parameter[]
  templateFile?: string
  maxWaitSeconds?: number
  onEvent?: (line: string) => void
}): Promise<DeployResult> {
  const { client, stack } = options
  checkStackName(stack)
  const body = await readFile(options.templateFile ?? TEMPLATE_FILE, 'utf8')
  const found = await stackOutputs(client, stack).catch((error: unknown) => {
    if (error instanceof BuildError && error.code === 'CLOUD_NOT_FOUND') return null
    throw error
  })
  if (found?.status === 'ROLLBACK_COMPLETE') {
    throw new BuildError('CLOUD_FAILED', `The stack ${stack} failed to create and was rolled back (ROLLBACK_COMPLETE): delete it, then deploy again`, { stack, status: found.status })
  }
  const exists = found !== null
  const input = { StackName: stack, TemplateBody: body, Parameters: options.parameters ?? [], Capabilities: ['CAPABILITY_IAM' as const] }
  const waiter = { client, maxWaitTime: options.maxWaitSeconds ?? 3600, minDelay: 10, maxDelay: 30 }
  const started = new Date()
  let action: DeployResult['action']
  try {
    if (exists) {
      options.onEvent?.(`updating stack ${stack}`)
      try {
        await cfnCall(client, 'UpdateStack', stack, () => client.send(new UpdateStackCommand(input)))
      } catch (error) {
        if (error instanceof BuildError && /No updates are to be performed/i.test(error.message)) {
          const { status, outputs } = await stackOutputs(client, stack)
          return { stack, action: 'unchanged', status, outputs }
        }
        throw error
      }
      action = 'updated'
      await waitUntilStackUpdateComplete(waiter, { StackName: stack })
    } else {
      options.onEvent?.(`creating stack ${stack}`)
      await cfnCall(client, 'CreateStack', stack, () => client.send(new CreateStackCommand({ ...input, OnFailure: 'ROLLBACK' })))
      action = 'created'
      await waitUntilStackCreateComplete(waiter, { StackName: stack })
    }
  } catch (error) {
    if (error instanceof BuildError) throw error
    // The waiter gave up: the stack failed (rolled back) or took too long.
    const reason = await firstFailure(client, stack, started).catch(() => null)
    const { status } = await stackOutputs(client, stack).catch(() => ({ status: 'UNKNOWN' }))
    throw new BuildError('CLOUD_FAILED', `Deploying stack ${stack} did not complete (${status})${reason ? `: ${reason}` : ''}`, { stack, status })
  }
  const { status, outputs } = await stackOutputs(client, stack)
  return { stack, action, status, outputs }
}

/** The first resource failure since `since`, as "Resource (Type): reason". */
async function firstFailure(client: CloudFormationClient, stack: string, since: Date): Promise<string | null> {
  const { StackEvents: events = [] } = await client.send(new DescribeStackEventsCommand({ StackName: stack }))
  const failed = events
    .filter((event) => event.Timestamp && event.Timestamp >= since && /FAILED$/.test(event.ResourceStatus ?? '') && event.ResourceStatusReason)
    .sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime())[0]
  return failed ? `${failed.LogicalResourceId} (${failed.ResourceType}): ${failed.ResourceStatusReason}` : null
}
