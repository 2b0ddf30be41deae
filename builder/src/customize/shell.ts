/** Quoting for generated shell scripts: every value goes through `quote`. */
export function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}

/** A secret assignment: the runner replaces lines with this marker once the script has run. */
export function secretAssignment(name: string, value: string): string {
  return `${name}=${quote(value)} # orchard:secret`
}
