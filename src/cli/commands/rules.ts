/** `moe-lens rules` and `moe-lens rule CODE [--format text|json|markdown]`. */
import { renderRuleJson, renderRuleMarkdown, renderRuleText } from '../../core/docs/render';
import { ALL_RULES, findRule } from '../../core/rules/index';
import type { CommandResult } from '../command-result';

export function runRules(format: string): CommandResult {
  if (format === 'json') return { stdout: JSON.stringify(ALL_RULES.map(renderRuleJson), null, 2), stderr: '', exitCode: 0 };
  const lines = ALL_RULES.map((r) => `${r.code}  ${r.name.padEnd(36)} ${r.category.padEnd(16)} ${r.defaultSeverity.padEnd(8)} fix: ${r.fix.availability.padEnd(9)}${r.census?.length ? ` census: ${r.census.join(' ')}` : ''}${r.censusStoppedFirst ? ` (stopped first: ${Object.entries(r.censusStoppedFirst).map(([row, by]) => `${row} by ${by.join('/')}`).join(', ')})` : ''}`.trimEnd());
  return { stdout: lines.join('\n'), stderr: '', exitCode: 0 };
}

export function runRule(code: string | undefined, format: string): CommandResult {
  if (!code) return { stdout: '', stderr: 'moe-lens rule: name a rule code, e.g. `moe-lens rule MOE001`', exitCode: 2 };
  const rule = findRule(code);
  if (!rule) return { stdout: '', stderr: `moe-lens rule: no rule "${code}"; \`moe-lens rules\` lists them`, exitCode: 2 };
  const stdout = format === 'json' ? JSON.stringify(renderRuleJson(rule), null, 2) : format === 'markdown' ? renderRuleMarkdown(rule) : renderRuleText(rule);
  return { stdout, stderr: '', exitCode: 0 };
}
