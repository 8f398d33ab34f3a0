/**
 * torchtitan Python dialect, read by evaluating the file (`python/evaluate.ts`): flavor tables
 * (`{"120b": GptOssModelArgs(moe_args=MoEArgs(...))}`, `{"120b": _120b}`), builder functions
 * (`_build_gptoss_layers(num_experts=128, top_k=4, ...)` whose body builds `TokenChoiceTopKRouter.Config`),
 * job configs in `config_registry.py`, and `MoE.Config(router=...Config(gate=Linear.Config(bias=...)))`.
 *
 * Every field says where its value comes from. Missing keywords take the default of the class the import
 * really names (nearest package root); when that class is not in the workspace, torchtitan's built-in
 * defaults are *assumed* (routing uses them, rules do not), and anything else the evaluator could not follow
 * is unknown.
 */
import { fixedBy, literalText, withLaunch, type DefaultOrigin, type Field, type Insertion, type LaunchScope, type Literal, type RouterSpec, type SelectionBias, type Site, type UnknownKey } from '../model/router-spec';
import {
  TORCHTITAN_KNOWN_FIELDS,
  TORCHTITAN_MOE_DEFAULTS,
  TORCHTITAN_NESTED_ROUTER_KEYS,
  TORCHTITAN_ROUTER_CALLEES,
  TORCHTITAN_ROUTER_KEYS,
  TORCHTITAN_SOURCE,
} from '../references/torchtitan';
import type { SourceRange } from '../text/source';
import { familyFromHints } from '../model/family';
import { keyedSpec, type KeyedFormat } from './hf-json';
import { checkoutRouter, megatronSpecFromSites, withCheckoutRouter } from './megatron';
import { torchtitanShape } from './torchtitan-shape';
import { collectDeclarations, type PythonDeclarations } from './python/declarations';
import { PythonEvaluator, type EvaluatorKnowledge, type NamingContext, type PythonSources, type Root } from './python/evaluate';
import type { SyntaxNode } from '@lezer/common';
import { callArguments, children, literalOf, parsePython, type ParsedPython } from './python/syntax';
import { describeValue, identityOf, type ClassInfo, type ObjectValue, type PyValue } from './python/values';
import { baseName, fileAbove } from '../text/paths';

export interface PythonAnalysis {
  readonly parsed: ParsedPython;
  readonly specs: RouterSpec[];
  readonly declarations: PythonDeclarations;
}

/**
 * Cheap pre-check: a file without any routing word holds no router config (most Python files). A job function that
 * takes another's config and changes it (`config = deepseek_v3_debugmodel(); config.parallelism.expert_parallel_degree
 * = 3`, torchtitan_recipes/tests at b5bcd76, where torchtitan's config README moves its jobs) names none but the
 * `config_registry` it imports from or the expert-parallel degree it sets.
 */
const ROUTER_WORDS = /num_experts|num_moe_experts|n_routed_experts|top_k|MoEArgs|\bMoE\b|Router|model_registry|flavor|config_registry|expert_parallel_degree/;
const MAX_REACH_DEPTH = 12;
const MAX_SPECS = 200;

/** The workspace's other Python files, as the host holds them (the engine's ProjectIndex is one). */
export interface PythonProject {
  hasModule(file: string): boolean;
  parsedModule(file: string): ParsedPython | undefined;
  /** A workspace file's text, read without parsing it (the trainer a ModelSpec's flavors run under). */
  relatedText?(file: string): string | undefined;
}

export function analyzeTorchtitanPython(text: string, file: string, project?: PythonProject, parsedAlready?: ParsedPython): PythonAnalysis {
  const parsed = parsedAlready?.text === text ? parsedAlready : parsePython(text);
  const declarations = collectDeclarations(parsed, file);
  if (!ROUTER_WORDS.test(text)) return { parsed, specs: [], declarations };
  // This document's own text wins over whatever the project index holds for it (unsaved edits).
  const sources: PythonSources = {
    has: (f) => f === file || (project?.hasModule(f) ?? false),
    parse: (f) => (f === file ? parsed : project?.parsedModule(f)),
  };
  const evaluator = new PythonEvaluator(sources, TORCHTITAN_KNOWLEDGE);
  evaluator.evaluateDocument(file);
  const built = constructionsByContext(evaluator, file);
  const read = (path: string): string | undefined => (path === file ? text : project?.relatedText?.(path));
  const trainSpec = modelSpecBias(evaluator, file, read) ?? trainSpecBias(evaluator, file);
  const routers = collectRouters(evaluator, file, built).flatMap((found) => {
    const spec = found.index === 0 ? withJobSettings(buildSpec(found, evaluator, file, text, read, trainSpec), found.root, evaluator, parsed, file) : buildSpec(found, evaluator, file, text, read, trainSpec);
    return builtFromOwnParameters(found.root, spec, parsed, file) || noMoeLayer(found.model) ? [] : [spec];
  });
  const specs = [...routers, ...dataclassConfigs(parsed, evaluator, file), ...keyedCallConfigs(evaluator, file, built.byContext), ...megatronCallConfigs(parsed, evaluator, file, built.byContext)]
    .slice(0, MAX_SPECS)
    .sort((a, b) => a.range.start - b.range.start);
  // A Megatron config inside an older Megatron checkout runs its router, which may have no bias (megatron.ts).
  const checkout = specs.some((spec) => spec.framework === 'megatron') ? checkoutRouter(file, (path) => (sources.has(path) ? sources.parse(path)?.text : undefined)) : undefined;
  return { parsed, specs: checkout ? specs.map((spec) => withCheckoutRouter(spec, checkout)) : specs, declarations };
}

// ---- finding the routers of each flavor ----------------------------------------------------------------

interface FoundRouter {
  readonly root: Root;
  /** Outer config first, then the configs nested in it under `router=` / `moe_args=` / `moe=`. */
  readonly chain: ObjectValue[];
  /** The model config the router belongs to (`dim`, `n_layers`), when there is one. */
  readonly model?: ObjectValue;
  /** The job's `ParallelismConfig(...)` (a `config_registry.py` function's `parallelism=`), when there is one. */
  readonly parallelism?: ObjectValue;
  /** The job's ModelSpec (a `config_registry.py` function's `model_spec=model_registry(…)`), when there is one. */
  readonly modelSpec?: ObjectValue;
  readonly index: number;
}

/** Experts and their token dispatcher take `num_experts` / `top_k` too, but route nothing. */
const NOT_A_ROUTER = /expert|dispatch/i;

const QUANTIZATION = 'pytorch/torchtitan @b5bcd76 torchtitan/components/quantization';
/**
 * torchtitan's float8 and MXFP8 converters (`converters=[Float8LinearConverter.Config(...), ...]` in
 * config_registry.py, applied as `config = c.build().convert(config)` by each model's `model_registry`) swap Linear
 * and GroupedExperts configs for quantized ones (and the experts' token dispatcher), and return the same model config
 * with no router field changed: float8.py l.151-173 and l.246-266, mx.py l.79-98 and l.184-206. A router gate they
 * swap stays a gate of the same shape. LoRA, NVFP4 and any other converter stay unknown.
 */
const ROUTER_KEEPING_CONVERTERS: ReadonlyMap<string, string> = new Map([
  ['Float8LinearConverter', 'float8.py l.151-173'],
  ['Float8GroupedExpertsConverter', 'float8.py l.246-266'],
  ['MXFP8LinearConverter', 'mx.py l.79-98'],
  ['MXFP8GroupedExpertsConverter', 'mx.py l.184-206'],
]);

/** What the evaluator is told of torchtitan's code it cannot follow. */
export const TORCHTITAN_KNOWLEDGE: EvaluatorKnowledge = { convertKeepsRouter: quantizationKeepsRouter };

function quantizationKeepsRouter(converter: ObjectValue): string | undefined {
  // Imported from torchtitan.components.quantization (or its float8 / mx module), or that package in the workspace.
  const external = /^torchtitan\.components\.quantization(?:\.float8|\.mx)?\.(\w+)\.Config$/.exec(converter.external ?? '')?.[1];
  const declared = converter.cls && /(^|\/)torchtitan\/components\/quantization\/(float8|mx)\.py$/.test(converter.cls.file) ? /^(\w+)\.Config$/.exec(converter.cls.name)?.[1] : undefined;
  const where = ROUTER_KEEPING_CONVERTERS.get(external ?? declared ?? '');
  return where ? `${QUANTIZATION}/${where}` : undefined;
}

/** Classes that build an object of any attributes, as tests and scripts mock a config with. */
const STAND_INS: ReadonlySet<string> = new Set(['types.SimpleNamespace', 'argparse.Namespace', 'unittest.mock.Mock', 'unittest.mock.MagicMock', 'mock.Mock', 'mock.MagicMock']);

/** Asked several times per object while routers are collected; an object's answer never changes. */
const routerObjects = new WeakMap<ObjectValue, boolean>();

function isRouterObject(object: ObjectValue, evaluator: PythonEvaluator): boolean {
  let answer = routerObjects.get(object);
  if (answer === undefined) routerObjects.set(object, (answer = decideRouterObject(object, evaluator)));
  return answer;
}

function decideRouterObject(object: ObjectValue, evaluator: PythonEvaluator): boolean {
  if (TORCHTITAN_ROUTER_CALLEES.has(object.className)) return true;
  if (NOT_A_ROUTER.test(object.className)) return false;
  // A stand-in a test builds (`SimpleNamespace(num_experts=8, score_func="softmax")`) holds whatever keys the test
  // needs: no framework's router, whatever it spells.
  if (object.external !== undefined && STAND_INS.has(object.external)) return false;
  // An MoE config whose `router=` is a router (`make_moe_config(router=make_router_config(...))`); a model
  // config holding `moe_args=` is not one.
  const nested = object.keywords.get('router')?.value;
  if (nested?.kind === 'object' && nested !== object && isRouterObject(nested, evaluator)) return true;
  // Counts alone say MoE, not whose: TensorRT-LLM's `MoeConfig`, sglang's `MoeRunnerConfig` and vLLM's `FusedMoE`
  // take `num_experts` and `top_k` too, with meanings of their own (TRT-LLM's 0 and 0 is "no MoE"). A router config
  // also spells, or its workspace class declares, a field only torchtitan's router has (`score_func`, `route_norm`…).
  if (object.cls !== undefined) return declaresRouterFields(object.cls, evaluator);
  // Only keys the call itself writes: attributes set afterwards on an object of no known class (argparse's namespace,
  // `args.use_expert_bias = False` in RLinf's checkpoint converter) name no router.
  const keys = [...object.keywords].filter(([k, argument]) => TORCHTITAN_ROUTER_KEYS.has(k) && argument.assigned === undefined).map(([k]) => k);
  return (keys.includes('num_experts') || keys.includes('top_k')) && keys.some((k) => ROUTER_ONLY_KEYS.has(k));
}

/** Router keys that no other framework's MoE class spells the same way (not the counts every MoE has). */
const ROUTER_ONLY_KEYS: ReadonlySet<string> = new Set([...TORCHTITAN_ROUTER_KEYS].filter((k) => !['num_experts', 'top_k', 'num_shared_experts'].includes(k)));

/** A workspace class that declares the router's own fields (a fork's `RouterConfig`), not only the counts. */
function declaresRouterFields(cls: ClassInfo, evaluator: PythonEvaluator): boolean {
  if (!evaluator.fieldDefault(cls, 'top_k') || !evaluator.fieldDefault(cls, 'num_experts')) return false;
  return declaresAny(evaluator, cls, ROUTER_ONLY_KEYS);
}

/** The router config a dict spells, or null where it spells none (asked once per dict, not once per visit). */
const dictConfigs = new WeakMap<object, ObjectValue | null>();

/**
 * A dict that spells a router's keys (`moe_args=dict(num_experts=8, top_k=2)`, or the `**kwargs` a builder
 * returns) is a router config too: seen as an object of class `dict`, its keys as keywords.
 */
function dictAsConfig(value: Extract<PyValue, { kind: 'dict' }>): ObjectValue | undefined {
  const cached = dictConfigs.get(value);
  if (cached !== undefined) return cached ?? undefined;
  const keys = value.entries.map((e) => (e.key.kind === 'string' ? e.key.value : '')).filter((k) => TORCHTITAN_ROUTER_KEYS.has(k));
  if (keys.length < 2 || !(keys.includes('num_experts') || keys.includes('top_k')) || value.entries.some((e) => holdsTensor(e.value))) {
    dictConfigs.set(value, null);
    return undefined;
  }
  const file = value.entries.find((e) => e.key.trace)?.key.trace?.written.file ?? value.trace.written.file;
  const keywords = new Map(
    value.entries.filter((e) => e.key.kind === 'string').map((e) => [(e.key as { value: string }).value, { value: e.value, keyRange: e.keyRange, range: e.valueRange }] as const),
  );
  const first = value.entries[0]!;
  const at = { file, range: { start: first.range.start, end: value.entries[value.entries.length - 1]!.range.end } };
  const object: ObjectValue = { kind: 'object', className: 'dict', keywords, positional: [], call: at, callee: { file, range: first.keyRange }, trace: value.trace };
  dictConfigs.set(value, object);
  return object;
}

const TENSOR_CONSTRUCTOR = /^torch\.(empty|zeros|ones|full|rand|randn|randint|tensor|as_tensor|arange|linspace|(empty|zeros|ones|full|rand|randn)_like)$/;

/**
 * A tensor a call builds (`torch.empty((4, dim), device="meta")`): a dict holding one is a call's inputs, not a
 * config (pytorch/executorch @cff6f4d extension/llm/custom_ops/test_quantized_moe.py l.99-120: the kwargs of
 * `torch.ops.llama.quantized_moe_ffn`, with `score_func` and `num_experts` among them, read as a torchtitan router).
 */
function holdsTensor(value: PyValue): boolean {
  return value.kind === 'object' && value.external !== undefined && TENSOR_CONSTRUCTOR.test(value.external);
}

/** Every object reachable from a value through keyword arguments, list items and dict values. */
function reachable(value: PyValue, out: ObjectValue[], seen: Set<object>, depth = 0): void {
  if (depth > MAX_REACH_DEPTH || seen.has(value)) return;
  seen.add(value);
  if (value.kind === 'object') {
    out.push(value);
    for (const argument of value.keywords.values()) reachable(argument.value, out, seen, depth + 1);
  } else if (value.kind === 'list') {
    for (const item of value.items) reachable(item, out, seen, depth + 1);
  } else if (value.kind === 'dict') {
    const config = dictAsConfig(value);
    if (config) out.push(config);
    for (const entry of value.entries) reachable(entry.value, out, seen, depth + 1);
  } else if (value.kind === 'unknown' && value.mayBe) {
    for (const alternative of value.mayBe) reachable(alternative, out, seen, depth + 1);
  }
}

function isInDocument(context: NamingContext | undefined, file: string): boolean {
  return context?.file === file;
}

/** The flavors a document defines, most specific first: table rows, then uncalled functions, then names. */
function documentRoots(evaluator: PythonEvaluator, file: string): Root[] {
  const rows = evaluator.entries.filter((entry) => {
    if (!isInDocument(entry.context, file)) return false;
    for (let parent = entry.context.parent; parent; parent = parent.parent) {
      if (parent.kind === 'entry' && parent.file === file) return false; // a row inside a row names nothing new
    }
    return true;
  });
  const functions = evaluator.roots.filter((r) => r.context.kind === 'function');
  const names = evaluator.roots.filter((r) => r.context.kind === 'assignment');
  return [...rows, ...functions, ...names];
}

/** A context's identity, for grouping what was built under it. */
const contextKey = (context: NamingContext): string => `${context.file}\u0000${context.range.start}\u0000${context.name}`;

/**
 * What this file built, by every naming context it was built under (a row, and the table around it), made in
 * one pass: asking each of thousands of rows to scan every construction was quadratic.
 */
function constructionsByContext(evaluator: PythonEvaluator, file: string): Built {
  const byContext = new Map<string, ObjectValue[]>();
  const rowsOf = new Map<ObjectValue, Set<string>>();
  for (const c of evaluator.constructions) {
    if (c.object.call.file !== file) continue;
    for (let context = c.context; context; context = context.parent) {
      const key = contextKey(context);
      const list = byContext.get(key);
      if (list) list.push(c.object);
      else byContext.set(key, [c.object]);
      if (context.kind === 'entry' && context.parent) {
        const tables = rowsOf.get(c.object) ?? new Set<string>();
        tables.add(contextKey(context.parent));
        rowsOf.set(c.object, tables);
      }
    }
  }
  return { byContext, builtInRowOf: (object, table) => rowsOf.get(object)?.has(table) ?? false };
}

/** What a file built, by naming context; and whether an object was built while a row of a table ran. */
interface Built {
  readonly byContext: Map<string, ObjectValue[]>;
  readonly builtInRowOf: (object: ObjectValue, tableKey: string) => boolean;
}

function collectRouters(evaluator: PythonEvaluator, file: string, built: Built): FoundRouter[] {
  const claimed = new Set<ObjectValue>();
  /** The call sites of what a flavor claimed. */
  const claimedCalls = new Set<string>();
  const claim = (o: ObjectValue): void => {
    claimed.add(o);
    claimedCalls.add(callKeyOf(o));
  };
  const found: FoundRouter[] = [];
  const roots = documentRoots(evaluator, file);
  /** The naming contexts of tables around rows (`gptoss_configs = {"20b": _20b, …}`). */
  const tables = new Set(roots.flatMap((root) => (root.context.kind === 'entry' && root.context.parent ? [contextKey(root.context.parent)] : [])));
  for (const root of roots) {
    if (found.length >= MAX_SPECS) break; // a file of thousands of flavors is checked in its first MAX_SPECS
    const objects: ObjectValue[] = [];
    reachable(root.value, objects, new Set());
    // A builder in this file may fill what it returns in ways the evaluator does not model: what it built here
    // still counts (never what an imported module built while its tables were evaluated).
    // A table whose rows were read already holds nothing new: the same calls, run again for the table (rows may
    // share a builder's calls, so only the table's are filtered).
    if (!objects.some((o) => isRouterObject(o, evaluator))) {
      const key = contextKey(root.context);
      const around = tables.has(key);
      // What a row's builder built and its flavor does not hold (`config.update({"moe_args": ...})` replaced it) is
      // no config of the table's either.
      objects.push(...(built.byContext.get(key) ?? []).filter((o) => !around || (!claimedCalls.has(callKeyOf(o)) && !built.builtInRowOf(o, key))));
    }
    // A router over one expert (a shared expert's, in OLMo-core) routes nothing.
    const routers = objects.filter((o) => !claimed.has(o) && isRouterObject(o, evaluator) && !oneExpert(o));
    if (routers.length === 0) {
      const defaulted = defaultedRouter(objects.filter((o) => !claimed.has(o)), evaluator);
      if (defaulted) {
        found.push({ root, chain: routerChain(defaulted.router, evaluator), model: defaulted.model, index: 0 });
        for (const o of objects) claim(o); // the table around this row names it again
      }
      continue;
    }
    // A router config nested in another (`MoE.Config(router=...)`) is part of it; one reached through other
    // keywords (the experts' token dispatcher) is not a router of its own.
    const nestedInAnother = new Set<ObjectValue>();
    for (const outer of routers) {
      const inner: ObjectValue[] = [];
      for (const argument of outer.keywords.values()) reachable(argument.value, inner, new Set());
      for (const o of inner) if (o !== outer) nestedInAnother.add(o);
    }
    const model = objects.find((o) => !isRouterObject(o, evaluator) && (o.keywords.has('n_layers') || o.keywords.has('vocab_size') || o.keywords.has('num_hidden_layers')));
    const parallelism = objects.find((o) => o.className === 'ParallelismConfig' || o.external?.endsWith('.ParallelismConfig'));
    const modelSpec = objects.find(isModelSpec);
    let index = 0;
    const seenCalls = new Set<string>();
    for (const outer of routers) {
      if (nestedInAnother.has(outer)) continue;
      const chain = routerChain(outer, evaluator);
      for (const o of chain) claim(o);
      claim(outer);
      // One spec per call site: a loop that builds the same router for every layer is one config.
      const callKey = callKeyOf(outer);
      if (seenCalls.has(callKey)) continue;
      seenCalls.add(callKey);
      found.push({ root, chain, ...(model ? { model } : {}), ...(parallelism ? { parallelism } : {}), ...(modelSpec ? { modelSpec } : {}), index: index++ });
    }
    for (const o of routers) claim(o);
  }
  return found;
}

const callKeyOf = (object: ObjectValue): string => `${object.call.file}:${object.call.range.start}`;

/** A model config's switch that turns its MoE layers on (torchtitan qwen3's `moe_enabled`, default False). */
const MOE_SWITCHES = ['moe_enabled', 'use_moe', 'enable_moe'];

/**
 * A model config that writes no router at all (`TransformerModelArgs(dim=256, …)` in llama4's debug flavor)
 * still routes with the router its class declares by default (`moe_args: MoEArgs = field(default_factory=
 * MoEArgs)`): that router, with every value a default of its declaration. Only where the class is in the
 * workspace, and not where a switch the class declares leaves MoE off or is not known to be on.
 */
function defaultedRouter(objects: readonly ObjectValue[], evaluator: PythonEvaluator): { router: ObjectValue; model: ObjectValue } | undefined {
  for (const model of objects) {
    if (!model.cls || isRouterObject(model, evaluator)) continue;
    const switchedOff = MOE_SWITCHES.some((key) => {
      const written = model.keywords.get(key)?.value;
      const value = written ?? evaluator.fieldDefault(model.cls!, key)?.value;
      return value !== undefined && !(value.kind === 'bool' && value.value);
    });
    if (switchedOff) continue;
    for (const key of TORCHTITAN_NESTED_ROUTER_KEYS) {
      if (model.keywords.has(key)) continue;
      const declared = evaluator.fieldDefault(model.cls, key)?.value;
      // A copy per flavor: the class's default object is shared by every flavor that leaves it unset.
      if (declared?.kind === 'object' && isRouterObject(declared, evaluator) && !oneExpert(declared)) return { router: { ...declared }, model };
    }
  }
  return undefined;
}

function oneExpert(object: ObjectValue): boolean {
  const experts = object.keywords.get('num_experts')?.value;
  return (experts?.kind === 'int' || experts?.kind === 'float') && experts.value === 1;
}


function routerChain(outer: ObjectValue, evaluator: PythonEvaluator): ObjectValue[] {
  const chain = [outer];
  for (let current = outer, depth = 0; depth < 4; depth++) {
    const nested = [...current.keywords.entries()].find(([key, argument]) => TORCHTITAN_NESTED_ROUTER_KEYS.has(key) && argument.value.kind === 'object' && isRouterObject(argument.value, evaluator));
    if (!nested) break;
    current = nested[1].value as ObjectValue;
    chain.push(current);
  }
  return chain;
}

// ---- configs that are dataclasses (NeMo, Megatron-Bridge, DeepSeek's and OpenAI's reference code) ------

/** Field vocabularies of config classes whose defaults are a published config, and the framework they mean. */
const CONFIG_CLASS_VOCABULARIES: readonly { readonly experts: string; readonly topK: string; readonly format: 'megatron' | KeyedFormat; readonly keys: readonly string[] }[] = [
  {
    format: 'megatron',
    experts: 'num_moe_experts',
    topK: 'moe_router_topk',
    keys: ['num_moe_experts', 'moe_router_topk', 'moe_router_score_function', 'moe_router_pre_softmax', 'moe_router_enable_expert_bias', 'moe_router_num_groups', 'moe_router_group_topk', 'moe_router_topk_scaling_factor', 'add_bias_linear', 'moe_router_load_balancing_type', 'hidden_size', 'num_layers'],
  },
  { format: 'deepseek-official', experts: 'n_routed_experts', topK: 'n_activated_experts', keys: ['n_routed_experts', 'n_activated_experts', 'n_expert_groups', 'n_limited_groups', 'score_func', 'route_scale', 'dim', 'n_layers'] },
  { format: 'openai-gpt-oss', experts: 'num_experts', topK: 'experts_per_token', keys: ['num_experts', 'experts_per_token', 'hidden_size', 'num_hidden_layers'] },
];

/** Megatron TransformerConfig's router fields, besides the expert count. */
const MEGATRON_ROUTER_FIELDS = ['moe_router_topk', 'moe_router_score_function', 'moe_router_pre_softmax', 'moe_router_enable_expert_bias', 'moe_router_num_groups', 'moe_router_load_balancing_type', 'moe_router_topk_scaling_factor'];

/**
 * Each dataclass of this file whose fields (its own or inherited within the workspace) set a known config
 * vocabulary's expert count: `MixtralConfig8x7B(MixtralConfig)` with `num_moe_experts: int = 8`, DeepSeek's
 * `ModelArgs`, gpt-oss's `ModelConfig`. Its defaults are the config.
 */
function dataclassConfigs(parsed: ParsedPython, evaluator: PythonEvaluator, file: string): RouterSpec[] {
  const scope = evaluator.module(file);
  if (!scope) return [];
  const specs: RouterSpec[] = [];
  for (const node of parsed.classes) {
    const cls = evaluator.classInfo(scope, node);
    // A token dispatcher's config takes the counts to size its buffers (Automodel's `TokenDispatcherConfig`, whose
    // `num_moe_experts = 64`, `moe_router_topk = 2` are placeholders the MoE layer overwrites): no router.
    if (!cls.isDataclass || /dispatch/i.test(cls.name)) continue;
    for (const vocabulary of CONFIG_CLASS_VOCABULARIES) {
      const experts = evaluator.fieldDefault(cls, vocabulary.experts);
      if (!experts || experts.value.kind === 'unknown') continue;
      // `num_experts` alone is torchtitan's own `MoEArgs` too, and `n_routed_experts` an HF-style dataclass: a
      // reference config class also declares its top-k field (`experts_per_token`, `n_activated_experts`).
      if (vocabulary.format !== 'megatron' && evaluator.declaresField(cls, vocabulary.topK) !== true) continue;
      // torchtitan's early port of DeepSeek's ModelArgs (surajK610/garcon-torchtitan @01b45db torchtitan/models/
      // deepseek_v3/model/args.py: DeepSeek's field names and `load_balance_coeff`) routes with torchtitan's MoE, which
      // learns a selection bias by default: not DeepSeek's reference router.
      if (vocabulary.format === 'deepseek-official' && declaresAny(evaluator, cls, TORCHTITAN_OWN_FIELDS)) break;
      // DeepSeek's ModelArgs also declares how its Gate routes (`score_func`, `route_scale`, the groups), and none of
      // HF's names for them: the counts alone size something else (modal-projects/nmoe @556f77c nmoe/hp_transfer.py
      // l.36-37, a learning-rate transfer spec, "0 for dense"), and HF's names mean another router (nmoe/config.py
      // l.41-82: `norm_topk_prob`, `routed_scaling_factor`; its router is sigmoid with a learned bias, model.py l.74-97).
      if (vocabulary.format === 'deepseek-official' && (!declaresAny(evaluator, cls, DEEPSEEK_GATE_FIELDS) || declaresAny(evaluator, cls, HF_DEEPSEEK_FIELDS))) break;
      // Megatron's expert count alone (an `ExpertMemoryEstimate`) is no router config: it also declares, or may
      // inherit from a base MoE Lens cannot read, a router field of its own.
      if (vocabulary.format === 'megatron' && !MEGATRON_ROUTER_FIELDS.some((key) => evaluator.declaresField(cls, key) !== false)) continue;
      const sites = declaredSites(evaluator, cls, vocabulary.keys, file);
      const range = { start: node.from, end: node.to };
      const spec =
        vocabulary.format === 'megatron'
          ? megatronSpecFromSites('torchtitan-python', file, cls.name, sites, range, cls.nameRange, defaultsUnknown(evaluator, cls), classChain(evaluator, cls), megatronPort(evaluator, cls))
          : keyedSpec(vocabulary.format === 'deepseek-official' && evaluator.declaresField(cls, 'n_hash_layers') === true ? 'deepseek-v4-official' : vocabulary.format, file, cls.name, sites, range, cls.nameRange);
      if (spec) specs.push(asPythonSpec(spec));
      break;
    }
  }
  return specs;
}

/** Whether the class (or a base in the workspace) certainly declares one of these fields. */
function declaresAny(evaluator: PythonEvaluator, cls: ClassInfo, keys: Iterable<string>): boolean {
  for (const key of keys) if (evaluator.declaresField(cls, key) === true) return true;
  return false;
}

/** DeepSeek's inference ModelArgs fields that its Gate reads besides the counts (deepseek-ai/DeepSeek-V3 inference/model.py l.67-73). */
const DEEPSEEK_GATE_FIELDS = ['score_func', 'route_scale', 'n_expert_groups', 'n_limited_groups'];

/** transformers' DeepseekV3Config names for the router's settings, which DeepSeek's own ModelArgs does not use. */
const HF_DEEPSEEK_FIELDS = ['norm_topk_prob', 'routed_scaling_factor', 'scoring_func', 'topk_method', 'n_group', 'topk_group'];

/** Fields only torchtitan's MoE configs declare: a class with one is no framework's reference config. */
const TORCHTITAN_OWN_FIELDS = ['load_balance_coeff', 'use_grouped_mm', 'score_before_experts'];

/** A class's name and its bases' (the workspace's and the imported), nearest first. */
function classChain(evaluator: PythonEvaluator, cls: ClassInfo, depth = 0): string[] {
  const names = [cls.name];
  if (depth >= 8) return names;
  for (const base of evaluator.bases(cls)) {
    if (base.kind === 'class') names.push(...classChain(evaluator, base.cls, depth + 1));
    else if (base.kind === 'external') names.push(base.name.slice(base.name.lastIndexOf('.') + 1));
  }
  return names;
}

/** The defaults a config class declares (its own body, then its bases in the workspace) for these keys, as sites. */
function declaredSites(evaluator: PythonEvaluator, cls: ClassInfo, keys: readonly string[], file: string): Site[] {
  const sites: Site[] = [];
  for (const key of keys) {
    const declared = evaluator.fieldDefault(cls, key);
    if (!declared || declared.value.kind === 'unknown') continue;
    const written = declared.value.trace?.written;
    const elsewhere = declared.declared.file !== file || (written !== undefined && written.file !== file);
    sites.push({
      key,
      keyRange: declared.declared.range,
      valueRange: written && !elsewhere ? written.range : declared.declared.range,
      literal: literalOfValue(declared.value),
      ...(elsewhere ? { file: declared.declared.file } : {}),
    });
  }
  return sites;
}

const MEGATRON_KEYS = CONFIG_CLASS_VOCABULARIES.find((v) => v.format === 'megatron')!.keys;

/**
 * Calls that build a Megatron config with its field names: Megatron-Bridge recipes' `cfg.model =
 * HybridModelProvider(num_moe_experts=128, moe_router_topk=6, ...)` (@067f987 recipes/nemotronh), NeMo's
 * `MixtralConfig8x7B(moe_router_topk=2, num_moe_experts=4, ...)` (tests/collections/llm/bitexact), Megatron Core's
 * own `TransformerConfig(...)`. The keywords written over the class's defaults (a workspace class's fields, else
 * Megatron Core's); a class MoE Lens cannot read leaves what the call does not write unknown.
 */
function megatronCallConfigs(parsed: ParsedPython, evaluator: PythonEvaluator, file: string, built: Map<string, ObjectValue[]>): RouterSpec[] {
  const builds = (object: ObjectValue): boolean => object.keywords.has('num_moe_experts') || object.keywords.has('moe_router_topk');
  // Most files build no such call: nothing to walk then.
  if (!evaluator.constructions.some((c) => builds(c.object))) return [];
  // Every object each call built, by call: a call in a loop, or in a helper several callers run, builds several.
  // Copies of one object (an attribute assignment's) are that object; the first reached, from a root's value, is
  // its state at the end.
  const byCall = new Map<number, { root: Root; objects: ObjectValue[]; identities: Set<PyValue> }>();
  for (const { root, objects } of rootsWithObjects(evaluator, file, built)) {
    for (const object of objects) {
      if (!builds(object) || object.call.file !== file || NOT_A_ROUTER.test(object.className)) continue;
      const identity = identityOf(object);
      const call = byCall.get(object.call.range.start);
      if (!call) byCall.set(object.call.range.start, { root, objects: [object], identities: new Set([identity]) });
      else if (!call.identities.has(identity)) {
        call.identities.add(identity);
        call.objects.push(object);
      }
    }
  }
  const specs: RouterSpec[] = [];
  for (const [start, { root, objects }] of byCall) {
    const object = objects[0]!;
    // A test that builds a config to see it refused (`with pytest.raises(ValueError): TransformerConfig(...)`,
    // Megatron-LM's unit tests) builds no config anyone runs.
    if (expectedToRaise(parsed, start)) continue;
    const cls = object.cls;
    const core = object.external !== undefined && MEGATRON_CORE_CONFIG.test(object.external);
    // A workspace class is Megatron's when its fields are (it declares a router field, or its bases reach Megatron
    // Core's TransformerConfig); a class from outside the workspace only by Megatron's own field names, written.
    const megatron = core || (cls ? declaresAny(evaluator, cls, MEGATRON_ROUTER_FIELDS) || firstUnreadBase(evaluator, cls, 0) === 'megatron-core' : object.external !== undefined && object.keywords.has('num_moe_experts'));
    if (!megatron || STAND_INS.has(object.external ?? '')) continue;
    const written = MEGATRON_KEYS.map((key) => keywordSite(object, key, file)).filter((site): site is Site => site !== undefined).map((site) => varying(site, objects, file));
    // What the call writes replaces the class's default: one site a key.
    const declared = cls ? declaredSites(evaluator, cls, MEGATRON_KEYS.filter((key) => !object.keywords.has(key)), file) : [];
    const unpacked = objects.some((o) => o.unpacked) ? `the call passes \`**\` arguments MoE Lens cannot read, which may set it` : undefined;
    const why = unpacked ?? (cls ? defaultsUnknown(evaluator, cls) : core ? undefined : `the call does not set it, and ${object.className} (not in the workspace) may`);
    const names = cls ? classChain(evaluator, cls) : [object.className];
    const spec = megatronSpecFromSites('torchtitan-python', file, root.context.name.replace(/^_+/, ''), [...declared, ...written], root.context.range, object.callee.range, why, names, cls ? megatronPort(evaluator, cls) : undefined);
    if (spec) specs.push(asPythonSpec(spec));
  }
  return specs;
}

/** A keyword the call's runs give different values (a loop over 1 and 4, two callers of a helper): unknown. */
function varying(site: Site, objects: readonly ObjectValue[], file: string): Site {
  if (objects.length < 2) return site;
  const texts = objects.map((o) => { const s = keywordSite(o, site.key, file); return s ? literalText(s.literal) : undefined; });
  const values = [...new Set(texts)];
  if (values.length < 2) return site;
  // A copy changed where MoE Lens cannot tell whether it ran (an assignment in an undecided branch) says so.
  const reason = texts.map((t) => (t === undefined ? undefined : /^unknown \((.*)\)$/s.exec(t)?.[1])).find((r) => r !== undefined);
  const written = values.filter((v): v is string => v !== undefined && !v.startsWith('unknown ('));
  return {
    ...site,
    literal: { kind: 'expression', text: written.join(' or ') || literalText(site.literal) },
    unknown: reason ?? `the call runs more than once (in a loop, or from several callers), with \`${site.key}\` ${written.slice(0, 4).join(', ')}`,
  };
}

/** Whether the code at `offset` runs inside `with pytest.raises(...)` / `self.assertRaises(...)`. */
function expectedToRaise(parsed: ParsedPython, offset: number): boolean {
  for (let node: SyntaxNode | null = parsed.tree.resolveInner(offset, 1); node; node = node.parent) {
    if (node.name !== 'WithStatement') continue;
    const body = node.getChild('Body');
    const header = parsed.text.slice(node.from, body ? body.from : node.to);
    if (/\b(raises|assertRaises\w*)\s*\(/.test(header)) return true;
  }
  return false;
}

/** Megatron Core's config classes: MoE Lens knows their defaults (Megatron's), so a provider built on them is whole. */
const MEGATRON_CORE_CONFIG = /^megatron\.core\.transformer\.(transformer_config\.)?(MLA)?TransformerConfig$/;
/** Bases that declare no config fields. */
const FIELDLESS_BASE = /^(builtins\.object|typing\.\w+|abc\.ABC|typing_extensions\.\w+)$/;

/**
 * The first base of a Megatron-style config class that MoE Lens cannot read and that may set router fields
 * (Megatron-Bridge's `MLAModelProvider`, imported from a file outside the workspace): what the class does not set
 * is then unknown, not Megatron's default. Bases are read in the order Python looks fields up (the class's own
 * bases left to right, each with its bases first): once Megatron Core's TransformerConfig is reached, it declares
 * every router field, so a base after it (NeMo's `TransformerConfig, io.IOMixin`) changes none of them.
 */
function unreadBase(evaluator: PythonEvaluator, cls: ClassInfo): string | undefined {
  const found = firstUnreadBase(evaluator, cls, 0);
  return found === 'megatron-core' ? undefined : found;
}

/**
 * Generic config classes whose `transformer_layer_spec` builds Megatron's own layers and router: Megatron-Bridge's
 * providers (gpt_provider.py `default_layer_spec`) and NeMo's GPTConfig (llm/gpt/model/base.py `default_layer_spec`).
 */
const GENERIC_PROVIDER = /^(GPTModelProvider|HybridModelProvider|MambaModelProvider|GPTConfig)$/;

/**
 * Why what a Megatron-style config class does not write may not be Megatron's default, if it may not: a base MoE
 * Lens cannot read, or a `transformer_layer_spec` of the class's own. A model's layer spec picks the router module
 * (Megatron-Bridge @067f987 gemma4_provider.py l.324 builds Gemma 4's layers with gemma4_block_spec, whose
 * Gemma4TopKRouter renormalises and scales each choice per expert, modeling_gemma4.py l.1395-1403): which router
 * runs, and so what its unwritten settings are, is not known there.
 */
function defaultsUnknown(evaluator: PythonEvaluator, cls: ClassInfo): string | undefined {
  const base = unreadBase(evaluator, cls);
  if (base) return `${cls.name} does not set it, and ${base} may`;
  const spec = evaluator.fieldDefault(cls, 'transformer_layer_spec');
  if (!spec || GENERIC_PROVIDER.test(spec.owner.name)) return undefined;
  return `${cls.name} builds its layers with ${spec.owner === cls ? 'its own' : `${spec.owner.name}'s`} \`transformer_layer_spec\`, which picks the router: MoE Lens does not read which one it builds, nor that router's defaults`;
}

/** Megatron Core's own TransformerConfig, in a Megatron-LM checkout or a fork of one. */
const MEGATRON_CORE_FILE = /(^|\/)megatron\/core\/transformer\/transformer_config\.py$/;

/**
 * Why a workspace class with Megatron's router fields is not Megatron's router: it declares them itself, outside a
 * Megatron-LM checkout's megatron/core, and reaches no Megatron Core base (mindformers' parallel_core TransformerConfig,
 * a MindSpore port whose router is its own). Undefined for Megatron Core's class, a fork's, or a class built on one.
 */
function megatronPort(evaluator: PythonEvaluator, cls: ClassInfo): string | undefined {
  if (firstUnreadBase(evaluator, cls, 0) !== undefined) return undefined;
  const owner = MEGATRON_ROUTER_FIELDS.map((key) => evaluator.fieldDefault(cls, key)?.owner).find((o) => o !== undefined);
  if (!owner || MEGATRON_CORE_FILE.test(owner.file)) return undefined;
  return `${owner.name} (${owner.file.split('/').slice(-3).join('/')}) declares Megatron's router fields itself, outside Megatron Core: the router that reads them is its own code's, which MoE Lens does not read`;
}

function firstUnreadBase(evaluator: PythonEvaluator, cls: ClassInfo, depth: number): string | 'megatron-core' | undefined {
  for (const base of evaluator.bases(cls)) {
    if (base.kind === 'class') {
      const inner = depth < 8 ? firstUnreadBase(evaluator, base.cls, depth + 1) : undefined;
      if (inner) return inner;
    } else if (base.kind === 'external') {
      if (MEGATRON_CORE_CONFIG.test(base.name)) return 'megatron-core';
      if (!FIELDLESS_BASE.test(base.name)) return `its base ${base.name.slice(base.name.lastIndexOf('.') + 1)} (not in the workspace)`;
    } else {
      return `a base of ${cls.name} that MoE Lens cannot read`;
    }
  }
  return undefined;
}

/** Each root of this file with the objects it holds (its value's) and those its code built, in that order. */
function rootsWithObjects(evaluator: PythonEvaluator, file: string, built: Map<string, ObjectValue[]>): { root: Root; objects: ObjectValue[] }[] {
  return documentRoots(evaluator, file).map((root) => {
    const objects: ObjectValue[] = [];
    reachable(root.value, objects, new Set());
    objects.push(...(built.get(contextKey(root.context)) ?? []));
    return { root, objects };
  });
}

/**
 * Calls that spell another framework's config: Grok-1's `TransformerConfig(num_experts=8,
 * num_selected_experts=2)`. Read with that framework's semantics, one spec per call.
 */
function keyedCallConfigs(evaluator: PythonEvaluator, file: string, built: Map<string, ObjectValue[]>): RouterSpec[] {
  const specs: RouterSpec[] = [];
  const seen = new Set<ObjectValue>();
  // Most files build no such call: nothing to walk then.
  if (!evaluator.constructions.some((c) => c.object.keywords.has('num_selected_experts'))) return specs;
  for (const { root, objects } of rootsWithObjects(evaluator, file, built)) {
    for (const object of objects) {
      if (seen.has(object) || !object.keywords.has('num_selected_experts') || !object.keywords.has('num_experts')) continue;
      seen.add(object);
      // Grok-1's class (xai-org/grok-1 @be76c95 run.py l.33, model.py `TransformerConfig`); the same keywords on
      // another class are another router (google/dopamine @5873f54 labs/moes/architectures/networks.py l.184-190:
      // its own Flax `moe.MoE`, whose router is a parameter, read as grok-1's).
      if (object.className !== 'TransformerConfig') continue;
      const sites = ['num_experts', 'num_selected_experts'].map((key) => keywordSite(object, key, file)).filter((s): s is Site => s !== undefined);
      const spec = keyedSpec('grok-1', file, root.context.name.replace(/^_+/, ''), sites, root.context.range, object.callee.range);
      if (spec) specs.push(asPythonSpec(spec));
    }
  }
  return specs;
}

// ---- one spec per router -----------------------------------------------------------------------------

interface Lookup {
  sites: Site[];
  value: PyValue | undefined;
  defaultFrom?: DefaultOrigin;
  unknown?: string;
}

/** A default declared at a place, the file named when it is not the config's. */
function declaredAt(label: string, at: { file: string; range: SourceRange }, file: string): DefaultOrigin {
  return { label, ...(at.file !== file ? { file: at.file } : {}), range: at.range };
}

/** A field's default origin, which only a value no keyword sets has. */
function defaultOf(found: Pick<Lookup, 'sites' | 'defaultFrom'>): { defaultFrom?: DefaultOrigin } {
  return found.defaultFrom && found.sites.length === 0 ? { defaultFrom: found.defaultFrom } : {};
}

/** A spec read from Python in another framework's vocabulary: fixes and rules see only this file's sites. */
function asPythonSpec(spec: RouterSpec): RouterSpec {
  return { ...spec, dialect: 'torchtitan-python', sites: spec.sites.filter((site) => site.file === undefined) };
}

function literalOfValue(value: PyValue): Literal {
  switch (value.kind) {
    case 'int':
    case 'float':
      return { kind: value.kind, value: value.value };
    case 'string':
      return { kind: 'string', value: value.value };
    case 'bool':
      return { kind: 'bool', value: value.value };
    case 'none':
      return { kind: 'none' };
    default:
      return { kind: 'expression', text: describeValue(value) };
  }
}

/** `trainSpec`: what the file's TrainSpec makes of a learned selection bias (trainSpecBias), where it changes it. */
function buildSpec(found: FoundRouter, evaluator: PythonEvaluator, file: string, text: string, read: (path: string) => string | undefined, trainSpec?: (bias: Field<SelectionBias>) => Field<SelectionBias>): RouterSpec {
  const { root, chain } = found;
  const router = chain[chain.length - 1]!;
  const outer = chain[0]!;
  const inner = [...chain].reverse(); // the router's own config decides, then what encloses it

  const lookup = (key: string): Lookup => {
    const sites: Site[] = [];
    let value: PyValue | undefined;
    for (const object of chain) {
      const site = keywordSite(object, key, file);
      if (site) sites.push(site);
    }
    for (const object of inner) {
      const argument = object.keywords.get(key);
      if (argument) {
        value = argument.value;
        break;
      }
    }
    if (key === 'gate.bias') {
      for (const object of inner) {
        const gate = object.keywords.get('gate')?.value;
        if (gate?.kind !== 'object') continue;
        const site = keywordSite(gate, 'bias', file, 'gate.bias');
        if (site) return { sites: [site], value: gate.keywords.get('bias')!.value };
        if (gate.cls) {
          const declared = evaluator.fieldDefault(gate.cls, 'bias');
          if (declared) return { sites: [], value: declared.value, defaultFrom: declaredAt(`${declared.owner.name}.bias`, declared.declared, file) };
        }
        return { sites: [], value: undefined, unknown: `the default of \`bias\` of ${gate.className} is not in the workspace` };
      }
      return { sites: [], value: undefined };
    }
    if (value) {
      const unknownReason = value.kind === 'unknown' ? value.reason : undefined;
      return { sites, value, ...(unknownReason ? { unknown: unknownReason } : {}) };
    }
    // Not set anywhere: the default of the class the router's config really is.
    for (const object of inner) {
      if (!object.cls) continue;
      const declared = evaluator.fieldDefault(object.cls, key);
      if (declared) {
        const origin = declaredAt(`${declared.owner.name}.${key}`, declared.declared, file);
        return { sites: [], value: declared.value, defaultFrom: origin, ...(declared.value.kind === 'unknown' ? { unknown: declared.value.reason } : {}) };
      }
    }
    const resolved = inner.find((o) => o.cls);
    if (resolved && inner.every((o) => o.cls || !isKnownTorchtitanClass(o))) {
      if (evaluator.declaresField(resolved.cls!, key) === false && !(key === 'gate_bias' && evaluator.declaresField(resolved.cls!, 'gate') !== false)) {
        // The class the import names has no such field: that torchtitan version has no such feature.
        const builtin = TORCHTITAN_MOE_DEFAULTS[key];
        if (builtin && FEATURE_KEYS.has(key)) return { sites: [], value: scalar(builtin), defaultFrom: { ...declaredAt(`${resolved.cls!.name} has no \`${key}\` field`, { file: resolved.cls!.file, range: resolved.cls!.nameRange }, file), noSuchKey: true } };
      }
    }
    const known = inner.find(isKnownTorchtitanClass);
    const builtin = TORCHTITAN_MOE_DEFAULTS[key];
    if (known && builtin) {
      const where = known.external ?? known.className;
      return { sites: [], value: scalar(builtin), defaultFrom: { label: `${TORCHTITAN_SOURCE} default of \`${key}\`; ${where} is not in the workspace`, uncertain: true } };
    }
    // The class is in the workspace but has no such field (torchtitan @5fb7cc2's MoEArgs and expert groups): what
    // that version does without it is in code MoE Lens does not read.
    const lacking = inner.find((o) => o.cls && evaluator.declaresField(o.cls, key) === false);
    if (lacking) return { sites: [], value: undefined, unknown: `no keyword sets \`${key}\`, and ${lacking.cls!.name} has no such field` };
    // A dict of keywords (`moe_args=dict(num_experts=8, top_k=2)`) takes its defaults from whatever it is given to.
    if (router.className === 'dict') return { sites: [], value: undefined, unknown: `the dict sets no \`${key}\`, and the default of what it is passed to is not known` };
    // The class is in the workspace and does not declare it, but a base MoE Lens cannot read may (torchtitan's
    // TransformerModelArgs on `BaseModelArgs` from a module outside the workspace).
    const declared = inner.find((o) => o.cls);
    const base = declared?.cls ? firstUnreadBase(evaluator, declared.cls, 0) : undefined;
    if (declared?.cls && base && base !== 'megatron-core') return { sites: [], value: undefined, unknown: `no keyword sets \`${key}\`; ${declared.cls.name} does not declare it, and ${base} may` };
    // A builder's own spelling of it (`_build_dsv3_layers(router_top_k=6)`, hicann/torchtitan-npu @e0aecaf): passed on
    // by code MoE Lens does not have, so still unknown, but the message names what the call writes.
    const spelled = [...router.keywords.keys()].find((name) => name.endsWith(`_${key}`));
    if (spelled) return { sites: [], value: undefined, unknown: `the call passes \`${spelled}\`, which ${router.className} (not in the workspace) turns into \`${key}\` in code MoE Lens does not read` };
    return { sites: [], value: undefined, unknown: `no keyword sets \`${key}\` and the default of ${router.className} is not in the workspace` };
  };

  const field = <T>(found: Lookup, convert: (value: PyValue | undefined) => T | undefined, fallback: T): Field<T> => {
    const converted = found.value ? convert(found.value) : undefined;
    const unknownReason = found.unknown ?? (converted === undefined && found.value ? `\`${describeValue(found.value)}\` is not a value of this field` : found.value ? undefined : 'not set');
    return {
      value: converted ?? fallback,
      sites: found.sites,
      ...defaultOf(found),
      ...(unknownReason !== undefined && converted === undefined ? { unknown: unknownReason } : {}),
    };
  };
  const asNumber = (v: PyValue | undefined): number | undefined => (v?.kind === 'int' || v?.kind === 'float' ? v.value : undefined);
  const asCount = (v: PyValue | undefined): number | undefined => (v?.kind === 'none' ? undefined : asNumber(v));
  const asBool = (v: PyValue | undefined): boolean | undefined => (v?.kind === 'bool' ? v.value : undefined);
  const countField = (key: string): Field<number | undefined> => {
    const found = lookup(key);
    // `None` groups mean "no groups": known, not unknown.
    if (found.value?.kind === 'none') return { value: undefined, sites: found.sites, ...defaultOf(found) };
    return field<number | undefined>(found, asCount, undefined);
  };

  const experts = countField('num_experts');
  const topK = countField('top_k');
  const topkBeforeScore = field(lookup('topk_before_score'), asBool, false);
  const scoreFunc = field(lookup('score_func'), (v) => (v?.kind === 'string' ? v.value : undefined), 'sigmoid');
  // The router class's own `score_func: Literal[...]`: which functions this torchtitan version implements.
  const scoreChoices = chain.map((o) => (o.cls ? evaluator.literalChoices(o.cls, 'score_func') : undefined)).find((c) => c !== undefined);
  const routeNorm = field(lookup('route_norm'), asBool, false);
  const groupsCount = countField('num_expert_groups');
  const groupsSelected = countField('num_limited_groups');
  const scale = field(lookup('route_scale'), asNumber, 1);
  const declares = (key: string): boolean => chain.some((o) => o.keywords.has(key) || (o.cls !== undefined && evaluator.declaresField(o.cls, key) === true));
  const gateBias = chain.some((o) => o.keywords.get('gate')?.value.kind === 'object') ? field(lookup('gate.bias'), asBool, false) : boolField(lookup, asBool, 'gate_bias', 'use_router_bias');

  const model = found.model;
  const shared = lookup('num_shared_experts');
  const shape = torchtitanShape(model, evaluator, { experts, topK, sharedExperts: shared.unknown === undefined && shared.defaultFrom?.uncertain !== true ? shared.value : undefined });
  const hidden = hiddenSize(chain, model, file);
  const layers = modelNumber(model, ['n_layers', 'num_hidden_layers'], file);
  const name = flavorName(root, found.index);
  const rootRange = root.context.range;

  return {
    dialect: 'torchtitan-python',
    framework: 'torchtitan',
    name,
    range: rootRange,
    anchorRange: anchorOf(outer, root, file),
    experts,
    topK,
    order: { ...topkBeforeScore, value: topkBeforeScore.value ? 'topk-then-score' : 'score-then-topk' },
    scoreFunc,
    routerBias: gateBias,
    selectionBias: biasAfterTraining(selectionBias(lookup, declares, asBool), trainSpec ?? (found.modelSpec && noHookBias([found.modelSpec], evaluator, read))),
    // Always present, so that "no groups" (`None`) and "not known" stay distinguishable through provenance.
    groups: { count: groupsCount, selected: withoutGroups(groupsCount, groupsSelected), score: 'top2-sum' },
    normalize: effectiveRouteNorm(routeNorm, scoreFunc, chain, evaluator),
    scale,
    debugRoundRobin: field(lookup('_debug_force_load_balance'), asBool, false),
    hidden,
    layers,
    sites: chain.flatMap((o) => [...o.keywords.keys()].map((k) => keywordSite(o, k, file)).filter((s): s is Site => s !== undefined && !s.file)),
    identity: {
      family: familyFromHints([root.context.name, ...contextNames(root.context), file, ...chain.map((o) => o.external ?? o.className), model?.external ?? model?.className]),
      flavor: root.context.name.replace(/^_+/, ''),
    },
    insertion: insertionPoint(router, evaluator, file, text),
    unknownKeys: unknownKeywords(chain, evaluator, file, text),
    ...(scoreChoices ? { scoreChoices } : {}),
    ...(shape ? { shape } : {}),
    ...(found.parallelism ? { layout: [...found.parallelism.keywords.keys()].map((k) => keywordSite(found.parallelism!, k, file)).filter((site): site is Site => site !== undefined) } : {}),
    keyNames: {
      experts: 'num_experts',
      topK: 'top_k',
      scoreFunc: 'score_func',
      order: 'topk_before_score',
      groupsCount: 'num_expert_groups',
      groupsSelected: 'num_limited_groups',
      normalize: 'route_norm',
      scale: 'route_scale',
      selectionBias: declares('use_expert_bias') ? 'use_expert_bias' : 'load_balance_coeff',
      debugRoundRobin: '_debug_force_load_balance',
    },
  };
}

/**
 * A function nothing in the file calls is evaluated with its parameters at their defaults. Where the router's counts
 * or score function come from those defaults (torchtitan's `make_moe_config(*, num_experts: int = 8, …)` in
 * models/common/config_utils.py, which every flavor calls with its own values), the function is a builder of other
 * files' configs, not a config: what it builds with its defaults is no model.
 */
function builtFromOwnParameters(root: Root, spec: RouterSpec, parsed: ParsedPython, file: string): boolean {
  if (root.context.kind !== 'function' || root.context.file !== file) return false;
  const definition = parsed.tree.resolveInner(root.context.range.start, 1);
  let node: SyntaxNode | null = definition;
  while (node && node.name !== 'FunctionDefinition') node = node.parent;
  const params = node?.getChild('ParamList');
  if (!params) return false;
  const inParams = (site: Site): boolean => site.file === undefined && site.valueRange.start >= params.from && site.valueRange.end <= params.to;
  // A parameter without a default leaves the value unknown: no made-up model, the config stays (`def build(n)`).
  return [spec.experts, spec.topK, spec.scoreFunc].some((field) => field.unknown === undefined && field.sites.some(inParams));
}

/**
 * torchtitan's llama4 makes a layer MoE where `(layer_id + 1) % interleave_moe_layer_step == 0` (model.py); a flavor
 * whose step exceeds its layer count has none (n-getty/torchtitan_xpu @llama4 `*_dense_12_rank`:
 * `interleave_moe_layer_step=100`, "Effectively disable MoE"): a dense model, no router config.
 */
function noMoeLayer(model: ObjectValue | undefined): boolean {
  const step = model?.keywords.get('interleave_moe_layer_step')?.value;
  const layers = model?.keywords.get('n_layers')?.value;
  return step?.kind === 'int' && layers?.kind === 'int' && step.value > layers.value;
}

/**
 * With no expert groups (`num_expert_groups` None), the router never reads `num_limited_groups`: a class default of it
 * (torchtitan-npu's DeepSeek-V4 MoEArgs: `num_limited_groups: int | None = 8`) is no value of this router.
 */
function withoutGroups(count: Field<number | undefined>, selected: Field<number | undefined>): Field<number | undefined> {
  if (count.value !== undefined || count.unknown !== undefined || selected.sites.length > 0 || selected.value === undefined) return selected;
  return { value: undefined, sites: [], defaultFrom: { label: `no expert groups (\`num_expert_groups\` is None), so \`num_limited_groups\` is not read` } };
}

/**
 * torchtitan from a9aa506 (2025-08-05) to bd3850b (2025-09-11) renormalised the top-k scores only for sigmoid:
 * `if self.score_func == "sigmoid" and self.route_norm:` (models/moe.py l.214 @a9aa506; its docstring: "Whether to
 * normalize the routing scores when using sigmoid"). Where the module of the config's class says so, `route_norm=True`
 * with softmax scores renormalises nothing (AMD's torchtitan fork @67f5364: its DeepSeek-V2 236B flavor got MOE001
 * for a renormalisation it never does); with a score function not known, whether it does is not known either.
 */
function effectiveRouteNorm(routeNorm: Field<boolean>, scoreFunc: Field<string>, chain: readonly ObjectValue[], evaluator: PythonEvaluator): Field<'always' | 'never'> {
  const written = { ...routeNorm, value: routeNorm.value ? ('always' as const) : ('never' as const) };
  if (!routeNorm.value || routeNorm.unknown !== undefined || scoreFunc.value === 'sigmoid' && scoreFunc.unknown === undefined) return written;
  for (const object of chain) {
    const module = object.cls && evaluator.module(object.cls.file);
    const guard = module ? SIGMOID_ONLY_ROUTE_NORM.exec(module.parsed.text) : null;
    if (!module || !guard) continue;
    const where = `${module.file.split('/').slice(-2).join('/')} line ${module.lineAt(guard.index)}`;
    if (scoreFunc.unknown !== undefined) return { ...written, unknown: `this torchtitan renormalises only sigmoid scores (${where}), and the score function is not known` };
    return fixedBy('never', `\`route_norm\` is True, but this torchtitan renormalises only sigmoid scores (${where}): ${scoreFunc.value} scores are not renormalised`);
  }
  return written;
}
const SIGMOID_ONLY_ROUTE_NORM = /\bscore_func\s*==\s*["']sigmoid["']\s+and\s+self\.route_norm\b|\bself\.route_norm\s+and\s+self\.score_func\s*==\s*["']sigmoid["']/;

/** The router call's callee when the flavor writes it (`MoEArgs` in `"120b": ...MoEArgs(...)`), else the flavor's name. */
function anchorOf(outer: ObjectValue, root: Root, file: string): SourceRange {
  const call = outer.call.range;
  const inside = outer.call.file === file && call.start >= root.context.range.start && call.end <= root.context.range.end;
  if (!inside) return root.context.keyRange;
  return outer.callee.range;
}

/** Switches that are off in a torchtitan version whose config class lacks them (the PR's fields, or a gate bias before #2319). */
const FEATURE_KEYS = new Set(['topk_before_score', 'use_router_bias', 'use_expert_bias', 'gate_bias']);

/** A torchtitan router class imported from a module the workspace does not hold (not a name nobody imported). */
function isKnownTorchtitanClass(object: ObjectValue): boolean {
  return !object.cls && object.external !== undefined && TORCHTITAN_ROUTER_CALLEES.has(object.className);
}

function scalar(literal: Literal): PyValue {
  const trace = { written: { file: '', range: { start: 0, end: 0 } }, via: [] };
  switch (literal.kind) {
    case 'int':
    case 'float':
      return { kind: literal.kind, value: literal.value, trace };
    case 'string':
      return { kind: 'string', value: literal.value, trace };
    case 'bool':
      return { kind: 'bool', value: literal.value, trace };
    default:
      return { kind: 'none', trace };
  }
}

function boolField(lookup: (key: string) => Lookup, asBool: (v: PyValue | undefined) => boolean | undefined, ...keys: string[]): Field<boolean> {
  let chosen = lookup(keys[0]!);
  for (const key of keys) {
    const found = lookup(key);
    if (found.sites.length > 0) {
      chosen = found;
      break;
    }
  }
  const value = chosen.value ? asBool(chosen.value) : undefined;
  return {
    value: value ?? false,
    sites: chosen.sites,
    ...defaultOf(chosen),
    ...(value === undefined ? { unknown: chosen.unknown ?? 'not set' } : {}),
  };
}

/** A learned bias as the training code leaves it (trainSpecBias, modelSpecBias), where that code decides. */
function biasAfterTraining(bias: Field<SelectionBias>, training: ((bias: Field<SelectionBias>) => Field<SelectionBias>) | undefined): Field<SelectionBias> {
  return training ? training(bias) : bias;
}

/**
 * torchtitan: `load_balance_coeff` not None turns on the learned `expert_bias` (research §1.5). The PR's
 * `use_expert_bias`, where a config or its class has it, decides instead.
 */
function selectionBias(lookup: (key: string) => Lookup, declares: (key: string) => boolean, asBool: (v: PyValue | undefined) => boolean | undefined): Field<SelectionBias> {
  const from = (found: Lookup, value: SelectionBias | undefined): Field<SelectionBias> => ({
    value: value ?? 'learned',
    sites: found.sites,
    ...defaultOf(found),
    ...(value === undefined ? { unknown: found.unknown ?? 'not set' } : {}),
  });
  if (declares('use_expert_bias')) {
    const found = lookup('use_expert_bias');
    const flag = found.value ? asBool(found.value) : undefined;
    return from(found, flag === undefined ? undefined : flag ? 'learned' : 'none');
  }
  const found = lookup('load_balance_coeff');
  const v = found.value;
  return from(found, v?.kind === 'none' ? 'none' : v?.kind === 'int' || v?.kind === 'float' ? 'learned' : undefined);
}

/**
 * torchtitan from a9aa506 (2025-08-05) to 9810191 (2026-02-23) updated a learned `expert_bias` only from the optimizer
 * hook `build_optimizers_with_moe_load_balancing` registers (components/optimizer.py); a model whose TrainSpec builds
 * its optimizers with plain `build_optimizers` (qwen3 at eb13ba2, experiments/qwen3/__init__.py l.188) keeps the bias
 * at the zeros it starts from. The TrainSpec of the flavor's file decides, where its file has one: plain
 * `build_optimizers` from a workspace module that also defines the load-balancing builder leaves no selection bias;
 * one from outside the workspace leaves it unknown (the torchtitan version decides); any other builder, as read.
 * Read once a file: undefined where the file's TrainSpec changes no learned bias.
 */
function trainSpecBias(evaluator: PythonEvaluator, file: string): ((bias: Field<SelectionBias>) => Field<SelectionBias>) | undefined {
  // The file's own TrainSpec, or one a sibling module builds over this file's flavor table (xiao-hu's torchtitan
  // @728bb3c experiments/qwen3_vl: `get_train_spec()` returns train_spec.py's `TrainSpec(model_args=qwen3_vl_args, …)`).
  const overThisFile = (object: ObjectValue): boolean => object.call.file === file || object.keywords.get('model_args')?.value.trace?.written.file === file;
  const specs = evaluator.constructions.filter((c) => overThisFile(c.object) && /(^|\.)TrainSpec$/.test(c.object.external ?? c.object.className) && c.object.keywords.has('build_optimizers_fn'));
  const builder = specs.length === 1 ? specs[0]!.object.keywords.get('build_optimizers_fn')!.value : undefined;
  const name = builder?.kind === 'function' ? builder.fn.name : builder?.kind === 'external' ? builder.name.slice(builder.name.lastIndexOf('.') + 1) : undefined;
  if (!builder || name !== 'build_optimizers') return undefined;
  const where = `TrainSpec(build_optimizers_fn=build_optimizers) in ${callPlace(evaluator, specs[0]!.object)}`;
  if (builder.kind === 'function') {
    if (!evaluator.module(builder.fn.file)?.parsed.text.includes('def build_optimizers_with_moe_load_balancing')) return undefined;
    const none: Field<SelectionBias> = fixedBy('none', `${where}: that builder registers no update of \`expert_bias\`, which stays at its initial zeros (${builder.fn.file.split('/').slice(-3).join('/')} updates it only in build_optimizers_with_moe_load_balancing)`);
    return onLearnedBias(none);
  }
  return onLearnedBias(`${where}, from outside the workspace: torchtitan from a9aa506 (2025-08-05) to 9810191 (2026-02-23) updated \`expert_bias\` only in build_optimizers_with_moe_load_balancing, so whether this run learns one depends on its torchtitan version`);
}

/** What training code does to a learned bias (the others stay): fixes it (`none`: no code updates it), or leaves it unknown, saying why. */
function onLearnedBias(outcome: Field<SelectionBias> | string): (bias: Field<SelectionBias>) => Field<SelectionBias> {
  return (bias) => (bias.value !== 'learned' || bias.unknown !== undefined ? bias : typeof outcome === 'string' ? { ...bias, unknown: outcome } : outcome);
}

/** Where a call is written: `__init__.py (line 316)`. */
function callPlace(evaluator: PythonEvaluator, object: ObjectValue): string {
  return `${baseName(object.call.file)} (line ${evaluator.module(object.call.file)?.lineAt(object.call.range.start) ?? '?'})`;
}

/**
 * torchtitan since 9810191 (2026-02-23): a model's ModelSpec names what runs after its optimizers are built, and the
 * trainer calls it (`if model_spec.post_optimizer_build_fn is not None:`, trainer.py l.538 @b5bcd76); for a learned
 * `expert_bias` that is `register_moe_load_balancing_hook` (components/optimizer), the only code that updates it. A
 * flavor file whose ModelSpec says `post_optimizer_build_fn=None` (upstream qwen3 from ac359c0, 2026-02-25, until
 * 8e55544 fixed it on 2026-06-14; yichuan-w's, comma.ai's and a TPU fork's) keeps the bias at its initial zeros: no selection bias, where the
 * workspace's trainer (torchtitan/trainer.py above the file) calls the hook only that way; unknown where it is not
 * in the workspace. Undefined where the file's ModelSpec changes no learned bias.
 */
function modelSpecBias(evaluator: PythonEvaluator, file: string, read: (path: string) => string | undefined): ((bias: Field<SelectionBias>) => Field<SelectionBias>) | undefined {
  const specs = evaluator.constructions.map((c) => c.object).filter((object) => object.call.file === file && isModelSpec(object));
  return specs.length > 0 ? noHookBias(specs, evaluator, read) : undefined;
}

/** A torchtitan ModelSpec that says what runs after the optimizers are built. */
function isModelSpec(object: ObjectValue): boolean {
  return /(^|\.)ModelSpec$/.test(object.external ?? object.className) && object.keywords.has('post_optimizer_build_fn');
}

/**
 * What the ModelSpecs of a config say of its learned bias: the flavor file's own (modelSpecBias), or the one its job
 * holds (a config_registry.py entry: `model_spec=model_registry("debugmodel_moe")`, PraMamba's torchtitan @8d6e182
 * qwen3/config_registry.py l.276).
 */
function noHookBias(specs: readonly ObjectValue[], evaluator: PythonEvaluator, read: (path: string) => string | undefined): ((bias: Field<SelectionBias>) => Field<SelectionBias>) | undefined {
  if (!specs.every((object) => object.keywords.get('post_optimizer_build_fn')!.value.kind === 'none')) return undefined;
  const file = specs[0]!.call.file;
  const where = `ModelSpec(post_optimizer_build_fn=None) in ${callPlace(evaluator, specs[0]!)}`;
  const trainer = fileAbove(file, 'torchtitan/trainer.py', read, MAX_TRAINER_DEPTH);
  if (trainer && trainer.text.includes('post_optimizer_build_fn') && !/register_moe_load_balancing_hook|expert_bias/.test(trainer.text)) {
    const none: Field<SelectionBias> = fixedBy('none', `${where}: the trainer (${trainer.path.split('/').slice(-2).join('/')}) updates \`expert_bias\` only through post_optimizer_build_fn, so it stays at its initial zeros`);
    return onLearnedBias(none);
  }
  return onLearnedBias(`${where}: whether anything updates \`expert_bias\` depends on the trainer, and torchtitan/trainer.py is not in the workspace above this file`);
}
/** Folders above a flavor file where its torchtitan checkout's trainer.py is looked for (torchtitan/experiments/x/y/). */
const MAX_TRAINER_DEPTH = 6;

/**
 * A keyword of a built config as a site: where its value is written (in this file) or in which other file, and
 * the bindings it went through when that is not the keyword itself.
 */
function keywordSite(object: ObjectValue, key: string, file: string, siteKey = key): Site | undefined {
  const argument = object.keywords.get(key);
  if (!argument) return undefined;
  const written = argument.value.trace?.written;
  // A keyword an attribute assignment gave the object is located where that assignment is written.
  const keyFile = argument.assigned?.file ?? object.call.file;
  const elsewhere = keyFile !== file || (written !== undefined && written.file !== file);
  const via = argument.value.trace?.via ?? [];
  // A value written in a third file (a literal in the flavor builder, passed on by config_utils.py's call) is
  // located where it is written: a site's ranges are all in its one file.
  const third = elsewhere && written !== undefined && written.file !== keyFile;
  return {
    key: siteKey,
    keyRange: third ? written.range : argument.keyRange ?? argument.range,
    valueRange: (written && !elsewhere) || third ? written!.range : argument.range,
    literal: literalOfValue(argument.value),
    ...(elsewhere ? { file: written?.file ?? keyFile } : {}),
    ...(via.length > 0 || (written && written.range.start !== argument.range.start) ? { via: via.length > 0 ? via : [{ file: keyFile, range: argument.range }] } : {}),
  };
}

function modelNumber(model: ObjectValue | undefined, keys: readonly string[], file: string): Field<number | undefined> {
  for (const key of keys) {
    const argument = model?.keywords.get(key);
    if (!model || !argument) continue;
    const value = argument.value;
    if (value.kind !== 'int') return { value: undefined, sites: [], unknown: describeValue(value) };
    const site = keywordSite(model, key, file);
    return { value: value.value, sites: site ? [site] : [] };
  }
  return { value: undefined, sites: [], unknown: 'not set' };
}

/** The router's input size: its gate's `in_features`, else the model's `dim` / `hidden_size`. */
function hiddenSize(chain: readonly ObjectValue[], model: ObjectValue | undefined, file: string): Field<number | undefined> {
  for (const object of [...chain].reverse()) {
    const gate = object.keywords.get('gate')?.value;
    if (gate?.kind === 'object' && gate.keywords.get('in_features')?.value.kind === 'int') return modelNumber(gate, ['in_features'], file);
  }
  return modelNumber(model, ['dim', 'hidden_size'], file);
}

function contextNames(context: NamingContext): string[] {
  const names: string[] = [];
  for (let c = context.parent; c; c = c.parent) names.push(c.name);
  return names;
}

function flavorName(root: Root, index: number): string {
  const base = root.context.kind === 'function' ? root.context.name.replace(/^_+/, '') : root.context.name;
  return index === 0 ? base : `${base} (router ${index + 1})`;
}

/** Keywords written in this file that the config's class (resolved in the workspace) does not accept. */
function unknownKeywords(chain: readonly ObjectValue[], evaluator: PythonEvaluator, file: string, text: string): UnknownKey[] {
  const out: UnknownKey[] = [];
  for (const object of chain) {
    if (!object.cls || object.call.file !== file) continue;
    const accepted = evaluator.acceptedKeywords(object.cls);
    if (!accepted) continue;
    for (const [key, argument] of object.keywords) {
      // Written here, as this key (a `**` dict built in another file has its keys there).
      if (accepted.has(key) || argument.assigned || !argument.keyRange || text.slice(argument.keyRange.start, argument.keyRange.end).replace(/^(["'])(.*)\1$/, '$2') !== key) continue;
      out.push({ key, keyRange: argument.keyRange, owner: object.cls.name, accepted: [...accepted], effect: 'rejected' });
    }
  }
  return out;
}

/** Where a missing keyword can be added: the router config's own call, in this file, for the fields its class takes. */
function insertionPoint(router: ObjectValue, evaluator: PythonEvaluator, file: string, text: string): Insertion | undefined {
  const argList = router.argList;
  if (!argList || router.call.file !== file) return undefined;
  const acceptedKeys = router.cls
    ? Object.keys(TORCHTITAN_MOE_DEFAULTS).filter((key) => evaluator.declaresField(router.cls!, key) === true)
    : TORCHTITAN_KNOWN_FIELDS[router.className];
  if (!acceptedKeys) return undefined;
  const items = children(argList).filter((n) => n.name !== '(' && n.name !== ')' && n.name !== 'Comment');
  const open = argList.firstChild;
  if (items.length === 0) return { offset: open ? open.to : argList.from + 1, prefix: '', suffix: '', acceptedKeys };
  const last = items[items.length - 1]!;
  const lastValue = last.name === ',' ? items[items.length - 2] ?? last : last;
  const multiline = text.slice(argList.from, lastValue.from).includes('\n');
  const indent = multiline ? indentationAt(text, lastValue.from) : '';
  if (last.name === ',') return { offset: last.to, prefix: multiline ? `\n${indent}` : ' ', suffix: ',', acceptedKeys };
  return { offset: last.to, prefix: multiline ? `,\n${indent}` : ', ', suffix: '', acceptedKeys };
}

function indentationAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0];
}


// ---- a config_registry.py job's settings beside its parallelism (MOE021) --------------------------------

/** The `Trainer.Config` sections whose keywords become `layout` sites as `<section>.<keyword>`. */
const JOB_SECTIONS = ['training', 'compile'] as const;
/** The keyword that picks the MoE token dispatcher (`model_registry(..., moe_comm_backend="hybridep")`, `make_token_dispatcher_config(comm_backend=...)`). */
const COMM_BACKEND_KEYWORDS = new Set(['moe_comm_backend', 'comm_backend']);
/** The dispatcher config fields torchtitan's launch checks read. */
const DISPATCHER_FIELDS = ['num_max_tokens_per_rank', 'non_blocking_capacity_factor'];
const isDispatcherConfig = (object: ObjectValue): boolean => /TokenDispatcher\.Config$/.test(object.external ?? object.className);

/** Where a class comes from: its import name, or its file and name when the workspace holds it. */
const classOrigin = (object: ObjectValue): string => object.external ?? (object.cls ? `${object.cls.file}:${object.cls.name}` : object.className);

/**
 * A `config_registry.py` job function (`def deepseek_v3_16b() -> Trainer.Config: return Trainer.Config(...)`) adds
 * to `layout`, after its `ParallelismConfig` keywords (read as before): its `training=` and `compile=` keywords
 * (`training.num_tokens_per_microbatch_per_dp_rank`), the classes it gives `activation_checkpoint=` and
 * `compile=` and its own class (`job`), each MoE token dispatcher config its model builds (`token_dispatcher`,
 * the class, then its `token_dispatcher.<field>` values, written or declared), and a `moe_comm_backend=` /
 * `comm_backend=` string it writes. `launch` says whether the function holds the whole job. Only the job's first
 * router carries them, so that a check on the job is made once.
 */
function withJobSettings(spec: RouterSpec, root: Root, evaluator: PythonEvaluator, parsed: ParsedPython, file: string): RouterSpec {
  const job = root.value.kind === 'object' && (root.value.keywords.has('model_spec') || root.value.keywords.has('training')) ? root.value : undefined;
  if (!job || root.context.kind !== 'function' || root.context.file !== file) return spec;
  const sites: Site[] = [];
  const classSite = (key: string, object: ObjectValue, at: SourceRange): Site => ({
    key,
    keyRange: at,
    valueRange: at,
    literal: { kind: 'expression', text: classOrigin(object) },
    ...(object.call.file !== file ? { file: object.call.file } : {}),
  });
  sites.push(classSite('job', job, job.callee.range));
  for (const section of JOB_SECTIONS) {
    const argument = job.keywords.get(section);
    if (argument?.value.kind !== 'object') continue;
    const object = argument.value;
    sites.push(classSite(section, object, argument.range));
    for (const key of object.keywords.keys()) {
      const site = keywordSite(object, key, file, `${section}.${key}`);
      if (site) sites.push(site);
    }
  }
  const checkpointing = job.keywords.get('activation_checkpoint');
  if (checkpointing?.value.kind === 'object') sites.push(classSite('activation_checkpoint', checkpointing.value, checkpointing.range));
  const objects: ObjectValue[] = [];
  reachable(root.value, objects, new Set());
  for (const dispatcher of objects.filter(isDispatcherConfig)) {
    sites.push(classSite('token_dispatcher', dispatcher, dispatcher.callee.range));
    for (const key of DISPATCHER_FIELDS) {
      const written = keywordSite(dispatcher, key, file, `token_dispatcher.${key}`);
      if (written) {
        // A value the job writes here (`model_registry(..., num_max_tokens_per_rank=0)`) is located here.
        const at = dispatcher.keywords.get(key)?.value.trace?.written;
        sites.push(written.file !== undefined && at?.file === file ? { key: written.key, keyRange: at.range, valueRange: at.range, literal: written.literal } : written);
        continue;
      }
      const declared = dispatcher.cls ? evaluator.fieldDefault(dispatcher.cls, key) : undefined;
      if (declared && declared.value.kind !== 'unknown') {
        sites.push({ key: `token_dispatcher.${key}`, keyRange: declared.declared.range, valueRange: declared.declared.range, literal: literalOfValue(declared.value), file: declared.declared.file });
      }
    }
  }
  const range = root.context.range;
  for (const call of parsed.calls) {
    if (call.from < range.start || call.to > range.end) continue;
    for (const keyword of callArguments(call, parsed.text)?.keywords ?? []) {
      if (!COMM_BACKEND_KEYWORDS.has(keyword.key)) continue;
      sites.push({ key: 'comm_backend', keyRange: keyword.keyRange, valueRange: { start: keyword.value.from, end: keyword.value.to }, literal: literalOf(keyword.value, parsed.text) });
    }
  }
  return withLaunch({ ...spec, layout: [...(spec.layout ?? []), ...sites] }, jobScope(job, root, parsed, file, evaluator));
}

/**
 * Whether a job function holds the whole job: it builds its `Trainer.Config` itself and changes it afterwards
 * only by attribute assignments the evaluator applied (`config.parallelism.expert_parallel_degree = 8`, written
 * in the function's own body, not under an `if` or a loop). A function that hands the config to another
 * (`enable_fused_swiglu(config)`), or assigns what MoE Lens does not follow, is not read as whole; nor is one
 * that takes its config from another job function (`config = deepseek_v3_debugmodel()`): the evaluator follows
 * it (its layout and router are read), but the keys it does not change are written in that other function,
 * where a finding would not be about this job.
 */
function jobScope(job: ObjectValue, root: Root, parsed: ParsedPython, file: string, evaluator: PythonEvaluator): LaunchScope {
  const range = root.context.range;
  if (job.call.file !== file || job.call.range.start < range.start || job.call.range.end > range.end) {
    const from = job.call.file === file ? evaluator.roots.find((r) => r.context.kind === 'function' && r.context.file === file && r !== root && job.call.range.start >= r.context.range.start && job.call.range.end <= r.context.range.end) : undefined;
    return { complete: false, why: from ? `takes its Trainer.Config from \`${from.context.name}\`, where the keys it does not change are written` : `takes its Trainer.Config from another function` };
  }
  const { text } = parsed;
  let returned: string | undefined;
  let mutation: string | undefined;
  let assigned = 0;
  parsed.tree.iterate({
    from: range.start,
    to: range.end,
    enter: (node) => {
      if (node.from < range.start || node.to > range.end) return true;
      if ((node.name === 'AssignStatement' || node.name === 'UpdateStatement') && node.node.firstChild && node.node.firstChild.name !== 'VariableName' && node.node.firstChild.name !== 'TupleExpression') {
        // Applied by the evaluator, and certain to run: a statement of the function's own body.
        const followed = node.name === 'AssignStatement' && evaluator.attributeAssignments.get(`${file}:${node.from}`) === true && node.node.parent?.parent?.name === 'FunctionDefinition';
        if (followed) assigned++;
        else mutation ??= text.slice(node.node.firstChild.from, node.node.firstChild.to);
      }
      if (node.name === 'ReturnStatement' && node.node.lastChild?.name === 'VariableName') returned = text.slice(node.node.lastChild.from, node.node.lastChild.to);
      return true;
    },
  });
  if (mutation !== undefined) return { complete: false, why: `assigns \`${mutation}\`, which MoE Lens does not apply` };
  if (returned !== undefined) {
    for (const call of parsed.calls) {
      if (call.from < range.start || call.to > range.end) continue;
      const args = callArguments(call, text);
      const handed = [...(args?.positional ?? []), ...(args?.keywords.map((k) => k.value) ?? [])].some((n) => n.name === 'VariableName' && text.slice(n.from, n.to) === returned);
      if (handed) return { complete: false, why: `hands \`${returned}\` to \`${text.slice(call.from, call.firstChild?.to ?? call.to)}\`, which may change it` };
    }
  }
  if (assigned > 0) return { complete: true, why: `builds its whole Trainer.Config in this function and changes it only by the ${assigned === 1 ? 'attribute assignment' : `${assigned} attribute assignments`} it writes` };
  return { complete: true, why: 'builds its whole Trainer.Config in this function and changes none of it afterwards' };
}
