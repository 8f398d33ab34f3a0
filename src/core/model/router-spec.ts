/**
 * The normalised router model (shared/design/router-spec.md). Every parser produces these; rules, hovers,
 * the CLI and the router engine only read them. Plain data: no parser or editor types leak in.
 */
import type { SourceRange } from '../text/source';
import type { ShapeResult } from './parameters';

export type Dialect = 'torchtitan-python' | 'torchtitan-toml' | 'hf-json' | 'deepseek-json' | 'megatron-yaml' | 'megatron-args' | 'deepseek-launch';

/** Which framework's math runs for a config; shown to the user. */
export type Framework =
  | 'torchtitan'
  | 'hf:gpt_oss'
  | 'hf:deepseek_v3'
  | 'hf:deepseek_v2'
  | 'hf:qwen3_moe'
  | 'hf:qwen2_moe'
  | 'hf:olmoe'
  | 'hf:mixtral'
  | 'hf:llama4'
  | 'hf:dbrx'
  | 'hf:qwen3_next'
  | 'hf:granitemoe'
  | 'hf:jamba'
  | 'hf:ernie4_5_moe'
  | 'hf:hunyuan_v1_moe'
  | 'hf:minimax'
  | 'hf:minimax_m2'
  | 'hf:phimoe'
  | 'hf:glm4_moe'
  | 'hf:glm4_moe_lite'
  | 'hf:nemotron_h'
  | 'hf:qwen3_vl_moe'
  | 'hf:qwen3_5_moe'
  | 'hf:gemma4'
  | 'hf:kimi_k2'
  | 'hf:kimi_k25'
  | 'hf:kimi_linear'
  | 'hf:dots1'
  | 'hf:exaone_moe'
  | 'hf:glm4v_moe'
  | 'hf:glm_moe_dsa'
  | 'hf:deepseek_v4'
  | 'hf:laguna'
  | 'hf:deepseek_v32'
  | 'hf:mimo_v2_flash'
  | 'hf:bailing_moe'
  | 'hf:bailingmm'
  | 'hf:bailing_moe_v2'
  | 'hf:hunyuan'
  | 'hf:afmoe'
  | 'hf:flex_olmo'
  | 'hf:glm5_next'
  | 'hf:granitemoe_swa'
  | 'hf:granitemoehybrid'
  | 'hf:granitemoeshared'
  | 'hf:hy_v3'
  | 'hf:hy_v4'
  | 'hf:ernie4_5_vl_moe'
  | 'hf:jetmoe'
  | 'hf:mellum'
  | 'hf:minimax_m3_vl'
  | 'hf:mistral4'
  | 'hf:nemotron_h_omni'
  | 'hf:openai_privacy_filter'
  | 'hf:qwen3_omni_moe_text'
  | 'hf:qwen4_exp'
  | 'hf:solar_open'
  | 'hf:step3p7'
  | 'hf:axk1'
  | 'hf:axk2'
  | 'hf:deepseek_ocr2'
  | 'hf:lfm2_moe'
  | 'hf:cohere2_moe'
  | 'hf:minimax_m1'
  /** A `model_type` MoE Lens has no router semantics for: only what the file spells out is read. */
  | 'hf:unknown'
  | 'openai:gpt-oss'
  | 'xai:grok-1'
  | 'deepseek-official'
  | 'deepseek-v4-official'
  | 'megatron';

export type Order = 'score-then-topk' | 'topk-then-score';
export type SelectionBias = 'none' | 'static' | 'learned';
export type Normalize = 'never' | 'always' | 'when-k>1' | 'sigmoid-only' | 'unless-softmax';
export type GroupScore = 'top2-sum' | 'topk-over-groups-sum' | 'max' | 'max-or-top2-with-bias';

/** A literal as written, keeping its type so `8.0` and `"8"` stay distinguishable from `8`. */
export type Literal =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'expression'; text: string };

/** A literal as a message shows it, Python-style (`True`, `None`, `"softmax"`); an expression as written. */
export function literalText(literal: Literal): string {
  switch (literal.kind) {
    case 'int':
    case 'float':
      return String(literal.value);
    case 'string':
      return JSON.stringify(literal.value);
    case 'bool':
      return literal.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'expression':
      return literal.text;
  }
}

/** A range in a named file. */
export interface SourcePlace {
  readonly file: string;
  readonly range: SourceRange;
}

/** One place in the text that sets a key. */
export interface Site {
  readonly key: string;
  /** The key as the config spells it (`top_k=` of the call that builds the router). */
  readonly keyRange: SourceRange;
  /** Where the value is written: the literal itself, which may be inside a builder function or another file. */
  readonly valueRange: SourceRange;
  readonly literal: Literal;
  /** Set when `valueRange` (and `keyRange`) are in another file than the config's. */
  readonly file?: string;
  /** The bindings the value flowed through on its way to the key (call-site arguments, parameters, names). */
  readonly via?: readonly SourcePlace[];
  /** A list value as written: the words after a list flag (`--recompute-modules moe moe_act`), a YAML sequence. */
  readonly items?: readonly string[];
  /**
   * Set when the key is written but whether this value is the config's is not known: why (a flag passed in a
   * branch of a launch script's `if` that MoE Lens cannot decide). The literal is then an expression.
   */
  readonly unknown?: string;
}

/** Where a value came from when no text sets it. */
export interface DefaultOrigin {
  /** e.g. "MoEArgs.top_k" or "transformers Qwen3MoeConfig.norm_topk_prob". */
  readonly label: string;
  /** The declaring file and range when the default was read from the workspace. */
  readonly file?: string;
  readonly range?: SourceRange;
  /**
   * The value is a guess: the call is a builder function (not a config class), which may set it itself.
   * Rules do not assert on uncertain defaults; numbers are left undefined.
   */
  readonly uncertain?: boolean;
  /**
   * The code hard-codes the value (HF DeepSeek-V3's sigmoid): no key of this file can change it. Other defaults
   * (a config class's `routed_scaling_factor = 2.5`) are the file's own values until it writes the key.
   */
  readonly fixed?: boolean;
  /**
   * The class the config builds has no such field (that framework version has no such feature: torchtitan's MoEArgs
   * before `gate_bias`): the value is what its code does, and no key of this config's class sets it.
   */
  readonly noSuchKey?: boolean;
}

export interface Field<T> {
  /** For an unknown field, the value routing assumes (say so wherever it is used). */
  readonly value: T;
  /** Every key that set this value, aliases included, in text order. Empty for defaults. */
  readonly sites: readonly Site[];
  readonly defaultFrom?: DefaultOrigin;
  /** Why the value could not be determined: no rule asserts on it. */
  readonly unknown?: string;
}

/**
 * Where a field's value comes from: written in the config (`literal`), written elsewhere and passed in
 * (`resolved`), a declaration's or framework's default (`default`), a framework default MoE Lens assumed
 * because the declaring class is not in the workspace (`assumed`), or not determinable (`unknown`).
 * Rules assert only on literal, resolved and default values.
 */
export type Provenance = 'literal' | 'resolved' | 'default' | 'assumed' | 'unknown';

export function provenanceOf(field: Field<unknown>): Provenance {
  if (field.unknown !== undefined) return 'unknown';
  // What the code hard-codes is its default, whatever key the file writes beside it (no key changes it).
  if (field.defaultFrom?.fixed) return 'default';
  const site = field.sites[field.sites.length - 1];
  if (site) return site.file !== undefined || (site.via?.length ?? 0) > 0 ? 'resolved' : 'literal';
  if (field.defaultFrom?.uncertain) return 'assumed';
  return 'default';
}

/** A value the code that runs the config fixes (`label` says which code, and where): no setting changes it. */
export function fixedBy<T>(value: T, label: string): Field<T> {
  return { value, sites: [], defaultFrom: { label, fixed: true } };
}

/** The field unknown for `why`, its value kept as the fallback that routes. */
export const unknownBecause =
  (why: string) =>
  <T>(field: Field<T>): Field<T> => ({ ...field, unknown: why });

/** A field the config does not write becomes unknown (with why) instead of taking a default it may not have. */
export function unknownUnlessWritten<T>(field: Field<T>, reason: string): Field<T> {
  return field.sites.length === 0 ? { value: field.value, sites: [], unknown: reason } : field;
}

/**
 * The expert groups the router applies: none where their use is unknown (an unknown model_type writes `n_group`),
 * so that the label, the routing and `route`'s assumptions all describe the fallback that runs without them.
 */
export function routedGroups(spec: RouterSpec): Groups | undefined {
  return spec.groups && provenanceOf(spec.groups.count) !== 'unknown' ? spec.groups : undefined;
}

/** DeepSeek's own inference formats (V3's and V4's `ModelArgs` read from a JSON by `ModelArgs(**config)`). */
export function isDeepSeekOfficial(framework: string): boolean {
  return framework === 'deepseek-official' || framework === 'deepseek-v4-official';
}

/**
 * Whether the k weights are renormalised (`w / (sum + ε)`) for this config; undefined while what decides it (top-k
 * for `when-k>1`, the score function for the others that depend on it) is unknown, even where a fallback value is
 * kept for routing (a call that spreads `**kwargs` MoE Lens cannot read keeps Megatron's top-2 as its fallback).
 */
export function renormalizes(spec: RouterSpec): boolean | undefined {
  const decidedBy = spec.normalize.value === 'when-k>1' ? spec.topK : spec.normalize.value === 'sigmoid-only' || spec.normalize.value === 'unless-softmax' ? spec.scoreFunc : undefined;
  return decidedBy?.unknown !== undefined ? undefined : renormalizesAsRouted(spec);
}

/** The renormalisation a router built from this config runs with, unknown values at their fallbacks (`route` lists them). */
export function renormalizesAsRouted(spec: RouterSpec): boolean | undefined {
  switch (spec.normalize.value) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'when-k>1':
      return spec.topK.value === undefined ? undefined : spec.topK.value > 1;
    case 'sigmoid-only':
      return spec.scoreFunc.value === 'sigmoid';
    case 'unless-softmax':
      return spec.scoreFunc.value !== 'softmax';
  }
}

/**
 * A config with the launch it belongs to. Where the launch may set a flag MoE Lens cannot see
 * (`launch.complete` false: `$EXTRA_ARGS`, a sourced file, no entry point run in the script itself), each unwritten
 * default becomes an assumption, saying why: inspect, hover, rules and `route` then treat it as the guess it is
 * ("never guess"). A default fixed in the router's code, or one a workspace file declares, holds whatever the
 * launch passes.
 */
export function withLaunch<S extends RouterSpec>(spec: S, launch: LaunchScope): S {
  if (launch.complete) return { ...spec, launch };
  const assumed = <T>(field: Field<T>): Field<T> => {
    const origin = field.defaultFrom;
    if (field.sites.length > 0 || field.unknown !== undefined || !origin || origin.fixed === true || origin.file !== undefined || origin.uncertain === true) return field;
    return { ...field, defaultFrom: { ...origin, label: `${origin.label}; the launch may set it elsewhere: it ${launch.why}`, uncertain: true } };
  };
  return {
    ...mapRouterFields(spec, assumed),
    launch,
    debugRoundRobin: assumed(spec.debugRoundRobin),
    hidden: assumed(spec.hidden),
    layers: assumed(spec.layers),
  };
}

/**
 * The spec with `f` applied to each field of its router: the counts, the order, the score function, the gate and
 * selection biases, the renormalisation, the scale and the expert groups (not the model's sizes).
 */
export function mapRouterFields<S extends RouterSpec>(spec: S, f: <T>(field: Field<T>) => Field<T>): S {
  return {
    ...spec,
    experts: f(spec.experts),
    topK: f(spec.topK),
    order: f(spec.order),
    scoreFunc: f(spec.scoreFunc),
    routerBias: f(spec.routerBias),
    selectionBias: f(spec.selectionBias),
    groups: spec.groups ? { ...spec.groups, count: f(spec.groups.count), selected: f(spec.groups.selected) } : undefined,
    normalize: f(spec.normalize),
    scale: f(spec.scale),
  };
}

/** Whether rules may rely on the field's value. */
export function isKnown(field: Field<unknown> | undefined): boolean {
  if (!field) return false;
  const provenance = provenanceOf(field);
  return provenance !== 'unknown' && provenance !== 'assumed';
}

export interface Groups {
  readonly count: Field<number | undefined>;
  readonly selected: Field<number | undefined>;
  readonly score: GroupScore;
}

/** Where to add a key that the text does not set yet. */
export interface Insertion {
  readonly offset: number;
  /** The keys the call accepts (its class's fields); undefined when any key is accepted. */
  readonly acceptedKeys?: readonly string[];
  /** Text to put before `key=value` (separator, newline, indentation). */
  readonly prefix: string;
  readonly suffix: string;
}

/**
 * A key the config writes that its reader rejects (a keyword the class's constructor does not take: Python
 * raises TypeError when the config is built, where the reader's keys are known exactly), or does not read
 * although it is one or two letters from a routing key the reader does read (a JSON config's typo).
 */
export interface UnknownKey {
  readonly key: string;
  readonly keyRange: SourceRange;
  /** Who rejects it: `MoEArgs`, `TokenChoiceTopKRouter.Config`. */
  readonly owner: string;
  /** The keys the reader accepts (for "did you mean"); for `ignored`, the one routing key meant. */
  readonly accepted: readonly string[];
  /** `flag`: a command-line flag (Megatron), which argparse rejects unless a fork defines it. */
  readonly effect: 'rejected' | 'ignored' | 'flag';
  /** What building the config does with it, where that is an error: DeepSeek's `ModelArgs(**config)` TypeError. */
  readonly raises?: string;
  /** The file's reader is sure and always raises (`raises`): the config never loads (DBRX's `ffn_config`). */
  readonly stopsLoad?: true;
  /** For an `ignored` key that is no near miss (`accepted` empty): what the reader does instead. */
  readonly instead?: string;
}

export interface RouterSpec {
  readonly dialect: Dialect;
  readonly framework: Framework;
  /** Flavor key, builder name or file label. */
  readonly name: string;
  /**
   * The whole config: the flavor entry or builder function that names it, else the call or object; and a
   * short anchor (callee, key) for CodeLens and summaries.
   */
  readonly range: SourceRange;
  readonly anchorRange: SourceRange;
  readonly experts: Field<number | undefined>;
  readonly topK: Field<number | undefined>;
  readonly order: Field<Order>;
  /** Raw score-function name; may be unknown (rules check it). */
  readonly scoreFunc: Field<string>;
  readonly routerBias: Field<boolean>;
  readonly selectionBias: Field<SelectionBias>;
  readonly groups: Groups | undefined;
  readonly normalize: Field<Normalize>;
  readonly scale: Field<number>;
  readonly debugRoundRobin: Field<boolean>;
  readonly hidden: Field<number | undefined>;
  readonly layers: Field<number | undefined>;
  /** Every key the config sets, as written (one entry per occurrence). */
  readonly sites: readonly Site[];
  /** Hints for recognising a published model: family (from path, dict name, model_type) and explicit names. */
  readonly identity: {
    readonly family?: string;
    /** The model type the config declares (a config.json's `model_type`): a model of no known family is no published one. */
    readonly modelType?: string;
    readonly flavor?: string;
    readonly nameOrPath?: Site;
    /** A file named after a model (Megatron's `gpt-oss-120b.sh`). */
    readonly fileLabel?: string;
  };
  /** Undefined where adding a key cannot be done cleanly (an unclosed call or object). */
  readonly insertion: Insertion | undefined;
  /** Keys the config's reader rejects; absent where the parser cannot know them. */
  readonly unknownKeys?: readonly UnknownKey[];
  /**
   * The score functions the config's own class declares (`score_func: Literal["softmax", "sigmoid"]` in the
   * workspace's torchtitan), where it declares them: they replace what MoE Lens knows of the framework's version.
   */
  readonly scoreChoices?: { readonly values: readonly string[]; readonly file: string; readonly range: SourceRange };
  /** The key each field is written under in this dialect, for fixes that must add it. */
  readonly keyNames: KeyNames;
  /**
   * The parallel layout a job sets beside the model (torchtitan's `[parallelism]` degrees in a TOML job, or the
   * `ParallelismConfig(...)` of a `config_registry.py` function), as sites in the job's file. Megatron's layout
   * flags are ordinary sites of its command line.
   */
  readonly layout?: readonly Site[];
  /** Where the config is defined when this file only names it (a job's `flavor = "120b"` → the flavor entry). */
  readonly definition?: SourcePlace;
  /** The model's shape for parameter arithmetic; absent where the dialect's model is not counted. */
  readonly shape?: ShapeResult;
  /**
   * Layers whose MoE block does not route by this router but by a table indexed by token id (DeepSeek-V4's hash
   * layers): their numbers, and where the config or its code says so. `route` and the preview never show them as
   * this router's.
   */
  readonly tokenIdLayers?: { readonly layers: readonly number[]; readonly source: string };
  /**
   * Values of a JSON type the reader's config class refuses to load (transformers 5.18.0's strict dataclasses: an
   * int where a float is declared, an int where a bool is): the site, the type declared, the reader that refuses it
   * (`transformers 5.18.0`) and the model type whose config class declares it.
   */
  readonly strictTypeErrors?: readonly { readonly site: Site; readonly expected: 'float' | 'bool'; readonly owner: string; readonly modelType: string; readonly remoteCode?: true }[];
  /** For a launch script: whether it holds the whole launch, so that a flag it does not write is at its default. */
  readonly launch?: LaunchScope;
  /** The router itself drops what an expert receives beyond a capacity (Hunyuan-A13B's `topkgating`). */
  readonly routerCapacity?: RouterCapacity;
  /**
   * The gate sees the token normed (Gemma 4): an RMSNorm without weight (`epsilon`), a learned scale per hidden unit
   * and hidden^-0.5 (RouterConfig.tokenNorm). `source`: the router's code.
   */
  readonly tokenNorm?: { readonly epsilon: Field<number>; readonly source: string };
  /** A learned scale per expert multiplies each chosen weight (Gemma 4's `per_expert_scale`); `source`: the router's code. */
  readonly expertScale?: { readonly source: string };
}

/**
 * A capacity the router enforces itself, whatever the dispatcher: each expert keeps at most max(k, ⌊k·T/E⌋) of
 * the T tokens of a batch, and drops the rest. Which experts a token chooses is unchanged: the counts MoE Lens
 * shows are those choices, and the share the router drops is reported beside them (`routerCapacityOf`).
 */
export interface RouterCapacity {
  readonly formula: 'max(k, ⌊k·T/E⌋)';
  /** The code that computes it, e.g. "modeling_hunyuan.py L78". */
  readonly source: string;
}

/** The per-expert capacity a router enforces for a batch of `tokens`. */
export function routerCapacityOf(capacity: RouterCapacity, tokens: number, topK: number, experts: number): number {
  switch (capacity.formula) {
    case 'max(k, ⌊k·T/E⌋)':
      return Math.max(topK, Math.floor((topK * tokens) / experts));
  }
}

export interface LaunchScope {
  /** The script runs a Megatron entry point, sources nothing, and passes no flags MoE Lens cannot read. */
  readonly complete: boolean;
  /** Why, in a phrase: "runs pretrain_gpt.py with every flag written here", "passes `$EXTRA_ARGS`". */
  readonly why: string;
  /**
   * The Megatron-LM the script puts on its path, where its folder names its date (Pai-Megatron-Patch's
   * `MEGATRON_PATH=…/Megatron-LM-240126`): checks and features younger than it are not that Megatron's.
   */
  readonly pinned?: PinnedMegatron;
}

export interface PinnedMegatron {
  /** `2024-01-26`. */
  readonly date: string;
  /** `MEGATRON_PATH=${MEGATRON_PATCH_PATH}/Megatron-LM-240126 (line 5)`. */
  readonly where: string;
}

export interface KeyNames {
  readonly experts: string;
  readonly topK: string;
  readonly scoreFunc?: string;
  readonly order?: string;
  readonly groupsCount?: string;
  readonly groupsSelected?: string;
  readonly normalize?: string;
  readonly scale?: string;
  readonly selectionBias?: string;
  readonly debugRoundRobin?: string;
}

export function sitesOf(spec: RouterSpec, key: string): Site[] {
  return spec.sites.filter((site) => site.key === key);
}

export function literalNumber(literal: Literal): number | undefined {
  return literal.kind === 'int' || literal.kind === 'float' ? literal.value : undefined;
}

/** The semantics label the panel and hovers show, e.g. "torchtitan · score → top-4 · softmax · route_norm". */
export function semanticsLabel(spec: RouterSpec): string {
  const k = spec.topK.value ?? '?';
  const parts: string[] = [spec.framework];
  if (spec.tokenNorm) parts.push('token RMS-normed');
  parts.push(spec.order.value === 'score-then-topk' ? `score → top-${k}` : `top-${k} → score`);
  parts.push(spec.scoreFunc.value);
  if (spec.routerBias.value) parts.push('router bias');
  if (spec.selectionBias.value !== 'none') parts.push(`selection bias (${spec.selectionBias.value})`);
  const groups = routedGroups(spec);
  if (groups?.count.value !== undefined) parts.push(`groups ${groups.selected.value ?? '?'}/${groups.count.value} (${groups.score})`);
  if (spec.normalize.value !== 'never') parts.push(`normalize ${spec.normalize.value}`);
  if (spec.expertScale) parts.push('× per-expert scale');
  if (spec.scale.value !== 1) parts.push(`× ${spec.scale.value}`);
  if (spec.debugRoundRobin.value) parts.push('debug round-robin');
  if (spec.routerCapacity) parts.push(`drops tokens above ${spec.routerCapacity.formula} an expert`);
  return parts.join(' · ');
}
