/** `moe-lens` command line: parses arguments, runs one command, prints, exits (0 ok, 1 errors found, 2 usage/I-O). */
import { parseArgs } from 'node:util';
import type { SeveritySetting } from '../core/rules/types';
import { findRule } from '../core/rules/index';
import { runLint } from './commands/lint';
import { runRule, runRules } from './commands/rules';

declare const MOE_LENS_VERSION: string;
const VERSION = typeof MOE_LENS_VERSION === 'string' ? MOE_LENS_VERSION : '0.0.0-dev';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

const USAGE = `Usage:
  moe-lens lint [paths...] [--format stylish|json|sarif] [--fix] [--rule CODE=error|warning|info|off]...
  moe-lens rules [--format text|json]
  moe-lens rule CODE [--format text|json|markdown]
  moe-lens --version | --help

lint reads torchtitan Python (*.py) and Hugging Face / DeepSeek config JSON (*.json).
Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O failure.`;

const usageError = (message: string): CommandResult => ({ stdout: '', stderr: `moe-lens: ${message}\n\n${USAGE}`, exitCode: 2 });

export function run(argv: readonly string[], env: { color: boolean }): CommandResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        format: { type: 'string', short: 'f' },
        fix: { type: 'boolean' },
        rule: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
      },
    });
  } catch (error) {
    return usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) return { stdout: VERSION, stderr: '', exitCode: 0 };
  const [command, ...rest] = positionals;
  if (values.help || !command) return { stdout: USAGE, stderr: '', exitCode: values.help ? 0 : 2 };
  const color = values['no-color'] ? false : (values.color ?? env.color);
  switch (command) {
    case 'lint': {
      const format = values.format ?? 'stylish';
      if (format !== 'stylish' && format !== 'json' && format !== 'sarif') return usageError(`unknown format "${format}" (stylish, json, sarif)`);
      const severities: Record<string, SeveritySetting> = {};
      for (const setting of values.rule ?? []) {
        const match = /^([^=]+)=(error|warning|info|off)$/.exec(setting);
        const rule = match ? findRule(match[1]!) : undefined;
        if (!match || !rule) return usageError(`bad --rule "${setting}" (expected CODE=error|warning|info|off with a known code)`);
        severities[rule.code] = match[2] as SeveritySetting;
      }
      return runLint({ paths: rest, format, fix: values.fix ?? false, severities, color, version: VERSION });
    }
    case 'rules':
      return runRules(values.format ?? 'text');
    case 'rule':
      return runRule(rest[0], values.format ?? 'text');
    default:
      return usageError(`unknown command "${command}"`);
  }
}

export function main(): void {
  let result: CommandResult;
  try {
    result = run(process.argv.slice(2), { color: process.stdout.isTTY === true && !process.env.NO_COLOR });
  } catch (error) {
    result = { stdout: '', stderr: `moe-lens: internal error: ${String((error as Error)?.message ?? error)}`, exitCode: 2 };
  }
  if (result.stdout) process.stdout.write(`${result.stdout}\n`);
  if (result.stderr) process.stderr.write(`${result.stderr}\n`);
  process.exitCode = result.exitCode;
}
