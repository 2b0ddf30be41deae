/**
 * The plan's steps run on the source's root filesystem by one of the two executors, the
 * result left in `rootDir`: the docker executor (a Docker build, the recipe's Dockerfile
 * after the plan) or the chroot executor (qemu-user, step by step). In both, the boot
 * partition's files sit at the release's boot mount while the steps run (boot-tree.ts);
 * afterwards they are moved out of `rootDir` into `bootAfter`.
 */
import { extractRoot } from '../assemble/repack'
import { placeBootTree, takeBootTree, type BootTree } from './boot-tree'
import { withChroot } from './chroot-executor'
import { runInDocker, type DockerRunOptions } from './docker-executor'

export interface RunStepsOptions extends Omit<DockerRunOptions, 'source' | 'sourceSha256'> {
  executor: 'chroot' | 'docker'
  source: { image: string; sha256: string }
  arch: 'arm64' | 'armhf'
  /** An empty folder that receives the boot files as the steps left them (same layout as `boot`). */
  bootAfter: string
}

export async function runSteps({ executor, source, rootPartition, boot, bootAfter, arch, plan, dockerfile, rootDir, onStep, onLine, signal }: RunStepsOptions): Promise<BootTree> {
  if (executor === 'docker') {
    await runInDocker({ source: source.image, sourceSha256: source.sha256, rootPartition, boot, plan, dockerfile, rootDir, onStep, onLine, signal })
  } else {
    onStep('reading the root filesystem')
    await extractRoot(source.image, rootPartition, rootDir)
    await placeBootTree(boot, rootDir)
    await withChroot(rootDir, arch, async (runStep) => {
      for (const step of [plan.prepare, ...plan.steps, plan.finish]) {
        onStep(step.name)
        await runStep(step.script, { name: step.name, onLine: (line) => onLine(step.name, line), signal })
      }
    })
  }
  return takeBootTree(rootDir, boot.mount, bootAfter)
}
