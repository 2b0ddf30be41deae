/**
 * The plan's steps run on the source's root filesystem by one of the two executors, the
 * result left in `rootDir`: the docker executor (a Docker build, the recipe's Dockerfile
 * after the plan) or the chroot executor (qemu-user, step by step).
 */
import { extractRoot } from '../assemble/repack'
import { withChroot } from './chroot-executor'
import { runInDocker, type DockerRunOptions } from './docker-executor'

export interface RunStepsOptions extends Omit<DockerRunOptions, 'source' | 'sourceSha256'> {
  executor: 'chroot' | 'docker'
  source: { image: string; sha256: string }
  arch: 'arm64' | 'armhf'
}

export async function runSteps({ executor, source, rootPartition, arch, plan, dockerfile, rootDir, onStep, onLine, signal }: RunStepsOptions): Promise<void> {
  if (executor === 'docker') {
    await runInDocker({ source: source.image, sourceSha256: source.sha256, rootPartition, plan, dockerfile, rootDir, onStep, onLine, signal })
    return
  }
  onStep('reading the root filesystem')
  await extractRoot(source.image, rootPartition, rootDir)
  await withChroot(rootDir, arch, async (runStep) => {
    for (const step of [plan.prepare, ...plan.steps, plan.finish]) {
      onStep(step.name)
      await runStep(step.script, { name: step.name, onLine: (line) => onLine(step.name, line), signal })
    }
  })
}
