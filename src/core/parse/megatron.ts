/**
 * Megatron-LM: `--flag value` arguments in launch scripts, or the same names with underscores in YAML
 * (argparse names such as `num_experts`, or TransformerConfig names such as `num_moe_experts`).
 * Semantics: research §4.1–4.3 and shared/design/router-spec.md.
 */
import { isMap, isPair, isScalar, parseDocument, type Pair, type YAMLMap } from 'yaml';
import type { Dialect, Field, Literal, Normalize, Order, RouterSpec, SelectionBias, Site } from '../model/router-spec';
import type { SourceRange } from '../text/source';
import { LineIndex } from '../text/source';
import { familyFromHints } from './family';
import { shellWords } from './shell-words';

export interface MegatronAnalysis {
  readonly specs: RouterSpec[];
  readonly errors: { range: SourceRange; message: string }[];
}

/** Flags that take no value (store_true). */
const BOOLEAN_FLAGS = new Set([
  'moe_router_pre_softmax',
  'moe_router_enable_expert_bias',
  'add_bias_linear',
  'disable_bias_linear',
  'moe_grouped_gemm',
  'moe_router_fusion',
  'moe_pad_expert_input_to_capacity',
  'moe_router_force_load_balancing',
]);

const ALIASES: Readonly<Record<string, string>> = { num_moe_experts: 'num_experts' };
const MARKERS = ['num_experts', 'num_moe_experts', 'moe_router_topk'];

export function looksLikeMegatron(text: string): boolean {
  return /--num-experts|--moe-router-topk|num_moe_experts|moe_router_topk/.test(text);
}

export function analyzeMegatronArgs(text: string, file: string): MegatronAnalysis {
  const words = shellWords(text);
  const sites: Site[] = [];
  let lastFlagEnd = -1;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.text.startsWith('--') || word.text.length < 3) continue;
    const [rawName, inlineValue] = splitOnce(word.text.slice(2), '=');
    const key = rawName.replace(/-/g, '_');
    const keyRange = { start: word.start, end: word.start + 2 + rawName.length };
    lastFlagEnd = Math.max(lastFlagEnd, word.end);
    if (inlineValue !== undefined) {
      sites.push({ key, keyRange, valueRange: { start: keyRange.end + 1, end: word.end }, literal: word.dynamic ? { kind: 'expression', text: inlineValue } : scalarLiteral(inlineValue) });
      continue;
    }
    const next = words[i + 1];
    if (BOOLEAN_FLAGS.has(key) || !next || next.text.startsWith('--')) {
      sites.push({ key, keyRange, valueRange: keyRange, literal: { kind: 'bool', value: true } });
      continue;
    }
    sites.push({ key, keyRange, valueRange: { start: next.start, end: next.end }, literal: next.dynamic ? { kind: 'expression', text: next.text } : scalarLiteral(next.text) });
    lastFlagEnd = Math.max(lastFlagEnd, next.end);
    i++;
  }
  const normalised = sites.map((s) => (ALIASES[s.key] ? { ...s, key: ALIASES[s.key]! } : s));
  if (!normalised.some((s) => MARKERS.includes(s.key))) return { specs: [], errors: [] };
  const first = normalised.find((s) => MARKERS.includes(s.key))!;
  const spec = buildSpec('megatron-args', file, normalised, { start: 0, end: text.length }, first.keyRange, {
    offset: lastFlagEnd,
    prefix: ' ',
    suffix: '',
  });
  return { specs: [spec], errors: [] };
}

export function analyzeMegatronYaml(text: string, file: string): MegatronAnalysis {
  const errors: MegatronAnalysis['errors'] = [];
  let document;
  try {
    document = parseDocument(text, { keepSourceTokens: false, uniqueKeys: false, strict: false });
  } catch (error) {
    return { specs: [], errors: [{ range: { start: 0, end: 0 }, message: `YAML could not be read: ${String(error)}` }] };
  }
  for (const e of document.errors.slice(0, 5)) errors.push({ range: { start: e.pos[0], end: e.pos[1] }, message: `YAML syntax error: ${e.message.split('\n')[0]}` });
  const map = findRouterMap(document.contents, 0);
  if (!map) return { specs: [], errors };
  const sites: Site[] = [];
  for (const pair of map.items as Pair[]) {
    if (!isPair(pair) || !isScalar(pair.key) || !pair.key.range) continue;
    const key = String(pair.key.value);
    const keyRange = { start: pair.key.range[0], end: pair.key.range[1] };
    const value = pair.value;
    const valueRange = isScalar(value) && value.range ? { start: value.range[0], end: value.range[1] } : keyRange;
    const literal: Literal = isScalar(value) ? jsLiteral(value.value, text.slice(valueRange.start, valueRange.end)) : { kind: 'expression', text: String(value ?? '') };
    sites.push({ key: ALIASES[key] ?? key, keyRange, valueRange, literal });
  }
  const last = map.items[map.items.length - 1] as Pair | undefined;
  const lastEnd = last && isScalar(last.value) && last.value.range ? last.value.range[1] : map.range?.[1] ?? text.length;
  const firstKey = (map.items[0] as Pair | undefined)?.key;
  const indentColumn = isScalar(firstKey) && firstKey.range ? new LineIndex(text).positionAt(firstKey.range[0]).character : 0;
  const range = { start: map.range?.[0] ?? 0, end: map.range?.[1] ?? text.length };
  const anchor = sites.find((s) => MARKERS.includes(s.key))?.keyRange ?? range;
  return { specs: [buildSpec('megatron-yaml', file, sites, range, anchor, { offset: lastEnd, prefix: `\n${' '.repeat(indentColumn)}`, suffix: '' })], errors };
}

function findRouterMap(node: unknown, depth: number): YAMLMap | undefined {
  if (!isMap(node) || depth > 6) return undefined;
  const keys = node.items.map((p) => (isPair(p) && isScalar(p.key) ? String(p.key.value) : ''));
  if (keys.some((k) => MARKERS.includes(k))) return node;
  for (const pair of node.items) {
    const found = isPair(pair) ? findRouterMap(pair.value, depth + 1) : undefined;
    if (found) return found;
  }
  return undefined;
}

function buildSpec(dialect: Dialect, file: string, sites: Site[], range: SourceRange, anchorRange: SourceRange, insertion: RouterSpec['insertion']): RouterSpec {
  const find = (key: string): Site[] => sites.filter((s) => s.key === key);
  const last = (key: string): Site | undefined => find(key)[find(key).length - 1];
  const numberField = (key: string, fallback?: { value: number; label: string }): Field<number | undefined> => {
    const site = last(key);
    if (site) return { value: site.literal.kind === 'int' || site.literal.kind === 'float' ? site.literal.value : undefined, sites: find(key) };
    return fallback ? { value: fallback.value, sites: [], defaultFrom: { label: fallback.label } } : { value: undefined, sites: [] };
  };
  const flag = (key: string, fallback = false): { value: boolean; sites: Site[] } => {
    const site = last(key);
    return { value: site ? site.literal.kind === 'bool' ? site.literal.value : site.literal.kind === 'string' ? site.literal.value === 'true' : fallback : fallback, sites: find(key) };
  };

  const scoreSite = last('moe_router_score_function');
  const scoreFunc: Field<string> =
    scoreSite?.literal.kind === 'string'
      ? { value: scoreSite.literal.value, sites: find('moe_router_score_function') }
      : { value: 'softmax', sites: find('moe_router_score_function'), defaultFrom: { label: 'Megatron moe_router_score_function default' } };
  const preSoftmax = flag('moe_router_pre_softmax');
  const softmax = scoreFunc.value === 'softmax';
  const order: Order = softmax && !preSoftmax.value ? 'topk-then-score' : 'score-then-topk';
  const normalize: Normalize = softmax ? 'never' : 'when-k>1';
  const expertBias = flag('moe_router_enable_expert_bias');
  // Megatron ignores expert_bias on the softmax paths (research §4.2); MOE015 reports the conflict.
  const selection: SelectionBias = expertBias.value && !softmax ? 'learned' : 'none';
  const disableBias = flag('disable_bias_linear');
  const addBias = flag('add_bias_linear', true);
  const routerBias = { value: disableBias.value ? false : addBias.value, sites: disableBias.sites.length ? disableBias.sites : addBias.sites };
  const groupsCount = numberField('moe_router_num_groups');
  const groupsSelected = numberField('moe_router_group_topk');
  const scaleField = numberField('moe_router_topk_scaling_factor');
  const label = file.split(/[\\/]/).pop()!.replace(/\.(sh|bash|ya?ml)$/i, '');

  return {
    dialect,
    framework: 'megatron',
    name: label,
    range,
    anchorRange,
    experts: numberField('num_experts'),
    topK: numberField('moe_router_topk', { value: 2, label: 'Megatron moe_router_topk default' }),
    order: { value: order, sites: preSoftmax.sites, ...(preSoftmax.sites.length ? {} : { defaultFrom: { label: 'Megatron post-softmax default' } }) },
    scoreFunc,
    routerBias: { ...routerBias, ...(routerBias.sites.length ? {} : { defaultFrom: { label: 'Megatron add_bias_linear default (True)' } }) },
    selectionBias: { value: selection, sites: expertBias.sites },
    groups:
      groupsCount.value !== undefined || groupsSelected.value !== undefined
        ? { count: groupsCount, selected: groupsSelected, score: 'topk-over-groups-sum', mask: -Infinity }
        : undefined,
    normalize: { value: normalize, sites: [], defaultFrom: { label: softmax ? 'Megatron softmax paths' : 'Megatron renormalises sigmoid weights when k > 1' } },
    scale: { ...scaleField, value: scaleField.value ?? 1 },
    debugRoundRobin: { value: false, sites: [] },
    hidden: numberField('hidden_size'),
    layers: numberField('num_layers'),
    sites,
    identity: { family: familyFromHints([label, file]), flavor: label, fileLabel: label },
    insertion,
    keyNames: {
      experts: 'num_experts',
      topK: 'moe_router_topk',
      scoreFunc: 'moe_router_score_function',
      groupsCount: 'moe_router_num_groups',
      groupsSelected: 'moe_router_group_topk',
      scale: 'moe_router_topk_scaling_factor',
      selectionBias: 'moe_router_enable_expert_bias',
    },
  };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index === -1 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

function scalarLiteral(text: string): Literal {
  if (/^-?\d+$/.test(text)) return { kind: 'int', value: Number(text) };
  if (/^-?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)$/.test(text)) return { kind: 'float', value: Number(text) };
  if (text === 'true' || text === 'false') return { kind: 'bool', value: text === 'true' };
  if (text === 'None' || text === 'null') return { kind: 'none' };
  return { kind: 'string', value: text };
}

/** A YAML scalar's literal; the source text keeps `1.0` a float although YAML reads it as 1. */
function jsLiteral(value: unknown, source: string): Literal {
  if (value === null || value === undefined) return { kind: 'none' };
  if (typeof value === 'boolean') return { kind: 'bool', value };
  if (typeof value === 'number') return Number.isInteger(value) && !/[.eE]/.test(source) ? { kind: 'int', value } : { kind: 'float', value };
  if (typeof value === 'string') return { kind: 'string', value };
  return { kind: 'expression', text: String(value) };
}
