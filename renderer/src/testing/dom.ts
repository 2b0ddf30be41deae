/** For component tests: what assistive technology would read, without jest-dom (not installed). */

/** The text of the elements an element's aria-describedby names, joined by spaces. */
export function description(element: Element): string {
  const ids = element.getAttribute('aria-describedby')?.split(/\s+/).filter(Boolean) ?? []
  return ids
    .map((id) => element.ownerDocument.getElementById(id)?.textContent?.trim() ?? '')
    .filter(Boolean)
    .join(' ')
}

export const invalid = (element: Element): boolean => element.getAttribute('aria-invalid') === 'true'
