/** What the preview panel is given for a config: its router and the strategies to compare it with. */
import { isKnown, provenanceOf, type RouterSpec } from './model/router-spec';
import type { PreviewRouter, PreviewSubject } from './protocol';
import { recognizeModel } from './references/recognize';
import { biasUpdateFor } from './router/balancing';
import { routerConfigFromSpec, type RouterConfig } from './router/router-config';

/** More experts than any published model has (DeepSeek-V3: 256; the largest seen: 512): a hostile value. */
export const MAX_PREVIEW_EXPERTS = 16_384;

export function previewSubject(spec: RouterSpec, file: string, line: number, others: readonly RouterSpec[]): PreviewSubject | { error: string } {
  // Never preview a guess: the expert count and top-k must have been read (issue #9).
  for (const [field, label] of [[spec.experts, 'expert count'], [spec.topK, 'top-k']] as const) {
    if (!isKnown(field)) return { error: `"${spec.name}" cannot be routed: its ${label} is ${provenanceOf(field)}${field.unknown ? ` (${field.unknown})` : field.defaultFrom ? ` (${field.defaultFrom.label})` : ''}; set it in the config.` };
  }
  if ((spec.experts.value ?? 0) > MAX_PREVIEW_EXPERTS) return { error: `"${spec.name}" cannot be routed: ${spec.experts.value} experts is above the ${MAX_PREVIEW_EXPERTS} the preview runs.` };
  const resolved = routerConfigFromSpec(spec);
  if ('error' in resolved) return { error: `"${spec.name}" cannot be routed: ${resolved.error}.` };
  const config = resolved.config;
  const learned = spec.selectionBias.value === 'learned' && config.selectionBias;
  const update = config.selectionBias && !config.roundRobin ? biasUpdateFor(spec) : undefined;
  const balancing = update && 'rule' in update ? update.rule : undefined;
  const comparisons: PreviewRouter[] = [];
  // Top-k-before-score has no group scores to rank groups by, so flipping is only offered without groups.
  if (!config.groups && !config.roundRobin) {
    const flipped = config.order === 'score-then-topk' ? 'topk-then-score' : 'score-then-topk';
    comparisons.push({
      id: 'flip-order',
      label: flipped === 'topk-then-score' ? 'top-k before score (flipped)' : 'score before top-k (flipped)',
      config: relabel({ ...config, order: flipped }, `order flipped to ${flipped}`),
    });
  }
  comparisons.push({
    id: 'selection-bias',
    label: config.selectionBias ? 'selection bias off' : 'selection bias on',
    config: relabel({ ...config, selectionBias: !config.selectionBias }, config.selectionBias ? 'selection bias off' : 'selection bias on'),
  });
  const published = publishedRouter(spec, config);
  if (published) comparisons.push(published);
  for (const other of others) {
    if (other === spec || other.experts.value !== config.experts) continue;
    const result = routerConfigFromSpec(other);
    if ('config' in result) comparisons.push({ id: `config:${other.name}`, label: `config "${other.name}"`, config: result.config });
  }
  return {
    name: spec.name,
    file,
    line,
    router: { id: 'config', label: `config "${spec.name}"`, config: learned ? relabel(config, 'learned bias at its initial zero') : config },
    ...(spec.hidden.value !== undefined ? { hidden: spec.hidden.value } : {}),
    comparisons,
    ...(spec.tokenIdLayers ? { tokenIdLayers: spec.tokenIdLayers } : {}),
    ...(learned ? { learnedSelectionBias: true } : {}),
    ...(balancing ? { balancing } : {}),
  };
}

/** How each framework ranks expert groups, where a published router has groups and this config has none. */
const GROUP_SCORE: Partial<Record<RouterSpec['framework'], NonNullable<RouterConfig['groups']>['score']>> = {
  torchtitan: 'top2-sum',
  'hf:deepseek_v3': 'top2-sum',
  megatron: 'topk-over-groups-sum',
};

/**
 * The router with the values the published model has (what MOE001 would write), in this config's framework:
 * what a user wants to see after MOE001. Only for a recognised model, and only where it differs.
 */
function publishedRouter(spec: RouterSpec, config: RouterConfig): PreviewRouter | undefined {
  const model = recognizeModel(spec)?.model;
  if (!model) return undefined;
  let groups: RouterConfig['groups'];
  if (model.groups) {
    const score = config.groups?.score ?? GROUP_SCORE[spec.framework];
    if (!score) return undefined; // how this framework would rank the groups is not known: not guessed
    groups = { count: model.groups.count.value, selected: model.groups.selected.value, score };
  }
  if (!SCORE_FUNCTIONS.has(model.scoreFunc.value)) return undefined;
  const { groups: _groups, ...withoutGroups } = config;
  const next: RouterConfig = {
    ...withoutGroups,
    experts: model.experts.value,
    topK: model.topK.value,
    scoreFunc: model.scoreFunc.value as RouterConfig['scoreFunc'],
    selectionBias: model.selectionBias.value,
    normalize: model.renormalized?.value ?? config.normalize,
    routerBias: model.gateBias?.value ?? config.routerBias,
    scale: model.scale?.value ?? config.scale,
    ...(groups ? { groups } : {}),
  };
  // The scale changes the weights, not which experts are chosen: alone, it would show the same bars.
  const same = (['experts', 'topK', 'scoreFunc', 'selectionBias', 'normalize', 'routerBias'] as const).every((k) => next[k] === config[k]) && JSON.stringify(next.groups) === JSON.stringify(config.groups);
  if (same) return undefined;
  const changes = [
    next.topK !== config.topK ? `top-${next.topK}` : '',
    next.experts !== config.experts ? `${next.experts} experts` : '',
    next.scoreFunc !== config.scoreFunc ? next.scoreFunc : '',
    JSON.stringify(next.groups) !== JSON.stringify(config.groups) ? (next.groups ? `${next.groups.count} groups, ${next.groups.selected} kept` : 'no groups') : '',
    next.normalize !== config.normalize ? (next.normalize ? 'renormalised' : 'not renormalised') : '',
    next.routerBias !== config.routerBias ? (next.routerBias ? 'gate bias' : 'no gate bias') : '',
    next.selectionBias !== config.selectionBias ? (next.selectionBias ? 'selection bias' : 'no selection bias') : '',
    next.scale !== config.scale ? `× ${next.scale}` : '',
  ].filter(Boolean);
  return { id: 'published', label: `published ${model.id}`, config: relabel(next, `published ${model.id}: ${changes.join(', ')}`) };
}

const SCORE_FUNCTIONS = new Set(['softmax', 'sigmoid', 'sqrtsoftplus']);

function relabel(config: RouterConfig, change: string): RouterConfig {
  return { ...config, semantics: `${config.semantics} · ${change}` };
}

export interface RouteCommandOptions {
  /** The words that run the CLI (`cliInvocation`); `npx moe-lens` in a checkout where it is installed. */
  readonly cli?: string;
  readonly file: string;
  readonly model: string;
  readonly tokens: number;
  readonly hidden: number;
  readonly seed: number;
  readonly distribution: 'isotropic' | 'clustered';
  readonly clusters: number;
  readonly capacityFactor?: number;
  readonly expertParallel: number;
  /** A checkpoint the panel loaded, and the layer it shows: `--weights PATH --layer N`. */
  readonly weights?: string;
  readonly layer?: number;
}

/** A word every shell (bash, dash, zsh, fish, PowerShell, cmd.exe) reads as itself, unquoted. */
const SHELL_SAFE = /^[\w./@:+-]+$/;

/** Stand-ins for a path or name that no one quoting is safe for in every shell. */
export const CONFIG_PLACEHOLDER = '<CONFIG>';
export const CLI_PLACEHOLDER = '<path to moe-lens cli.js>';
export const MODEL_PLACEHOLDER = '<MODEL>';
export const WEIGHTS_PLACEHOLDER = '<WEIGHTS>';

/**
 * The `moe-lens route` command that reproduces a panel run. A file path or config name that would need
 * quoting is left out (a placeholder stands in): each shell quotes differently, and a quote that is safe in
 * bash runs a command in fish or PowerShell (issue #14: a flavor key `fish\'; touch pwned; #`).
 */
export function routeCommand(options: RouteCommandOptions): string {
  const word = (s: string, placeholder: string): string => (SHELL_SAFE.test(s) ? s : placeholder);
  const parts = [options.cli ?? 'npx moe-lens', 'route', word(options.file, CONFIG_PLACEHOLDER), '--model', word(options.model, MODEL_PLACEHOLDER), '--tokens', String(options.tokens), '--hidden', String(options.hidden), '--seed', String(options.seed)];
  if (options.distribution === 'clustered') parts.push('--distribution', 'clustered', '--clusters', String(options.clusters));
  if (options.capacityFactor !== undefined) parts.push('--capacity-factor', String(options.capacityFactor));
  if (options.expertParallel > 1) parts.push('--ep', String(options.expertParallel));
  if (options.weights !== undefined) parts.push('--weights', word(options.weights, WEIGHTS_PLACEHOLDER), ...(options.layer !== undefined ? ['--layer', String(options.layer)] : []));
  parts.push('--json');
  return parts.join(' ');
}

/**
 * How to run the CLI the extension ships (dist/cli.js in the VSIX; `route` runs there on onnxruntime-web's
 * WebAssembly when onnxruntime-node is not installed): `node <path>`, the path with forward slashes (Node takes
 * them on Windows too), or a placeholder where the path would need quoting in some shell.
 */
export function cliInvocation(scriptPath: string): string {
  const path = scriptPath.replace(/\\/g, '/');
  return `node ${SHELL_SAFE.test(path) ? path : CLI_PLACEHOLDER}`;
}
