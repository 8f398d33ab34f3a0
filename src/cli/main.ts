/** `moe-lens` command line: parses arguments, runs one command, prints, exits (0 ok, 1 errors found, 2 usage/I-O). */
import { parseArgs } from 'node:util';
import type { SeveritySetting } from '../core/rules/types';
import { DEFAULT_MAX_FILE_SIZE } from '../core/lint';
import { findRule } from '../core/rules/index';
import type { CommandResult } from './command-result';
import { runInspect } from './commands/inspect';
import { runLint } from './commands/lint';
import { runRule, runRules } from './commands/rules';

declare const MOE_LENS_VERSION: string;
/** Set by the build: the route command ships as its own bundle, loaded only when used. */
declare const MOE_LENS_ROUTE_MODULE: string | undefined;
const VERSION = typeof MOE_LENS_VERSION === 'string' ? MOE_LENS_VERSION : '0.0.0-dev';


const USAGE = `Usage:
  moe-lens lint [paths...] [--format stylish|json|sarif] [--fix] [--rule CODE=error|warning|info|off]...
                [--max-file-size KB]   (default 2048: larger files get one information note)
  moe-lens route CONFIG [--model NAME] [--layer N] [--weights FILE|DIR] [--activations FILE]
                 [--tokens T] [--hidden H] [--seed S] [--distribution isotropic|clustered] [--clusters N]
                 [--capacity-factor C] [--ep N] [--json]
  moe-lens inspect [paths...] [--format stylish|json]   (what MoE Lens understood, with each value's provenance)
  moe-lens rules [--format text|json]
  moe-lens rule CODE [--format text|json|markdown]
  moe-lens --version | --help

lint reads torchtitan Python (*.py), Hugging Face / DeepSeek config JSON (*.json) and Megatron flags/YAML.
route runs the config's exact router (ONNX on onnxruntime-node) on synthetic or given weights and tokens.
Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O failure.`;

const usageError = (message: string): CommandResult => ({ stdout: '', stderr: `moe-lens: ${message}\n\n${USAGE}`, exitCode: 2 });

export async function run(argv: readonly string[], env: { color: boolean }): Promise<CommandResult> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        format: { type: 'string', short: 'f' },
        fix: { type: 'boolean' },
        rule: { type: 'string', multiple: true },
        'max-file-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        model: { type: 'string' },
        layer: { type: 'string' },
        weights: { type: 'string' },
        activations: { type: 'string' },
        tokens: { type: 'string' },
        hidden: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        distribution: { type: 'string' },
        clusters: { type: 'string' },
        'capacity-factor': { type: 'string' },
        ep: { type: 'string' },
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
      let maxFileSize: number;
      try {
        maxFileSize = integer('--max-file-size', values['max-file-size'] ?? String(DEFAULT_MAX_FILE_SIZE / 1024), 1, 1 << 22) * 1024;
      } catch (error) {
        return usageError((error as Error).message);
      }
      return runLint({ paths: rest, format, fix: values.fix ?? false, severities, color, version: VERSION, maxFileSize });
    }
    case 'route': {
      if (rest.length !== 1) return usageError('route takes exactly one CONFIG file');
      try {
        const distribution = values.distribution ?? 'isotropic';
        if (distribution !== 'isotropic' && distribution !== 'clustered') return usageError(`unknown --distribution "${distribution}" (isotropic, clustered)`);
        const capacityFactor = values['capacity-factor'] !== undefined ? positiveNumber('--capacity-factor', values['capacity-factor']) : undefined;
        // Loaded on demand: lint and rule never pay for the ONNX builder and its protobuf runtime.
        const routeModule = typeof MOE_LENS_ROUTE_MODULE === 'string' ? MOE_LENS_ROUTE_MODULE : './commands/route';
        const { DEFAULT_TOKENS, runRoute } = (await import(routeModule)) as typeof import('./commands/route');
        return await runRoute({
          config: rest[0]!,
          ...(values.model !== undefined ? { model: values.model } : {}),
          layer: integer('--layer', values.layer ?? '0', 0, 100_000),
          ...(values.weights !== undefined ? { weights: values.weights } : {}),
          ...(values.activations !== undefined ? { activations: values.activations } : {}),
          tokens: integer('--tokens', values.tokens ?? String(DEFAULT_TOKENS), 1, 1 << 20),
          ...(values.hidden !== undefined ? { hidden: integer('--hidden', values.hidden, 1, 1 << 16) } : {}),
          seed: integer('--seed', values.seed ?? '0', 0, 2 ** 32 - 1),
          distribution: distribution === 'clustered' ? { kind: 'clustered', clusters: integer('--clusters', values.clusters ?? '8', 1, 4096) } : { kind: 'isotropic' },
          ...(capacityFactor !== undefined ? { capacityFactor } : {}),
          expertParallel: integer('--ep', values.ep ?? '1', 1, 4096),
          json: values.json ?? false,
        });
      } catch (error) {
        if (error instanceof ArgumentError) return usageError(error.message);
        throw error;
      }
    }
    case 'inspect': {
      const format = values.format ?? 'stylish';
      if (format !== 'stylish' && format !== 'json') return usageError(`unknown format "${format}" (stylish, json)`);
      try {
        const maxFileSize = integer('--max-file-size', values['max-file-size'] ?? String(DEFAULT_MAX_FILE_SIZE / 1024), 1, 1 << 22) * 1024;
        return runInspect({ paths: rest, format, maxFileSize });
      } catch (error) {
        if (error instanceof ArgumentError) return usageError(error.message);
        throw error;
      }
    }
    case 'rules':
      return runRules(values.format ?? 'text');
    case 'rule':
      return runRule(rest[0], values.format ?? 'text');
    default:
      return usageError(`unknown command "${command}"`);
  }
}

class ArgumentError extends Error {}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) throw new ArgumentError(`${flag} must be an integer from ${min} to ${max} (got "${text}")`);
  return value;
}

function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new ArgumentError(`${flag} must be a positive number (got "${text}")`);
  return value;
}

export async function main(): Promise<void> {
  let result: CommandResult;
  try {
    result = await run(process.argv.slice(2), { color: process.stdout.isTTY === true && !process.env.NO_COLOR });
  } catch (error) {
    result = { stdout: '', stderr: `moe-lens: internal error: ${String((error as Error)?.message ?? error)}`, exitCode: 2 };
  }
  // Large JSON outputs must be flushed before the process exits.
  if (result.stdout) process.stdout.write(`${result.stdout}\n`);
  if (result.stderr) process.stderr.write(`${result.stderr}\n`);
  process.exitCode = result.exitCode;
}
