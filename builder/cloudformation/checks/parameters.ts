/** Parameters: known attributes and types, no name shared with a resource, and a default their own rules allow. */
import { isObject, type TemplateCheck } from './template'

const PARAMETER_KEYS = new Set(['Type', 'Default', 'Description', 'AllowedValues', 'AllowedPattern', 'ConstraintDescription', 'MinLength', 'MaxLength', 'MinValue', 'MaxValue', 'NoEcho'])
const PARAMETER_TYPES = /^(String|Number|List<Number>|CommaDelimitedList|AWS::[A-Za-z0-9:]+::[A-Za-z0-9:.]+|List<AWS::[A-Za-z0-9:]+::[A-Za-z0-9:.]+>|AWS::SSM::Parameter::Value<.+>)$/

export function checkParameters({ parameters, resources, report }: TemplateCheck): void {
  for (const [name, parameter] of Object.entries(parameters)) {
    const at = `Parameters.${name}`
    if (!isObject(parameter)) {
      report(at, 'a parameter is a mapping')
      continue
    }
    for (const key of Object.keys(parameter)) if (!PARAMETER_KEYS.has(key)) report(`${at}.${key}`, `unknown parameter attribute "${key}"`)
    if (typeof parameter.Type !== 'string' || !PARAMETER_TYPES.test(parameter.Type)) report(`${at}.Type`, `unknown parameter type ${JSON.stringify(parameter.Type)}`)
    if (resources[name] !== undefined) report(at, `"${name}" is both a parameter and a resource`)
    const fallback = parameter.Default
    if (fallback !== undefined) {
      if (Array.isArray(parameter.AllowedValues) && !parameter.AllowedValues.map(String).includes(String(fallback))) {
        report(`${at}.Default`, `default ${JSON.stringify(fallback)} is not among AllowedValues`)
      }
      if (typeof parameter.AllowedPattern === 'string' && !new RegExp(`^(?:${parameter.AllowedPattern})$`).test(String(fallback))) {
        report(`${at}.Default`, `default ${JSON.stringify(fallback)} does not match AllowedPattern`)
      }
      if (parameter.Type === 'Number') {
        const number = Number(fallback)
        if (Number.isNaN(number)) report(`${at}.Default`, `default ${JSON.stringify(fallback)} is not a number`)
        if (typeof parameter.MinValue === 'number' && number < parameter.MinValue) report(`${at}.Default`, `default ${number} is below MinValue`)
        if (typeof parameter.MaxValue === 'number' && number > parameter.MaxValue) report(`${at}.Default`, `default ${number} is above MaxValue`)
      }
    }
  }
}
