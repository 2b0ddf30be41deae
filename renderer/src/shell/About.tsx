/** The About panel: the app's and its runtime's versions, in a modal dialog (Escape closes it). */
import { useRef } from 'react'
import type { AppInfo } from '@common/contract'

export function About({ info }: { info: AppInfo | null }) {
  const dialog = useRef<HTMLDialogElement>(null)
  return (
    <>
      <button type="button" className="link" onClick={() => dialog.current?.showModal()}>
        About Orchard
      </button>
      <dialog ref={dialog} aria-labelledby="about-title" className="about">
        <h2 id="about-title">About Orchard</h2>
        <p>Builds customized Raspberry Pi OS images from verified sources, gives every device its own startup scripts, and flashes many SD cards at once.</p>
        {info && (
          <dl>
            <dt>Version</dt>
            <dd>{info.version}</dd>
            <dt>Running in</dt>
            <dd>{info.runtime === 'electron' ? 'the desktop app' : 'a browser, over the loopback bridge'}</dd>
            <dt>Platform</dt>
            <dd>{info.platform}/{info.arch}{info.elevated ? ' (elevated)' : ''}</dd>
            <dt>Node.js</dt>
            <dd>{info.versions.node}</dd>
            <dt>V8</dt>
            <dd>{info.versions.v8}</dd>
            {info.versions.electron && (<><dt>Electron</dt><dd>{info.versions.electron}</dd></>)}
            {info.versions.chrome && (<><dt>Chromium</dt><dd>{info.versions.chrome}</dd></>)}
          </dl>
        )}
        <form method="dialog">
          <button type="submit">Close</button>
        </form>
      </dialog>
    </>
  )
}
