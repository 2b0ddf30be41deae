import { useEffect, useState } from 'react'

/** The current step id from `#/<step>`, falling back to the first step. */
export function useHashRoute(ids: string[]): string {
  const read = () => {
    const id = window.location.hash.replace(/^#\/?/, '')
    return ids.includes(id) ? id : ids[0]!
  }
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const update = () => setRoute(read())
    window.addEventListener('hashchange', update)
    return () => window.removeEventListener('hashchange', update)
  })
  return route
}
