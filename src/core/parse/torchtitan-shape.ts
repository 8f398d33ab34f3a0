/**
 * The model shape of a torchtitan flavor, for parameter arithmetic: its model args (`DeepSeekV3ModelArgs(dim=…,
 * n_layers=…)`) as written, else the defaults of the class the import resolves to in the workspace. torchtitan's
 * DeepSeek-V3 model builds DeepSeek's own modules under DeepSeek's own names (MLA, `n_dense_layers` dense MLPs of
 * `inter_dim`, MoE layers of `moe_inter_dim` experts and `num_shared_experts`), so it is counted by that recipe;
 * its gpt-oss model builds OpenAI's modules (biased q/k/v/o, sinks, experts with biases) under torchtitan's names.
 * Other torchtitan models are not counted yet.
 */
import type { ShapeResult } from '../model/parameters';
import type { Field } from '../model/router-spec';
import { readerValue, shapeFromReader, type Reader } from './model-shape';
import type { PythonEvaluator } from './python/evaluate';
import type { ObjectValue, PyValue } from './python/values';

/** What the DeepSeek recipe reads that the router config holds, not the model args. */
interface RouterCounts {
  readonly experts: Field<number | undefined>;
  readonly topK: Field<number | undefined>;
  /** `num_shared_experts` of the MoE args: written, or the declared default; undefined when unknown. */
  readonly sharedExperts: PyValue | undefined;
}

interface TorchtitanModel {
  /** The recipe of model-shape.ts that builds the same modules. */
  readonly recipe: string;
  /** Whether a model args object is this model: its class name, or fields only it has. */
  readonly is: (className: string, has: (key: string) => boolean) => boolean;
  /** The recipe's key → torchtitan's field; `router:` keys come from the router config. */
  readonly keys: Readonly<Record<string, string>>;
}

const MODELS: readonly TorchtitanModel[] = [
  // Named first: GptOssModelArgs also has a `moe_inter_dim`.
  {
    recipe: 'openai-gpt-oss',
    is: (name) => /gpt_?oss/i.test(name),
    keys: { hidden_size: 'dim', num_hidden_layers: 'n_layers', num_attention_heads: 'n_heads', num_key_value_heads: 'n_kv_heads', intermediate_size: 'moe_inter_dim', num_experts: 'router:experts', experts_per_token: 'router:topK' },
  },
  {
    recipe: 'deepseek-official',
    // Latent attention's `kv_lora_rank` is DeepSeek's alone (Qwen3's model args have a `moe_inter_dim` too).
    is: (name, has) => /deepseek/i.test(name) || has('kv_lora_rank'),
    keys: { n_routed_experts: 'router:experts', n_activated_experts: 'router:topK', n_shared_experts: 'router:shared' },
  },
];

export function torchtitanShape(model: ObjectValue | undefined, evaluator: PythonEvaluator, router: RouterCounts): ShapeResult | undefined {
  if (!model) return undefined;
  const valueOf = (key: string): PyValue | undefined => model.keywords.get(key)?.value ?? (model.cls ? evaluator.fieldDefault(model.cls, key)?.value : undefined);
  const has = (key: string): boolean => model.keywords.has(key) || (model.cls !== undefined && evaluator.declaresField(model.cls, key) === true);
  const found = MODELS.find((m) => m.is(model.className, has));
  if (!found) return undefined;
  const count = (field: Field<number | undefined>): number | undefined => (field.unknown === undefined && field.defaultFrom?.uncertain !== true ? field.value : undefined);
  const fieldOf = (key: string): string => found.keys[key] ?? key;
  const read: Reader = (key) => {
    const field = fieldOf(key);
    if (field === 'router:experts') return count(router.experts);
    if (field === 'router:topK') return count(router.topK);
    if (field === 'router:shared') return readerValue(router.sharedExperts);
    return readerValue(valueOf(field));
  };
  const where = model.cls ? `${model.className} declares no default for it` : `${model.className}'s defaults are not in the workspace`;
  return shapeFromReader(found.recipe, read, undefined, undefined, (key) => `no keyword sets \`${fieldOf(key).replace(/^router:/, '')}\` and ${where}`);
}
