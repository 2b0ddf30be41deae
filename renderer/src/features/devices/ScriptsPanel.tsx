/**
 * The selected device's startup-scripts: a tree of its files (the shared templates, its own
 * versions of them, files only it has), an editor for the template or for this device
 * alone, and the script as this device will get it.
 */
import { useState } from 'react'
import { CodeEditor } from '../../ui/CodeEditor'
import { deviceScripts, fileKey, FOLDERS, renderFor, type DeviceRow, type Folder, type ScriptFile } from './model'

interface Props {
  row: DeviceRow
  index: number
  templates: ScriptFile[]
  onTemplates: (files: ScriptFile[]) => void
  onRow: (row: DeviceRow) => void
}

export function ScriptsPanel({ row, index, templates, onTemplates, onRow }: Props) {
  const files = deviceScripts(row, templates)
  const [selectedKey, setSelectedKey] = useState<string | null>(files[0] ? fileKey(files[0].folder, files[0].name) : null)
  const selected = files.find((file) => fileKey(file.folder, file.name) === selectedKey) ?? null
  const key = selected ? fileKey(selected.folder, selected.name) : ''
  const isTemplate = selected !== null && templates.some((file) => file.folder === selected.folder && file.name === selected.name)
  const overridden = selected !== null && key in row.overrides
  const [scopeChoice, setScope] = useState<'all' | 'device' | null>(null)
  const scope = !isTemplate ? 'device' : (scopeChoice ?? (overridden ? 'device' : 'all'))
  const rendered = selected ? renderFor(row, index, selected) : null
  const dirOf = (folder: Folder) => FOLDERS.find((f) => f.id === folder)!.dir

  const edit = (content: string) => {
    if (!selected) return
    if (scope === 'all') onTemplates(templates.map((file) => (file.folder === selected.folder && file.name === selected.name ? { ...file, content } : file)))
    else onRow({ ...row, overrides: { ...row.overrides, [key]: content } })
  }

  const select = (file: ScriptFile) => {
    setSelectedKey(fileKey(file.folder, file.name))
    setScope(null)
  }

  return (
    <section className="scripts" aria-label={`Startup scripts of ${row.hostname || `device ${index + 1}`}`}>
      <h3>Startup scripts of {row.hostname || `device ${index + 1}`}</h3>
      <div className="scripts-body">
        <nav aria-label="Script files" className="tree">
          {FOLDERS.map((folder) => (
            <div key={folder.id}>
              <p className="folder">{folder.dir}/</p>
              <ul aria-label={folder.label}>
                {files
                  .filter((file) => file.folder === folder.id)
                  .map((file) => {
                    const k = fileKey(file.folder, file.name)
                    return (
                      <li key={k}>
                        <button type="button" aria-pressed={k === key} onClick={() => select(file)}>
                          {folder.dir}/{file.name}
                          {k in row.overrides && <span className="badge own"> this device</span>}
                        </button>
                      </li>
                    )
                  })}
              </ul>
              <NewFile folder={folder.id} existing={files} onAdd={(name, forAll) => {
                const file = { folder: folder.id, name, content: folder.id === 'resources' ? '' : '#!/bin/sh\n' }
                if (forAll) onTemplates([...templates, file])
                else onRow({ ...row, overrides: { ...row.overrides, [fileKey(folder.id, name)]: file.content } })
                select(file)
              }} />
              {folder.id === 'resources' && (
                <AttachFile
                  device={row.hostname || `device ${index + 1}`}
                  onAttach={(name, content) => {
                    onRow({ ...row, overrides: { ...row.overrides, [fileKey('resources', name)]: content } })
                    select({ folder: 'resources', name, content })
                  }}
                />
              )}
            </div>
          ))}
        </nav>
        {selected && rendered ? (
          <div className="editor-pane">
            <div role="radiogroup" aria-label="Edit for" className="row">
              <label>
                <input type="radio" name="scope" checked={scope === 'all'} disabled={!isTemplate} onChange={() => setScope('all')} /> All devices (template)
              </label>
              <label>
                <input
                  type="radio"
                  name="scope"
                  checked={scope === 'device'}
                  onChange={() => {
                    setScope('device')
                    if (!overridden) onRow({ ...row, overrides: { ...row.overrides, [key]: selected.content } })
                  }}
                />{' '}
                Only {row.hostname || `device ${index + 1}`}
              </label>
              {isTemplate && overridden && (
                <button
                  type="button"
                  onClick={() => {
                    const { [key]: _dropped, ...rest } = row.overrides
                    onRow({ ...row, overrides: rest })
                    setScope('all')
                  }}
                >
                  Use the template again
                </button>
              )}
              {!isTemplate && (
                <button type="button" onClick={() => {
                  const { [key]: _dropped, ...rest } = row.overrides
                  onRow({ ...row, overrides: rest })
                  setSelectedKey(null)
                }}>
                  Delete {selected.name}
                </button>
              )}
              {isTemplate && scope === 'all' && (
                <button type="button" onClick={() => {
                  onTemplates(templates.filter((file) => !(file.folder === selected.folder && file.name === selected.name)))
                  setSelectedKey(null)
                }}>
                  Delete {selected.name} for all devices
                </button>
              )}
            </div>
            <CodeEditor
              label={`Script editor: ${dirOf(selected.folder)}/${selected.name}`}
              value={scope === 'all' ? (templates.find((f) => f.folder === selected.folder && f.name === selected.name)?.content ?? '') : selected.content}
              onChange={edit}
              language={selected.folder === 'resources' ? 'text' : 'shell'}
            />
            {selected.folder !== 'resources' && (
              <p className="muted" aria-label="Template help">
                {'{{NAME}}'} puts the device's value in as quoted text, never as shell code ({'{{n}}'} its number, {'{{n:03}}'} padded);{' '}
                {'{{raw:NAME}}'} puts it in as it is, for a value meant to run.
              </p>
            )}
            <h4 id="preview-title">As {row.hostname || `device ${index + 1}`} gets it</h4>
            <pre className="preview" aria-label={`Preview of ${dirOf(selected.folder)}/${selected.name} for ${row.hostname}`}>
              {rendered.text}
            </pre>
            {rendered.problems.length > 0 && (
              <ul className="field-error" aria-label="Template problems">
                {rendered.problems.map((problem) => <li key={problem.placeholder}>{problem.message}</li>)}
              </ul>
            )}
          </div>
        ) : (
          <p className="muted">Choose a file, or add one.</p>
        )}
      </div>
    </section>
  )
}

function NewFile({ folder, existing, onAdd }: { folder: Folder; existing: ScriptFile[]; onAdd: (name: string, forAll: boolean) => void }) {
  const [name, setName] = useState('')
  const dir = FOLDERS.find((f) => f.id === folder)!.dir
  const clash = existing.some((file) => file.folder === folder && file.name.toLowerCase() === name.trim().toLowerCase())
  const problem = !name.trim() ? null : clash ? `${dir}/${name.trim()} exists` : folder !== 'resources' && name.includes('/') ? 'Scripts cannot be in folders' : null
  return (
    <div className="new-file">
      <input aria-label={`New file in ${dir}`} placeholder="name.sh" value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} />
      <button type="button" disabled={!name.trim() || Boolean(problem)} onClick={() => (onAdd(name.trim(), true), setName(''))}>
        Add to {dir} for all
      </button>
      <button type="button" disabled={!name.trim() || Boolean(problem)} onClick={() => (onAdd(name.trim(), false), setName(''))}>
        Add to {dir} for this device
      </button>
      {problem && <p className="field-error">{problem}</p>}
    </div>
  )
}

/**
 * A file from this computer (a device's certificate, key or config) into its resources/.
 * Device files travel as text, so only text files are taken: PEM certificates and keys are.
 */
function AttachFile({ device, onAttach }: { device: string; onAttach: (name: string, content: string) => void }) {
  const [problem, setProblem] = useState<string | null>(null)
  return (
    <div className="new-file">
      <label>
        Attach a file for {device}{' '}
        <input
          type="file"
          onChange={async (event) => {
            const input = event.currentTarget
            const file = input.files?.[0]
            input.value = ''
            if (!file) return
            const text = new TextDecoder('utf-8', { fatal: false }).decode(await file.arrayBuffer())
            if (text.includes('\uFFFD') || text.includes('\0')) {
              return setProblem(`${file.name} is not a text file: resources take text (PEM certificates and keys, configs)`)
            }
            setProblem(null)
            onAttach(file.name, text)
          }}
        />
      </label>
      {problem && <p className="field-error" role="alert">{problem}</p>}
    </div>
  )
}
