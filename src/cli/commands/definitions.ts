/**
 * The commands' definitions: options, usage and argument parsing, one block per command. The work itself lives
 * in each command's module (route's is a bundle of its own, loaded only when it runs).
 */
import { DEFAULT_MAX_FILE_SIZE } from '../../core/lint';
import { findRule } from '../../core/rules/index';
import type { SeveritySetting } from '../../core/rules/types';
import { ArgumentError, integer, oneOf, positiveNumber, text, type CliCommand } from '../command';
import { runInspect } from './inspect';
import { runLint } from './lint';
import { runRule, runRules } from './rules';

/** Set by the build: the route command ships as its own bundle, loaded only when used. */
declare const MOE_LENS_ROUTE_MODULE: string | undefined;
/** A variable, so that esbuild leaves the import to run time instead of bundling route into the engine. */
const ROUTE_SOURCE = './route';

const maxFileSize = (value: string | undefined): number => integer('--max-file-size', value ?? String(DEFAULT_MAX_FILE_SIZE / 1024), 1, 1 << 22) * 1024;

export const lintCommand: CliCommand = {
  name: 'lint',
  usage: `moe-lens lint [paths...] [--format stylish|json|sarif] [--fix] [--rule CODE=error|warning|info|off]...
              [--max-file-size KB]   (default 2048: larger files get one information note)
              [--details]            (stylish: each problem's detail under it: the framework's own message, the evidence)`,
  options: { format: { type: 'string', short: 'f' }, fix: { type: 'boolean' }, rule: { type: 'string', multiple: true }, 'max-file-size': { type: 'string' }, details: { type: 'boolean' } },
  run(values, positionals, env) {
    const format = oneOf('format', text(values, 'format'), ['stylish', 'json', 'sarif'] as const, 'stylish');
    const severities: Record<string, SeveritySetting> = {};
    for (const setting of (values.rule as string[] | undefined) ?? []) {
      const match = /^([^=]+)=(error|warning|info|off)$/.exec(setting);
      const rule = match ? findRule(match[1]!) : undefined;
      if (!match || !rule) throw new ArgumentError(`bad --rule "${setting}" (expected CODE=error|warning|info|off with a known code)`);
      if (rule.status === 'removed' && match[2] !== 'off') throw new ArgumentError(`--rule "${setting}": ${rule.code} (${rule.name}) was removed and no longer runs; \`moe-lens rule ${rule.code}\` says why`);
      severities[rule.code] = match[2] as SeveritySetting;
    }
    return runLint({ paths: positionals, format, fix: values.fix === true, severities, color: env.color, version: env.version, maxFileSize: maxFileSize(text(values, 'max-file-size')), details: values.details === true });
  },
};

export const routeCommand: CliCommand = {
  name: 'route',
  usage: `moe-lens route CONFIG [--model NAME] [--layer N | --all-layers] [--weights FILE|DIR] [--activations FILE]
               [--tokens T] [--hidden H] [--seed S] [--distribution isotropic|clustered] [--clusters N]
               [--capacity-factor C] [--ep N] [--balance STEPS [--batches B]] [--json]`,
  options: {
    model: { type: 'string' },
    layer: { type: 'string' },
    'all-layers': { type: 'boolean' },
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
    balance: { type: 'string' },
    batches: { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new ArgumentError('route takes exactly one CONFIG file');
    const balance = text(values, 'balance');
    if (balance !== undefined && values['all-layers'] === true) throw new ArgumentError('--balance simulates one layer; drop --all-layers');
    if (balance === undefined && text(values, 'batches') !== undefined) throw new ArgumentError('--batches is the number of token batches --balance cycles through; give --balance STEPS');
    const distribution = oneOf('--distribution', text(values, 'distribution'), ['isotropic', 'clustered'] as const, 'isotropic');
    const capacityFactor = text(values, 'capacity-factor') !== undefined ? positiveNumber('--capacity-factor', text(values, 'capacity-factor')!) : undefined;
    // Loaded on demand: lint and rule never pay for the ONNX builder and its protobuf runtime.
    // The bundle (CommonJS, run from V8's code cache by src/cli/launch.ts) requires its sibling file: a dynamic
    // import() does not survive the code cache on Node 20. Run from source (tests), the module is imported.
    const { DEFAULT_TOKENS, runRoute } = (
      typeof MOE_LENS_ROUTE_MODULE === 'string'
        ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
          require(MOE_LENS_ROUTE_MODULE)
        : await import(ROUTE_SOURCE)
    ) as typeof import('./route');
    const model = text(values, 'model');
    const weights = text(values, 'weights');
    const activations = text(values, 'activations');
    const hidden = text(values, 'hidden');
    const allLayers = values['all-layers'] === true;
    if (allLayers && text(values, 'layer') !== undefined) throw new ArgumentError('--all-layers routes every layer in the --activations file; drop --layer');
    if (allLayers && activations === undefined) throw new ArgumentError('--all-layers routes the layers captured in an --activations file; give one');
    return runRoute({
      config: positionals[0]!,
      ...(model !== undefined ? { model } : {}),
      layer: integer('--layer', text(values, 'layer') ?? '0', 0, 100_000),
      ...(weights !== undefined ? { weights } : {}),
      ...(activations !== undefined ? { activations } : {}),
      tokens: integer('--tokens', text(values, 'tokens') ?? String(DEFAULT_TOKENS), 1, 1 << 20),
      ...(hidden !== undefined ? { hidden: integer('--hidden', hidden, 1, 1 << 16) } : {}),
      seed: integer('--seed', text(values, 'seed') ?? '0', 0, 2 ** 32 - 1),
      distribution: distribution === 'clustered' ? { kind: 'clustered', clusters: integer('--clusters', text(values, 'clusters') ?? '8', 1, 4096) } : { kind: 'isotropic' },
      ...(capacityFactor !== undefined ? { capacityFactor } : {}),
      expertParallel: integer('--ep', text(values, 'ep') ?? '1', 1, 4096),
      json: values.json === true,
      ...(allLayers ? { allLayers } : {}),
      ...(balance !== undefined ? { balance: { steps: integer('--balance', balance, 1, 100_000), batches: integer('--batches', text(values, 'batches') ?? '4', 1, 64) } } : {}),
    });
  },
};

export const inspectCommand: CliCommand = {
  name: 'inspect',
  usage: 'moe-lens inspect [paths...] [--format stylish|json] [--max-file-size KB]   (what MoE Lens understood, with each value\'s provenance)',
  options: { format: { type: 'string', short: 'f' }, 'max-file-size': { type: 'string' } },
  run(values, positionals) {
    const format = oneOf('format', text(values, 'format'), ['stylish', 'json'] as const, 'stylish');
    return runInspect({ paths: positionals, format, maxFileSize: maxFileSize(text(values, 'max-file-size')) });
  },
};

export const rulesCommand: CliCommand = {
  name: 'rules',
  usage: 'moe-lens rules [--format text|json]',
  options: { format: { type: 'string', short: 'f' } },
  run(values, positionals) {
    if (positionals.length > 0) throw new ArgumentError('rules takes no arguments (`moe-lens rule CODE` shows one rule)');
    return runRules(oneOf('format', text(values, 'format'), ['text', 'json'] as const, 'text'));
  },
};

export const ruleCommand: CliCommand = {
  name: 'rule',
  usage: 'moe-lens rule CODE [--format text|json|markdown]',
  options: { format: { type: 'string', short: 'f' } },
  run(values, positionals) {
    if (positionals.length > 1) throw new ArgumentError('rule takes one CODE');
    return runRule(positionals[0], oneOf('format', text(values, 'format'), ['text', 'json', 'markdown'] as const, 'text'));
  },
};

export const COMMANDS: readonly CliCommand[] = [lintCommand, routeCommand, inspectCommand, rulesCommand, ruleCommand];
