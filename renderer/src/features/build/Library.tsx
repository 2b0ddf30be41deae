/** Images already built or downloaded into the output folder: pick one to flash. */
import { useEffect, useState } from 'react'
import type { LibraryImage } from '@common/contract'
import { useClient } from '../../client/context'
import { formatBytes } from '../../ui/format'

export function Library({ dir, refresh, onUse, current }: { dir: string; refresh: number; onUse: (image: string) => void; current: string }) {
  const client = useClient()
  const [images, setImages] = useState<LibraryImage[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    if (!dir) return
    client.call('library.list', { dir }).then(({ images: found }) => (setImages(found), setError(null)), (e: Error) => setError(e.message))
  }, [client, dir, refresh])

  return (
    <section aria-labelledby="library-title" className="library">
      <h3 id="library-title">Image library</h3>
      {error && <p role="alert" className="error">{error}</p>}
      {images && images.length === 0 && <p className="muted">No images in {dir} yet.</p>}
      {images && images.length > 0 && (
        <table aria-labelledby="library-title">
          <thead>
            <tr><th>Image</th><th>Size</th><th>SHA256</th><th>Modified</th><th /></tr>
          </thead>
          <tbody>
            {images.map((image) => (
              <tr key={image.path}>
                <td>{image.name}</td>
                <td>{formatBytes(image.bytes)}</td>
                <td><code>{image.sha256 ? `${image.sha256.slice(0, 12)}…` : '—'}</code></td>
                <td>{new Date(image.modified).toLocaleString()}</td>
                <td>
                  <button type="button" onClick={() => onUse(image.path)} aria-pressed={current === image.path}>
                    Flash {image.name}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
