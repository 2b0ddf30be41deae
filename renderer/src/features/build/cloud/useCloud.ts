/**
 * Cloud builds from this window: one build followed at a time (upload bytes, then the
 * status the build writes in the bucket), any number of downloads (each with its own
 * progress, speed and time left), and the list of builds in the bucket. Events are picked
 * out by their work's id.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { CloudBuild, CloudBuildStatus, CloudFinished, DownloadFinished, DownloadProgress } from '@common/contract'
import { useClient } from '../../../client/context'

export interface CloudBuildState {
  buildId: string | null
  running: boolean
  upload: { bytes: number; total: number } | null
  status: CloudBuildStatus | null
  log: string[]
  finished: CloudFinished | null
  error: string | null
}

export interface DownloadState {
  downloadId: string
  buildId: string
  progress: DownloadProgress | null
  finished: DownloadFinished | null
}

const initial: CloudBuildState = { buildId: null, running: false, upload: null, status: null, log: [], finished: null, error: null }

export function useCloud(onDownloaded: (finished: Extract<DownloadFinished, { ok: true }>) => void) {
  const client = useClient()
  const [build, setBuild] = useState<CloudBuildState>(initial)
  const [downloads, setDownloads] = useState<Record<string, DownloadState>>({})
  const [builds, setBuilds] = useState<CloudBuild[] | null>(null)
  const [listError, setListError] = useState<string | null>(null)
  const [listing, setListing] = useState(false)
  /** Why a download could not start, per build. */
  const [downloadErrors, setDownloadErrors] = useState<Record<string, string>>({})
  const current = useRef<string | null>(null)
  const mine = useRef(new Set<string>())
  const downloaded = useRef(onDownloaded)
  useEffect(() => {
    downloaded.current = onDownloaded
  }, [onDownloaded])

  useEffect(() => {
    const offs = [
      client.on('cloud.progress', (event) => {
        if (event.buildId !== current.current) return
        if (event.stage === 'upload') return setBuild((s) => ({ ...s, upload: { bytes: event.bytes, total: event.total } }))
        const { status } = event
        setBuild((s) => {
          // The status carries its last lines; add the ones not seen yet, and each phase change.
          const seen = new Set(s.log)
          const fresh = status.lastLines.filter((line) => !seen.has(line))
          const phaseLine = s.status?.phase !== status.phase ? [`[${new Date().toLocaleTimeString()}] ${status.phase}`] : []
          return { ...s, status, log: [...s.log, ...phaseLine, ...fresh] }
        })
      }),
      client.on('cloud.finished', (finished) => {
        if (finished.buildId !== current.current) return
        current.current = null
        const line = finished.ok ? `Succeeded: build ${finished.buildId}` : `${finished.error.code === 'CANCELLED' ? 'Stopped' : 'Failed'}: ${finished.error.message}`
        setBuild((s) => ({ ...s, running: false, finished, status: finished.status ?? s.status, log: [...s.log, line] }))
      }),
      client.on('download.progress', (progress) => {
        if (!mine.current.has(progress.downloadId)) return
        setDownloads((all) => ({ ...all, [progress.downloadId]: { ...all[progress.downloadId]!, progress } }))
      }),
      client.on('download.finished', (finished) => {
        if (!mine.current.has(finished.downloadId)) return
        setDownloads((all) => ({ ...all, [finished.downloadId]: { ...all[finished.downloadId]!, finished } }))
        if (finished.ok) downloaded.current(finished)
      }),
    ]
    return () => offs.forEach((off) => off())
  }, [client])

  const start = useCallback(
    async (recipePath: string) => {
      setBuild({ ...initial, running: true, log: [`Packing and uploading ${recipePath} (secrets sealed)`] })
      try {
        const { buildId } = await client.call('cloud.start', { recipePath })
        current.current = buildId
        setBuild((s) => ({ ...s, buildId, log: [...s.log, `Cloud build ${buildId}`] }))
      } catch (error) {
        setBuild((s) => ({ ...s, running: false, error: (error as Error).message, log: [...s.log, `Not started: ${(error as Error).message}`] }))
      }
    },
    [client],
  )

  const cancel = useCallback(async () => {
    if (build.buildId) await client.call('cloud.cancel', { id: build.buildId })
  }, [client, build.buildId])

  const download = useCallback(
    async (buildId: string, outDir?: string) => {
      setDownloadErrors(({ [buildId]: _, ...rest }) => rest)
      try {
        const { downloadId } = await client.call('cloud.download', { buildId, ...(outDir && { outDir }) })
        mine.current.add(downloadId)
        // A retry gets a new id: it replaces the earlier download of the same build.
        setDownloads((all) => ({
          ...Object.fromEntries(Object.entries(all).filter(([, d]) => d.buildId !== buildId || d.downloadId === downloadId)),
          [downloadId]: all[downloadId] ?? { downloadId, buildId, progress: null, finished: null },
        }))
      } catch (error) {
        setDownloadErrors((all) => ({ ...all, [buildId]: (error as Error).message }))
      }
    },
    [client],
  )

  const cancelDownload = useCallback((downloadId: string) => client.call('cloud.cancel', { id: downloadId }).then(() => undefined), [client])

  const refresh = useCallback(async () => {
    setListing(true)
    try {
      setBuilds((await client.call('cloud.list', {})).builds)
      setListError(null)
    } catch (error) {
      setListError((error as Error).message)
    } finally {
      setListing(false)
    }
  }, [client])

  /** The download of a build (a retry after a cancel replaces the earlier one). */
  const downloadOf = useCallback((buildId: string) => Object.values(downloads).find((d) => d.buildId === buildId) ?? null, [downloads])

  return { build, start, cancel, downloads, download, downloadErrors, cancelDownload, downloadOf, builds, listError, listing, refresh }
}
