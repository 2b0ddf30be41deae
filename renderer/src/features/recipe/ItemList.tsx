/** A list of recipe items (users, interfaces, files, steps): each in its own group, with add and remove. */
import type { ReactNode } from 'react'
import { getAt, removeAt } from './draft'
import { useForm } from './form'

interface Props {
  path: string
  /** "User", "Interface": names the add/remove buttons and each group. */
  item: string
  blank: () => unknown
  children: (index: number) => ReactNode
}

export function ItemList({ path, item, blank, children }: Props) {
  const form = useForm()
  const list = getAt(form.data, path)
  const items = Array.isArray(list) ? list : []
  return (
    <div className="item-list">
      {items.map((_, index) => (
        <fieldset key={index} className="item" aria-label={`${item} ${index + 1}`}>
          <legend>
            {item} {index + 1}
          </legend>
          {children(index)}
          <button type="button" className="remove" onClick={() => form.set(path, removeAt({ list: items }, 'list', index).list)}>
            Remove {item.toLowerCase()} {index + 1}
          </button>
        </fieldset>
      ))}
      <button type="button" onClick={() => form.set(path, [...items, blank()])}>
        Add {item.toLowerCase()}
      </button>
    </div>
  )
}
