/** A button that opens the browser's file picker (a hidden file input) and hands over the chosen file. */
import { useRef, type ReactNode } from 'react'

interface Props {
  children: ReactNode
  accept: string
  /** The input's accessible name (the e2e and component tests upload through it). */
  label: string
  onFile: (file: File) => void
}

export function FilePickerButton({ children, accept, label, onFile }: Props) {
  const input = useRef<HTMLInputElement>(null)
  return (
    <>
      <button type="button" onClick={() => input.current?.click()}>
        {children}
      </button>
      <input
        ref={input}
        type="file"
        accept={accept}
        aria-label={label}
        hidden
        onChange={(event) => {
          const file = event.target.files?.[0]
          if (file) onFile(file)
          event.target.value = '' // the same file may be chosen again
        }}
      />
    </>
  )
}
