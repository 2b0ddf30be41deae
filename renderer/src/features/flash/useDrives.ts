/**
 * The drives, kept current: core watches for cards coming and going (drives.changed), and
 * each change is listed again against the image so every drive carries its issues.
 */
import { useEffect, useState } from 'react'
import type { DriveView } from '@common/contract'
import { useClient } from '../../client/context'

export function useDrives(image: string): { drives: DriveView[] | null; error: string | null } {
  const client = useClient()
  const [drives, setDrives] = useState<DriveView[] | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    let current = true
    const list = () =>
      client.call('drives.list', { ...(image ? { image } : {}), showSystem: false }).then(
        (result) => current && (setDrives(result.drives), setError(null)),
        (failure: Error) => current && setError(failure.message),
      )
    void list()
    const off = client.on('drives.changed', () => void list())
    void client.call('drives.watch', { watching: true }).catch(() => {})
    return () => {
      current = false
      off()
      // Another window may still watch; core's watcher is cheap, and stops with the app.
    }
  }, [client, image])

  return { drives, error }
}
