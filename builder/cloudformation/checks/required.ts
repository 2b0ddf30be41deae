/** Required properties: each one the spec marks Required is present. */
import type { TypeSpec } from './spec'
import type { Report } from './template'

export function checkRequired(value: Record<string, unknown>, typeSpec: TypeSpec, typeName: string, at: string, report: Report): void {
  for (const [name, propertySpec] of Object.entries(typeSpec.Properties ?? {})) {
    if (propertySpec.Required && value[name] === undefined) report(at, `missing required property "${name}" of ${typeName}`)
  }
}
