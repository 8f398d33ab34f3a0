/**
 * Megatron-LM: `--flag value` arguments in launch scripts, or the same names with underscores in YAML
 * (argparse names such as `num_experts`, or TransformerConfig names such as `num_moe_experts`).
 * Semantics: research §4.1–4.3 and shared/design/router-spec.md.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Pair, type YAMLMap } from 'yaml';
import { fixedBy, literalText, mapRouterFields, unknownBecause, unknownUnlessWritten, withLaunch, type Dialect, type Field, type LaunchScope, type Literal, type Normalize, type Order, type PinnedMegatron, type RouterSpec, type SelectionBias, type Site, type UnknownKey } from '../model/router-spec';
import { nearMissKeys } from '../model/near-miss';
import type { SourceRange } from '../text/source';
import { LineIndex } from '../text/source';
import { familyFromHints } from '../model/family';
import { shellWords, type ShellWord } from './shell-words';
import { casePatterns, commandListOf, conditionals, decideConditionals, exitsIn, plainAssignments, type KnownValue, type ShellConditional, type VariableTest } from './shell-conditions';
import { MEGATRON_FLAGS } from '../references/megatron-flags';
import type { FrameworkLaunchScope } from '../references/megatron-launch-checks/check';
import { onlyNear } from '../text/edit-distance';
import { baseName, fileAbove, normalizePath } from '../text/paths';
import { flagOf } from '../model/flag-name';

export interface MegatronAnalysis {
  readonly specs: RouterSpec[];
  readonly errors: { range: SourceRange; message: string }[];
}

/** Flags that take no value (store_true). */
export const BOOLEAN_FLAGS: ReadonlySet<string> = new Set([
  'moe_router_pre_softmax',
  'moe_router_enable_expert_bias',
  'add_bias_linear',
  'disable_bias_linear',
  'moe_grouped_gemm',
  'moe_router_fusion',
  'moe_pad_expert_input_to_capacity',
  'moe_router_force_load_balancing',
]);

/**
 * Flags that take several words (`nargs='+'`: TransformerConfig's list fields through ArgumentGroupFactory,
 * megatron/training/argument_utils.py l.146, and arguments.py's own), read into a site's `items`.
 */
export const LIST_FLAGS: ReadonlySet<string> = new Set([
  'recompute_modules',
  'offload_modules',
  'cuda_graph_modules',
  'cuda_graph_scope',
  'gtp_remat_opt_in_modules',
  'moe_router_load_balancing_type',
  'moe_aux_loss_coeff',
  'cp_comm_type',
]);

/** A Megatron-LM entry point: a script that runs one parses every flag with Megatron's own defaults. */
export const ENTRY_POINT = /(^|\/)pretrain_[a-z0-9_]+\.py$/;
/**
 * Megatron-LM's own entry points (its top folder @d98e8a6: pretrain_gpt.py, pretrain_hybrid.py, pretrain_mamba.py,
 * pretrain_vlm.py; earlier also bert, t5, retro, ict and vision_*): they parse exactly Megatron's arguments.
 */
const MEGATRON_LM_ENTRY_POINT = /(^|\/)pretrain_(gpt|hybrid|mamba|vlm|bert|t5|retro|ict|vision_[a-z]+)\.py$/;

/**
 * Other spellings of the same settings: TransformerConfig's `num_moe_experts`, and MegaBlocks' flags
 * (`--moe-num-experts`, `--moe-top-k`, as OLMoE's Megatron scripts pass them).
 */
/** Other spellings of Megatron's dests that MoE Lens files a site under (its `key`): TransformerConfig's field, MegaBlocks'. */
export const MEGATRON_KEY_ALIASES: Readonly<Record<string, string>> = { num_moe_experts: 'num_experts', moe_num_experts: 'num_experts', moe_top_k: 'moe_router_topk' };
const ALIASES = MEGATRON_KEY_ALIASES;
const MEGABLOCKS_KEYS = new Set(['moe_num_experts', 'moe_top_k']);
const MARKERS = ['num_experts', 'num_moe_experts', 'moe_router_topk', 'moe_num_experts'];

export function looksLikeMegatron(text: string): boolean {
  return /--num-experts|--moe-router-topk|num_moe_experts|moe_router_topk|--moe-num-experts|moe_num_experts/.test(text);
}

/** `NAME=value` in a launch script (not a flag's `--name=value`). */
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/;
/** A whole word that is one variable: `$N`, `${N}`, `${N:-default}` (also `:=`). */
const REFERENCE = /^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-=]([^}]*))?\})$/;
const MAX_EXPANDED = 4;

/** A script word, with the variable whose value it is part of (`MODEL_ARGS=( ... )` or `MODEL_ARGS="..."`). */
interface ScriptWord extends ShellWord {
  readonly group?: string;
}

/** The offset of the `)` closing an array that opens at `open`, skipping quotes, comments and `$(( … ))` inside. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    else if (ch === ')') return i;
    else if (ch === '"' || ch === "'") {
      const close = text.indexOf(ch, i + 1);
      if (close === -1) return text.length;
      i = close;
    } else if (ch === '#' && /\s/.test(text[i - 1] ?? ' ')) {
      const newline = text.indexOf('\n', i);
      if (newline === -1) return text.length;
      i = newline;
    }
  }
  return text.length;
}

/**
 * The words of a launch script with the flags of a variable brought out and tagged with it: a quoted string
 * (`MODEL_ARGS="--num-experts 128 ..."`, the usual idiom) or a bash array (`MOE_ARGS=( --num-experts 128 )`),
 * each word at its own offset in the file.
 */
export function scriptWords(text: string, start = 0, end = text.length, depth = 0, group?: string): ScriptWord[] {
  const words = shellWords(text.slice(start, end)).map((w) => ({ ...w, start: w.start + start, end: w.end + start, ...(group ? { group } : {}) }));
  if (depth >= MAX_EXPANDED) return words;
  const out: ScriptWord[] = [];
  let heads: number[] | undefined;
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    const raw = text.slice(word.start, word.end);
    const assignment = ASSIGNMENT.exec(word.text);
    if (assignment && assignment[0] === word.text && text[word.end] === '(') {
      const close = closingParen(text, word.end);
      out.push(word);
      out.push(...scriptWords(text, word.end + 1, close, depth + 1, assignment[1]));
      while (index + 1 < words.length && words[index + 1]!.start < close) index++;
      continue;
    }
    const quote = raw.search(/["']/);
    // What `echo` or `printf` prints is text (a usage line's `--num-experts NUM`), not flags of a launch; unless the
    // output goes on to run (`echo "…" | sbatch`, `echo "…" > job.sh`), where it is read as before.
    if (assignment === null && quote >= 0 && ARGUMENT_PRINTERS.has(words[(heads ??= commandHeads(text, words))[index]!]!.text) && !outputRuns(text, word.end)) {
      out.push(word);
      continue;
    }
    // `ARGS=--moe-router-enable-expert-bias` (quoted or not) holds one flag: read as the variable's, like several.
    const oneFlag = assignment !== null && /^--[a-z]/.test(word.text.slice(assignment[0].length));
    if ((quote >= 0 && /(^|\s)--[a-z]/.test(word.text) && /\s/.test(word.text)) || oneFlag || (assignment !== null && quote >= 0 && runsEntryPoint(text, word.text, assignment[1]!))) {
      const open = quote >= 0 ? word.start + quote : word.start + assignment![0].length - 1;
      const close = quote >= 0 ? closingQuote(text, open, word.end) : word.end;
      if (assignment) out.push({ text: assignment[0], start: word.start, end: word.start + assignment[0].length, dynamic: false });
      out.push(...scriptWords(text, open + 1, close === -1 ? word.end : close, depth + 1, assignment?.[1] ?? group));
      continue;
    }
    out.push(word);
  }
  return out;
}

/** Commands that print their arguments (a here-document's printers are shell-words.ts's HEREDOC_PRINTERS). */
const ARGUMENT_PRINTERS: ReadonlySet<string> = new Set(['echo', 'printf']);

/**
 * Whether what a command prints from `from` on is piped (`| sbatch`, `| bash`, `| tee job.sh`) or written to a file
 * (`> job.sh`, `>> run.sh`), read up to the end of its line: output that may run. A redirect to another descriptor
 * (`1>&2`, aicb's usage text) is still text shown to the user.
 */
function outputRuns(text: string, from: number): boolean {
  const newline = text.indexOf('\n', from);
  const rest = text.slice(from, newline < 0 ? text.length : newline).split(/;|&&|\|\|/)[0]!;
  return /(^|[^|])\|(?!\|)/.test(rest) || />>?\s*(?!&)[^\s&]/.test(rest.replace(/\d?>&\d/g, ''));
}

/** For each word, the index of the first word of its simple command (a `;`, `|`, `&` or newline ends one). */
function commandHeads(text: string, words: readonly ShellWord[]): number[] {
  const heads: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const ends = i === 0 || /[;|&]|(^|[^\\])\r?\n/.test(text.slice(words[i - 1]!.end, words[i]!.start));
    heads.push(ends ? i : heads[i - 1]!);
  }
  return heads;
}

/**
 * Where the string opened at `open` ends: the word's last character where it is the same quote, so that quoting
 * concatenated inside it stays in it (Pai-Megatron-Patch forks' `moe_options=" … --moe-layer-freq "'([1]*1)'" \
 * --moe-router-pre-softmax "` is one word in bash: the flags after the `"'…'"` are the launch's too); else the
 * next such quote.
 */
function closingQuote(text: string, open: number, wordEnd: number): number {
  const quote = text[open]!;
  return wordEnd - 1 > open && text[wordEnd - 1] === quote ? wordEnd - 1 : text.indexOf(quote, open + 1);
}

/**
 * A command kept in a string and run by `eval` (Pai-Megatron-Patch's `run_cmd="torchrun $DISTRIBUTED_ARGS
 * pretrain_deepseek.py ${moe_options} …"` then `eval ${run_cmd}`): its words are the launch, read as if written out.
 * A string that names an entry point but is never run (only echoed) is not.
 */
function runsEntryPoint(text: string, value: string, name: string): boolean {
  if (!value.split(/\s+/).some((w) => ENTRY_POINT.test(w))) return false;
  const expansion = String.raw`"?\$(?:\{${name}\}|${name}(?![A-Za-z0-9_]))"?`;
  if (new RegExp(String.raw`(^|[\s;&|(])eval\s+${expansion}(\s|$|[;&|)])`, 'm').test(text)) return true;
  // Unquoted alone at the start of a command, bash splits it into words and runs them (MooreThreads/MT-MegatronLM
  // @e53585c examples/deepseek-v3/deepseek-v3-lite/run_pretrain_deepseekv3_musa.sh l.206-221: `cmd="torchrun …"`, `$cmd`).
  const bare = String.raw`\$(?:\{${name}\}|${name}(?![A-Za-z0-9_]))`;
  return new RegExp(String.raw`(^|[;&|]|&&|\|\|)[ \t]*${bare}([ \t]|$|[;&|)])`, 'm').test(text);
}

interface Variable {
  readonly literal: Literal;
  readonly valueRange: SourceRange;
  /** Set when branches of an `if`/`case` assign it different values: which one runs depends on the environment. */
  readonly ambiguous?: string;
}

/** Script variables: the last assignment of a literal before each use (a `$3` override in an `if` is not one). */
function resolveReference(word: ShellWord, variables: ReadonlyMap<string, Variable>): { literal: Literal; valueRange: SourceRange; via: SourceRange; unknown?: string } | undefined {
  const arithmetic = ARITHMETIC.exec(word.text);
  if (arithmetic) {
    // slime's `--num-layers $((N_DENSE_LAYERS + N_MOE_LAYERS))`: the script's own integers, or unknown.
    const value = evaluateArithmetic(arithmetic[1]!, variables);
    if (value === undefined) return undefined;
    const range = { start: word.start, end: word.end };
    return typeof value === 'number' ? { literal: { kind: 'int', value }, valueRange: range, via: range } : { literal: { kind: 'expression', text: word.text }, valueRange: range, via: range, unknown: value.ambiguous };
  }
  const match = REFERENCE.exec(word.text);
  if (!match) return undefined;
  const name = match[1] ?? match[2]!;
  const assigned = variables.get(name);
  if (assigned?.ambiguous) return { literal: { kind: 'expression', text: word.text }, valueRange: { start: word.start, end: word.end }, via: { start: word.start, end: word.end }, unknown: assigned.ambiguous };
  if (assigned) return { ...assigned, via: { start: word.start, end: word.end } };
  const fallback = match[3];
  if (fallback === undefined || fallback === '' || fallback.includes('$')) return undefined;
  const at = word.start + word.text.length - 1 - fallback.length; // `${N:-8}`: the default sits before `}`
  return { literal: scalarLiteral(fallback), valueRange: { start: at, end: at + fallback.length }, via: { start: word.start, end: word.end } };
}

const ARITHMETIC = /^\$\(\(([^()]*(?:\([^()]*\)[^()]*)*)\)\)$/;
const ARITHMETIC_TOKEN = /\s*(\d+|\$?\{?[A-Za-z_][A-Za-z0-9_]*\}?|[-+*/%()])/y;

/**
 * A shell arithmetic expansion's integer value (`+ - * / %`, parentheses, decimal literals, the script's variables
 * with integer values; `/` truncates, as in bash), `{ ambiguous }` when a variable has several values, else undefined.
 */
function evaluateArithmetic(expression: string, variables: ReadonlyMap<string, Variable>): number | { ambiguous: string } | undefined {
  const tokens: string[] = [];
  ARITHMETIC_TOKEN.lastIndex = 0;
  let at = 0;
  for (let match = ARITHMETIC_TOKEN.exec(expression); match; match = ARITHMETIC_TOKEN.exec(expression)) {
    tokens.push(match[1]!);
    at = ARITHMETIC_TOKEN.lastIndex;
  }
  if (expression.slice(at).trim() !== '' || tokens.length === 0 || tokens.length > 64) return undefined;
  let next = 0;
  let ambiguous: string | undefined;
  const operand = (): number | undefined => {
    const token = tokens[next++];
    if (token === undefined) return undefined;
    if (token === '-' || token === '+') {
      const value = operand();
      return value === undefined ? undefined : token === '-' ? -value : value;
    }
    if (token === '(') {
      const value = sum();
      return tokens[next++] === ')' ? value : undefined;
    }
    if (/^\d+$/.test(token)) return Number(token);
    const name = /^\$?\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(token)?.[1];
    const variable = name === undefined ? undefined : variables.get(name);
    if (variable?.ambiguous) ambiguous ??= variable.ambiguous;
    return variable?.literal.kind === 'int' ? variable.literal.value : undefined;
  };
  const product = (): number | undefined => {
    let value = operand();
    while (value !== undefined && ['*', '/', '%'].includes(tokens[next] ?? '')) {
      const op = tokens[next++];
      const right = operand();
      if (right === undefined || (op !== '*' && right === 0)) return undefined;
      value = op === '*' ? value * right : op === '/' ? Math.trunc(value / right) : value % right;
    }
    return value;
  };
  const sum = (): number | undefined => {
    let value = product();
    while (value !== undefined && (tokens[next] === '+' || tokens[next] === '-')) {
      const op = tokens[next++];
      const right = product();
      value = right === undefined ? undefined : op === '+' ? value + right : value - right;
    }
    return value;
  };
  const value = sum();
  if (ambiguous !== undefined) return { ambiguous };
  return value !== undefined && next === tokens.length && Number.isSafeInteger(value) ? value : undefined;
}

/** `readModule`: a workspace Python file's text, for the Megatron checkout a config sits in (checkoutRouter). */
export function analyzeMegatronArgs(text: string, file: string, readModule?: RelatedText): MegatronAnalysis {
  const variants = scriptVariants(scriptWords(text), text, new Map(), 0, { words: MAX_VARIANT_WORDS });
  const specs = variants.flatMap((variant) =>
    specsOfWords(variant.words, variant.statements, text, file).map((spec) =>
      variant.anchor === undefined
        ? spec
        : {
            ...spec,
            name: `${spec.name} ${variant.label}`,
            anchorRange: variant.anchor,
            identity: { ...spec.identity, flavor: variant.label, fileLabel: `${spec.identity.fileLabel ?? spec.name} ${variant.label}` },
          },
    ),
  );
  const checkout = readModule && checkoutRouter(file, readModule);
  const provided = specs.map((spec) => withCustomProvider(spec, file, readModule));
  return { specs: checkout ? provided.map((spec) => withCheckoutRouter(spec, checkout)) : provided, errors: [] };
}

/**
 * The router of the Megatron checkout a config sits in, where it is not the one MoE Lens reads at d98e8a6: its
 * `megatron/core/transformer/moe/router.py` (found in a folder above the config) without a bias, as Megatron-LM's was
 * before a329dd6 (2025-09-22, router.py l.54-59: ROCm's fork of October 2024), or no MoE router at all but core 0.4's
 * SwitchMLP (`megatron/core/transformer/switch_mlp.py`: Zyphra's fork @fa8b646). Undefined where neither is found,
 * or the router reads `add_bias_linear`.
 */
export interface CheckoutRouter {
  readonly path: string;
  readonly kind: 'no-bias' | 'switch-mlp';
}

export function checkoutRouter(file: string, readModule: RelatedText): CheckoutRouter | undefined {
  const router = fileAbove(file, 'megatron/core/transformer/moe/router.py', readModule, MAX_CHECKOUT_DEPTH);
  if (router) return /\bclass\s+TopKRouter\b/.test(router.text) && !router.text.includes('add_bias_linear') ? { path: router.path, kind: 'no-bias' } : undefined;
  const switchMlp = fileAbove(file, 'megatron/core/transformer/switch_mlp.py', readModule, MAX_CHECKOUT_DEPTH);
  return switchMlp && /\bclass\s+SwitchMLP\b/.test(switchMlp.text) ? { path: switchMlp.path, kind: 'switch-mlp' } : undefined;
}

export function withCheckoutRouter(spec: RouterSpec, checkout: CheckoutRouter): RouterSpec {
  const path = checkout.path.slice(checkout.path.lastIndexOf('/megatron/') + 1);
  if (checkout.kind === 'no-bias') return withoutRouterBias(spec, `this checkout's Megatron router (${path}) has no bias`);
  return switchMlpRouter(spec, `this checkout's Megatron (${path}) has no MoE router but core 0.4's SwitchMLP`);
}

/**
 * Megatron-LM core 0.4 and before routed MoE layers with SwitchMLP (core_v0.4.0 megatron/core/transformer/
 * switch_mlp.py l.17-107): `--routing-mode` sinkhorn (the default: one expert from Sinkhorn-balanced logits, weighed
 * by a sigmoid), top1 or top2; no `--moe-router-topk`, no score function. MoE Lens does not model it.
 */
function switchMlpRouter(spec: RouterSpec, which: string): RouterSpec {
  if (spec.framework !== 'megatron') return spec;
  const why = `${which}: it routes by \`--routing-mode\` (sinkhorn, one expert weighed by a sigmoid, by default; core_v0.4.0 switch_mlp.py l.17-107), which MoE Lens does not model`;
  return unmodelledRouter(spec, why, unknownGroups(why), ['topK', 'routerBias']);
}

/**
 * The Megatron-LM a launch puts on its Python path, where the folder names its date: Pai-Megatron-Patch keeps
 * Megatron-LM snapshots as `backends/megatron/Megatron-LM-YYMMDD` (and `PAI-Megatron-LM-YYMMDD`) and each example
 * script sets `MEGATRON_PATH=${MEGATRON_PATCH_PATH}/…/Megatron-LM-240126`, then `PYTHONPATH=${MEGATRON_PATH}:…`
 * (examples/llama2/run_pretrain_mcore_llama.sh l.5-6 @04bd3a6: Megatron-LM @3709708a, 2024-01-25). The first such
 * assignment to a variable named for Megatron or to PYTHONPATH decides.
 */
export function pinnedMegatron(text: string): PinnedMegatron | undefined {
  const match = /^[ \t]*(?:export[ \t]+)?(\w*MEGATRON\w*|PYTHONPATH)=\S*?\bMegatron-LM-(\d{2})(\d{2})(\d{2})(?![\w.])/im.exec(text);
  if (!match) return undefined;
  const [, , year, month, day] = match;
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > 31) return undefined;
  const line = text.slice(0, match.index).split('\n').length;
  return { date: `20${year}-${month}-${day}`, where: `${match[0].trim()} (line ${line})` };
}

/** Folders above a config where its Megatron checkout is looked for (a test case sits five deep). */
const MAX_CHECKOUT_DEPTH = 8;

/** When Megatron-LM's router got a bias under `add_bias_linear` (router.py l.54-59). */
const ROUTER_BIAS_SINCE = { commit: 'a329dd6', date: '2025-09-22' };

/** `subject`: which older Megatron runs the config, saying its router has no bias. */
function withoutRouterBias(spec: RouterSpec, subject: string): RouterSpec {
  if (spec.routerBias.value !== true && spec.routerBias.unknown === undefined) return spec;
  return noRouterBias(spec, `${subject}: \`add_bias_linear\` reaches the router only since Megatron-LM ${ROUTER_BIAS_SINCE.commit} (${ROUTER_BIAS_SINCE.date})`);
}

/** A Megatron config's router without a bias, fixed by the code that runs it (`label` says which and where). */
function noRouterBias(spec: RouterSpec, label: string): RouterSpec {
  if (spec.framework !== 'megatron') return spec;
  return { ...spec, routerBias: fixedBy(false, label) };
}

/** One way the script can run: its words with the `if`s it decides taken out, named by the choices made. */
interface Variant {
  readonly words: ScriptWord[];
  /** `conditionals(words, text)`: the statements MoE Lens could not decide. */
  readonly statements: readonly ShellConditional[];
  /** `MODEL_SIZE=A37B`, or `MOE=true MODEL_SIZE=A2.7B` for a choice inside a choice; empty for the script as written. */
  readonly label: string;
  /** The innermost branch chosen. */
  readonly anchor?: SourceRange;
}

/** Choices inside choices (`if [ $MOE = true ]` around `if [ $MODEL_SIZE = A2.7B ]`) are followed this deep. */
const MAX_SELECTOR_DEPTH = 2;

/**
 * The ways the script runs that give different routers. Variables set once outside any `if` (`MODE=train`, or
 * `NUM_EXPERTS=60` inside the branch a variant takes) decide the `if`s after them, and `chosen` the variables of
 * the branches taken. Then the first statement whose branches choose the router (`if [ $MODEL_SIZE = 671B ]; …
 * elif …`, `case`) gives one variant per branch: its words as if it were the one that ran, the other branches left
 * out, every later test of the same variable decided the same way (`if [ $MODEL = DeepSeek-V2 ]; then
 * moe_options+=…`).
 */
function scriptVariants(written: readonly ScriptWord[], text: string, chosen: ReadonlyMap<string, KnownValue>, depth: number, budget: { words: number }): Variant[] {
  const statements = conditionals(written, text);
  const words = decideConditionals(written, statements, new Map([...plainAssignments(written, statements), ...chosen]));
  // Read again only where a decision took words out (their indexes moved).
  const left = words.length === written.length ? statements : conditionals(words, text);
  const selector = depth < MAX_SELECTOR_DEPTH ? routingSelector(words, left, text) : undefined;
  // Each branch re-reads the script: bounded, so that a 2 MB script of flags is read once, not 16 times.
  if (!selector || words.length * selector.branches.length > budget.words) return [{ words, statements: left, label: '' }];
  budget.words -= words.length * selector.branches.length;
  const values = selector.branches.flatMap((branch) => (branch.value === undefined ? [] : [branch.value]));
  // `if [ $USE_BIAS = true ]; then … fi` alone: the script also runs without it, a variant of its own (which may
  // hold no router: `moe_options` set only in the branch).
  const lone = selector.branches.length === 1 ? selector.branches[0]! : undefined;
  const branches = lone ? [lone, { anchor: lone.anchor, bodyStart: lone.bodyEnd, bodyEnd: lone.bodyEnd }] : selector.branches;
  return branches.flatMap((branch) => {
    // A branch that stops the script (`echo "unknown model"; exit 1`) launches nothing.
    if (exitsIn(words, text, branch.bodyStart, branch.bodyEnd)) return [];
    const next = new Map(chosen);
    // `<other>` of a second chain on the same variable is none of either chain's values.
    const before = chosen.get(selector.variable);
    const excluded = before && 'noneOf' in before ? [...before.noneOf, ...values] : values;
    next.set(selector.variable, branch.value === undefined ? { noneOf: excluded } : { value: branch.value });
    const taken = [...words.slice(0, selector.start), ...words.slice(branch.bodyStart, branch.bodyEnd), ...words.slice(selector.end)];
    const label = `${selector.variable}=${branch.value ?? '<other>'}${branch.value !== undefined && branch.value === selector.fallback ? ' (default)' : ''}`;
    return scriptVariants(taken, text, next, depth + 1, budget).map((inner) => ({
      words: inner.words,
      statements: inner.statements,
      label: inner.label ? `${label} ${inner.label}` : label,
      anchor: inner.anchor ?? branch.anchor,
    }));
  });
}

/** A branch of a chain that tests one variable: `if [ $V = a ]` / `elif [ "$V" == b ]` / `else`, or a `case` arm. */
interface SelectorBranch {
  /** The value the branch is taken for; undefined for `else` and `*)`. */
  readonly value?: string;
  readonly anchor: SourceRange;
  /** Word indexes of the branch's body, end exclusive. */
  readonly bodyStart: number;
  readonly bodyEnd: number;
}

interface Selector {
  readonly variable: string;
  /** The value the script gives the variable when the environment does not (`V=${V:-16B}`). */
  readonly fallback?: string;
  readonly branches: SelectorBranch[];
  /** Word indexes of the whole chain, `if` to `fi` (or `case` to `esac`), end exclusive. */
  readonly start: number;
  readonly end: number;
}

const MAX_SELECTOR_BRANCHES = 16;
/** Words read over all branches of a selector (a launch script has hundreds to a few thousand words). */
const MAX_VARIANT_WORDS = 400_000;
const ROUTING_FLAG = /^--(num-experts|moe-router-|moe-num-experts|moe-top-k|num-moe-experts)/;

/**
 * The `if`/`elif` chains over one variable in a script (`if [ $MODEL_SIZE = 16B ] … elif [ $MODEL_SIZE = 64B ]`),
 * and the `case $MODEL_SIZE in 16B) … esac` statements, outermost first: one inside an accepted one is not a selector.
 */
function selectorChains(words: readonly ScriptWord[], statements: readonly ShellConditional[]): Omit<Selector, 'fallback'>[] {
  const found: Omit<Selector, 'fallback'>[] = [];
  for (const statement of statements) {
    const tests = statement.branches.map((b) => b.test).filter((t) => t !== undefined);
    const first = tests[0];
    if (first === undefined || first === 'opaque' || first.order || statement.branches.length > MAX_SELECTOR_BRANCHES) continue;
    if (!tests.every((t) => t !== 'opaque' && !t.negated && !t.order && t.variable === first.variable)) continue;
    const branches = statement.branches.map((branch) => {
      const test = branch.test as VariableTest | undefined;
      // `if [ … ]`, `else`, or a `case` arm's pattern.
      return { ...(test ? { value: test.value } : {}), anchor: { start: words[branch.keyword]!.start, end: words[branch.conditionEnd]!.end }, bodyStart: branch.bodyStart, bodyEnd: branch.bodyEnd };
    });
    found.push({ variable: first.variable, branches, start: statement.start, end: statement.end });
  }
  const outermost: Omit<Selector, 'fallback'>[] = [];
  // Sorted by start, chains are nested or disjoint: one inside the last outer chain kept is nested in it.
  for (const chain of found) if (chain.start >= (outermost[outermost.length - 1]?.end ?? 0)) outermost.push(chain);
  return outermost;
}

/**
 * The chain whose branches choose the router (they set a routing flag, or a variable a routing flag reads):
 * the first such chain only, so that a script of several choices stays a handful of configs.
 */
function routingSelector(words: readonly ScriptWord[], statements: readonly ShellConditional[], text: string): Selector | undefined {
  const readByRouting = new Set<string>();
  for (let i = 0; i + 1 < words.length; i++) {
    if (!ROUTING_FLAG.test(words[i]!.text)) continue;
    const value = words[i]!.text.includes('=') ? words[i]!.text.slice(words[i]!.text.indexOf('=') + 1) : words[i + 1]!.text;
    for (const match of value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) readByRouting.add(match[1]!);
  }
  for (const chain of selectorChains(words, statements)) {
    const decides = chain.branches.some((branch) =>
      words.slice(branch.bodyStart, branch.bodyEnd).some((w) => ROUTING_FLAG.test(w.text) || readByRouting.has(ASSIGNMENT.exec(w.text)?.[1] ?? '')),
    );
    if (!decides) continue;
    // `V=${V:-16B}`, or `V=${1:-16B}` (the script's first argument, else 16B).
    const fallbackPattern = new RegExp(`^${chain.variable}=\\$\\{(?:${chain.variable}|[0-9]+):?-([^}$]*)\\}$`);
    const fallback = words.slice(0, chain.start).reverse().map((w) => fallbackPattern.exec(text.slice(w.start, w.end).replace(/["']/g, ''))?.[1]).find((v) => v !== undefined);
    return { ...chain, ...(fallback ? { fallback } : {}) };
  }
  return undefined;
}

/** The configs of a script's words; `statements` are `conditionals(words, text)`. */
function specsOfWords(words: readonly ScriptWord[], statements: readonly ShellConditional[], text: string, file: string): RouterSpec[] {
  const variables = new Map<string, Variable>();
  const lines = new LineIndex(text);
  const sites: (Site & { group?: string })[] = [];
  // `--num-experts) NUM_EXPERTS=$2;;` in a script's argument loop: a pattern the script matches, not a flag it passes.
  const patterns = casePatterns(statements);
  // `[ -f bias ] && ARGS+=…`: the command list each word is in, where it is in one (undecided, as those left are).
  const listOf = commandListOf(words.length, statements);
  // The `if`/`case` statements around the word being read (their word indexes), innermost last. Those left in the
  // words are ones MoE Lens cannot decide (decideConditionals took out the others).
  const enclosing: number[] = [];
  const descriptions = new Map<number, string>();
  /** "inside `if [ $X = 1 ]` (line 12), which depends on how the script runs": the test from word `from` to `to`. */
  const dependsOn = (place: 'inside' | 'after', from: number, to: number): string => {
    const test = text.slice(words[from]!.start, words[to]!.end).replace(/\s+/g, ' ');
    return `${place} \`${test.length > 80 ? `${test.slice(0, 77)}...` : test}\` (line ${lines.positionAt(words[from]!.start).line + 1}), which depends on how the script runs`;
  };
  /** Where word `i` sits (see dependsOn), or undefined outside any `if`, `case` or `[ … ] &&`. */
  const branchOf = (i: number): string | undefined => {
    const list = statements[listOf[i]!];
    if (list) return dependsOn('after', list.start, list.branches[0]!.conditionEnd);
    const at = enclosing[enclosing.length - 1];
    if (at === undefined) return undefined;
    let description = descriptions.get(at);
    if (description === undefined) {
      // The test, up to `then` (or `in`), looked for in the next few words: a hostile script's unclosed `if`s
      // must not each scan the rest of it.
      let close = at + 1;
      while (close < Math.min(words.length, at + 32) && words[close]!.text !== 'then' && words[close]!.text !== 'in') close++;
      const closed = close > at + 1 && close < words.length && (words[close]!.text === 'then' || words[close]!.text === 'in');
      description = dependsOn('inside', at, closed ? close - 1 : at);
      descriptions.set(at, description);
    }
    return description;
  };
  /** A site in an undecided branch: the value as written, but whether the launch passes it is not known. */
  const conditional = (site: Site, flag: string, at: number): Site => {
    const where = branchOf(at);
    if (where === undefined) return site;
    return { ...site, literal: { kind: 'expression', text: text.slice(site.valueRange.start, site.valueRange.end) }, unknown: `\`--${flag}\` is passed only ${where}` };
  };
  const valueSite = (key: string, keyRange: SourceRange, word: ShellWord, valueText: string, valueStart: number): Site => {
    const reference = word.dynamic ? resolveReference({ ...word, text: valueText, start: valueStart }, variables) : undefined;
    if (reference) return { key, keyRange, valueRange: reference.valueRange, literal: reference.literal, via: [{ file, range: reference.via }], ...(reference.unknown ? { unknown: reference.unknown } : {}) };
    return { key, keyRange, valueRange: { start: valueStart, end: word.end }, literal: word.dynamic ? { kind: 'expression', text: valueText } : scalarLiteral(valueText) };
  };
  // Two launches written out in one script (a sweep, two shell functions) are two configs: each process parses its
  // own flags. Their flags are grouped by command, as a variable's are by variable.
  const commandOf = launchCommands(text, words);
  const groupOf = (i: number): string | undefined => words[i]!.group ?? commandOf.get(i);
  let lastFlagEnd = -1;
  const consumed = new Set<number>();
  const assigned = new Set<string>();
  /** Each flag's word index, by the offset of its key. */
  const flagWords = new Map<number, number>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.text === 'if' || word.text === 'case') enclosing.push(i);
    else if ((word.text === 'fi' || word.text === 'esac') && enclosing.length > 0) enclosing.pop();
    const assignment = ASSIGNMENT.exec(word.text);
    const appended = /^([A-Za-z_][A-Za-z0-9_]*)\+=/.exec(word.text);
    if (appended) assigned.add(appended[1]!);
    if (assignment && !word.text.startsWith('--')) {
      assigned.add(assignment[1]!);
      const value = word.text.slice(assignment[0].length);
      const valueStart = word.start + assignment[0].length;
      if (!word.dynamic && value !== '' && !/\s/.test(value)) {
        const name = assignment[1]!;
        const literal = scalarLiteral(value);
        const previous = variables.get(name);
        const differs = previous !== undefined && (previous.ambiguous !== undefined || JSON.stringify(previous.literal) !== JSON.stringify(literal));
        const line = (range: SourceRange): number => lines.positionAt(range.start).line + 1;
        const where = branchOf(i);
        // A value set in a branch MoE Lens cannot decide, and another value (or none) elsewhere, depends on how the
        // script runs: not one value.
        const ambiguous =
          where === undefined
            ? undefined
            : differs
              ? `${name} is set to different values in the script's branches (lines ${line(previous.valueRange)} and ${line({ start: valueStart, end: word.end })})`
              : previous === undefined
                ? `${name} is set only ${where}`
                : previous.ambiguous;
        variables.set(name, { literal, valueRange: { start: valueStart, end: word.end }, ...(ambiguous ? { ambiguous } : {}) });
      }
      continue;
    }
    if (!word.text.startsWith('--') || word.text.length < 3 || patterns.has(i)) continue;
    const [rawName, inlineValue] = splitOnce(word.text.slice(2), '=');
    const key = rawName.replace(/-/g, '_');
    const keyRange = { start: word.start, end: word.start + 2 + rawName.length };
    flagWords.set(word.start, i);
    lastFlagEnd = Math.max(lastFlagEnd, word.end);
    if (inlineValue !== undefined) {
      sites.push({ ...conditional(valueSite(key, keyRange, word, inlineValue, keyRange.end + 1), rawName, i), ...(groupOf(i) ? { group: groupOf(i) } : {}) });
      continue;
    }
    const next = words[i + 1];
    // A switch: known to take no value, or followed by another flag, another assignment or another command
    // (`--overlap-grad-reduce` closing one array must not take the next array's `DATA_ARGS=` as its value).
    if (BOOLEAN_FLAGS.has(key) || !next || next.text.startsWith('--') || ASSIGNMENT.test(next.text) || !(sameCommand(text, word, next) || (word.group !== undefined && word.group === next.group))) {
      sites.push({ ...conditional({ key, keyRange, valueRange: keyRange, literal: { kind: 'bool', value: true } }, rawName, i), ...(groupOf(i) ? { group: groupOf(i) } : {}) });
      continue;
    }
    const site = valueSite(key, keyRange, next, next.text, next.start);
    consumed.add(i + 1);
    let last = i + 1;
    if (LIST_FLAGS.has(key)) while (last + 1 < words.length && continuesList(text, words[last]!, words[last + 1]!)) consumed.add(++last);
    const items = last > i + 1 ? { items: words.slice(i + 1, last + 1).map((w) => w.text), valueRange: { start: next.start, end: words[last]!.end } } : {};
    sites.push({ ...conditional({ ...site, ...items }, rawName, i), ...(groupOf(i) ? { group: groupOf(i) } : {}) });
    lastFlagEnd = Math.max(lastFlagEnd, words[last]!.end);
    i = last;
  }
  const entry = entryPoint(words, variables);
  const launch = launchScope(text, words, entry, consumed, assigned);
  const isLaunchFlag = entryPointFlagTest(text, words, entry, flagWords);
  // A fork's own program (Pai-Megatron-Patch's pretrain_qwen.py, Yuan's pretrain_yuan.py) adds arguments of its own
  // through `pretrain(…, extra_args_provider=…)`: Pai's `--patch-size` is one edit from Megatron's `--batch-size`.
  const isMegatronFlag = entry && MEGATRON_LM_ENTRY_POINT.test(entry.program) ? isLaunchFlag : () => false;
  const megablocks = sites.some((s) => MEGABLOCKS_KEYS.has(s.key));
  // Which code runs the script: Microsoft's Megatron-DeepSpeed (its MoE layer is DeepSpeed's, with its own flags,
  // `--topk`, and defaults, top-1), MindSpeed on Ascend NPUs, or MegaBlocks' fork of Megatron-LM (its own
  // defaults); else Megatron-LM.
  const ascend = ASCEND.exec(text)?.[0];
  const deepspeedSite = sites.find((s) => DEEPSPEED_KEYS.has(s.key));
  const deepspeed = deepspeedSite ? deepspeedWhy(deepspeedSite.key) : undefined;
  const fastmoe = sites.some((s) => s.key === 'fmoefy');
  const pinned = pinnedMegatron(text);
  const framework: FrameworkLaunchScope = deepspeed
    ? { complete: false, why: `passes ${deepspeed}`, framework: 'megatron-deepspeed' }
    : ascend
    ? { complete: false, why: `runs on Ascend NPUs (\`${ascend}\`), where Megatron-LM runs through MindSpeed, which patches its arguments and checks at the Megatron version it pins`, framework: 'mindspeed' }
    : megablocks && launch.complete
      ? { complete: false, why: "passes MegaBlocks' flags, so it runs MegaBlocks' fork of Megatron-LM, with that fork's defaults" }
      : launch;
  const scope: FrameworkLaunchScope = pinned ? { ...framework, pinned } : framework;
  const normalised = sites.map((s) => (ALIASES[s.key] ? { ...s, key: ALIASES[s.key]! } : s));
  const groups = [...new Set(normalised.filter((s) => s.group && MARKERS.includes(s.key)).map((s) => s.group!))];
  const sets = configSets(groups, normalised, launchedVariables(text, words, commandOf));
  const specs = sets
    .filter((set) => set.sites.some((s) => MARKERS.includes(s.key)) && !isDense(set.sites) && !(entry === undefined && analysisCommand(text, words, set.sites, flagWords)))
    .map((set) => {
      const first = set.sites.find((s) => MARKERS.includes(s.key))!;
      const own = set.group ? set.sites.filter((s) => s.group !== undefined && set.markers.includes(s.group)) : set.sites;
      const last = own[own.length - 1]!;
      const spec = buildSpec('megatron-args', file, set.sites, { start: 0, end: text.length }, first.keyRange, {
        offset: set.group ? Math.max(last.valueRange.end, last.keyRange.end) : lastFlagEnd,
        prefix: ' ',
        suffix: '',
      }, megablocks);
      // MindSpeed and Megatron-DeepSpeed define flags of their own: only a near miss of a router flag is reported.
      const unknownKeys = flagNearMisses(set.sites, deepspeed || ascend || fastmoe ? () => false : isMegatronFlag);
      // Megatron-LM's defaults are not Megatron-DeepSpeed's: what the script does not write is unknown there.
      const fork = deepspeed || ascend || fastmoe || megablocks ? [] : forkRouterFlags(set.sites, isLaunchFlag, unknownKeys);
      const routed = deepspeed ? withoutDefaults(spec, `the script passes ${deepspeed}`) : ascend ? mindSpeedRouting(spec, set.sites) : fastmoe ? fastMoeRouting(spec, set.sites) : megablocks ? megaBlocksForkRouter(spec) : fork.length > 0 ? forkRouter(spec, fork) : spec;
      const read = pinned && pinned.date < ROUTER_BIAS_SINCE.date ? withoutRouterBias(routed, `the Megatron-LM this script runs (${pinned.where}) is from ${pinned.date}: its router has no bias`) : routed;
      const named = withLaunch(set.group ? { ...read, name: `${read.name} ${set.group}` } : read, scope);
      return unknownKeys.length > 0 ? { ...named, unknownKeys } : named;
    });
  return specs;
}

/**
 * Several variables that each hold a router's flags are several configs (`MODEL_ARGS` and `MODEL_ARGS_SMALL`, each
 * run by a launch of its own); flags outside any variable belong to each of them. Variables one launch passes
 * together are one config with every variable that launch passes (Ascend/MindSpeed @028de58 tests_extend/
 * system_tests/gpt/pretrain_gpt_megatron_moe_8k.sh l.114-126: `pretrain_gpt.py $GPT_ARGS $MOE_ARGS_1 …`, the bias
 * switched off in GPT_ARGS): read per variable, each config lost the flags of the variables beside it.
 */
function configSets(groups: readonly string[], sites: (Site & { group?: string })[], launches: readonly ReadonlySet<string>[]): { group?: string; markers: readonly string[]; sites: (Site & { group?: string })[] }[] {
  if (groups.length < 2) return [{ markers: groups, sites }];
  const passed = launches.map((names) => ({ names, markers: groups.filter((g) => names.has(g)) })).filter((l) => l.markers.length > 0);
  // Only where every variable with router flags is passed by a launch the script runs.
  if (!groups.every((g) => passed.some((l) => l.markers.includes(g)))) return groups.map((group) => ({ group, markers: [group], sites: sites.filter((s) => s.group === group || !s.group) }));
  const byMarkers = new Map(passed.map((l) => [l.markers.join(' '), l]));
  if (byMarkers.size === 1) {
    const [only] = byMarkers.values();
    return [{ markers: only!.markers, sites: sites.filter((s) => !s.group || only!.names.has(s.group)) }];
  }
  return [...byMarkers].map(([group, l]) => ({ group, markers: l.markers, sites: sites.filter((s) => !s.group || l.names.has(s.group)) }));
}

const PYTHON_PROGRAM = /\.py$/;

/**
 * Whether a script that runs no Megatron-LM entry point passes its router flags only to a Python program of its
 * own, beside flags Megatron-LM does not define, and sets no expert count: an analysis script that reuses a flag's
 * name in its own argparse, not a launch (cmu-flame/FLAME-MoE @e9b2fe2 scripts/empirical_analysis/
 * router_saturation-290m.sh l.29: `python3 scripts/empirical_analysis/modules/router_saturation_step2.py
 * --moe-router-topk $moe_router_topk --actives-pattern … --results-path …`).
 */
function analysisCommand(text: string, words: readonly ScriptWord[], sites: readonly Site[], flagWords: ReadonlyMap<number, number>): boolean {
  if (sites.some((s) => s.key !== 'moe_router_topk' && MARKERS.includes(s.key))) return false;
  return sites
    .filter((s) => MARKERS.includes(s.key))
    .every((site) => {
      const index = flagWords.get(site.keyRange.start);
      if (index === undefined || words[index]!.group !== undefined) return false;
      const { start, end } = commandAround(text, words, index);
      const command = words.slice(start, end);
      const program = words.slice(start, index).some((w) => !w.dynamic && PYTHON_PROGRAM.test(w.text) && !ENTRY_POINT.test(w.text));
      const foreign = command.some((w) => w.text.startsWith('--') && w.text.length > 2 && !MEGATRON_FLAG_SET.has(w.text.slice(2).split('=')[0]!.replace(/-/g, '_')));
      return program && foreign;
    });
}

/**
 * The words of each command that runs a Megatron entry point with router flags written in it, by the command's label
 * (`line 3`), where a script has two or more such commands; empty otherwise (one launch: its flags are one config).
 */
function launchCommands(text: string, words: readonly ScriptWord[]): Map<number, string> {
  const commands: { start: number; end: number; label: string }[] = [];
  const lines = new LineIndex(text);
  for (let index = 0; index < words.length; index++) {
    if (words[index]!.group !== undefined || !ENTRY_POINT.test(words[index]!.text)) continue;
    const { start, end } = commandAround(text, words, index);
    const router = words.slice(start, end).some((w) => w.group === undefined && w.text.startsWith('--') && MARKERS.includes(w.text.slice(2).split('=')[0]!.replace(/-/g, '_')));
    if (router && !commands.some((c) => c.start === start)) commands.push({ start, end, label: `line ${lines.positionAt(words[start]!.start).line + 1}` });
    index = end - 1;
  }
  const byWord = new Map<number, string>();
  if (commands.length < 2) return byWord;
  for (const command of commands) for (let i = command.start; i < command.end; i++) if (words[i]!.group === undefined) byWord.set(i, command.label);
  return byWord;
}

/**
 * For each command that runs a Megatron entry point, the variables it expands (`$GPT_ARGS`, `${MOE_ARGS[@]}`), and
 * the label of its own flags where launchCommands grouped them.
 */
function launchedVariables(text: string, words: readonly ScriptWord[], commandOf: ReadonlyMap<number, string>): Set<string>[] {
  const launches: Set<string>[] = [];
  for (let index = 0; index < words.length; index++) {
    if (!ENTRY_POINT.test(words[index]!.text)) continue;
    const { start, end } = commandAround(text, words, index);
    const names = new Set<string>();
    const own = commandOf.get(index);
    if (own !== undefined) names.add(own);
    for (let i = start; i < end; i++) {
      const name = words[i]!.dynamic ? EXPANSION.exec(words[i]!.text)?.[1] : undefined;
      if (name !== undefined) names.add(name);
    }
    launches.push(names);
    index = end - 1;
  }
  return launches;
}

/** The next word is one more value of a list flag: not a flag, and in the same command. */
function continuesList(text: string, word: ScriptWord, next: ScriptWord): boolean {
  if (next.text.startsWith('-') || ENTRY_POINT.test(next.text) || ASSIGNMENT.test(next.text)) return false;
  return sameCommand(text, word, next);
}

function sameCommand(text: string, word: ScriptWord, next: ScriptWord): boolean {
  const gap = text.slice(word.end, next.start);
  if (/[;|&<>]/.test(gap)) return false;
  // A newline ends the command unless it is escaped, or both words are inside one array or quoted string.
  return !/(^|[^\\])\r?\n/.test(gap) || (word.group !== undefined && word.group === next.group);
}

const EXPANSION = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)/;

/** The words of the command the word at `index` is in: from `start` to `end` (exclusive). */
function commandAround(text: string, words: readonly ScriptWord[], index: number): { start: number; end: number } {
  let start = index;
  while (start > 0 && sameCommand(text, words[start - 1]!, words[start]!)) start--;
  let end = index + 1;
  while (end < words.length && sameCommand(text, words[end - 1]!, words[end]!)) end++;
  return { start, end };
}

interface EntryPoint {
  /** The word that runs it. */
  readonly index: number;
  /** Its path as the launch runs it. */
  readonly program: string;
}

/**
 * The word that runs a `pretrain_*.py`: written out, or a variable the script sets to one and nothing else
 * (Megatron-LM's examples/gptoss/02_train.sh: `PRETRAIN_SCRIPT_PATH="pretrain_gpt.py"`, then
 * `python -m torch.distributed.run … ${PRETRAIN_SCRIPT_PATH}`).
 */
function entryPoint(words: readonly ScriptWord[], variables: ReadonlyMap<string, Variable>): EntryPoint | undefined {
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    if (ENTRY_POINT.test(word.text)) return { index, program: word.text };
    const reference = word.dynamic ? REFERENCE.exec(word.text) : null;
    const variable = reference ? variables.get(reference[1] ?? reference[2]!) : undefined;
    if (variable && !variable.ambiguous && variable.literal.kind === 'string' && ENTRY_POINT.test(variable.literal.value)) return { index, program: variable.literal.value };
  }
  return undefined;
}

/**
 * Whether the script holds the whole launch: it runs a Megatron-LM entry point (`pretrain_gpt.py`), sources no
 * other file, and every expansion among its flags (`${MODEL_ARGS[@]}`) names a variable it sets itself. Then a
 * flag it does not write is at Megatron's default; otherwise an unwritten flag may be set where MoE Lens cannot see.
 */
function launchScope(text: string, words: readonly ScriptWord[], entryPoint: EntryPoint | undefined, consumed: ReadonlySet<number>, assigned: ReadonlySet<string>): LaunchScope {
  if (!entryPoint) return { complete: false, why: 'does not run a Megatron-LM entry point (pretrain_*.py) itself' };
  const entry = entryPoint.index;
  const commandEnd = commandAround(text, words, entry).end;
  const entryName = baseName(entryPoint.program);
  for (let i = 0; i + 1 < words.length; i++) {
    if (words[i]!.text === 'source' || words[i]!.text === '.') return { complete: false, why: `sources \`${words[i + 1]!.text}\`, which may set flags` };
  }
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    // A flag's own `--flag=$VALUE` is a value MoE Lens may not know, not flags it cannot see.
    if (!word.dynamic || consumed.has(i) || ASSIGNMENT.test(word.text) || word.text.startsWith('--')) continue;
    if (word.group === undefined && (i < entry || i >= commandEnd)) continue;
    const name = EXPANSION.exec(word.text)?.[1];
    if (name === undefined || !assigned.has(name)) return { complete: false, why: `passes \`${word.text}\`, which MoE Lens cannot read` };
  }
  return { complete: true, why: `runs ${entryName} with every flag written in this file` };
}

/**
 * A script for Ascend NPUs: their runtime's environment (`PYTORCH_NPU_ALLOC_CONF`, `HCCL_*`, `ASCEND_*`, the CANN
 * toolkit's `set_env.sh`), an NPU count (`NPUS_PER_NODE`), or MindSpeed named (`--spec mindspeed_llm.…`). Megatron-LM
 * itself runs on CUDA only; on NPUs it runs through MindSpeed. Ascend/MindSpeed-LLM @c77308a has 17 MoE scripts in
 * examples/mcore with none of the runtime's names, but each sets `NPUS_PER_NODE` or names `mindspeed`.
 */
const ASCEND = /\b(?:PYTORCH_NPU_ALLOC_CONF|HCCL_[A-Z_]+|ASCEND_[A-Z_]+|NPUS_PER_NODE)\b|ascend-toolkit\/set_env\.sh|\bmindspeed\w*/i;

/** Flags only Megatron-DeepSpeed's parser defines (DeepSpeed's config arguments and its MoE's expert parallelism). */
// Also its MoE's `--mlp-type` and `--ds-inference` (microsoft/Megatron-DeepSpeed @50b3251 megatron/arguments.py l.610,
// l.946), which Megatron-LM never defined and refuses (its parser has allow_abbrev=False, arguments.py l.120). Not its
// `--topk` (l.612): other programs take one too (vLLM's benchmark_moe.py), so it names no framework.
const DEEPSPEED_KEYS: ReadonlySet<string> = new Set(['deepspeed', 'deepspeed_config', 'moe_expert_parallel_size', 'create_moe_param_group', 'mlp_type', 'ds_inference']);
/** Why a script that passes `key` runs Megatron-DeepSpeed (after "passes"). */
function deepspeedWhy(key: string): string {
  const flag = `\`${flagOf(key)}\``;
  return `${key === 'deepspeed' ? flag : `${flag}, a flag only Megatron-DeepSpeed defines`}, so it runs Megatron-DeepSpeed, whose MoE layer is DeepSpeed's, with its own flags and defaults`;
}

/** Megatron-LM's router flags (snake case), for completions and for "did you mean" on a misspelt one. */
export const MEGATRON_ROUTING_FLAGS = [
  'num_experts',
  'moe_router_topk',
  'moe_router_score_function',
  'moe_router_pre_softmax',
  'moe_router_enable_expert_bias',
  'moe_router_num_groups',
  'moe_router_group_topk',
  'moe_router_topk_scaling_factor',
  'moe_router_load_balancing_type',
] as const;

/**
 * A flag one or two letters from a router flag the command line does not pass (`--moe-router-topK`): Megatron-LM
 * parses with `allow_abbrev=False` and `parse_args()` (megatron/training/arguments.py), so such a flag stops the
 * launch with "unrecognized arguments" — unless a fork's extra arguments define it, which is why it is a warning.
 */
/** At most this many distinct unknown flags are compared with Megatron's 865 (a hostile script has 100,000). */
const MAX_UNKNOWN_FLAGS = 200;

/**
 * Misspelt flags: a router flag one or two edits from one the script does not set (any script that looks like
 * Megatron's), and, among the flags a Megatron-LM entry point receives, any flag `parse_args` does not define
 * that is one edit (two for long names) from exactly one it does (MEGATRON_FLAGS, @d98e8a6). A fork's extra
 * arguments may define such a flag, so these are warnings (MOE016).
 */
function flagNearMisses(sites: readonly Site[], isMegatronFlag: (site: Site) => boolean): UnknownKey[] {
  const routing = nearMissKeys(sites, MEGATRON_ROUTING_FLAGS, { owner: 'Megatron-LM', effect: 'flag' }, { skip: (key) => ALIASES[key] !== undefined, normalize: (key) => key.toLowerCase() });
  const reported = new Set(routing.map((u) => u.keyRange.start));
  const verdicts = new Map<string, string | undefined>();
  const out = [...routing];
  for (const site of sites) {
    if (reported.has(site.keyRange.start) || MEGATRON_FLAG_SET.has(site.key) || ALIASES[site.key] !== undefined || !isMegatronFlag(site)) continue;
    if (!verdicts.has(site.key)) {
      if (verdicts.size >= MAX_UNKNOWN_FLAGS) break;
      const key = site.key.toLowerCase();
      const limit = key.length >= 16 ? 2 : 1;
      verdicts.set(site.key, MEGATRON_FLAG_SET.has(key) ? key : onlyNear(key, MEGATRON_FLAGS.filter((f) => Math.abs(f.length - key.length) <= limit), limit));
    }
    const meant = verdicts.get(site.key);
    if (meant !== undefined) out.push({ key: site.key, keyRange: site.keyRange, accepted: [meant], owner: 'Megatron-LM', effect: 'flag' });
  }
  return out;
}

const MEGATRON_FLAG_SET: ReadonlySet<string> = new Set(MEGATRON_FLAGS);

/** Words of a flag that sets how a router chooses or weighs (thu-ml/ReMoE's `--moe-relu-routing`). */
const ROUTER_FLAG_WORDS = /router|routing|noaux|expert_bias|score_func|gating|granularity|topk/;
/** Of those, the words of one that may change the counts themselves (ReMoE's `--moe-granularity G` multiplies both). */
const COUNT_FLAG_WORDS = /granularity|(^|_)num_experts|experts_per_tok|(^|_)topk$/;

/**
 * The routing flags the launch passes to the entry point that Megatron-LM @d98e8a6 does not define and that is no typo of
 * one it does (those are MOE016's): the Megatron it runs, a fork or an older one, has routing settings of its own
 * (MooreThreads/MT-MegatronLM @e53585c: `--moe-router-use-sigmoid`, `--moe-router-norm-topk-prob`,
 * `--moe-noaux-gamma` from its musa_patch/arguments.py l.49-60, DeepSeek-V3's sigmoid, bias and renormalisation).
 */
function forkRouterFlags(sites: readonly Site[], passed: (site: Site) => boolean, typos: readonly UnknownKey[]): Site[] {
  const typo = new Set(typos.map((u) => u.keyRange.start));
  return sites.filter((site) => ROUTER_FLAG_WORDS.test(site.key) && !MEGATRON_FLAG_SET.has(site.key) && ALIASES[site.key] === undefined && !typo.has(site.keyRange.start) && passed(site));
}

function forkRouter(spec: RouterSpec, flags: readonly Site[]): RouterSpec {
  const named = (flag: Site): string => `the launch passes \`${flagOf(flag.key)}\`, which Megatron-LM @d98e8a6 does not define: the Megatron it runs (a fork, or an older one) routes with settings MoE Lens does not read`;
  const why = named(flags[0]!);
  const routed = unmodelledRouter(spec, why, unknownGroups(why), ['routerBias']);
  const counting = flags.find((flag) => COUNT_FLAG_WORDS.test(flag.key));
  if (!counting) return routed;
  const counts = unknownBecause(`${named(counting)}, and may change the counts`);
  return { ...routed, experts: counts(spec.experts), topK: counts(spec.topK) };
}

/**
 * Which flags the entry point receives (a Megatron-LM `pretrain_*.py`, or a fork's `pretrain_deepseekv2.py`): those
 * after it on its command line, and those of arrays the script expands there, not the launcher's (`torchrun
 * ${DISTRIBUTED_ARGS[@]} pretrain_gpt.py`).
 */
function entryPointFlagTest(text: string, words: readonly ScriptWord[], entryPoint: EntryPoint | undefined, flagWords: ReadonlyMap<number, number>): (site: Site) => boolean {
  if (!entryPoint) return () => false;
  const entry = entryPoint.index;
  const { start, end } = commandAround(text, words, entry);
  const expanded = (from: number, to: number): Set<string> => new Set(words.slice(from, to).map((w) => EXPANSION.exec(w.text)?.[1]).filter((n): n is string => n !== undefined));
  const launcher = expanded(start, entry);
  const passed = expanded(entry + 1, end);
  return (site) => {
    const index = flagWords.get(site.keyRange.start);
    if (index === undefined) return false;
    const group = words[index]!.group;
    return group !== undefined ? passed.has(group) && !launcher.has(group) : index > entry && index < end;
  };
}

/** Reads a file the config names (Primus `extends:`); undefined when the host cannot. */
export type RelatedText = (file: string) => string | undefined;

const MAX_EXTENDS_DEPTH = 8;

function parseYaml(text: string): ReturnType<typeof parseDocument> | undefined {
  try {
    return parseDocument(text, { keepSourceTokens: false, uniqueKeys: false, strict: false });
  } catch {
    return undefined;
  }
}

/**
 * A YAML error as a user reads it: the `yaml` library's own message, except where it names its API (several
 * documents in one file: MoE Lens reads the first) or is a parser's recursion that ran out of stack.
 */
export function yamlError(error: { readonly code: string; readonly message: string; readonly pos: [number, number] }): { range: SourceRange; message: string } {
  const range = { start: error.pos[0], end: error.pos[1] };
  if (error.code === 'MULTIPLE_DOCS') return { range, message: 'this YAML holds more than one document (a `---` line here): MoE Lens reads the first' };
  if (/Maximum call stack size exceeded/.test(error.message)) return { range, message: 'this YAML nests too deeply to read here' };
  // The `yaml` library ends its message with the position, which the range already gives.
  return { range, message: `YAML syntax error: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` };
}

/** The top-level keys of a YAML map as sites (file set for another file than the config's). */
export function yamlSites(map: YAMLMap, text: string, file?: string): Site[] {
  const sites: Site[] = [];
  for (const pair of map.items as Pair[]) {
    if (!isPair(pair) || !isScalar(pair.key) || !pair.key.range) continue;
    const key = yamlKey(String(pair.key.value));
    if (key === 'extends') continue;
    const keyRange = { start: pair.key.range[0], end: pair.key.range[1] };
    const value = pair.value;
    const valueRange = isScalar(value) && value.range ? { start: value.range[0], end: value.range[1] } : keyRange;
    const literal: Literal = isScalar(value) ? jsLiteral(value.value, text.slice(valueRange.start, valueRange.end)) : { kind: 'expression', text: String(value ?? '') };
    const items = isSeq(value) && value.items.every(isScalar) && !value.items.some((item) => isPlaceholder(item.value)) ? { items: value.items.map((item) => String(item.value)) } : {};
    sites.push({ key: YAML_ALIASES[key] ?? ALIASES[key] ?? key, keyRange, valueRange, literal, ...items, ...(file ? { file } : {}) });
  }
  return sites;
}

/**
 * YAML spellings of Megatron settings that no Megatron flag has: NeMo 1.x's `model.bias`, which NeMo passes on as
 * `add_bias_linear` (nemo/collections/nlp/models/language_modeling/megatron_base_model.py @8cfedd7 l.510, l.574).
 */
const YAML_ALIASES: Readonly<Record<string, string>> = { bias: 'add_bias_linear' };

/** The pair a YAML map holds under a plain scalar key, if any. */
function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return (map.items as Pair[]).find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
}

/** The files an `extends:` lists (a string or a list of strings), relative to the file that lists them. */
function extendsOf(map: YAMLMap, file: string): string[] {
  const value = pairOf(map, 'extends')?.value;
  const names = isScalar(value) ? [value.value] : value && typeof value === 'object' && 'items' in value ? (value.items as unknown[]).map((i) => (isScalar(i) ? i.value : undefined)) : [];
  const folder = file.slice(0, file.lastIndexOf('/') + 1);
  return names.filter((n): n is string => typeof n === 'string' && n.length > 0).map((n) => (n.startsWith('/') ? n : normalizePath(folder + n)));
}

/**
 * Primus `extends:`: the listed files' values, bases first (a later file and the config itself win), each
 * site pointing into the file that sets it. Returns the files that could not be read.
 */
function inheritedSites(map: YAMLMap, file: string, read: RelatedText | undefined, seen: Set<string>, depth: number, missing: string[]): Site[] {
  const out: Site[] = [];
  for (const base of extendsOf(map, file)) {
    if (seen.has(base) || depth >= MAX_EXTENDS_DEPTH) continue;
    seen.add(base);
    const text = read?.(base);
    const document = text !== undefined ? parseYaml(text) : undefined;
    if (text === undefined || !document || !isMap(document.contents)) {
      missing.push(base);
      continue;
    }
    out.push(...inheritedSites(document.contents, base, read, seen, depth + 1, missing), ...yamlSites(document.contents, text, base));
  }
  return out;
}

/**
 * A Primus experiment's Megatron trainer module (`modules: {pre_trainer: {framework: megatron, model: X.yaml,
 * overrides: {...}}}`): Primus loads the model preset `primus/configs/models/megatron/X.yaml` (its `extends:`
 * resolved) and applies the module's `overrides` over it (AMD-AGI/Primus @fd1eeab primus/core/launcher/parser.py
 * l.283-323, primus/core/config/preset_loader.py l.24-58). Undefined for any other YAML.
 */
interface PrimusModule {
  readonly module: YAMLMap;
  /** The `model:` value, as written (`gpt_oss_20B.yaml`, `${PRIMUS_MODEL:gpt_oss_20B}.yaml`). */
  readonly model: { readonly text: string; readonly range: SourceRange };
  readonly overrides?: YAMLMap;
}

function primusModule(root: YAMLMap): PrimusModule | undefined {
  const modules = pairOf(root, 'modules')?.value;
  if (!isMap(modules)) return undefined;
  for (const pair of modules.items) {
    const module = isPair(pair) ? pair.value : undefined;
    if (!isMap(module)) continue;
    const framework = pairOf(module, 'framework')?.value;
    const model = pairOf(module, 'model')?.value;
    if (!isScalar(framework) || framework.value !== 'megatron' || !isScalar(model) || typeof model.value !== 'string' || !model.range) continue;
    const overrides = pairOf(module, 'overrides')?.value;
    return { module, model: { text: model.value, range: { start: model.range[0], end: model.range[1] } }, ...(isMap(overrides) ? { overrides } : {}) };
  }
  return undefined;
}

/** Primus's `${VAR}` / `${VAR:default}` (primus/core/config/yaml_loader.py l.12, l.90-100). */
const PRIMUS_ENV = /\$\{([^:{}]+)(?::([^}]*))?\}/g;
const PRIMUS_PRESETS = 'primus/configs/models/megatron/';
const MAX_PRESET_SEARCH_DEPTH = 12;

/**
 * The preset a Primus module names, found in the checkout above the experiment: its values (bases first), the
 * files they come from, and the variables that could name another one. A preset that cannot be found or named (a
 * `${VAR}` without a default) is added to `missing`.
 */
function primusPreset(primus: PrimusModule, file: string, read: RelatedText | undefined, missing: string[]): { sites: Site[]; files: string[]; variables: string[]; named: SourceRange } | undefined {
  const variables: string[] = [];
  let named = true;
  const name = primus.model.text.replace(PRIMUS_ENV, (_, variable: string, fallback: string | undefined) => {
    variables.push(variable);
    if (fallback === undefined) named = false;
    return fallback ?? '';
  });
  const fileName = /\.ya?ml$/.test(name) ? name : `${name}.yaml`;
  const preset = named && read ? fileAbove(file, `${PRIMUS_PRESETS}${fileName}`, read, MAX_PRESET_SEARCH_DEPTH) : undefined;
  const document = preset && parseYaml(preset.text);
  if (!preset || !document || !isMap(document.contents)) {
    missing.push(`${PRIMUS_PRESETS}${fileName}`);
    return undefined;
  }
  const files = new Set([preset.path]);
  const sites = [...inheritedSites(document.contents, preset.path, read, files, 1, missing), ...yamlSites(document.contents, preset.text, preset.path)];
  return { sites, files: [...files], variables, named: primus.model.range };
}

/** Values a preset chosen by an unset variable gives are what routing assumes, not what rules may assert on. */
function fromPresetUnknown(spec: RouterSpec, files: readonly string[], reason: string): RouterSpec {
  const mark = <T>(field: Field<T>): Field<T> => {
    const site = field.sites[field.sites.length - 1];
    return site?.file !== undefined && files.includes(site.file) && field.unknown === undefined ? { ...field, unknown: reason } : field;
  };
  return mapRouterFields(withoutDefaults(spec, reason), mark);
}

/** `read`: a file the YAML names (an `extends:` base); `readModule`: as for analyzeMegatronArgs. */
export function analyzeMegatronYaml(text: string, file: string, read?: RelatedText, readModule?: RelatedText): MegatronAnalysis {
  const errors: MegatronAnalysis['errors'] = [];
  const document = parseYaml(text);
  if (!document) return { specs: [], errors: [{ range: { start: 0, end: 0 }, message: 'YAML could not be read' }] };
  for (const e of document.errors.slice(0, 5)) errors.push(yamlError(e));
  const root = isMap(document.contents) ? document.contents : undefined;
  // A MaxText model YAML (`decoder_block`, `base_emb_dim`: MaxText's base.yml keys; Primus keeps some beside its
  // Megatron ones, with `extends:`) is read by MaxText, whose `num_experts_per_tok` is no Megatron key: not read.
  if (root && MAXTEXT_KEYS.some((key) => pairOf(root, key) !== undefined)) return { specs: [], errors };
  // A Weights & Biases run record (`files/config.yaml` of a run: `_wandb:`, every key as `key: {value: …}`) says what
  // a past run was given, in wandb's own shape: no config anyone launches (KevinC259/MindSpeed-LLM keeps eight).
  if (root && pairOf(root, '_wandb') !== undefined) return { specs: [], errors };
  const missing: string[] = [];
  const inherited = root ? inheritedSites(root, file, read, new Set([file]), 0, missing) : [];
  // A Primus experiment's Megatron module: its model preset's values, then the module's overrides.
  const primus = root ? primusModule(root) : undefined;
  const preset = primus ? primusPreset(primus, file, read, missing) : undefined;
  const map = primus ? primus.overrides ?? primus.module : findRouterMap(document.contents, 0) ?? (root && inherited.some((s) => MARKERS.includes(s.key)) ? root : undefined);
  if (!map || (primus && !preset?.sites.some((s) => MARKERS.includes(s.key)) && !findRouterMap(primus.overrides, 0))) return { specs: [], errors };
  const sections = flagScaleSections(root);
  const own = primus ? (primus.overrides ? yamlSites(primus.overrides, text) : []) : sections?.includes(map) ? sections.flatMap((section) => yamlSites(section, text)) : yamlSites(map, text);
  const sites: Site[] = [...inherited, ...(preset?.sites ?? []), ...own];
  if (isDense(sites) || countsExpertsElsewhere(sites)) return { specs: [], errors };
  // OLMoE's trainer YAML spells MegaBlocks' settings (`moe_num_experts`, `moe_top_k`): its router, not Megatron's.
  // So do GPT-NeoX's (keys in quotes: `"moe_num_experts": 8,`) and nanotron's LlaMoE example.
  const megablocks = /^\s*["']?moe_(num_experts|top_k)["']?\s*:/m.test(text);
  const last = map.items[map.items.length - 1] as Pair | undefined;
  const lastEnd = last && isScalar(last.value) && last.value.range ? last.value.range[1] : map.range?.[1] ?? text.length;
  const firstKey = (map.items[0] as Pair | undefined)?.key;
  const indentColumn = isScalar(firstKey) && firstKey.range ? new LineIndex(text).positionAt(firstKey.range[0]).character : 0;
  const range = { start: map.range?.[0] ?? 0, end: map.range?.[1] ?? text.length };
  const anchor = sites.find((s) => MARKERS.includes(s.key) && !s.file)?.keyRange ?? preset?.named ?? range;
  const built = buildSpec('megatron-yaml', file, sites, range, anchor, { offset: lastEnd, prefix: `\n${' '.repeat(indentColumn)}`, suffix: '' }, megablocks);
  const routed = mindSpeedMmQwen35(built, map, document) ?? (megablocks ? megaBlocksSpelling(built, sites) : built);
  const checkout = readModule && checkoutRouter(file, readModule);
  const megatronSpec = checkout ? withCheckoutRouter(routed, checkout) : routed;
  // A key only MindSpeed defines (MindSpeed-RL's model YAML writes `norm_topk_prob`): MindSpeed runs it.
  const mindSpeedKey = sites.find((s) => MINDSPEED_YAML_KEYS.includes(s.key))?.key;
  const framed = mindSpeedKey ? withLaunch(mindSpeedRouting(megatronSpec, sites), mindSpeedLaunch(`writes MindSpeed's own \`${mindSpeedKey}\``)) : megatronSpec;
  const galvatron = galvatronYaml(text, file) ? galvatronRouter(framed) : framed;
  const spec = root && isMindFormersPynative(root, map) ? mindFormersPynativeRouter(galvatron) : galvatron;
  // A preset named through an environment variable is the one Primus loads only while that variable is unset.
  if (preset?.variables.length) return { specs: [fromPresetUnknown(spec, preset.files, `from ${baseName(preset.files[0]!)}, the preset \`model:\` names unless ${preset.variables.map((v) => `$${v}`).join(' or ')} is set`)], errors };
  // A base that could not be read may set anything this file leaves out: those fields are unknown, not defaults.
  if (missing.length > 0) return { specs: [withoutDefaults(spec, `it may be set in ${missing.map(baseName).join(', ')}, which MoE Lens could not read`)], errors };
  // RLinf builds its actor's model from the checkpoint's config.json: what it sets from there is not the file's.
  const rlinf = root ? rlinfActorModel(root, map) : undefined;
  if (rlinf) return { specs: [rlinf(spec)], errors };
  // NeMo 2's `model: config:` (no `_target_`) overrides the model config class the training program builds
  // (aws/sagemaker-hyperpod-recipes @2631995: `GPTOSSConfig120B(**cfg.model.config)`, whose top-k is 4, not
  // Megatron's 2): what it leaves out is that class's, which the file does not name.
  if (root && isNemo2ModelConfig(root, map)) return { specs: [withoutDefaults(spec, "not written in this NeMo 2 `model.config`, which overrides the model config class the training program builds; the file does not name it")], errors };
  // NeMo-Run's `model.config.*` overrides change a NeMo recipe's model, which sets what they leave out.
  const overrides = map.items.some((p) => isPair(p) && isScalar(p.key) && String(p.key.value).startsWith(NEMO_RUN_MODEL));
  // A fix cannot add a key there as MoE Lens spells it (`moe_router_pre_softmax`, not `model.config.…`): none adds one.
  const overridden = { ...withoutDefaults(spec, 'not written in this NeMo-Run override (`model.config.*`) of a NeMo recipe, which MoE Lens does not see and which sets it'), insertion: undefined };
  return { specs: [overrides ? overridden : spec], errors };
}

/** The map is a root `model:`'s `config:` that names no class (`_target_`): NeMo 2's model-config overrides. */
function isNemo2ModelConfig(root: YAMLMap, map: YAMLMap): boolean {
  const model = pairOf(root, 'model')?.value;
  return isMap(model) && pairOf(model, 'config')?.value === map && pairOf(map, '_target_') === undefined;
}

const MINDFORMERS_PYNATIVE = 'Tele-AI/TeleChat3 @242aeb5 mindformers_telechat3/mindformers/experimental/parallel_core/pynative/transformer/moe';

/**
 * MindFormers' pynative parallel core (`init_configs_from_yaml`): a YAML of sections `training_config`,
 * `parallel_config`, `model_config` and `moe_config`, the last with Megatron's key names. Its router is MindFormers'
 * own, not Megatron-LM's: a gate without a bias (router.py l.56-60: `has_bias=False`), top-k of the logits, then the
 * softmax of those k (utils.py l.166-167); no score function, pre-softmax, scaling, groups or expert bias to set.
 */
function isMindFormersPynative(root: YAMLMap, map: YAMLMap): boolean {
  const section = (key: string) => pairOf(root, key)?.value;
  return section('moe_config') === map && ['model_config', 'training_config', 'parallel_config'].every((key) => isMap(section(key)));
}

function mindFormersPynativeRouter(spec: RouterSpec): RouterSpec {
  const label = (what: string) => `MindFormers' pynative router (${MINDFORMERS_PYNATIVE}): ${what}`;
  return {
    ...spec,
    routerBias: fixedBy(false, label('a gate without a bias (router.py l.56-60)')),
    scoreFunc: fixedBy('softmax', label('the softmax of the k largest logits (utils.py l.166-167)')),
    order: fixedBy<Order>('topk-then-score', label('top-k of the logits, then the softmax of those k (utils.py l.166-167)')),
    normalize: fixedBy<Normalize>('never', label('the softmax of the k already sums to 1')),
    scale: fixedBy(1, label('no scaling factor')),
    selectionBias: fixedBy<SelectionBias>('none', label('no expert bias')),
    groups: undefined,
  };
}

const GALVATRON = 'PKU-DAIR/Hetu-Galvatron @cea12ff';

/**
 * Hetu-Galvatron's YAML: a file under a `galvatron/` folder, or one naming `galvatron_config_path` (its training
 * configs' `runtime.parallel`). Galvatron's own runtime reads it, with a copy of Megatron Core's router.
 */
function galvatronYaml(text: string, file: string): boolean {
  return /(^|\/)galvatron\//.test(normalizePath(file)) || /^\s*galvatron_config_path\s*:/m.test(text);
}

/**
 * Galvatron's router has a weight and no bias, whatever `add_bias_linear` says (galvatron/core/runtime/moe/router.py
 * l.40-43, l.66: `F.linear(input, self.weight)`); its other routing defaults (GalvatronModelArgs, args_schema.py
 * l.129-136: top-2, softmax, top-k after the score, no expert bias) are Megatron's.
 */
function galvatronRouter(spec: RouterSpec): RouterSpec {
  return noRouterBias(spec, `Galvatron's runtime reads this file, and its router has a weight and no bias (${GALVATRON} galvatron/core/runtime/moe/router.py l.40-43, l.66)`);
}

const RLINF = 'RLinf/RLinf @a3816b5';

/**
 * RLinf's experiment YAML (`runner:`, `actor:`, `rollout:`): its actor's `model:` block is a Megatron config that RLinf
 * completes from the checkpoint's config.json. With Megatron-Bridge (`actor.megatron.mbridge: true`) Bridge builds the
 * whole model from the checkpoint, copying back only runtime settings (rlinf/hybrid_engines/megatron/
 * megatron_model_manager.py l.196, l.267-321): every router value is the checkpoint's. Otherwise RLinf sets the expert
 * count and top-k from it, and DeepSeek-V3's routed scaling factor (rlinf/config.py l.428-462, called for every
 * Megatron actor, l.1527-1536), whatever the YAML writes. Undefined for any other YAML.
 */
function rlinfActorModel(root: YAMLMap, map: YAMLMap): ((spec: RouterSpec) => RouterSpec) | undefined {
  const section = (parent: YAMLMap, key: string): YAMLMap | undefined => {
    const value = pairOf(parent, key)?.value;
    return isMap(value) ? value : undefined;
  };
  const actor = section(root, 'actor');
  if (!actor || !section(root, 'runner') || !section(root, 'rollout') || section(actor, 'model') !== map) return undefined;
  const megatron = section(actor, 'megatron');
  const bridge = megatron ? pairOf(megatron, 'mbridge')?.value : undefined;
  if (isScalar(bridge) && (bridge.value === true || bridge.value === 'True' || bridge.value === 'true')) {
    const why = `RLinf builds this model with Megatron-Bridge from the checkpoint (\`mbridge: ${String(bridge.value)}\`), which sets every router setting from its config.json and keeps only runtime settings of this file (${RLINF} rlinf/hybrid_engines/megatron/megatron_model_manager.py l.196, l.267-321)`;
    return (spec) => ({ ...anotherRouter(spec, why), experts: { ...spec.experts, unknown: why }, topK: { ...spec.topK, unknown: why } });
  }
  const why = `RLinf sets it from the checkpoint's config.json, whatever this file writes (${RLINF} rlinf/config.py l.428-433)`;
  const modelType = pairOf(map, 'model_type')?.value;
  const scaled = isScalar(modelType) && modelType.value === 'deepseek_v3';
  return (spec) => ({
    ...spec,
    experts: { ...spec.experts, unknown: why },
    topK: { ...spec.topK, unknown: why },
    ...(scaled ? { scale: { ...spec.scale, unknown: `RLinf sets DeepSeek-V3's from the checkpoint's \`routed_scaling_factor\` (${RLINF} rlinf/config.py l.460-462)` } } : {}),
  });
}

const MINDSPEED_ROUTER = 'Ascend/MindSpeed-LLM @c77308a mindspeed_llm/core/transformer/moe/router.py topk_router_routing';
/**
 * Keys MindSpeed adds to Megatron-LM's arguments and Megatron-LM @d98e8a6 does not have (MindSpeed-LLM @c77308a
 * mindspeed_llm/features_manager/moe/moe_router.py `--norm-topk-prob`; convert_ckpt_v2.py `--moe-tp-extend-ep`;
 * features_manager/transformer/qwen3_next_attention/qwen3_next_feature.py `--moe-alltoall-overlap-comm`).
 */
const MINDSPEED_YAML_KEYS = ['norm_topk_prob', 'moe_tp_extend_ep', 'moe_alltoall_overlap_comm'];

/** A launch MindSpeed runs: Megatron-LM patched at the version MindSpeed pins, its flags at MindSpeed's defaults. */
function mindSpeedLaunch(because: string): FrameworkLaunchScope {
  return { complete: false, why: `${because}, so it runs through MindSpeed, which patches Megatron-LM's arguments and checks at the Megatron version it pins`, framework: 'mindspeed' };
}
/** Load-balancing types MindSpeed adds (features_manager/moe/moe_router.py), each routed by a function of its own. */
const MINDSPEED_ROUTING_TYPES = ['softmax_topk', 'group_limited_greedy', 'pai_megatron_aux_loss', 'sparsemixer_topk'];

/** Why a written value is not read: the evaluator's reason for a Python value it could not follow, else the text. */
function notReadable(key: string, site: Site, what = 'value'): string {
  const text = literalText(site.literal);
  const reason = /^unknown \((.*)\)$/s.exec(text)?.[1];
  return reason !== undefined ? `\`${key}\` is not known here: ${reason}` : `\`${text}\` is not a ${what} written in the file`;
}

/** The last site of a key: a later flag overrides an earlier one, as argparse reads them. */
function lastSite(sites: readonly Site[], key: string): Site | undefined {
  for (let i = sites.length - 1; i >= 0; i--) if (sites[i]!.key === key) return sites[i];
  return undefined;
}

/** A switch as written (`--flag`, `key: true`, `"false"`); undefined where it is written as something else. */
function flagValue(site: Site): boolean | undefined {
  return site.literal.kind === 'bool' ? site.literal.value : site.literal.kind === 'string' ? site.literal.value === 'true' : undefined;
}

/**
 * What MindSpeed changes in Megatron's router. Its own load-balancing types route with functions of their own
 * (l.567-590: `sparsemixer_topk` is Phi-3.5's SparseMixer), which MoE Lens does not model: only the expert count and
 * k stay read. Its `--norm-topk-prob` divides `aux_loss`'s weights by their sum after Megatron's routing, scaling
 * included (l.558-561), so neither the renormalisation nor the scale is Megatron's.
 */
function mindSpeedRouting(written: RouterSpec, sites: readonly Site[]): RouterSpec {
  const spec = mindSpeedRouterBias(written);
  // `--moe-model-type deepspeed_moe` (mindspeed/arguments.py l.122, legacy models only): MindSpeed's DeepSpeed-style
  // MoE, its TopKGate (mindspeed/moe/gate.py) with its own k and capacity, not Megatron's router.
  const modelType = lastSite(sites, 'moe_model_type');
  if (modelType && !(modelType.literal.kind === 'string' && modelType.literal.value === 'megatron_moe')) {
    const why = modelType.literal.kind === 'string' && modelType.literal.value === 'deepspeed_moe' ? "MindSpeed's DeepSpeed-style MoE (`--moe-model-type deepspeed_moe`) routes with its own TopKGate (mindspeed/moe/gate.py), which MoE Lens does not model" : `\`--moe-model-type ${literalText(modelType.literal)}\` may pick MindSpeed's DeepSpeed-style MoE, which MoE Lens does not model`;
    return unmodelledRouter(spec, why, unknownGroups(why), ['topK']);
  }
  const balancing = lastSite(sites, 'moe_router_load_balancing_type');
  const types = balancing ? (balancing.items ?? [balancing.literal.kind === 'string' ? balancing.literal.value : literalText(balancing.literal)]) : ['aux_loss'];
  const unread = balancing?.literal.kind === 'expression';
  const own = types.find((t) => MINDSPEED_ROUTING_TYPES.includes(t));
  const normTopk = lastSite(sites, 'norm_topk_prob');
  if (own === 'softmax_topk' && types.length === 1) return softmaxTopk(spec, sites, normTopk);
  if (own !== undefined || unread) {
    const which = unread ? `\`${literalText(balancing.literal)}\`, which MoE Lens cannot read, may be one of the load-balancing types MindSpeed routes` : `MindSpeed routes \`--moe-router-load-balancing-type ${own}\``;
    const why = `${which} with a function of its own (${MINDSPEED_ROUTER} l.567-590), which MoE Lens does not model`;
    return unmodelledRouter(spec, why, unknownGroups(why));
  }
  if (!normTopk || !types.includes('aux_loss') || (normTopk.literal.kind === 'bool' && !normTopk.literal.value)) return spec;
  const why = `MindSpeed's \`--norm-topk-prob\` divides the aux_loss router's weights by their sum after Megatron's routing and scaling (${MINDSPEED_ROUTER} l.558-561)`;
  return { ...spec, normalize: { ...spec.normalize, unknown: why }, scale: { ...spec.scale, unknown: why } };
}

/**
 * MindSpeed runs Megatron-LM at the version it pins, core_v0.12.1 or older (Ascend/MindSpeed @028de58 README l.95-100
 * and its branch table l.211-214; MindSpeed-LLM's branches from core_r0.8.0 to 26.0.0 on core_v0.12.1), whose router
 * has a weight and no bias (router.py @core_v0.12.1 l.71); MindSpeed adds none. `add_bias_linear` reaches Megatron's
 * router only since a329dd6 (2025-09-22), so it biases only MindSpeed's expert MLPs.
 */
function mindSpeedRouterBias(spec: RouterSpec): RouterSpec {
  return withoutRouterBias(spec, 'MindSpeed runs Megatron-LM core_v0.12.1 or older, whose router has no bias (router.py l.71 @core_v0.12.1)');
}

/**
 * MindSpeed's `softmax_topk` (l.567-583): softmax over all experts whatever `--moe-router-score-function` says, the
 * expert bias added for choosing only, top-k, the k weights divided by their sum under `--norm-topk-prob`, then
 * `--moe-router-topk-scaling-factor`. It reads no expert groups.
 */
function softmaxTopk(spec: RouterSpec, sites: readonly Site[], normTopk: Site | undefined): RouterSpec {
  const label = `${MINDSPEED_ROUTER} softmax_topk (l.567-583)`;
  const bias = lastSite(sites, 'moe_router_enable_expert_bias');
  const on = (site: Site | undefined): boolean | undefined => (site === undefined ? false : flagValue(site));
  const unread = (site: Site | undefined): { unknown?: string } => (site && on(site) === undefined ? { unknown: notReadable(site.key, site) } : {});
  const renormalises = on(normTopk) === true;
  return {
    ...spec,
    scoreFunc: fixedBy('softmax', `${label}: softmax over all experts, whatever --moe-router-score-function says`),
    order: fixedBy('score-then-topk', `${label}: softmax, then top-k`),
    selectionBias: { value: on(bias) === true ? 'learned' : 'none', sites: bias ? [bias] : [], ...unread(bias) },
    normalize: {
      value: renormalises ? 'always' : 'never',
      sites: [],
      defaultFrom: { label: renormalises ? `${label}: --norm-topk-prob divides the k weights by their sum` : `${label}: without --norm-topk-prob the k weights are not renormalised` },
      ...unread(normTopk),
    },
    groups: undefined,
  };
}

const MEGABLOCKS_ARGUMENTS = 'databricks/megablocks @05bfd49 megablocks/layers/arguments.py';
const NEOX = 'EleutherAI/gpt-neox @ea7aefd';
/** Keys only GPT-NeoX's config has among the programs that spell MegaBlocks' settings (neox_args.py l.60, l.1620, l.1630). */
const NEOX_KEYS = ['pipe_parallel_size', 'moe_expert_interval', 'moe_router_type'];

/**
 * A YAML that spells MegaBlocks' settings is read by whichever program it was written for, each with defaults of its
 * own, and none of them Megatron's `--moe-router-topk` default of 2:
 * - GPT-NeoX (`"moe_num_experts": 8,`, recognised by its own keys): `moe_top_k` defaults to 1 (neox_args.py
 *   l.1625), and `moe_router_type` to "sinkhorn" (l.1630), whose experts are chosen from Sinkhorn-balanced scores
 *   in training (megatron/model/router.py SinkhornRouter, l.24-130), which MoE Lens does not model; "topk" is a
 *   softmax over all experts, then the top k, not renormalised (TopKTokenChoiceRouter, l.248-270). Both gates have
 *   no bias (l.57, l.210).
 * - nanotron's LlaMoE example spells top-k `num_experts_per_tok` (examples/moe/config_llamoe.py).
 * - Otherwise (OLMo's trainer, MegaBlocks itself) an unwritten top-k is not known: MegaBlocks' own default is 1.
 */
function megaBlocksSpelling(spec: RouterSpec, sites: readonly Site[]): RouterSpec {
  const neox = sites.some((s) => NEOX_KEYS.includes(s.key));
  let topK = spec.topK;
  if (topK.sites.length === 0) {
    const perToken = lastSite(sites, 'num_experts_per_tok');
    if (perToken) {
      topK = perToken.literal.kind === 'int' ? { value: perToken.literal.value, sites: [perToken] } : { value: undefined, sites: [perToken], unknown: `\`${literalText(perToken.literal)}\` is not a number written in the file` };
    } else if (neox) {
      topK = { value: 1, sites: [], defaultFrom: { label: `GPT-NeoX moe_top_k default (${NEOX} megatron/neox_arguments/neox_args.py l.1625)` } };
    } else {
      topK = { value: undefined, sites: [], unknown: `not written, and the program that reads MegaBlocks' spelling sets its own default (MegaBlocks' \`moe_top_k\` is 1: ${MEGABLOCKS_ARGUMENTS} l.29)` };
    }
  }
  if (!neox) {
    // MegaBlocks' LearnedRouter (megablocks/layers/router.py @78eea65 l.90-103): softmax over all experts, the top k,
    // divided by their p-norm only under `moe_normalize_expert_weights` (default None, arguments.py l.31); no scaling.
    const router = 'MegaBlocks LearnedRouter (megablocks/layers/router.py @78eea65 l.90-103)';
    const normalizeSite = lastSite(sites, 'moe_normalize_expert_weights');
    return {
      ...spec,
      topK,
      scoreFunc: spec.scoreFunc.sites.length ? spec.scoreFunc : fixedBy('softmax', `${router}: softmax over all experts`),
      normalize:
        normalizeSite && normalizeSite.literal.kind !== 'none'
          ? { value: spec.normalize.value, sites: [normalizeSite], unknown: `\`moe_normalize_expert_weights\` divides the k weights by their p-norm (${router}), which MoE Lens does not model` }
          : { value: 'never', sites: normalizeSite ? [normalizeSite] : [], defaultFrom: { label: `${router}: the k weights are not renormalised (moe_normalize_expert_weights None, ${MEGABLOCKS_ARGUMENTS} l.31)` } },
      scale: spec.scale.sites.length ? spec.scale : fixedBy(1, `${router}: no scaling`),
    };
  }
  const routerBias = { value: false, sites: [], defaultFrom: { label: `GPT-NeoX's routers have no gate bias (${NEOX} megatron/model/router.py l.57, l.210)` } };
  const routerType = lastSite(sites, 'moe_router_type');
  const type = routerType === undefined ? 'sinkhorn' : routerType.literal.kind === 'string' ? routerType.literal.value : undefined;
  if (type === 'topk') {
    const label = `${NEOX} megatron/model/router.py TopKTokenChoiceRouter (l.248-270)`;
    return {
      ...spec,
      topK,
      routerBias,
      order: { value: 'score-then-topk', sites: [routerType!] },
      scoreFunc: fixedBy('softmax', `${label}: softmax`),
      normalize: fixedBy('never', `${label}: the k weights are not renormalised`),
    };
  }
  const why =
    type === 'sinkhorn'
      ? `GPT-NeoX routes with its Sinkhorn router (\`moe_router_type\` ${routerType ? '"sinkhorn"' : 'default "sinkhorn"'}, ${NEOX} megatron/neox_arguments/neox_args.py l.1630): in training it chooses experts from Sinkhorn-balanced scores (megatron/model/router.py l.24-130), which MoE Lens does not model`
      : `\`moe_router_type\` \`${literalText(routerType!.literal)}\` is not a value written in the file`;
  const unknown = unknownBecause(why);
  return { ...spec, topK, routerBias, order: unknown(spec.order), scoreFunc: unknown(spec.scoreFunc), normalize: unknown(spec.normalize), scale: unknown(spec.scale) };
}

/**
 * A launch of MegaBlocks' fork of Megatron-LM: its MoE layer routes with MegaBlocks' LearnedRouter, whose code fixes
 * what Megatron's flags would choose (megablocks/layers/router.py @78eea65 l.72-78, l.90-103): a softmax over all
 * experts, then the top k, a gate without bias, no scaling. The launch's other flags cannot change these; whether the
 * k weights are renormalised is an argument (`moe_normalize_expert_weights`, default None: not renormalised).
 */
function megaBlocksForkRouter(spec: RouterSpec): RouterSpec {
  const router = 'MegaBlocks LearnedRouter (megablocks/layers/router.py @78eea65 l.90-103)';
  return {
    ...spec,
    scoreFunc: spec.scoreFunc.sites.length ? spec.scoreFunc : fixedBy('softmax', `${router}: softmax over all experts`),
    order: spec.order.sites.length ? spec.order : fixedBy<Order>('score-then-topk', `${router}: softmax over all experts, then top-k`),
    routerBias: fixedBy(false, `${router}: its gate is \`nn.Linear(hidden, experts, bias=False)\` (l.72-78)`),
    scale: spec.scale.sites.length ? spec.scale : fixedBy(1, `${router}: no scaling`),
    normalize: spec.scoreFunc.sites.length ? spec.normalize : { value: 'never', sites: [], defaultFrom: { label: `${router}: the k weights are not renormalised (moe_normalize_expert_weights None, ${MEGABLOCKS_ARGUMENTS} l.31)` } },
  };
}

const MINDSPEED_MM_QWEN35 = 'Ascend/MindSpeed-MM @57069cd mindspeed_mm/mcore/models/qwen3_5';

/**
 * MindSpeed-MM's Qwen3.5 MoE (`model_id: qwen3_5_moe` in its YAML's `text_decoder`) routes with Megatron's MoE layer
 * only at tensor parallel > 1; at 1 with its own (`MoELayer = Mcore_MoELayer if tp_size > 1 else MM_MoELayer`,
 * spec.py l.148-150), whose TopKRouter (modules.py l.1579-1610) takes a softmax over all experts, the top k, and
 * divides them by their sum: `moe_router_pre_softmax`, the scaling factor, groups and an expert bias are not read.
 * Undefined for any other YAML; the tensor parallel size unknown leaves what differs unknown.
 */
function mindSpeedMmQwen35(spec: RouterSpec, map: YAMLMap, document: Document): RouterSpec | undefined {
  const valueOf = (key: string): unknown => {
    const pair = pairOf(map, key);
    if (!pair) return undefined;
    const node = isAlias(pair.value) ? pair.value.resolve(document) : pair.value;
    return isScalar(node) ? node.value : node === undefined ? undefined : null;
  };
  if (valueOf('model_id') !== 'qwen3_5_moe') return undefined;
  const tp = valueOf('tensor_model_parallel_size');
  if (typeof tp === 'number' && Number.isInteger(tp) && tp > 1) return spec;
  if (tp !== 1) {
    const unknown = unknownBecause(`MindSpeed-MM routes Qwen3.5 with Megatron's router at tensor parallel > 1 and its own at 1 (${MINDSPEED_MM_QWEN35}/spec.py l.148-150), and this file's \`tensor_model_parallel_size\` is not a number written in it`);
    return { ...spec, order: unknown(spec.order), normalize: unknown(spec.normalize), scale: unknown(spec.scale), selectionBias: unknown(spec.selectionBias) };
  }
  const label = `${MINDSPEED_MM_QWEN35}/modules.py TopKRouter (l.1579-1610), used at tensor parallel 1 (spec.py l.148-150)`;
  return {
    ...spec,
    scoreFunc: fixedBy('softmax', `${label}: softmax over all experts`),
    order: fixedBy('score-then-topk', `${label}: softmax, then top-k; moe_router_pre_softmax is not read`),
    normalize: fixedBy('always', `${label}: the k weights are divided by their sum`),
    scale: fixedBy(1, `${label}: no scaling factor`),
    selectionBias: fixedBy('none', `${label}: no expert bias`),
    groups: undefined,
  };
}

/**
 * `--use-checkpoint-args`: Megatron replaces these router arguments with those saved in the `--load` checkpoint,
 * whatever the launch writes (`_set_arg(..., force=True)`, megatron/training/checkpointing.py @d98e8a6 l.2305-2321;
 * called from arguments.py l.91). Expert groups are not among them.
 */
function fromCheckpoint(spec: RouterSpec, unread: string | undefined): RouterSpec {
  const why = unread
    ? `\`--use-checkpoint-args\` may be set (${unread}); then Megatron takes this from the checkpoint it loads (megatron/training/checkpointing.py @d98e8a6 l.2305-2321)`
    : '`--use-checkpoint-args`: Megatron takes this from the checkpoint it loads, whatever the launch writes (megatron/training/checkpointing.py @d98e8a6 l.2305-2321)';
  const unknown = unknownBecause(why);
  return {
    ...spec,
    experts: unknown(spec.experts),
    topK: unknown(spec.topK),
    order: unknown(spec.order),
    scoreFunc: unknown(spec.scoreFunc),
    selectionBias: unknown(spec.selectionBias),
    // The renormalisation follows from the score function.
    normalize: unknown(spec.normalize),
    scale: unknown(spec.scale),
    // The router's bias is `add_bias_linear`'s, which the checkpoint sets too (l.2287, `force=True`).
    routerBias: unknown(spec.routerBias),
  };
}

/** A field whose value the launch does not decide, for one reason. */

/** Expert groups that may or may not be used. */
const unknownGroups = (why: string): NonNullable<RouterSpec['groups']> => ({
  count: { value: undefined, sites: [], unknown: why },
  selected: { value: undefined, sites: [], unknown: why },
  score: 'topk-over-groups-sum',
});

/** The config itself writes its group count as None (the last such key, in this file): Megatron's no groups. */
function writesNoGroups(spec: RouterSpec): boolean {
  const key = spec.keyNames?.groupsCount;
  const last = key === undefined ? undefined : lastSite(spec.sites, key);
  return last !== undefined && last.file === undefined && last.unknown === undefined && last.literal.kind === 'none';
}

function withoutDefaults(spec: RouterSpec, reason: string): RouterSpec {
  const unknownIfDefault = <T>(field: Field<T>): Field<T> => unknownUnlessWritten(field, reason);
  return {
    ...spec,
    experts: unknownIfDefault(spec.experts),
    topK: unknownIfDefault(spec.topK),
    order: unknownIfDefault(spec.order),
    scoreFunc: unknownIfDefault(spec.scoreFunc),
    routerBias: unknownIfDefault(spec.routerBias),
    selectionBias: unknownIfDefault(spec.selectionBias),
    scale: unknownIfDefault(spec.scale),
    normalize: spec.scoreFunc.sites.length === 0 ? { ...spec.normalize, unknown: reason } : spec.normalize,
    // Not written here: whether groups are used is as unknown as the rest (a Bridge recipe sets 1/1 for Kimi-K2). A
    // `moe_router_num_groups: null` this file writes (a Primus override, mlcommons/training @aa344c7) is no groups.
    groups: spec.groups ? { ...spec.groups, count: unknownIfDefault(spec.groups.count), selected: unknownIfDefault(spec.groups.selected) } : writesNoGroups(spec) ? undefined : unknownGroups(reason),
  };
}

/**
 * FlagScale's train YAML: `system`, `model` and `data` are merged into one dict, in that order (a later section's key
 * wins), and passed to Megatron as flags (FlagOpen/FlagScale @da4935e flagscale/runner/runner_train.py l.40-43,
 * `flatten_dict_to_args`). So `system: {disable_bias_linear: true}` removes the router's bias as surely as under
 * `model:`, and a router key may sit in either section. Undefined for any other shape.
 */
function flagScaleSections(root: YAMLMap | undefined): YAMLMap[] | undefined {
  const section = (name: string): YAMLMap | undefined => {
    const value = root && pairOf(root, name)?.value;
    return isMap(value) ? value : undefined;
  };
  const [system, model, data] = [section('system'), section('model'), section('data')];
  return system && model ? [system, model, ...(data ? [data] : [])] : undefined;
}

function findRouterMap(node: unknown, depth: number): YAMLMap | undefined {
  if (!isMap(node) || depth > 6) return undefined;
  // A marker whose value is a list of names is no setting (microsoft/Olive olive/assets/io_configs/defaults.yaml
  // `aliases: {num_experts: [num_local_experts, n_routed_experts, …]}`: where to look in an HF config).
  const keys = node.items.map((p) => (isPair(p) && isScalar(p.key) && !namesList(p.value) ? yamlKey(String(p.key.value)) : ''));
  if (keys.some((k) => MARKERS.includes(k))) return node;
  for (const pair of node.items) {
    const found = isPair(pair) ? findRouterMap(pair.value, depth + 1) : undefined;
    if (found) return found;
  }
  return undefined;
}

/** A YAML sequence of words that are not numbers (`[num_local_experts, n_routed_experts]`). */
function namesList(value: unknown): boolean {
  return isSeq(value) && value.items.length > 0 && value.items.every((item) => isScalar(item) && typeof item.value === 'string' && !/^[\d.]+$/.test(item.value));
}

/**
 * A YAML key as Megatron's argparse name: plain (`num_experts`) or, in Megatron-LM's functional-test configs,
 * the flag itself (`MODEL_ARGS: {--num-experts: 8}`).
 */
/**
 * A key as the field it sets: `--num-experts` (a test YAML's flags), `model.config.num_moe_experts` (a NeMo-Run
 * override of a NeMo recipe's model config, Megatron-LM @d98e8a6 tests/functional_tests/test_cases/gpt-nemo), or the
 * field name itself.
 */
function yamlKey(key: string): string {
  if (key.startsWith('--')) return key.slice(2).replace(/-/g, '_');
  return key.startsWith(NEMO_RUN_MODEL) ? key.slice(NEMO_RUN_MODEL.length) : key;
}

const NEMO_RUN_MODEL = 'model.config.';
/** Keys only a MaxText model YAML has (MaxText's configs/base.yml). */
const MAXTEXT_KEYS = ['decoder_block', 'base_emb_dim', 'base_num_decoder_layers'];

/** One expert (NeMo's spelling of a dense model) or none is not an MoE config: no top-k default is assumed for it. */
function isDense(sites: readonly Site[]): boolean {
  const experts = sites.filter((s) => s.key === 'num_experts').pop();
  if (!experts) return false;
  const literal = experts.literal;
  return literal.kind === 'none' || ((literal.kind === 'int' || literal.kind === 'float') && literal.value <= 1);
}

/**
 * Another program's model description: it counts experts in a key of its own (`num_routed_experts`, DeepSeek's and
 * HF's spelling; wenxie-amd/Megatron-LM-Projection @6391035 projection/src/projection/model_configs/*.yaml, a pydantic
 * schema its tool turns into flags) and in none Megatron reads: Megatron would build it dense, so it is no config of
 * Megatron's, whatever `moe_router_topk` beside it says.
 */
function countsExpertsElsewhere(sites: readonly Site[]): boolean {
  return !sites.some((s) => s.key === 'num_experts' || s.key === 'num_moe_experts') && sites.some((s) => s.key === 'num_routed_experts' || s.key === 'n_routed_experts');
}

/** An expert-parallel size above 1 is written. */
function splitsExperts(sites: readonly Site[]): boolean {
  const ep = sites.filter((s) => s.key === 'expert_model_parallel_size').pop()?.literal;
  return ep !== undefined && ep.kind === 'int' && ep.value > 1;
}

/**
 * A Megatron config spelled as TransformerConfig fields elsewhere (a NeMo or Megatron-Bridge dataclass, or a call of
 * one): the same semantics, from sites the caller found. `defaultsUnknown`: why an unwritten field may not be
 * Megatron's default (a base MoE Lens cannot read, a layer spec of the class's own); `classNames`: a config class and
 * its bases, which name the model it is; `routerUnknown`: why the router that reads these fields is not Megatron's (a
 * port of TransformerConfig in another framework), whose semantics are then unknown.
 */
export function megatronSpecFromSites(dialect: Dialect, file: string, name: string, sites: Site[], range: SourceRange, anchorRange: SourceRange, defaultsUnknown?: string, classNames?: readonly string[], routerUnknown?: string): RouterSpec | undefined {
  const normalised = sites.map((s) => (ALIASES[s.key] ? { ...s, key: ALIASES[s.key]! } : s));
  if (!normalised.some((s) => MARKERS.includes(s.key)) || isDense(normalised)) return undefined;
  const built = buildSpec(dialect, file, normalised, range, anchorRange, undefined);
  // A config class declares what it is, as a config.json's model_type does: its name and its bases' name the family
  // (NeMo's `MixtralConfig8x7B`), and a class that names none (NeMo's diffusion `ECDiTLlama1BConfig`, whose 16 layers
  // × 64 experts × 2048 are OLMoE's) is a model of its own, never a published one by shape alone.
  const declared = classNames ? { family: familyFromHints([...classNames, file]), modelType: name } : {};
  const spec = { ...built, name, identity: { ...built.identity, ...declared, flavor: name, fileLabel: name } };
  const read = defaultsUnknown ? withoutDefaults(spec, defaultsUnknown) : spec;
  return routerUnknown ? anotherRouter(read, routerUnknown) : read;
}

/**
 * A Megatron config that overrides another MoE Lens cannot see (a Megatron-Bridge `--config-file` YAML over
 * a recipe): what it does not write is unknown (`why`), never Megatron's default, and it is a config even
 * where it does not write the expert count (a written None or 1 expert is still dense).
 */
export function megatronOverrideSpec(dialect: Dialect, file: string, name: string, sites: Site[], range: SourceRange, anchorRange: SourceRange, why: string, launch: LaunchScope): RouterSpec | undefined {
  const normalised = sites.map((s) => (ALIASES[s.key] ? { ...s, key: ALIASES[s.key]! } : s));
  // No experts, but split over expert-parallel ranks: not a dense model but an MoE config Megatron Core refuses (MEG-002).
  if (isDense(normalised) && !splitsExperts(normalised)) return undefined;
  const spec = buildSpec(dialect, file, normalised, range, anchorRange, undefined);
  return withoutDefaults({ ...spec, name, identity: { ...spec.identity, flavor: name, fileLabel: name }, launch }, why);
}

function buildSpec(dialect: Dialect, file: string, sites: Site[], range: SourceRange, anchorRange: SourceRange, insertion: RouterSpec['insertion'], megablocks = false): RouterSpec {
  // Sites by key, in order, built once: scanning every site per field asked was a fifth of a 2 MB file's time.
  const byKey = new Map<string, Site[]>();
  for (const site of sites) {
    const list = byKey.get(site.key);
    if (list) list.push(site);
    else byKey.set(site.key, [site]);
  }
  const find = (key: string): Site[] => byKey.get(key) ?? [];
  const last = (key: string): Site | undefined => byKey.get(key)?.at(-1);
  /** `none`: what a written None means for an Optional field (its default), where it is not unknown. */
  const numberField = (key: string, fallback?: { value: number; label: string }, none?: { value: number | undefined }): Field<number | undefined> => {
    const site = last(key);
    if (site?.unknown) return { value: undefined, sites: find(key), unknown: site.unknown };
    if (site?.literal.kind === 'int' || site?.literal.kind === 'float') return { value: site.literal.value, sites: find(key) };
    if (site?.literal.kind === 'none' && none) return { value: none.value, sites: find(key) };
    // Written, but not as a number MoE Lens can read (`--moe-router-num-groups ${EP}` with EP from the environment).
    if (site) return { value: undefined, sites: find(key), unknown: notReadable(key, site, 'number') };
    return fallback ? { value: fallback.value, sites: [], defaultFrom: { label: fallback.label } } : { value: undefined, sites: [] };
  };
  const flag = (key: string, fallback = false): { value: boolean; sites: Site[]; unknown?: string } => {
    const site = last(key);
    const written = site && flagValue(site);
    // Written as something else (`add_bias_linear=use_bias`, a parameter no call sets): not the default, unknown.
    const unreadable = site !== undefined && written === undefined ? notReadable(key, site) : undefined;
    const unknown = site?.unknown ?? unreadable;
    return { value: written ?? fallback, sites: find(key), ...(unknown ? { unknown } : {}) };
  };

  const scoreSite = last('moe_router_score_function');
  const scoreFunc: Field<string> =
    scoreSite?.unknown
      ? { value: 'softmax', sites: find('moe_router_score_function'), unknown: scoreSite.unknown }
      : scoreSite?.literal.kind === 'string'
      ? { value: scoreSite.literal.value, sites: find('moe_router_score_function') }
      : scoreSite
        ? { value: 'softmax', sites: find('moe_router_score_function'), unknown: notReadable('moe_router_score_function', scoreSite) }
        : { value: 'softmax', sites: [], defaultFrom: { label: 'Megatron moe_router_score_function default' } };
  // The order, renormalisation and expert bias follow from the score function: unknown with it.
  const dependsOnScore = scoreFunc.unknown !== undefined ? { unknown: `the score function is not known (${scoreFunc.unknown})` } : {};
  const preSoftmax = flag('moe_router_pre_softmax');
  const softmax = scoreFunc.value === 'softmax';
  // MegaBlocks (megablocks/layers/router.py): softmax over all experts, then top-k, no renormalisation.
  const order: Order = softmax && !preSoftmax.value && !megablocks ? 'topk-then-score' : 'score-then-topk';
  const normalize: Normalize = softmax ? 'never' : 'when-k>1';
  const expertBias = flag('moe_router_enable_expert_bias');
  // Megatron ignores expert_bias on the softmax paths (research §4.2); MOE015 reports the conflict.
  const selection: SelectionBias = expertBias.value && !softmax ? 'learned' : 'none';
  const disableBias = flag('disable_bias_linear');
  const addBias = flag('add_bias_linear', true);
  const biasFlag = disableBias.sites.length ? disableBias : addBias;
  // MegaBlocks' LearnedRouter gate is `nn.Linear(hidden, experts, bias=False)` whatever the model's linear layers
  // do (megablocks/layers/router.py @78eea65 l.72-78).
  const routerBias: Field<boolean> = megablocks
    ? { value: false, sites: [], defaultFrom: { label: 'MegaBlocks LearnedRouter: its gate has no bias (megablocks/layers/router.py)' } }
    : { value: disableBias.value ? false : addBias.value, sites: biasFlag.sites, ...(biasFlag.unknown ? { unknown: biasFlag.unknown } : {}) };
  // `moe_router_num_groups: null` is Megatron's default: no groups (transformer_config.py: Optional[int] = None).
  const groupsCount = numberField('moe_router_num_groups', undefined, { value: undefined });
  const groupsSelected = numberField('moe_router_group_topk', undefined, { value: undefined });
  // None (the default) scales nothing: `if scaling_factor: probs = probs * scaling_factor` (moe_utils.py @d98e8a6 l.933).
  const scaleField = numberField('moe_router_topk_scaling_factor', undefined, { value: 1 });
  const label = file.split(/[\\/]/).pop()!.replace(/\.(sh|bash|ya?ml)$/i, '');

  const spec: RouterSpec = {
    dialect,
    framework: 'megatron',
    name: label,
    range,
    anchorRange,
    experts: numberField('num_experts'),
    topK: numberField('moe_router_topk', { value: 2, label: 'Megatron moe_router_topk default' }),
    order: { value: order, sites: preSoftmax.sites, ...(preSoftmax.sites.length ? {} : { defaultFrom: { label: megablocks ? 'MegaBlocks router: softmax over all experts, then top-k' : 'Megatron post-softmax default' } }), ...dependsOnScore, ...(preSoftmax.unknown ? { unknown: preSoftmax.unknown } : {}) },
    scoreFunc,
    // The router has had a bias under `add_bias_linear` only since Megatron-LM a329dd6 (2025-09-22, router.py l.54-59);
    // an older Megatron's router (ROCm's fork of 2024, Pai-Megatron-Patch's pinned 250908) has none: the label says so.
    routerBias: { ...routerBias, ...(routerBias.sites.length || routerBias.defaultFrom ? {} : { defaultFrom: { label: 'Megatron add_bias_linear default (True): a router bias since Megatron-LM a329dd6 (2025-09-22), none in an older Megatron' } }) },
    // Unwritten, the default's origin is named, so that a launch that may set it elsewhere assumes it (withLaunch).
    selectionBias: { value: selection, sites: expertBias.sites, ...(expertBias.sites.length ? {} : { defaultFrom: { label: 'Megatron moe_router_enable_expert_bias default (False)' } }), ...(expertBias.value ? dependsOnScore : {}), ...(expertBias.unknown ? { unknown: expertBias.unknown } : {}) },
    groups:
      // Written, even as a value MoE Lens cannot read (`${EP}`, a branch it cannot decide): groups, maybe.
      groupsCount.value !== undefined || groupsSelected.value !== undefined || groupsCount.unknown !== undefined || groupsSelected.unknown !== undefined
        ? { count: groupsCount, selected: groupsSelected, score: 'topk-over-groups-sum' }
        : undefined,
    normalize: { value: normalize, sites: [], defaultFrom: { label: softmax ? 'Megatron softmax paths' : `Megatron renormalises ${scoreFunc.value} weights when k > 1` }, ...dependsOnScore },
    scale: { ...scaleField, value: scaleField.value ?? 1, ...(scaleField.sites.length ? {} : { defaultFrom: { label: 'Megatron moe_router_topk_scaling_factor default (None: no scaling)' } }) },
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
  const checkpointArgs = flag('use_checkpoint_args');
  // `--routing-mode` is a flag of Megatron-LM core 0.4's SwitchMLP only: the launch runs such a Megatron.
  const switchMlp = sites.some((s) => s.key === 'routing_mode');
  const routed = megablocks ? spec : switchMlp ? switchMlpRouter(spec, '`--routing-mode` is the flag of Megatron-LM core 0.4 and before, whose SwitchMLP is no MoE router') : ownBalancingRouter(spec, sites);
  const restored = checkpointArgs.value || checkpointArgs.unknown ? fromCheckpoint(routed, checkpointArgs.unknown) : routed;
  const hashed = hashLayers(last('n_hash_layers') ?? last('num_hash_layers'), spec.layers.value);
  return hashed ? { ...restored, tokenIdLayers: hashed } : restored;
}

/**
 * DeepSeek-V4's hash layers in Megatron launches, routed by a token-id table and not by this router (helper sweep K):
 * MindSpeed's `--n-hash-layers N` (Ascend/MindSpeed-LLM @c77308a mindspeed_llm/core/transformer/moe/router.py l.362:
 * `self.layer_number <= n_hash_layers`, 1-based) and Primus's `num_hash_layers: N` (AMD-AGI/Primus @fd1eeab
 * primus/backends/megatron/core/models/deepseek_v4/deepseek_v4_block.py l.1106-1128: `layer_idx < num_hash_layers`):
 * the first N layers.
 */
function hashLayers(site: Site | undefined, layerCount: number | undefined): RouterSpec['tokenIdLayers'] {
  if (site?.literal.kind !== 'int' || site.literal.value < 1) return undefined;
  const n = layerCount === undefined ? site.literal.value : Math.min(site.literal.value, layerCount);
  const flag = site.key === 'n_hash_layers' ? '`--n-hash-layers`' : '`num_hash_layers`';
  return { layers: Array.from({ length: n }, (_, i) => i), source: `${flag} ${site.literal.value}: the first ${site.literal.value} layers pick experts by token id (MindSpeed, Primus)` };
}

/**
 * slime's and miles' `--custom-model-provider-path`: that function builds the model instead of Megatron's own provider
 * (radixark/miles @31f1ca9 miles/backends/megatron_utils/model_provider.py l.136-160). Where the workspace holds it and
 * it builds its config from the arguments and its layers from `--spec`, as Megatron's own does
 * (`core_transformer_config_from_args`: slime's Gemma 4 provider), the flags are read as in any launch. Otherwise its
 * code decides the config and the router: miles' Inkling provider reads the checkpoint's config.json and routes with
 * an InklingRouter of its own (helper sweep J), so nothing of the router is the flags'.
 */
function withCustomProvider(spec: RouterSpec, file: string, readModule: RelatedText | undefined): RouterSpec {
  const provider = spec.sites.filter((site) => site.key === 'custom_model_provider_path').at(-1);
  if (!provider) return spec;
  const path = provider.literal.kind === 'string' ? provider.literal.value : literalText(provider.literal);
  const module = /^[\w.]+$/.test(path) && readModule ? fileAbove(file, `${path.split('.').slice(0, -1).join('/')}.py`, readModule, MAX_CHECKOUT_DEPTH) : undefined;
  if (module && /\bcore_transformer_config_from_args\(/.test(module.text)) return spec;
  const why = `the launch builds its model with \`--custom-model-provider-path ${path}\` (slime, miles), whose code sets the config and the router${module ? '' : ' (it is not in the workspace)'}; MoE Lens does not read it`;
  const unknown = unknownBecause(why);
  return { ...anotherRouter(spec, why), experts: unknown(spec.experts), topK: unknown(spec.topK) };
}

const FASTMOE = 'laekov/fastmoe @ee3c561 fmoe/megatron';

/**
 * `--fmoefy`: FastMoE replaces Megatron's MLP with its own MoE layer and adds its flags to Megatron's parser
 * (utils.py l.7-20): `--num-experts`, `--top-k` (default 2), and `--balance-strategy`, which picks its gate (naive,
 * noisy, gshard, switch, swipe: layers.py l.86-100). MoE Lens models none of those gates: the counts are read, the
 * rest is unknown.
 */
function fastMoeRouting(spec: RouterSpec, sites: readonly Site[]): RouterSpec {
  const topK = lastSite(sites, 'top_k');
  const why = `the script passes \`--fmoefy\`: FastMoE's own MoE layer routes, with the gate \`--balance-strategy\` picks (${FASTMOE}/layers.py l.86-100), which MoE Lens does not model`;
  const read: RouterSpec = {
    ...spec,
    topK:
      topK === undefined
        ? { value: 2, sites: [], defaultFrom: { label: `FastMoE \`--top-k\` default (${FASTMOE}/utils.py l.15)` } }
        : topK.literal.kind === 'int'
          ? { value: topK.literal.value, sites: [topK] }
          : { value: undefined, sites: [topK], unknown: `\`${literalText(topK.literal)}\` is not a number written in the file` },
    routerBias: unknownBecause(why)(spec.routerBias),
  };
  return unmodelledRouter(read, why, unknownGroups(why));
}

const MEGATRON_ROUTER = 'NVIDIA/Megatron-LM @d98e8a6 megatron/core/transformer/moe/router.py';
/** `moe_router_load_balancing_type`'s values at d98e8a6 (arguments.py l.3533, router.py l.771-775). */
const MEGATRON_BALANCING_TYPES = ['aux_loss', 'seq_aux_loss', 'global_aux_loss', 'sinkhorn', 'quantile_balancing', 'none'];

/**
 * Two load-balancing types route with functions of their own, not with the score function's top-k (router.py
 * l.771-775, `moe_router_load_balancing_type` one string): `sinkhorn` chooses in training the top k of
 * Sinkhorn-balanced logits and weighs them by a sigmoid (k = 1) or a softmax over all experts, never renormalised
 * (l.280-311); `quantile_balancing` chooses by a per-expert bias of its own that a dual coordinate descent updates
 * (l.313-370). Neither reads the score function, pre-softmax, groups, scaling factor or expert bias, and MoE Lens
 * models neither: what they decide is unknown, not the softmax router's defaults.
 */
function ownBalancingRouter(spec: RouterSpec, sites: readonly Site[]): RouterSpec {
  const balancing = lastSite(sites, 'moe_router_load_balancing_type');
  const type = balancing?.literal.kind === 'string' && !balancing.items ? balancing.literal.value : undefined;
  // A word the script fills in (`$LB`) is not known to be another Megatron's type.
  const foreign = (balancing?.items ?? (type === undefined ? [] : [type])).find((t) => !t.includes('$') && !MEGATRON_BALANCING_TYPES.includes(t) && !MINDSPEED_ROUTING_TYPES.includes(t));
  if (foreign !== undefined) {
    // Another Megatron's type: `expert_choice` on Megatron-LM's cosmos branch (9344d7b, router.py l.168-190), where
    // each expert picks its top tokens from a softmax over all experts and top-k is not read.
    const why = `\`${foreign}\` is no load-balancing type of Megatron-LM @d98e8a6 (router.py l.771-775): the Megatron that takes it routes with code MoE Lens does not read`;
    // Its groups too where none of Megatron's flags writes them (MindSpeed's `--n-group` / `--topk-group` under `noaux_tc`).
    return unmodelledRouter(spec, why, groupsUnknown(spec.groups, why) ?? unknownGroups(why), ['topK']);
  }
  if (type !== 'sinkhorn' && type !== 'quantile_balancing') return spec;
  const how = type === 'sinkhorn' ? 'chooses experts in training from Sinkhorn-balanced logits and weighs them by a sigmoid (top-1) or a softmax over all experts, not renormalised (l.280-311)' : 'chooses experts by a per-expert bias that a dual coordinate descent updates (l.313-370)';
  const why = `\`--moe-router-load-balancing-type ${type}\` routes with a function of its own (${MEGATRON_ROUTER} l.771-775): it ${how}, which MoE Lens does not model`;
  return unmodelledRouter(spec, why, groupsUnknown(spec.groups, why));
}

/** Groups the config writes, their values unknown for a reason (a router that does not read them as Megatron's does). */
function groupsUnknown(groups: RouterSpec['groups'], why: string): RouterSpec['groups'] {
  const unknown = unknownBecause(why);
  return groups && { ...groups, count: unknown(groups.count), selected: unknown(groups.selected) };
}

/**
 * A config whose router is other code's than Megatron's (a port of TransformerConfig, the checkpoint's under RLinf's
 * Megatron-Bridge): every setting of its router unknown, written or not, gate bias included.
 */
function anotherRouter(spec: RouterSpec, why: string): RouterSpec {
  // The gate's bias as the config wrote it or defaulted it, unknown: withoutDefaults would drop where the default came from.
  return { ...unmodelledRouter(withoutDefaults(spec, why), why, unknownGroups(why)), routerBias: unknownBecause(why)(spec.routerBias) };
}

/**
 * A router MoE Lens does not compute: how it chooses and weighs is unknown, for one reason; the counts stay read, and
 * so does the gate's bias, unless `also` names them (a router that picks its own k, or has a gate of its own).
 */
function unmodelledRouter(spec: RouterSpec, why: string, groups: RouterSpec['groups'], also: readonly ('topK' | 'routerBias')[] = []): RouterSpec {
  const unknown = unknownBecause(why);
  return {
    ...spec,
    order: unknown(spec.order),
    scoreFunc: unknown(spec.scoreFunc),
    selectionBias: unknown(spec.selectionBias),
    normalize: unknown(spec.normalize),
    scale: unknown(spec.scale),
    groups,
    ...(also.includes('topK') ? { topK: unknown(spec.topK) } : {}),
    ...(also.includes('routerBias') ? { routerBias: unknown(spec.routerBias) } : {}),
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

/**
 * A value filled in before the YAML is read: `${VAR}` or `$VAR` for `envsubst` (Megatron-MoE-ModelZoo's
 * sbatch_benchmarking.sh runs `envsubst < $TRAINING_PARAMS_PATH`), `${name}` / `${oc.env:VAR}` for OmegaConf,
 * `${VAR:default}` for Primus. Megatron never sees the text, so its value is unknown, as a shell `$VAR` is.
 */
const PLACEHOLDER = /\$\{[^}]*\}|\$[A-Za-z_]/;
const isPlaceholder = (value: unknown): boolean => typeof value === 'string' && PLACEHOLDER.test(value);

/** A YAML scalar's literal; the source text keeps `1.0` a float although YAML reads it as 1. */
function jsLiteral(value: unknown, source: string): Literal {
  if (value === null || value === undefined) return { kind: 'none' };
  if (isPlaceholder(value)) return { kind: 'expression', text: source };
  if (typeof value === 'boolean') return { kind: 'bool', value };
  if (typeof value === 'number') return Number.isInteger(value) && !/[.eE]/.test(source) ? { kind: 'int', value } : { kind: 'float', value };
  if (typeof value === 'string') return { kind: 'string', value };
  return { kind: 'expression', text: String(value) };
}
