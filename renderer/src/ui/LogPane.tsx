/** A live log: follows new lines unless asked not to, filters by a search, copies all of it. */
import { useEffect, useId, useRef, useState } from 'react'

export function LogPane({ lines, label }: { lines: string[]; label: string }) {
  const id = useId()
  const [follow, setFollow] = useState(true)
  const [query, setQuery] = useState('')
  const [copied, setCopied] = useState<string | null>(null)
  const pane = useRef<HTMLPreElement>(null)
  const shown = query ? lines.filter((line) => line.toLowerCase().includes(query.toLowerCase())) : lines

  useEffect(() => {
    if (follow && pane.current) pane.current.scrollTop = pane.current.scrollHeight
  }, [shown.length, follow])

  const copy = () =>
    navigator.clipboard.writeText(lines.join('\n')).then(
      () => setCopied('Copied'),
      () => setCopied('The clipboard is not available here: select the text instead'),
    )

  return (
    <div className="log">
      <div className="row">
        <label htmlFor={`${id}-search`}>Search the log</label>
        <input id={`${id}-search`} type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <button type="button" onClick={() => void copy()} disabled={lines.length === 0}>
          Copy log
        </button>
        {copied && <span role="status" className="small">{copied}</span>}
      </div>
      <pre ref={pane} role="log" aria-label={label} tabIndex={0} className="log-lines">
        {shown.join('\n')}
      </pre>
      {query && <p className="small muted">{shown.length} of {lines.length} lines match</p>}
    </div>
  )
}
