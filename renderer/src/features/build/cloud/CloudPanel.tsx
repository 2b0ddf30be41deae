/**
 * The cloud side of the Build step: the running cloud build (upload, then phase, percent and
 * the build's last lines), its Download button once it has succeeded, each download's
 * progress (bytes, speed, time left), the verified image like a local result, the builds
 * in the bucket, and the cloud settings.
 */
import type { CloudBuild, DownloadFinished } from '@common/contract'
import { formatBytes } from '../../../ui/format'
import { LogPane } from '../../../ui/LogPane'
import { ProgressBar } from '../../../ui/ProgressBar'
import { ShowInFolder } from '../../../ui/ShowInFolder'
import { CloudSettingsForm } from './CloudSettingsForm'
import type { DownloadState, useCloud } from './useCloud'

type Cloud = ReturnType<typeof useCloud>

/** The running or last cloud build of this window. */
export function CloudBuildView({ cloud, outDir, onUse }: { cloud: Cloud; outDir: string; onUse: (image: string) => void }) {
  const { build } = cloud
  if (!build.running && !build.finished && !build.error) return null
  const { upload, status, finished } = build
  const uploading = build.running && !status
  const fraction = finished?.ok ? 1 : uploading ? (upload && upload.total ? upload.bytes / upload.total : undefined) : status ? status.percent / 100 : undefined
  const phase = finished ? (finished.ok ? 'Succeeded' : finished.error.code === 'CANCELLED' ? 'Stopped' : 'Failed') : uploading ? 'Uploading build.zip' : `Cloud: ${status?.phase ?? 'queued'}`
  const download = build.buildId ? cloud.downloadOf(build.buildId) : null
  return (
    <section className="cloud-build" aria-label="Cloud build">
      {build.buildId && (
        <p className="small">
          Cloud build <code>{build.buildId}</code>
        </p>
      )}
      <ProgressBar label="Cloud progress" fraction={fraction} phase={phase} state={finished ? (finished.ok ? 'done' : 'failed') : build.error ? 'failed' : 'running'} />
      <div className="row">
        <button type="button" onClick={() => void cloud.cancel()} disabled={!build.running || !build.buildId}>
          {uploading ? 'Cancel upload' : 'Stop following'}
        </button>
        {finished?.ok && build.buildId && !download?.progress && !download?.finished?.ok && (
          <button type="button" className="primary" onClick={() => void cloud.download(build.buildId!, outDir)}>
            Download image
          </button>
        )}
      </div>
      {build.error && <p role="alert" className="error">{build.error}</p>}
      {finished && !finished.ok && (
        <p role="alert" className="error">
          {finished.error.code === 'CANCELLED' ? finished.error.message : `Cloud build failed (${finished.error.code}): ${finished.error.message}`}
        </p>
      )}
      {build.buildId && cloud.downloadErrors[build.buildId] && <p role="alert" className="error">{cloud.downloadErrors[build.buildId]}</p>}
      {download && <DownloadView download={download} onCancel={() => void cloud.cancelDownload(download.downloadId)} onRetry={() => void cloud.download(download.buildId, outDir)} onUse={onUse} />}
      {build.log.length > 0 && <LogPane lines={build.log} label="Cloud log" />}
    </section>
  )
}

/** One download: progress with speed and time left, then the verified image (or why not). */
export function DownloadView({ download, onCancel, onRetry, onUse }: { download: DownloadState; onCancel: () => void; onRetry: () => void; onUse: (image: string) => void }) {
  const { progress, finished } = download
  const fraction = finished?.ok ? 1 : progress && progress.total ? progress.bytes / progress.total : undefined
  const state = finished ? (finished.ok ? 'done' : 'failed') : 'running'
  return (
    <div className="download">
      <ProgressBar
        label={`Download of ${download.buildId}`}
        fraction={fraction}
        phase={finished ? (finished.ok ? 'Downloaded and verified' : finished.error.code === 'CANCELLED' ? 'Paused' : 'Failed') : progress ? `${formatBytes(progress.bytes)} of ${formatBytes(progress.total)}` : 'Starting download'}
        speed={finished ? undefined : progress?.speed}
        eta={finished ? undefined : (progress?.etaSeconds ?? undefined)}
        state={state}
      />
      {!finished && (
        <button type="button" onClick={onCancel}>
          Cancel download
        </button>
      )}
      {finished && !finished.ok && (
        <>
          <p role="alert" className="error">
            {finished.error.code === 'CANCELLED' ? 'Download cancelled: what was fetched is kept, and the next try resumes from it.' : `Download failed (${finished.error.code}): ${finished.error.message}`}
          </p>
          <button type="button" onClick={onRetry}>
            {finished.error.code === 'CANCELLED' || finished.error.code === 'DOWNLOAD_FAILED' ? 'Resume download' : 'Download again'}
          </button>
        </>
      )}
      {finished?.ok && <DownloadedResult finished={finished} onUse={onUse} />}
    </div>
  )
}

/** The verified image, shown like a local build's result. */
export function DownloadedResult({ finished, onUse }: { finished: Extract<DownloadFinished, { ok: true }>; onUse: (image: string) => void }) {
  const { output } = finished
  return (
    <section className="result" aria-label={`Downloaded image of ${finished.buildId}`}>
      <h3>Image downloaded</h3>
      <dl>
        <dt>Image</dt>
        <dd>
          <code>{output.image}</code> <ShowInFolder path={output.image} />
        </dd>
        <dt>Size</dt>
        <dd>{formatBytes(output.bytes)}</dd>
        <dt>SHA256 (verified)</dt>
        <dd>
          <code aria-label="Downloaded image SHA256">{output.sha256}</code>
        </dd>
        <dt>Built by (signature verified)</dt>
        <dd aria-label="Cloud build signer">
          build <code>{output.signedBy.buildId}</code>
          {output.signedBy.account && <> in AWS account <code>{output.signedBy.account}</code></>}, signed {output.signedBy.signedAt} with key <code>{output.signedBy.keyId}</code>
        </dd>
        {output.release && (
          <>
            <dt>Release</dt>
            <dd>{output.release}</dd>
          </>
        )}
        {output.customizations.length > 0 && (
          <>
            <dt>Customizations</dt>
            <dd>
              <ul aria-label="Cloud build customizations">
                {output.customizations.map((item) => <li key={item}>{item}</li>)}
              </ul>
            </dd>
          </>
        )}
      </dl>
      <button type="button" className="primary" onClick={() => onUse(output.image)}>
        Flash the downloaded image
      </button>
    </section>
  )
}

const RESULT: Record<CloudBuild['result'], string> = { succeeded: 'Succeeded', failed: 'Failed', running: 'Running', unknown: 'Unknown' }

/** The builds in the bucket, with their results and a download button for each succeeded one. */
export function CloudBuilds({ cloud, outDir, onUse, ready }: { cloud: Cloud; outDir: string; onUse: (image: string) => void; ready: boolean }) {
  const { builds, listError, listing } = cloud
  return (
    <section aria-labelledby="cloud-builds-title" className="cloud-builds">
      <h3 id="cloud-builds-title">Cloud builds</h3>
      <button type="button" onClick={() => void cloud.refresh()} disabled={listing || !ready}>
        {builds ? 'Refresh cloud builds' : 'Show cloud builds'}
      </button>
      {listError && <p role="alert" className="error">{listError}</p>}
      {builds && builds.length === 0 && <p className="muted">No builds in the bucket yet.</p>}
      {builds && builds.length > 0 && (
        <table aria-labelledby="cloud-builds-title">
          <thead>
            <tr><th>Build</th><th>Result</th><th>Phase</th><th>Started</th><th /></tr>
          </thead>
          <tbody>
            {builds.map((build) => {
              const download = cloud.downloadOf(build.id)
              return (
                <tr key={build.id}>
                  <td><code>{build.id}</code></td>
                  <td>
                    {RESULT[build.result]}
                    {build.status?.error && <span className="small muted"> — {build.status.error}</span>}
                  </td>
                  <td>{build.status ? `${build.status.phase} ${Math.round(build.status.percent)}%` : '—'}</td>
                  <td>{build.status ? new Date(build.status.startedAt).toLocaleString() : '—'}</td>
                  <td>
                    {build.result === 'succeeded' && !download?.finished?.ok && !(download && !download.finished) && (
                      <button type="button" onClick={() => void cloud.download(build.id, outDir)}>
                        Download {build.id}
                      </button>
                    )}
                    {cloud.downloadErrors[build.id] && <p role="alert" className="error">{cloud.downloadErrors[build.id]}</p>}
                    {/* The current build's download is shown with it, above. */}
                    {download && build.id === cloud.build.buildId && <span className="small">See the cloud build above</span>}
                    {download && build.id !== cloud.build.buildId && (
                      <DownloadView download={download} onCancel={() => void cloud.cancelDownload(download.downloadId)} onRetry={() => void cloud.download(build.id, outDir)} onUse={onUse} />
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}

export function CloudSettingsSection({ open }: { open: boolean }) {
  return (
    <details className="cloud-settings-section" open={open}>
      <summary>Cloud settings (AWS)</summary>
      <CloudSettingsForm />
    </details>
  )
}
