/** Which published model a config claims to be, and how we know. */
import type { RouterSpec } from '../model/router-spec';
import type { SourceRange } from '../text/source';
import { familyFromHints } from '../model/family';
import { PUBLISHED_MODELS, type PublishedModel } from './published-models';

export interface ModelClaim {
  readonly model: PublishedModel;
  readonly via: 'name_or_path' | 'file name' | 'flavor' | 'shape';
  /** What the user wrote that makes the claim, when it is text. */
  readonly range?: SourceRange;
  readonly evidence: string;
}

/**
 * A config named after a model but with another layer count is a reduced model of it (Megatron-MoE-ModelZoo's
 * DeepSeek-V3-Proxy.yaml: 14 layers "original 61", 64 experts; a 2-layer test model saved with DeepSeek-V3's
 * `_name_or_path`), not the model: its other values are not typos.
 */
function isReduced(spec: RouterSpec, model: PublishedModel): boolean {
  return spec.layers.value !== undefined && spec.layers.value !== model.shape.layers;
}

export function recognizeModel(spec: RouterSpec): ModelClaim | undefined {
  const nameOrPath = spec.identity.nameOrPath;
  if (nameOrPath?.literal.kind === 'string') {
    const hub = nameOrPath.literal.value;
    const model = PUBLISHED_MODELS.find((m) => m.hubName.test(hub));
    // A name says less than the code that runs: a Qwen3-30B-A3B distilled from DeepSeek-V3.1 keeps `qwen3_moe`
    // (every published model's own model_type names its family).
    const modelType = spec.identity.modelType;
    const otherCode = model !== undefined && modelType !== undefined && familyFromHints([modelType]) !== model.family;
    if (model && !otherCode && !isReduced(spec, model)) return { model, via: 'name_or_path', range: nameOrPath.valueRange, evidence: `\`${nameOrPath.key}\` "${hub}"` };
  }
  const fileLabel = spec.identity.fileLabel;
  if (fileLabel) {
    const model = PUBLISHED_MODELS.find((m) => m.hubName.test(fileLabel));
    if (model && !isReduced(spec, model)) return { model, via: 'file name', evidence: `file name "${fileLabel}"` };
  }
  // Flavor keys and builder names spell the same flavor differently: "30B-A3B", "30b_a3b", "_30b_a3b".
  const spelling = (name: string): string => name.toLowerCase().replace(/^_+/, '').replace(/[-_]/g, '');
  const flavor = spec.identity.flavor ? spelling(spec.identity.flavor) : undefined;
  if (flavor && spec.identity.family) {
    const model = PUBLISHED_MODELS.find((m) => m.family === spec.identity.family && m.flavors.some((f) => spelling(f) === flavor));
    if (model) return { model, via: 'flavor', evidence: `flavor "${spec.identity.flavor}"` };
  }
  const { layers, hidden, experts } = { layers: spec.layers.value, hidden: spec.hidden.value, experts: spec.experts.value };
  if (layers !== undefined && hidden !== undefined && experts !== undefined) {
    // Three numbers are weak evidence: never against a family the config's names give (a Llama-3-8B upcycled to
    // 8 experts has Mixtral-8x7B's 32 × 8 × 4096), nor for a config that declares a model type of no published
    // family (transformers' `laguna` default has Qwen3.5-35B-A3B's shape; every published model's own model_type
    // names its family).
    const family = spec.identity.family;
    const ownType = family === undefined && spec.identity.modelType !== undefined;
    const model = ownType ? undefined : PUBLISHED_MODELS.find((m) => m.shape.layers === layers && m.shape.hidden === hidden && m.shape.experts === experts && (family === undefined || family === m.family));
    if (model) return { model, via: 'shape', evidence: `shape ${layers} layers × ${experts} experts × hidden ${hidden}` };
  }
  return undefined;
}
