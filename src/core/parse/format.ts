/** How each dialect spells a value and a key, for fixes. */
import type { Dialect } from '../model/router-spec';
import { pythonLiteral } from './python/syntax';
import { jsonLiteralText } from './hf-json';

export function formatValue(dialect: Dialect | undefined, value: unknown): string {
  return dialect === 'torchtitan-python' ? pythonLiteral(value) : jsonLiteralText(value);
}

export function formatAssignment(dialect: Dialect | undefined, key: string, valueText: string): string {
  return dialect === 'torchtitan-python' ? `${key}=${valueText}` : `${JSON.stringify(key)}: ${valueText}`;
}
