/**
 * The Build step: saves the recipe, builds it where chosen, follows the build live
 * (progress, speed, time left, log), and offers the result — or any image in the library —
 * to the Flash step. A cloud build is followed the same way, then downloaded (verified)
 * into the library.
 */
import { useCallback, useId, useState } from 'react'
import type { BuildPhase } from '@common/contract'
import { useClient } from '../../client/context'
import { capabilityBlocker, useSystemCheckResult } from '../../shell/useSystemCheck'
import { useWizard } from '../../state/wizard'
import { LogPane } from '../../ui/LogPane'
import { ProgressBar } from '../../ui/ProgressBar'
import { dirname, prune } from '../recipe/draft'
import { buildRequest, BuildModes, type ModeChoice } from './BuildModes'
import { BuildResult } from './BuildResult'
import { CloudBuilds, CloudBuildView, CloudSettingsSection } from './cloud/CloudPanel'
import { useCloud } from './cloud/useCloud'
import { Library } from './Library'
import { useBuild } from './useBuild'

const PHASES: Record<BuildPhase, string> = {
  source: 'Verifying the source',
  steps: 'Running ARM steps',
  customize: 'Customizing',
  write: 'Writing the image',
  compress: 'Compressing',
  'docker-image': 'Making the Docker image',
  done: 'Done',
}

export function BuildStep() {
  const client = useClient()
  const { recipe, recipePath, image, setImage, settings, updateSettings } = useWizard()
  const [libraryRefresh, setLibraryRefresh] = useState(0)
  const { state, start, cancel } = useBuild(settings?.notifyWhenDone ?? true, (output) => {
    setImage(output.compressed ?? output.image)
    setLibraryRefresh((n) => n + 1)
  })
  const system = useSystemCheckResult()
  const cloudReady = system?.check?.capabilities.find((c) => c.id === 'cloud')?.ready === true
  const cloudBlocked = capabilityBlocker(system, 'cloud') !== null
  const cloud = useCloud(useCallback(() => setLibraryRefresh((n) => n + 1), []))
  const useImage = (path: string) => (setImage(path), (window.location.hash = '#/devices'))
  const [mode, setMode] = useState<ModeChoice>('quick')
  const [outDir, setOutDir] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const outId = useId()
  const folder = outDir || settings?.outDir || ''

  const build = async () => {
    setProblem(null)
    if (!recipePath.trim()) return setProblem('Save the recipe first (Recipe step): the build reads it from its file.')
    // Build what the form shows: save it first, so the file and the form never differ.
    const { yaml, validation } = await client.call('recipes.toYaml', { data: prune(recipe) ?? {}, baseDir: dirname(recipePath) })
    if (!validation.valid) return setProblem(`The recipe has ${validation.problems.length} problem(s): fix them in the Recipe step (first: ${validation.problems[0]!.path}: ${validation.problems[0]!.message}).`)
    try {
      await client.call('recipes.save', { path: recipePath, yaml })
      if (outDir && outDir !== settings?.outDir) void updateSettings({ outDir })
      if (mode === 'cloud') await cloud.start(recipePath)
      else await start({ recipePath, outDir: folder, ...buildRequest(mode) })
    } catch (error) {
      setProblem((error as Error).message)
    }
  }

  const progress = state.progress
  const finished = state.finished
  return (
    <section aria-label="Build step" className="build">
      <p>
        Recipe: <code>{recipePath || 'not saved yet'}</code>
      </p>
      <BuildModes value={mode} onChange={setMode} disabled={state.running || cloud.build.running} />
      <div className="field">
        <label htmlFor={outId}>Output folder</label>
        <input id={outId} value={folder} onChange={(e) => setOutDir(e.target.value)} spellCheck={false} />
      </div>
      <div className="row">
        <button type="button" className="primary" onClick={() => void build()} disabled={state.running || cloud.build.running || !folder}>
          Build image
        </button>
        <button type="button" onClick={() => void cancel()} disabled={!state.running || !state.buildId}>
          Cancel build
        </button>
      </div>
      {problem && <p role="alert" className="error">{problem}</p>}
      {(state.running || finished) && (
        <ProgressBar
          label="Build progress"
          fraction={finished?.ok ? 1 : progress?.fraction}
          phase={finished ? (finished.ok ? 'Done' : 'Failed') : (progress ? PHASES[progress.phase] : 'Starting')}
          speed={state.running ? state.speed : undefined}
          eta={state.eta}
          state={finished ? (finished.ok ? 'done' : 'failed') : 'running'}
        />
      )}
      {finished && !finished.ok && (
        <p role="alert" className="error">
          Build failed ({finished.error.code}): {finished.error.message}
        </p>
      )}
      {finished?.ok && <BuildResult output={finished.output} onUse={useImage} />}
      {state.log.length > 0 && <LogPane lines={state.log} label="Build log" />}
      <CloudBuildView cloud={cloud} outDir={folder} onUse={useImage} />
      <Library dir={folder} refresh={libraryRefresh} onUse={setImage} current={image} />
      <CloudBuilds cloud={cloud} outDir={folder} onUse={useImage} ready={cloudReady} />
      <CloudSettingsSection open={cloudBlocked} />
    </section>
  )
}
