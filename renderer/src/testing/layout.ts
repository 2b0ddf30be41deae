/**
 * For component tests: jsdom does no layout, and CodeMirror measures text ranges. Empty
 * rectangles let it run (it only positions the cursor with them).
 */
export function allowMeasuring(): void {
  const empty = () => ({ x: 0, y: 0, width: 0, height: 0, top: 0, left: 0, right: 0, bottom: 0, toJSON: () => ({}) }) as DOMRect
  const list = () => Object.assign([], { item: () => null }) as unknown as DOMRectList
  if (!Range.prototype.getClientRects) Range.prototype.getClientRects = list
  if (!Range.prototype.getBoundingClientRect) Range.prototype.getBoundingClientRect = empty
}
