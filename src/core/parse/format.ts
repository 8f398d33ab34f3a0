/** How each dialect spells a value and a key, for fixes. */
import type { Dialect } from '../model/router-spec';
import { jsonLiteralText } from './hf-json';
import { pythonLiteral } from './python/syntax';
import { flagOf } from '../model/flag-name';

export function formatValue(dialect: Dialect | undefined, value: unknown): string {
  switch (dialect) {
    case 'torchtitan-python':
      return pythonLiteral(value);
    case 'megatron-args':
      return typeof value === 'string' && !/^[\w.+-]+$/.test(value) ? `'${value.replace(/'/g, `'\\''`)}'` : String(value ?? 'None');
    default:
      return jsonLiteralText(value); // JSON, and YAML (a JSON scalar is valid YAML)
  }
}

export function formatAssignment(dialect: Dialect | undefined, key: string, valueText: string): string {
  switch (dialect) {
    case 'torchtitan-python':
      return `${key}=${valueText}`;
    case 'megatron-args':
      return `${flagOf(key)} ${valueText}`;
    case 'megatron-yaml':
      return `${key}: ${valueText}`;
    default:
      return `${JSON.stringify(key)}: ${valueText}`;
  }
}
