/**
 * Builds run in the background: `start` checks the recipe and returns an id at once;
 * progress and the end arrive as `builds.progress` / `builds.finished` events.
 */
import { randomUUID } from 'node:crypto'
import { buildImage, type BuildProgress as BuilderProgress } from '../../../builder/src/pipeline/build'
import { runBuildInContainer } from '../../../builder/src/container/run-build'
import { loadRecipe } from '../../../builder/src/recipe/load'
import type { Input, Output } from '@common/contract'
import { errorShape } from '../errors'
import type { EventBus } from '../events'

/** Byte progress arrives per chunk; the UI needs a few updates a second, not hundreds. */
const PROGRESS_INTERVAL_MS = 150

export interface BuildsService {
  start(input: Input<'builds.start'>): Promise<Output<'builds.start'>>
  cancel(input: Input<'builds.cancel'>): Output<'builds.cancel'>
  /** Resolves when every running build has ended (for shutdown and tests). */
  idle(): Promise<void>
}

export function createBuildsService(bus: EventBus, options: { cache?: string } = {}): BuildsService {
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>()

  function reporter(buildId: string) {
    let last = 0
    let lastPhase = ''
    return ({ phase, message, fraction, bytes, totalBytes }: BuilderProgress) => {
      const now = Date.now()
      const routine = fraction !== undefined && fraction < 1 && phase === lastPhase
      if (routine && now - last < PROGRESS_INTERVAL_MS) return
      last = now
      lastPhase = phase
      bus.emit('builds.progress', { buildId, phase, message, fraction, bytes, totalBytes })
    }
  }

  return {
    async start({ recipePath, outDir, mode = 'auto', where = 'host' }) {
      const loaded = await loadRecipe(recipePath) // a bad recipe fails the call itself
      const buildId = randomUUID()
      const controller = new AbortController()
      // Start after this call has answered, so the caller knows the id before any event.
      const done = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => {
          const common = { outDir, mode, signal: controller.signal, onProgress: reporter(buildId) }
          return where === 'container' ? runBuildInContainer({ ...common, recipeFile: recipePath }) : buildImage(loaded, { ...common, cache: options.cache })
        })
        .then(
          (result) =>
            bus.emit('builds.finished', {
              buildId,
              ok: true,
              output: {
                image: result.image,
                sha256: result.sha256,
                compressed: result.compressed,
                buildInfoFile: result.buildInfoFile,
                bytes: result.bytes,
                customizations: result.buildInfo.customizations,
                release: result.buildInfo.release.release,
                ...(result.docker && {
                  dockerImage: {
                    reference: result.docker.reference,
                    pushed: result.docker.pushed,
                    compressedBytes: result.docker.compressedBytes,
                    uncompressedBytes: result.docker.uncompressedBytes,
                  },
                }),
              },
            }),
          (error: unknown) => bus.emit('builds.finished', { buildId, ok: false, error: errorShape(error) }),
        )
        .finally(() => running.delete(buildId))
      running.set(buildId, { controller, done })
      return { buildId }
    },
    cancel({ buildId }) {
      const build = running.get(buildId)
      build?.controller.abort()
      return { cancelled: Boolean(build) }
    },
    async idle() {
      await Promise.all([...running.values()].map((build) => build.done))
    },
  }
}
