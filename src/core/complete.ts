/**
 * Completions for routing keys and values, in each dialect MoE Lens reads: the key names that dialect takes
 * (with the framework's doc line), the values an enumerated key accepts, and for a config recognised as a
 * published model, its published value first. Plain data; the editor turns it into CompletionItems.
 */
import type { DocumentAnalysis } from './analyze';
import { fileFormat } from './model/file-format';
import { literalText } from './model/router-spec';
import { containsOffset, type SourceRange } from './text/source';
import { hfModelTypes, hfRoutingKeys, hfSpellingsOf, looksLikeMoeJson } from './parse/hf-json';
import { BOOLEAN_FLAGS, looksLikeMegatron, MEGATRON_ROUTING_FLAGS } from './parse/megatron';
import { FIELD_DOCS } from './references/field-docs';
import { recognizeModel } from './references/recognize';
import { TORCHTITAN_KNOWN_FIELDS, TORCHTITAN_MOE_DEFAULTS, TORCHTITAN_ROUTER_CALLEES } from './references/torchtitan';
import { flagOf } from './model/flag-name';
import { wordAt } from './text/word';

export interface CompletionEntry {
  readonly label: string;
  readonly kind: 'key' | 'value';
  /** The framework's doc line for a key; where a value comes from ("published gpt-oss-120b"). */
  readonly detail?: string;
  readonly insertText: string;
  /** Lower sorts first: published values, then the rest in the framework's order. */
  readonly sortText: string;
}

export interface Completions {
  readonly entries: CompletionEntry[];
  /** The word being typed, which a completion replaces. */
  readonly replace: SourceRange;
}

/** The values an enumerated key accepts, by spelling (sources: research §1–§4). */
const ENUMS: Readonly<Record<string, readonly string[]>> = {
  score_func: ['softmax', 'sigmoid'],
  scoring_func: ['softmax', 'sigmoid'],
  moe_router_score_function: ['softmax', 'sigmoid', 'sqrtsoftplus'],
  moe_router_load_balancing_type: ['aux_loss', 'seq_aux_loss', 'global_aux_loss', 'sinkhorn', 'quantile_balancing', 'none'],
};

const MEGATRON_KEYS: readonly string[] = MEGATRON_ROUTING_FLAGS;
const MEGATRON_YAML_KEYS = MEGATRON_KEYS.map((k) => (k === 'num_experts' ? 'num_moe_experts' : k));

/** The published value of a key, for a config recognised as a published model. */
function publishedValue(key: string, analysis: Pick<DocumentAnalysis, 'specs'>, offset: number): { value: string; model: string } | undefined {
  const spec = analysis.specs.find((s) => containsOffset(s.range, offset));
  const claim = spec ? recognizeModel(spec) : undefined;
  if (!spec || !claim) return undefined;
  const model = claim.model;
  const names = spec.keyNames;
  // The keys this config reads them from (a config.json's `"top_k": 50` is text generation's, not the router's).
  const readsAs = (field: { sites: readonly { key: string }[] }, name: string): boolean => key === name || field.sites.some((s) => s.key === key);
  const value =
    readsAs(spec.topK, names.topK)
      ? model.topK.value
      : readsAs(spec.experts, names.experts)
        ? model.experts.value
        : key === names.scoreFunc || ENUMS[key]?.includes('sigmoid')
          ? model.scoreFunc.value
          : undefined;
  return value === undefined ? undefined : { value: String(value), model: model.id };
}

function keyEntries(keys: readonly string[], insert: (key: string) => string): CompletionEntry[] {
  return keys.map((key, i) => ({ label: key, kind: 'key', ...(FIELD_DOCS[key] ? { detail: FIELD_DOCS[key] } : {}), insertText: insert(key), sortText: `1${String(i).padStart(3, '0')}` }));
}

function valueEntries(key: string, values: readonly string[], quote: (v: string) => string, published?: { value: string; model: string }): CompletionEntry[] {
  const out: CompletionEntry[] = [];
  if (published) out.push({ label: published.value, kind: 'value', detail: `published ${published.model}`, insertText: quote(published.value), sortText: '0' });
  values.forEach((v, i) => {
    if (v !== published?.value) out.push({ label: v, kind: 'value', ...(FIELD_DOCS[key] ? { detail: FIELD_DOCS[key] } : {}), insertText: quote(v), sortText: `1${String(i).padStart(3, '0')}` });
  });
  return out;
}

/** The innermost call whose `(` is still open at `offset`, within the last few thousand characters. */
function openCall(text: string, offset: number): { callee: string; open: number } | undefined {
  let depth = 0;
  for (let i = offset - 1, scanned = 0; i >= 0 && scanned < 20_000; i--, scanned++) {
    const ch = text[i];
    if (ch === ')' || ch === ']' || ch === '}') depth++;
    else if (ch === '(' || ch === '[' || ch === '{') {
      if (depth === 0) {
        if (ch !== '(') return undefined;
        const callee = /([A-Za-z_][\w.]*)\s*$/.exec(text.slice(Math.max(0, i - 200), i))?.[1];
        return callee ? { callee, open: i } : undefined;
      }
      depth--;
    }
  }
  return undefined;
}

/** The key of the YAML mapping a line indented by `indent` at `lineStart` is in: the nearest line above indented less. */
function parentKey(text: string, lineStart: number, indent: number): string | undefined {
  if (indent === 0) return undefined;
  let end = lineStart - 1;
  for (let guard = 0; end > 0 && guard < 5000; guard++) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const previous = text.slice(start, end);
    const key = /^(\s*)([\w.-]+)\s*:/.exec(previous);
    if (key && key[1]!.length < indent) return key[2];
    end = start - 1;
  }
  return undefined;
}

/** The keywords a call writes before `offset`, its own only (not those of a call nested in it). */
function keywordsOfCall(text: string, open: number, offset: number): Set<string> {
  const written = new Set<string>();
  let depth = 0;
  for (let i = open + 1; i < offset; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (depth === 0 && /[A-Za-z_]/.test(ch!) && !/[\w.]/.test(text[i - 1] ?? '')) {
      const keyword = /^([A-Za-z_]\w*)\s*=(?!=)/.exec(text.slice(i, i + 100));
      if (keyword) written.add(keyword[1]!);
    }
  }
  return written;
}

/** Where the argument being typed starts: after the call's `(` or its last top-level `,`. */
function lastArgumentStart(text: string, open: number, offset: number): number {
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < offset; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) start = i + 1;
  }
  return start;
}

function pythonCompletions(text: string, offset: number, analysis: Pick<DocumentAnalysis, 'specs'>): Completions | undefined {
  const call = openCall(text, offset);
  if (!call) return undefined;
  // The call itself is a router config: a known callee, or the callee a config MoE Lens read is anchored at
  // (a fork's `RouterConfig(`); not any call nested inside one (`top_k=max(1, …)`).
  const spec = analysis.specs.find((s) => s.framework === 'torchtitan' && s.anchorRange.end <= call.open && call.open - s.anchorRange.end < 3 && text.slice(s.anchorRange.start, s.anchorRange.end) === call.callee);
  if (!spec && !TORCHTITAN_ROUTER_CALLEES.has(call.callee)) return undefined;
  // The keywords this call's class takes: the workspace's class where MoE Lens read it (a fork's, or torchtitan's own
  // at the workspace's version) and the keys go into this very call, not a router nested in it (helper review Q: the
  // outer `MoE.Config(` was offered its router's keywords); else what torchtitan's class of that name takes, where
  // that is one list across versions (`MoE.Config` was flat in early 2026 and holds a `router` since): never another
  // class's fields (`TokenChoiceTopKRouter.Config` takes no `load_balance_coeff`).
  const insertion = spec?.insertion;
  const own = insertion && openCall(text, insertion.offset)?.open === call.open ? insertion.acceptedKeys : undefined;
  const keys = own ?? (call.callee === 'MoE.Config' ? [] : (TORCHTITAN_KNOWN_FIELDS[call.callee] ?? []));
  const before = text.slice(Math.max(call.open + 1, offset - 200), offset);
  // `score_func=` or `score_func="so|`: a value.
  const value = /([A-Za-z_]\w*)\s*=\s*(["']?)([\w.-]*)$/.exec(before);
  if (value) {
    const key = value[1]!;
    const quoted = value[2] !== '';
    const replace = wordAt(text, offset);
    const quote = (v: string): string => (quoted ? v : `"${v}"`);
    if (ENUMS[key]) return { entries: valueEntries(key, ENUMS[key]!, quote, publishedValue(key, analysis, offset)), replace };
    const published = publishedValue(key, analysis, offset);
    if (published) return { entries: valueEntries(key, [], (v) => v, published), replace };
    const builtin = TORCHTITAN_MOE_DEFAULTS[key];
    if (builtin?.kind === 'bool') return { entries: valueEntries(key, ['True', 'False'], (v) => v), replace };
    return undefined;
  }
  // At a keyword's place (after `(` or a `,` of this call): the keys not written yet.
  if (!/^\s*[A-Za-z_]*$/.test(text.slice(lastArgumentStart(text, call.open, offset), offset))) return undefined;
  if (keys.length === 0) return undefined;
  const written = keywordsOfCall(text, call.open, offset);
  return { entries: keyEntries(keys.filter((k) => !written.has(k)), (k) => `${k}=`), replace: wordAt(text, offset, /\w/) };
}

function jsonCompletions(text: string, offset: number, analysis: Pick<DocumentAnalysis, 'specs'>): Completions | undefined {
  const line = text.slice(text.lastIndexOf('\n', offset - 1) + 1, offset);
  const modelType = /"model_type"\s*:\s*"([^"]*)"/.exec(text)?.[1];
  const value = /"([\w.]+)"\s*:\s*("?)([\w.-]*)$/.exec(line);
  if (value) {
    const key = value[1]!;
    const quote = (v: string): string => (value[2] ? v : `"${v}"`);
    const replace = wordAt(text, offset);
    if (key === 'model_type') return { entries: valueEntries(key, hfModelTypes(), quote), replace };
    if (ENUMS[key]) return { entries: valueEntries(key, ENUMS[key]!, quote, publishedValue(key, analysis, offset)), replace };
    const published = publishedValue(key, analysis, offset);
    return published ? { entries: valueEntries(key, [], (v) => v, published), replace } : undefined;
  }
  // A key: `"` typed where a key goes (after `{` or `,`, on this line or the previous).
  const key = /(^|[{,])\s*"([\w.]*)$/.exec(line);
  if (!key) return undefined;
  const written = new Set([...text.matchAll(/"([\w.]+)"\s*:/g)].map((m) => m[1]!));
  // Not another spelling of a value the file writes (`num_experts` beside Mixtral's `num_local_experts`): a second,
  // conflicting count (MOE009).
  return { entries: keyEntries(hfRoutingKeys(modelType).filter((k) => !hfSpellingsOf(modelType, k).some((spelling) => written.has(spelling))), (k) => k), replace: wordAt(text, offset, /[\w.]/) };
}

function yamlCompletions(text: string, offset: number, analysis: Pick<DocumentAnalysis, 'specs'>): Completions | undefined {
  const line = text.slice(text.lastIndexOf('\n', offset - 1) + 1, offset);
  const value = /^\s*([\w-]+)\s*:\s*([\w.-]*)$/.exec(line);
  if (value) {
    const key = value[1]!.replace(/^--/, '').replace(/-/g, '_');
    const replace = wordAt(text, offset);
    if (ENUMS[key]) return { entries: valueEntries(key, ENUMS[key]!, (v) => v, publishedValue(key, analysis, offset)), replace };
    const published = publishedValue(key, analysis, offset);
    return published ? { entries: valueEntries(key, [], (v) => v, published), replace } : undefined;
  }
  // Megatron-LM's functional-test YAMLs spell flags as keys under `MODEL_ARGS:` (`--moe-router-topk: 2`): offered so
  // there, and nothing under their other sections (`ENV_VARS:`) or at the top (helper review Q).
  const parent = parentKey(text, offset - line.length, /^\s*/.exec(line)![0].length);
  if (/^MODEL_ARGS\s*:/m.test(text)) {
    if (parent !== 'MODEL_ARGS' || !/^\s*(--?[\w-]*)?$/.test(line)) return undefined;
    const flags = new Set([...text.matchAll(/^\s*--([\w-]+)\s*:/gm)].map((m) => m[1]!.replace(/-/g, '_')));
    const entries = keyEntries(MEGATRON_KEYS.filter((k) => !flags.has(k)), (k) => `${flagOf(k)}: `).map((e) => ({ ...e, label: flagOf(e.label) }));
    return { entries, replace: wordAt(text, offset, /[\w-]/) };
  }
  if (!/^\s*[\w]*$/.test(line)) return undefined;
  const written = new Set([...text.matchAll(/^\s*([\w]+)\s*:/gm)].map((m) => m[1]!));
  return { entries: keyEntries(MEGATRON_YAML_KEYS.filter((k) => !written.has(k)), (k) => `${k}: `), replace: wordAt(text, offset, /\w/) };
}

function shellCompletions(text: string, offset: number, analysis: Pick<DocumentAnalysis, 'specs'>): Completions | undefined {
  const before = text.slice(Math.max(0, offset - 200), offset);
  const value = /--([a-z][\w-]*)[ =]+([\w.-]*)$/.exec(before);
  if (value && !value[2]!.startsWith('-')) {
    const key = value[1]!.replace(/-/g, '_');
    const replace = wordAt(text, offset);
    if (ENUMS[key]) return { entries: valueEntries(key, ENUMS[key]!, (v) => v, publishedValue(key, analysis, offset)), replace };
    const published = publishedValue(key, analysis, offset);
    if (published) return { entries: valueEntries(key, [], (v) => v, published), replace };
  }
  const flag = /(^|\s)(--?[\w-]*)$/.exec(before);
  if (!flag) return undefined;
  const written = new Set([...text.matchAll(/--([a-z][\w-]*)/g)].map((m) => m[1]!.replace(/-/g, '_')));
  const entries = keyEntries(MEGATRON_KEYS.filter((k) => !written.has(k)), (k) => (BOOLEAN_FLAGS.has(k) ? flagOf(k) : `${flagOf(k)} `)).map((e) => ({ ...e, label: flagOf(e.label) }));
  return { entries, replace: wordAt(text, offset, /[\w-]/) };
}

export function completionsAt(file: string, text: string, offset: number, analysis: Pick<DocumentAnalysis, 'specs'>): Completions | undefined {
  // Outside Python's router calls, only in files that are MoE configs already: a package.json, a CI workflow
  // or a build script gets no routing keys offered.
  const isMoeConfig = analysis.specs.length > 0;
  switch (fileFormat(file)) {
    case 'python':
      return pythonCompletions(text, offset, analysis);
    case 'json':
      return isMoeConfig || looksLikeMoeJson(text) || /(^|\/)config\.json$/.test(file) ? jsonCompletions(text, offset, analysis) : undefined;
    case 'yaml':
      return isMoeConfig || looksLikeMegatron(text) ? yamlCompletions(text, offset, analysis) : undefined;
    case 'shell':
      return isMoeConfig || looksLikeMegatron(text) ? shellCompletions(text, offset, analysis) : undefined;
    default:
      return undefined;
  }
}

export interface SignatureData {
  /** `MoEArgs(num_experts=8, top_k=1, …)` with torchtitan's defaults. */
  readonly label: string;
  readonly parameters: { readonly label: [number, number]; readonly documentation?: string }[];
  readonly active: number;
}

/** Signature help inside a torchtitan router call: its keywords with defaults and doc lines, the one being typed active. */
export function signatureAt(file: string, text: string, offset: number): SignatureData | undefined {
  if (fileFormat(file) !== 'python') return undefined;
  const call = openCall(text, offset);
  if (!call || !TORCHTITAN_ROUTER_CALLEES.has(call.callee)) return undefined;
  // The keywords of torchtitan's class of that name (as completions offer them); `MoE.Config`'s differ by version.
  const keys = TORCHTITAN_KNOWN_FIELDS[call.callee];
  if (!keys || call.callee === 'MoE.Config') return undefined;
  const parameters: SignatureData['parameters'] = [];
  let label = `${call.callee}(`;
  for (const key of keys) {
    if (parameters.length > 0) label += ', ';
    const start = label.length;
    label += `${key}=${literalText(TORCHTITAN_MOE_DEFAULTS[key]!)}`;
    parameters.push({ label: [start, label.length], ...(FIELD_DOCS[key] ? { documentation: FIELD_DOCS[key] } : {}) });
  }
  label += ')';
  const typing = /([A-Za-z_]\w*)\s*=?[^,()]*$/.exec(text.slice(lastArgumentStart(text, call.open, offset), offset))?.[1];
  return { label, parameters, active: Math.max(0, typing ? keys.indexOf(typing) : -1) };
}
