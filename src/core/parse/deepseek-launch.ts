/**
 * A shell script that runs DeepSeek-V3's own inference code (deepseek-ai/DeepSeek-V3 @9b4e978, `inference/`):
 * `python convert.py --hf-ckpt-path … --save-path P --n-experts E --model-parallel N` and
 * `torchrun --nnodes A --nproc-per-node B generate.py --ckpt-path P --config X.json …` (README.md lines 288 and
 * 296). Each command becomes one RouterSpec (dialect `deepseek-launch`) whose `layout` holds what the launch
 * checks need, each value with its place: the launcher's world size flags, the command's own flags, and for
 * generate.py the `ModelArgs` values of the `--config` JSON (sites in that file) and the `--model-parallel` of
 * the convert.py command that wrote its `--ckpt-path`. Nothing is guessed: a shell variable, an elastic
 * `--nnodes 1:2`, a config that cannot be read, a `cd` MoE Lens cannot follow leave the value unknown
 * (an `expression` literal), and the rule (MOE022) asserts on nothing unknown. Never throws; loops are bounded.
 */
import { parseTree, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import type { Field, Literal, RouterSpec, Site } from '../model/router-spec';
import type { SourceRange } from '../text/source';
import { shellWords, type ShellWord } from './shell-words';

export const DEEPSEEK_COMMIT = '9b4e978';

/**
 * `ModelArgs` of inference/model.py @9b4e978 (lines 55–86): its fields, and the defaults of those the launch
 * checks read (for a key the config JSON does not write; `ModelArgs(**json.load(f))`, generate.py line 113).
 */
export const MODEL_ARGS_FIELDS: ReadonlySet<string> = new Set([
  'max_batch_size', 'max_seq_len', 'dtype', 'scale_fmt', 'vocab_size', 'dim', 'inter_dim', 'moe_inter_dim', 'n_layers', 'n_dense_layers', 'n_heads',
  'n_routed_experts', 'n_shared_experts', 'n_activated_experts', 'n_expert_groups', 'n_limited_groups', 'score_func', 'route_scale',
  'q_lora_rank', 'kv_lora_rank', 'qk_nope_head_dim', 'qk_rope_head_dim', 'v_head_dim',
  'original_seq_len', 'rope_theta', 'rope_factor', 'beta_fast', 'beta_slow', 'mscale',
]);

/** key → [default, line of inference/model.py @9b4e978]. */
export const MODEL_ARGS_DEFAULTS: Readonly<Record<string, readonly [number, number]>> = {
  vocab_size: [102400, 59],
  inter_dim: [10944, 61],
  moe_inter_dim: [1408, 62],
  n_layers: [27, 63],
  n_dense_layers: [1, 64],
  n_heads: [16, 65],
  n_routed_experts: [64, 67],
  n_shared_experts: [2, 68],
  q_lora_rank: [0, 75],
  qk_nope_head_dim: [128, 77],
  qk_rope_head_dim: [64, 78],
  v_head_dim: [128, 79],
};

/** Layout keys of a launch spec (besides the config's `ModelArgs` keys, which are sites in the JSON). */
export type LaunchKey =
  | 'command' // 'generate' | 'convert' (string), at the script word
  | 'launcher' // 'torchrun' | 'python' (string), at the launcher word
  | 'nnodes'
  | 'nproc_per_node'
  | 'ckpt_path'
  | 'config'
  /** The config JSON as resolved (string: its path), or why it could not be read (expression). */
  | 'config_file'
  /** A key of the config JSON that `ModelArgs` does not take (generate.py raises TypeError before any check). */
  | 'config_rejected_key'
  | 'hf_ckpt_path'
  | 'save_path'
  | 'n_experts'
  | 'model_parallel'
  /** For generate.py: the `--model-parallel` of the convert.py that wrote `--ckpt-path` (via: its `--save-path`). */
  | 'converted_model_parallel'
  /**
   * A census row (string) whose check the workspace's own copy of the script (or its model.py) does not make as
   * DeepSeek-V3 @9b4e978 does: a fork or another DeepSeek release; that row is not decided.
   */
  | 'source_lacks';

/** The line each census row rests on, as written at @9b4e978: a checkout without it runs other code. */
const SOURCE_LINES: Readonly<Record<string, { readonly file: 'model.py' | 'convert.py' | 'generate.py'; readonly line: string }[]>> = {
  'DS-001': [{ file: 'model.py', line: 'assert args.n_routed_experts % world_size == 0' }],
  // V3.2-Exp's model.py (@3b99a53 l.767) passes `reduce_output=False` after these arguments: the same assert.
  'DS-002': [{ file: 'model.py', line: 'assert out_features % world_size == 0' }, { file: 'model.py', line: 'MLP(args.dim, args.n_shared_experts * args.moe_inter_dim' }],
  'DS-003': [{ file: 'convert.py', line: 'assert args.n_experts % args.model_parallel == 0' }],
  'DS-004': [{ file: 'generate.py', line: 'f"model{rank}-mp{world_size}.safetensors"' }, { file: 'convert.py', line: 'f"model{i}-mp{mp}.safetensors"' }],
};

export function looksLikeDeepseekLaunch(text: string): boolean {
  if (!/(?:^|[\s/"'])(?:generate|convert)\.py\b/.test(text)) return false;
  return (text.includes('--ckpt-path') && text.includes('--config')) || (text.includes('--n-experts') && text.includes('--model-parallel'));
}

export type ReadText = (file: string) => string | undefined;

const MAX_COMMANDS = 50_000;
const MAX_DEEPSEEK_COMMANDS = 64;
const MAX_LINES_SKIPPED = 1_000_000;
/** Longer paths (a hostile `cd ../../…`) are not followed. */
const MAX_PATH = 4096;

interface Command {
  readonly words: ShellWord[];
  /** Inside an `if`/loop/`case`/function/`{ }`: it may run any number of times, or not at all. */
  readonly nested: boolean;
  /** The working directory it runs in (script-relative convention); undefined when MoE Lens cannot follow it. */
  readonly cwd: string | undefined;
  /** Changes each time a `cd` runs, so that two identical relative paths are known to name the same folder. */
  readonly cwdEpoch: number;
}

/** Offsets of the commands of a script: split at unquoted newlines, `;`, `&`, `|`; heredoc bodies skipped. */
function segments(text: string): SourceRange[] {
  const out: SourceRange[] = [];
  let start = 0;
  let i = 0;
  let heredoc: { delimiter: string; tabs: boolean } | undefined;
  const push = (end: number): void => {
    if (end > start && out.length < MAX_COMMANDS) out.push({ start, end });
  };
  while (i < text.length && out.length < MAX_COMMANDS) {
    const ch = text[i]!;
    if (ch === '\\') {
      i += text[i + 1] === '\r' && text[i + 2] === '\n' ? 3 : 2;
      continue;
    }
    if (ch === "'") {
      const close = text.indexOf("'", i + 1);
      i = close === -1 ? text.length : close + 1;
      continue;
    }
    if (ch === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (ch === '#' && (i === 0 || /[\s;&|(]/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      const match = /^<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/.exec(text.slice(i, i + 200));
      if (match) {
        heredoc = { delimiter: match[3]!, tabs: match[1] === '-' };
        i += match[0].length;
        continue;
      }
    }
    if (ch === '\n' || ch === ';' || ch === '&' || ch === '|') {
      push(i);
      i++;
      if (ch === '\n' && heredoc) {
        // The body up to the delimiter line is data, not commands.
        let lines = 0;
        while (i < text.length && lines++ < MAX_LINES_SKIPPED) {
          const end = text.indexOf('\n', i);
          const line = text.slice(i, end === -1 ? text.length : end).replace(/\r$/, '');
          i = end === -1 ? text.length : end + 1;
          if ((heredoc.tabs ? line.replace(/^\t+/, '') : line) === heredoc.delimiter) break;
        }
        heredoc = undefined;
      }
      start = i;
      continue;
    }
    i++;
  }
  push(Math.min(i, text.length));
  return out;
}

const OPENERS = new Set(['if', 'while', 'until', 'for', 'case', 'select']);
const CLOSERS = new Set(['fi', 'done', 'esac']);
/** Words before a command that do not change what it runs. */
const PREFIXES = new Set(['then', 'do', 'else', 'elif', '!', 'time', 'nohup', 'exec', 'env']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

function joinPath(base: string, relative: string): string {
  const path = relative.startsWith('/') ? relative : base === '' ? relative : `${base}/${relative}`;
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..' && out[out.length - 1] !== '') out.pop();
    else if (part !== '.' && !(part === '' && out.length > 0)) out.push(part);
  }
  return out.join('/') || (path.startsWith('/') ? '/' : '.');
}

/** `cd "$(dirname "$0")"` and its spellings: the script's own folder. */
const CD_SCRIPT_DIR = /^cd\s+"?\$\(\s*dirname\s+"?\$(?:0|\{0\}|\{BASH_SOURCE(?:\[0\])?\}|BASH_SOURCE)"?\s*\)"?\s*$/;

function count(text: string, ch: string): number {
  let n = 0;
  for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

function commandsOf(text: string, file: string): Command[] {
  const scriptDir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
  let cwd: string | undefined = scriptDir;
  let cwdEpoch = 0;
  let depth = 0;
  const out: Command[] = [];
  let subshell = 0;
  for (const segment of segments(text)) {
    const raw = text.slice(segment.start, segment.end);
    // `( cd x && … )`: what runs inside may not change the script's folder; treated as nested.
    const opens = /^\s*\((?!\()/.test(raw);
    if (opens) subshell++;
    const closes = subshell > 0 && raw.trimEnd().endsWith(')') && count(raw, ')') > count(raw, '(');
    let words = shellWords(raw).map((w) => ({ ...w, start: w.start + segment.start, end: w.end + segment.start }));
    let guard = 0;
    while (words.length > 0 && guard++ < 64) {
      const first = words[0]!;
      if (OPENERS.has(first.text) && !first.dynamic) {
        depth++;
        words = words.slice(1);
      } else if ((CLOSERS.has(first.text) || first.text === '}') && !first.dynamic) {
        depth = Math.max(0, depth - 1);
        words = words.slice(1);
      } else if (first.text === '{' && !first.dynamic) {
        depth++;
        words = words.slice(1);
      } else if (first.text === 'function' && words.length > 1) {
        // `function name {`: the body's `{` opens the nesting (a body runs when, and as often as, it is called).
        words = words.slice(2);
      } else if (/^[A-Za-z_][\w-]*$/.test(first.text) && /^\s*\(\s*\)/.test(text.slice(first.end, first.end + 20))) {
        words = words.slice(1);
      } else if ((PREFIXES.has(first.text) || ASSIGNMENT.test(first.text)) && !first.dynamic) {
        words = words.slice(1);
      } else if (ASSIGNMENT.test(first.text)) {
        words = words.slice(1);
      } else break;
    }
    const head = words[0];
    const nested = depth > 0 || subshell > 0;
    if (closes) subshell--;
    if (!head) continue;
    if (head.text === 'cd' || head.text === 'pushd' || head.text === 'popd') {
      cwdEpoch++;
      const target = words[1];
      const spelled = text.slice(head.start, segment.end).trim();
      if (nested || head.text === 'popd') cwd = undefined;
      else if (head.text === 'cd' && CD_SCRIPT_DIR.test(spelled)) cwd = scriptDir;
      else if (!target || target.dynamic || words.length > 2 || target.text.startsWith('-') || target.text.startsWith('~') || target.text === '') cwd = undefined;
      else if (target.text.length > MAX_PATH) cwd = undefined;
      else if (cwd !== undefined || target.text.startsWith('/')) cwd = joinPath(cwd ?? '', target.text);
      if (cwd !== undefined && cwd.length > MAX_PATH) cwd = undefined;
      continue;
    }
    out.push({ words, nested, cwd, cwdEpoch });
  }
  return out;
}

const PYTHON = /^(?:.*\/)?python[\d.]*$/;
const TORCHRUN = /^(?:.*\/)?torchrun$/;
const isScript = (word: ShellWord, name: string): boolean => word.text === name || word.text.endsWith(`/${name}`);

interface Invocation {
  readonly kind: 'generate' | 'convert';
  readonly launcher: 'torchrun' | 'python';
  readonly launcherWord: ShellWord;
  readonly script: ShellWord;
  /** torchrun's own options (before the script). */
  readonly launcherArgs: readonly ShellWord[];
  readonly args: readonly ShellWord[];
}

function invocationOf(words: readonly ShellWord[]): Invocation | undefined {
  const first = words[0];
  if (!first || first.dynamic) return undefined;
  let launcher: Invocation['launcher'];
  let optionsFrom = 1;
  if (TORCHRUN.test(first.text)) launcher = 'torchrun';
  else if (PYTHON.test(first.text)) {
    // `python -m torch.distributed.run …` is torchrun.
    const m = words.findIndex((w, i) => i > 0 && (w.text === '-m' || w.text.startsWith('-m')));
    const module = m > 0 ? (words[m]!.text === '-m' ? words[m + 1]?.text : words[m]!.text.slice(2)) : undefined;
    const scriptAt = words.findIndex((w, i) => i > 0 && (isScript(w, 'generate.py') || isScript(w, 'convert.py')));
    if (module === 'torch.distributed.run' && (scriptAt === -1 || m < scriptAt)) {
      launcher = 'torchrun';
      optionsFrom = m + (words[m]!.text === '-m' ? 2 : 1);
    } else launcher = 'python';
  } else return undefined;
  for (let i = optionsFrom; i < words.length && i < 400; i++) {
    const word = words[i]!;
    const kind = isScript(word, 'generate.py') ? 'generate' : isScript(word, 'convert.py') ? 'convert' : undefined;
    if (kind) {
      // With python, only interpreter switches (`-u`, `-O`) may come first: `python -c …` runs something else.
      if (launcher === 'python' && words.slice(optionsFrom, i).some((w) => !/^-[uOBIsSEqX]+$/.test(w.text) && !/^-W/.test(w.text))) return undefined;
      return { kind, launcher, launcherWord: first, script: word, launcherArgs: words.slice(optionsFrom, i), args: words.slice(i + 1) };
    }
    if (launcher === 'python' && !word.text.startsWith('-')) return undefined;
  }
  return undefined;
}

/** The value of `--flag v` / `--flag=v` (the last one written wins, as argparse does), with its range. */
interface FlagValue {
  readonly key: string;
  readonly flagWord: ShellWord;
  readonly text: string;
  readonly range: SourceRange;
  readonly dynamic: boolean;
}

function flagValue(words: readonly ShellWord[], spellings: readonly string[]): FlagValue | 'ambiguous' | undefined {
  let found: FlagValue | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const eq = word.text.indexOf('=');
    const name = eq === -1 ? word.text : word.text.slice(0, eq);
    if (!spellings.includes(name)) continue;
    if (eq !== -1) {
      const valueText = word.text.slice(eq + 1);
      // The value's place: where it is written after `=` (quotes make offsets shift: then the whole word).
      const plain = word.end - word.start === word.text.length;
      found = { key: name, flagWord: word, text: valueText, range: plain ? { start: word.start + eq + 1, end: word.end } : { start: word.start, end: word.end }, dynamic: word.dynamic };
    } else {
      const next = words[i + 1];
      if (!next) return 'ambiguous';
      found = { key: name, flagWord: word, text: next.text, range: { start: next.start, end: next.end }, dynamic: next.dynamic };
      i++;
    }
  }
  return found;
}

/** argparse accepts any unambiguous prefix of a long option: a word that could be one hides the value. */
function abbreviates(words: readonly ShellWord[], full: readonly string[]): boolean {
  return words.some((w) => {
    const name = w.text.split('=')[0]!;
    return name.length > 3 && name.startsWith('--') && !full.includes(name) && full.some((f) => f.startsWith(name));
  });
}

const INT = /^\+?\d{1,9}$/;

function flagLiteral(value: FlagValue): Literal {
  if (value.dynamic) return { kind: 'expression', text: value.text };
  if (INT.test(value.text)) return { kind: 'int', value: Number(value.text) };
  return { kind: 'string', value: value.text };
}

function site(key: LaunchKey | string, keyRange: SourceRange, valueRange: SourceRange, literal: Literal, file?: string, via?: Site['via']): Site {
  return { key, keyRange, valueRange, literal, ...(file !== undefined ? { file } : {}), ...(via ? { via } : {}) };
}

const wordRange = (w: ShellWord): SourceRange => ({ start: w.start, end: w.end });

function flagSite(key: LaunchKey, words: readonly ShellWord[], spellings: readonly string[]): Site | undefined {
  if (abbreviates(words, spellings)) {
    const w = words.find((x) => spellings.some((f) => f.startsWith(x.text.split('=')[0]!)) && x.text.startsWith('--'))!;
    return site(key, wordRange(w), wordRange(w), { kind: 'expression', text: `${w.text} (an abbreviation argparse may expand)` });
  }
  const value = flagValue(words, spellings);
  if (value === undefined) return undefined;
  if (value === 'ambiguous') {
    const w = words.find((x) => spellings.includes(x.text))!;
    return site(key, wordRange(w), wordRange(w), { kind: 'expression', text: `${w.text} without a value` });
  }
  return site(key, wordRange(value.flagWord), value.range, flagLiteral(value));
}

/** torchrun's `--nnodes` (`N` or an elastic `MIN:MAX`) and `--nproc-per-node` (`N`, `gpu`, `auto`…): only `N` is known. */
function torchrunSites(args: readonly ShellWord[]): Site[] {
  const out: Site[] = [];
  const nnodes = flagSite('nnodes', args, ['--nnodes']);
  const nproc = flagSite('nproc_per_node', args, ['--nproc-per-node', '--nproc_per_node']);
  for (const s of [nnodes, nproc]) {
    if (!s) continue;
    out.push(s.literal.kind === 'int' || s.literal.kind === 'expression' ? s : { ...s, literal: { kind: 'expression', text: s.literal.kind === 'string' ? s.literal.value : '?' } });
  }
  // `--standalone` is one node; anything else that could set the node or process count is not read.
  return out;
}

interface ConfigRead {
  readonly sites: Site[];
}

/**
 * The fields of the `ModelArgs` dataclass a workspace model.py declares (its class body's `name: type` lines), for a
 * release whose ModelArgs is not V3's (V3.2-Exp's adds `index_n_heads`, `index_head_dim`, `index_topk`); undefined
 * where the file declares no such class.
 */
export function declaredModelArgs(modelPy: string | undefined): ReadonlySet<string> | undefined {
  const body = modelPy === undefined ? undefined : /^@dataclass\s*\nclass ModelArgs\b[^\n]*:\n((?:[ \t]+[^\n]*\n|[ \t]*\n)*)/m.exec(modelPy)?.[1];
  if (body === undefined) return undefined;
  // Its docstring's lines (`    Attributes:`) are no fields.
  const fields = [...body.replace(/("""|''')[^]*?\1/g, '').matchAll(/^ {4}([A-Za-z_]\w*)\s*:/gm)].map((m) => m[1]!);
  return fields.length > 0 ? new Set(fields) : undefined;
}

function readConfig(path: string, read: ReadText | undefined, fields: ReadonlySet<string> = MODEL_ARGS_FIELDS): ConfigRead | string {
  const text = read?.(path);
  if (text === undefined) return `${path} could not be read`;
  const errors: ParseError[] = [];
  const root: JsonNode | undefined = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (!root || errors.length > 0 || root.type !== 'object') return `${path} is not a JSON object json.load reads`;
  // The value json.load keeps for each `ModelArgs` key (the last one written), and the first key it rejects.
  const byKey = new Map<string, Site>();
  let rejected: Site | undefined;
  for (const property of root.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    if (!keyNode || !valueNode || typeof keyNode.value !== 'string') continue;
    if (!fields.has(keyNode.value)) {
      const range = { start: keyNode.offset, end: keyNode.offset + keyNode.length };
      rejected ??= site('config_rejected_key', range, range, { kind: 'string', value: keyNode.value }, path);
      continue;
    }
    const raw = text.slice(valueNode.offset, valueNode.offset + valueNode.length);
    const literal: Literal =
      valueNode.type === 'number'
        ? /^-?\d{1,15}$/.test(raw) ? { kind: 'int', value: Number(raw) } : { kind: 'float', value: Number(raw) }
        : valueNode.type === 'string' ? { kind: 'string', value: String(valueNode.value) } : { kind: 'expression', text: raw.slice(0, 40) };
    byKey.set(keyNode.value, site(keyNode.value, { start: keyNode.offset, end: keyNode.offset + keyNode.length }, { start: valueNode.offset, end: valueNode.offset + valueNode.length }, literal, path));
  }
  return { sites: [...byKey.values(), ...(rejected ? [rejected] : [])] };
}

const WRITTEN_FLAGS: ReadonlySet<string> = new Set(['nnodes', 'nproc_per_node', 'ckpt_path', 'config', 'hf_ckpt_path', 'save_path', 'n_experts', 'model_parallel']);

const UNKNOWN_ROUTER = (where: string): string => `the router is configured in ${where}; MoE Lens checks it there`;

function unknownField<T>(value: T, reason: string): Field<T> {
  return { value, sites: [], unknown: reason };
}

function baseSpec(name: string, range: SourceRange, anchor: SourceRange, experts: Field<number | undefined>, layout: Site[], routerWhere: string): RouterSpec {
  const reason = UNKNOWN_ROUTER(routerWhere);
  return {
    dialect: 'deepseek-launch',
    framework: 'deepseek-official',
    name,
    range,
    anchorRange: anchor,
    experts,
    topK: unknownField<number | undefined>(undefined, reason),
    order: unknownField('score-then-topk' as const, reason),
    scoreFunc: unknownField('softmax', reason),
    routerBias: unknownField(false, reason),
    selectionBias: unknownField('none' as const, reason),
    // DeepSeek's Gate groups experts (n_expert_groups, model.py l.559): unknown here, as the rest of the router.
    groups: { count: unknownField<number | undefined>(undefined, reason), selected: unknownField<number | undefined>(undefined, reason), score: 'max-or-top2-with-bias' },
    normalize: unknownField('never' as const, reason),
    scale: unknownField(1, reason),
    debugRoundRobin: { value: false, sites: [] },
    hidden: unknownField<number | undefined>(undefined, reason),
    layers: unknownField<number | undefined>(undefined, reason),
    // The flags as written (the layout's other entries are MoE Lens's own bookkeeping, or in the config JSON).
    sites: layout.filter((s) => s.file === undefined && WRITTEN_FLAGS.has(s.key)),
    identity: {},
    insertion: undefined,
    keyNames: { experts: 'n_routed_experts', topK: 'n_activated_experts' },
    layout,
  };
}

export interface DeepseekLaunchAnalysis {
  readonly specs: RouterSpec[];
}

/** The DeepSeek inference commands of a launch script, one RouterSpec each (see the module comment). */
export function analyzeDeepseekLaunch(text: string, file: string, read?: ReadText): DeepseekLaunchAnalysis {
  const specs: RouterSpec[] = [];
  const converts: Convert[] = [];
  // A config named by several commands is read once.
  const configs = new Map<string, ConfigRead | string>();
  const texts = new Map<string, string | undefined>();
  const readOnce = (path: string): string | undefined => {
    if (!texts.has(path)) texts.set(path, read?.(path));
    return texts.get(path);
  };
  /** `modelPy`: the path of the workspace model.py that reads it, whose ModelArgs decides the keys it takes. */
  const readConfigOnce = (path: string, modelPy: string | undefined): ConfigRead | string => {
    const key = `${path}\u0000${modelPy ?? ''}`;
    const cached = configs.get(key) ?? readConfig(path, read, declaredModelArgs(modelPy === undefined ? undefined : readOnce(modelPy)));
    configs.set(key, cached);
    return cached;
  };
  let seen = 0;
  for (const command of commandsOf(text, file)) {
    const call = invocationOf(command.words);
    if (!call || seen >= MAX_DEEPSEEK_COMMANDS) continue;
    const last = command.words[command.words.length - 1]!;
    const range = { start: command.words[0]!.start, end: last.end };
    const anchor = wordRange(call.script);
    const layout: Site[] = [
      site('command', anchor, anchor, { kind: 'string', value: call.kind }),
      site('launcher', wordRange(call.launcherWord), wordRange(call.launcherWord), { kind: 'string', value: call.launcher }),
    ];
    // The workspace's own convert.py / generate.py / model.py, where MoE Lens can tell which files run.
    const scriptPath = call.script.dynamic || call.script.text.length > MAX_PATH ? undefined : call.script.text.startsWith('/') ? joinPath('', call.script.text) : command.cwd !== undefined ? joinPath(command.cwd, call.script.text) : undefined;
    const folder = scriptPath?.includes('/') ? scriptPath.slice(0, scriptPath.lastIndexOf('/')) : undefined;
    const modelPy = call.kind === 'generate' && folder !== undefined ? `${folder}/model.py` : undefined;
    const sources: Record<string, string | undefined> = {
      [`${call.kind}.py`]: scriptPath ? readOnce(scriptPath) : undefined,
      ...(modelPy !== undefined ? { 'model.py': readOnce(modelPy) } : {}),
    };
    const lacking = new Set<string>();
    for (const [id, needs] of Object.entries(SOURCE_LINES)) {
      if (needs.some((n) => sources[n.file] !== undefined && !sources[n.file]!.includes(n.line))) lacking.add(id);
    }
    for (const id of lacking) layout.push(site('source_lacks', anchor, anchor, { kind: 'string', value: id }));
    if (call.kind === 'convert') {
      const flags = ['--hf-ckpt-path', '--save-path', '--n-experts', '--model-parallel'];
      // All four are required (convert.py lines 90–93): without one, argparse stops first.
      const hf = flagSite('hf_ckpt_path', call.args, ['--hf-ckpt-path']);
      const save = flagSite('save_path', call.args, ['--save-path']);
      const experts = flagSite('n_experts', call.args, ['--n-experts']);
      const mp = flagSite('model_parallel', call.args, ['--model-parallel']);
      if (!hf && !save && !experts && !mp) continue;
      seen++;
      if (abbreviates(call.args, flags)) {
        // A prefix of another flag (`--n-exp`) may set any of them: the command is not read, and may write any folder.
        converts.push({ command, namesShards: false });
        continue;
      }
      for (const s of [hf, save, experts, mp]) if (s) layout.push(s);
      const expertsField: Field<number | undefined> =
        experts?.literal.kind === 'int' ? { value: experts.literal.value, sites: [{ ...experts, key: 'n_experts' }] } : unknownField(undefined, experts ? `\`${experts.literal.kind === 'expression' ? experts.literal.text : '?'}\` is not a number written in the script` : 'convert.py is run without --n-experts');
      specs.push(baseSpec('convert.py', range, anchor, expertsField, layout, 'the model’s config'));
      converts.push({ command, ...(save ? { save } : {}), ...(mp ? { mp } : {}), ...(experts ? { experts } : {}), namesShards: !lacking.has('DS-004') && !lacking.has('DS-003') });
      continue;
    }
    const ckpt = flagSite('ckpt_path', call.args, ['--ckpt-path']);
    const config = flagSite('config', call.args, ['--config']);
    if (!ckpt || !config) continue;
    seen++;
    if (call.launcher === 'torchrun') layout.push(...torchrunSites(call.launcherArgs));
    layout.push(ckpt, config);
    // The config JSON, relative to the folder the script runs in (its own, after the `cd`s MoE Lens follows).
    let routerWhere = 'the `--config` JSON';
    let expertsField: Field<number | undefined> = unknownField(undefined, 'the `--config` JSON is not known');
    if (config.literal.kind === 'string' && !config.literal.value.includes('~') && config.literal.value.length <= MAX_PATH) {
      const value = config.literal.value;
      const path = value.startsWith('/') ? joinPath('', value) : command.cwd !== undefined ? joinPath(command.cwd, value) : undefined;
      const result = path === undefined ? 'the folder the command runs in is not known (a `cd` MoE Lens cannot follow)' : readConfigOnce(path, modelPy);
      if (typeof result === 'string') {
        layout.push(site('config_file', config.valueRange, config.valueRange, { kind: 'expression', text: result }));
        expertsField = unknownField(undefined, result);
      } else {
        routerWhere = path!;
        layout.push(site('config_file', config.valueRange, config.valueRange, { kind: 'string', value: path! }));
        layout.push(...result.sites);
        const lastExperts = result.sites.find((s) => s.key === 'n_routed_experts');
        expertsField =
          lastExperts === undefined
            ? { value: MODEL_ARGS_DEFAULTS.n_routed_experts![0], sites: [], defaultFrom: { label: `DeepSeek-V3 ModelArgs.n_routed_experts default (inference/model.py @${DEEPSEEK_COMMIT} line 67)` } }
            : lastExperts.literal.kind === 'int' && lastExperts.literal.value > 0
              ? { value: lastExperts.literal.value, sites: [lastExperts] }
              : unknownField(undefined, `n_routed_experts in ${path} is not a positive whole number`);
      }
    } else {
      layout.push(site('config_file', config.valueRange, config.valueRange, { kind: 'expression', text: 'the `--config` path is not written literally' }));
    }
    const pairing = convertedWith(file, command, ckpt, converts);
    if (pairing) layout.push(pairing);
    specs.push(baseSpec('generate.py', range, anchor, expertsField, layout, routerWhere));
  }
  return { specs };
}

interface Convert {
  readonly command: Command;
  readonly save?: Site;
  readonly mp?: Site;
  readonly experts?: Site;
  /** Its convert.py asserts and names the shards as DeepSeek-V3's does (or MoE Lens cannot read it). */
  readonly namesShards: boolean;
}

/**
 * The `--model-parallel` of the convert.py that wrote this generate.py's `--ckpt-path`: the same path written
 * identically (and, for a relative path, no `cd` between), both commands at the top level of the script, and no
 * earlier convert.py that may have written the same folder with another `--model-parallel`.
 */
function convertedWith(file: string, command: Command, ckpt: Site, converts: readonly Convert[]): Site | undefined {
  if (command.nested || ckpt.literal.kind !== 'string') return undefined;
  const path = ckpt.literal.value;
  const same: { save: Site; mp: number; site: Site }[] = [];
  for (const convert of converts) {
    const save = convert.save;
    // A convert.py whose save path or mp MoE Lens cannot read may have written here.
    if (!save || save.literal.kind !== 'string' || !convert.mp) return undefined;
    if (save.literal.value !== path) continue;
    // One that may not run (inside an `if`, a loop, a function), or whose mp is not a number: not decided.
    if (convert.command.nested || !convert.namesShards || convert.mp.literal.kind !== 'int' || convert.mp.literal.value < 1) return undefined;
    if (!path.startsWith('/') && (convert.command.cwdEpoch !== command.cwdEpoch || convert.command.cwd === undefined)) return undefined;
    // One that stops at its own assert (convert.py line 95) writes nothing; its --n-experts must be known to pass.
    if (convert.experts?.literal.kind !== 'int' || convert.experts.literal.value % convert.mp.literal.value !== 0) return undefined;
    same.push({ save, mp: convert.mp.literal.value, site: convert.mp });
  }
  const last = same[same.length - 1];
  if (!last) return undefined;
  // Every convert into this folder wrote its own `model{i}-mp{N}` files: `items` lists each N written there.
  const written = [...new Set(same.map((s) => String(s.mp)))];
  return { ...site('converted_model_parallel', last.site.keyRange, last.site.valueRange, last.site.literal, undefined, [{ file, range: last.save.valueRange }]), items: written };
}
