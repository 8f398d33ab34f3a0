/** What the preview panel is given for a config: its router and the strategies to compare it with. */
import { isKnown, provenanceOf, type RouterSpec } from './model/router-spec';
import type { PreviewRouter, PreviewSubject } from './protocol';
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
    ...(learned ? { learnedSelectionBias: true } : {}),
  };
}

function relabel(config: RouterConfig, change: string): RouterConfig {
  return { ...config, semantics: `${config.semantics} · ${change}` };
}

export interface RouteCommandOptions {
  readonly file: string;
  readonly model: string;
  readonly tokens: number;
  readonly hidden: number;
  readonly seed: number;
  readonly distribution: 'isotropic' | 'clustered';
  readonly clusters: number;
  readonly capacityFactor?: number;
  readonly expertParallel: number;
}

/** A word every shell (bash, dash, zsh, fish, PowerShell, cmd.exe) reads as itself, unquoted. */
const SHELL_SAFE = /^[\w./@:+-]+$/;

/** Stand-ins for a path or name that no one quoting is safe for in every shell. */
export const CONFIG_PLACEHOLDER = '<CONFIG>';
export const MODEL_PLACEHOLDER = '<MODEL>';

/**
 * The `moe-lens route` command that reproduces a panel run. A file path or config name that would need
 * quoting is left out (a placeholder stands in): each shell quotes differently, and a quote that is safe in
 * bash runs a command in fish or PowerShell (issue #14: a flavor key `fish\'; touch pwned; #`).
 */
export function routeCommand(options: RouteCommandOptions): string {
  const word = (s: string, placeholder: string): string => (SHELL_SAFE.test(s) ? s : placeholder);
  const parts = ['npx', 'moe-lens', 'route', word(options.file, CONFIG_PLACEHOLDER), '--model', word(options.model, MODEL_PLACEHOLDER), '--tokens', String(options.tokens), '--hidden', String(options.hidden), '--seed', String(options.seed)];
  if (options.distribution === 'clustered') parts.push('--distribution', 'clustered', '--clusters', String(options.clusters));
  if (options.capacityFactor !== undefined) parts.push('--capacity-factor', String(options.capacityFactor));
  if (options.expertParallel > 1) parts.push('--ep', String(options.expertParallel));
  parts.push('--json');
  return parts.join(' ');
}
