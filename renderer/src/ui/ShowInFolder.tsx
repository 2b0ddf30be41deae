/** "Show in folder" where the desktop app can open one; elsewhere the path can be copied. */
import { useState } from 'react'
import { desktop } from './desktop'

export function ShowInFolder({ path }: { path: string }) {
  const [note, setNote] = useState<string | null>(null)
  const api = desktop()
  if (api) {
    return (
      <button type="button" onClick={() => void api.showInFolder({ path })}>
        Show in folder
      </button>
    )
  }
  return (
    <>
      <button
        type="button"
        onClick={() =>
          void navigator.clipboard.writeText(path).then(
            () => setNote('Path copied'),
            () => setNote('Select the path to copy it'),
          )
        }
      >
        Copy path
      </button>
      {note && <span role="status" className="small"> {note}</span>}
    </>
  )
}
