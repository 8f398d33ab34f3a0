/**
 * A config's parameter counts as MoE Lens reports them: the arithmetic of model/parameters.ts on the shape the
 * parser read, with "active" counted the way the recognised publisher counts it (each says what it includes),
 * and the publisher's own figures beside it.
 */
import { countParameters, formatParameters, type ParameterBreakdown } from '../model/parameters';
import type { RouterSpec } from '../model/router-spec';
import type { ActiveConvention } from './published-models';
import { recognizeModel } from './recognize';

export interface ParameterReport {
  readonly total: number;
  readonly active: number;
  /** What `active` includes, in words. */
  readonly convention: string;
  readonly breakdown: ParameterBreakdown;
  /** Keys the count took from a class default because the file does not write them. */
  readonly assumed: readonly string[];
  /** The recognised model's published counts. */
  readonly published?: { readonly model: string; readonly total: number; readonly active: number; readonly sources: readonly string[] };
}

const CONVENTIONS: Record<ActiveConvention, string> = {
  all: 'active counts both embedding tables',
  'no-input-embedding': 'active counts the unembedding but not the input embedding, as the publisher does',
};

/** Parameter counts of a config; `{ unknown }` says which key is missing; undefined where the model is not counted. */
export function parametersOf(spec: RouterSpec): ParameterReport | { readonly unknown: string } | undefined {
  if (!spec.shape) return undefined;
  if ('unknown' in spec.shape) return { unknown: spec.shape.unknown };
  const shape = spec.shape.shape;
  const count = countParameters(shape);
  const model = recognizeModel(spec)?.model;
  const published = model?.parameters;
  const convention: ActiveConvention = published?.activeCounts ?? 'all';
  const active = convention === 'no-input-embedding' ? count.active - count.breakdown.embedding : count.active;
  const encoder = shape.encoder;
  return {
    total: count.total + (encoder?.parameters ?? 0),
    active,
    convention: `${CONVENTIONS[convention]}${encoder ? `; total includes the ${encoder.label} (${formatParameters(encoder.parameters)}), active does not` : ''}`,
    breakdown: count.breakdown,
    assumed: shape.assumed,
    ...(model && published ? { published: { model: model.id, total: published.total.value, active: published.active.value, sources: [...published.total.sources, ...published.active.sources] } } : {}),
  };
}
