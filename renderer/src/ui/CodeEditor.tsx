/**
 * A CodeMirror 6 editor with shell highlighting. Controlled: `value` in, `onChange` out;
 * a new `value` from outside (another file selected) replaces the text without losing focus.
 */
import { useEffect, useRef } from 'react'
import { basicSetup, EditorView } from 'codemirror'
import { EditorState, Compartment } from '@codemirror/state'
import { StreamLanguage } from '@codemirror/language'
import { shell } from '@codemirror/legacy-modes/mode/shell'

interface Props {
  value: string
  onChange?: (value: string) => void
  /** The accessible name of the editing area. */
  label: string
  readOnly?: boolean
  /** Highlight as shell (scripts) or not (other files). */
  language?: 'shell' | 'text'
}

const shellLanguage = StreamLanguage.define(shell)

export function CodeEditor({ value, onChange, label, readOnly = false, language = 'shell' }: Props) {
  const host = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const changed = useRef(onChange)
  const config = useRef(new Compartment())
  useEffect(() => {
    changed.current = onChange
  }, [onChange])

  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          config.current.of([]),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current?.(update.state.doc.toString())
          }),
        ],
      }),
    })
    view.current = editor
    return () => {
      editor.destroy()
      view.current = null
    }
    // The editor is made once; value and settings arrive through the effects below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])

  useEffect(() => {
    view.current?.dispatch({
      effects: config.current.reconfigure([
        language === 'shell' ? shellLanguage : [],
        EditorState.readOnly.of(readOnly),
        EditorView.editable.of(!readOnly),
        EditorView.contentAttributes.of({ 'aria-label': label, 'aria-readonly': String(readOnly) }),
      ]),
    })
  }, [label, readOnly, language])

  useEffect(() => {
    const editor = view.current
    if (!editor) return
    const current = editor.state.doc.toString()
    if (current !== value) editor.dispatch({ changes: { from: 0, to: current.length, insert: value } })
  }, [value])

  return <div className="code-editor" ref={host} />
}
