/** An opened card's startup-scripts tree, a file's content (editable where the card allows), and its build info. */
import { useState } from 'react'
import type { Output } from '@common/contract'
import { useClient } from '../../client/context'
import { CodeEditor } from '../../ui/CodeEditor'
import { formatBytes } from '../../ui/format'

type Entry = Output<'cards.list'>['entries'][number]

// What the card lets us change (builder/src/cards): device.env and files in these folders.
const WRITABLE = ['/startup-scripts/run-once/', '/startup-scripts/every-time/', '/startup-scripts/resources/']
const writable = (path: string) => path.toLowerCase() === '/startup-scripts/device.env' || WRITABLE.some((dir) => path.toLowerCase().startsWith(dir))
const NOTES: Record<string, string> = {
  'ran-once': 'already ran',
  failed: 'failed, kept with its log',
  logs: 'logs of past boots',
}

interface Props {
  target: string
  entries: Entry[]
  buildInfo: unknown
  onChanged: () => void
}

export function CardFiles({ target, entries, buildInfo, onChanged }: Props) {
  const client = useClient()
  const [path, setPath] = useState<string | null>(null)
  const [saved, setSaved] = useState('')
  const [text, setText] = useState('')
  const [status, setStatus] = useState<{ text: string; error?: boolean } | null>(null)

  const show = async (file: string) => {
    setStatus(null)
    try {
      const { content } = await client.call('cards.read', { target, path: file })
      setPath(file)
      setSaved(content)
      setText(content)
    } catch (error) {
      setStatus({ text: (error as Error).message, error: true })
    }
  }

  const save = async () => {
    if (!path) return
    try {
      await client.call('cards.write', { target, path, content: text })
      setSaved(text)
      setStatus({ text: `Saved ${path} on ${target}` })
    } catch (error) {
      setStatus({ text: (error as Error).message, error: true })
    }
  }

  const remove = async () => {
    if (!path) return
    try {
      await client.call('cards.remove', { target, path })
      setStatus({ text: `Removed ${path}` })
      setPath(null)
      onChanged()
    } catch (error) {
      setStatus({ text: (error as Error).message, error: true })
    }
  }

  return (
    <div className="card-files">
      <nav aria-label="Card files" className="tree">
        <ul>
          {entries.map((entry) => {
            const depth = entry.path.split('/').length - 3
            const name = entry.path.slice(entry.path.lastIndexOf('/') + 1)
            const note = entry.isDirectory ? NOTES[name] : undefined
            return (
              <li key={entry.path} style={{ paddingLeft: `${Math.max(0, depth) * 1}rem` }}>
                {entry.isDirectory ? (
                  <span className="folder">
                    {name}/{note && <span className="muted small"> ({note})</span>}
                  </span>
                ) : (
                  <button type="button" aria-pressed={entry.path === path} onClick={() => void show(entry.path)} aria-label={entry.path.replace(/^\/startup-scripts\//, '')}>
                    {name} <span className="muted small">{formatBytes(entry.size)}</span>
                  </button>
                )}
              </li>
            )
          })}
        </ul>
        {entries.length === 0 && <p className="muted">No startup-scripts on this card.</p>}
      </nav>
      <div className="editor-pane">
        {path ? (
          <>
            <h3>{path}</h3>
            <CodeEditor label={`Card file ${path}`} value={text} onChange={setText} readOnly={!writable(path)} language={path.endsWith('.sh') ? 'shell' : 'text'} />
            <div className="row">
              {writable(path) ? (
                <button type="button" className="primary" disabled={text === saved} onClick={() => void save()}>
                  Save to card
                </button>
              ) : (
                <p className="small muted">Read only: the card keeps this file as a record.</p>
              )}
              <button type="button" onClick={() => void remove()}>
                Delete from card
              </button>
            </div>
          </>
        ) : (
          <p className="muted">Choose a file.</p>
        )}
        {status && <p role={status.error ? 'alert' : 'status'}>{status.text}</p>}
        <details open={Boolean(buildInfo)}>
          <summary>Build info</summary>
          {buildInfo ? <pre aria-label="Build info">{JSON.stringify(buildInfo, null, 2)}</pre> : <p className="muted">This card has no build info (not built by Orchard).</p>}
        </details>
      </div>
    </div>
  )
}
