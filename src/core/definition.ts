/** Go to definition: from a name that picks a config (a job file's `flavor`) to where that config is written. */
import type { RouterSpec, SourcePlace } from './model/router-spec';
import { containsOffset } from './text/source';

export function definitionAt(analysis: { readonly specs: readonly RouterSpec[] }, offset: number): SourcePlace | undefined {
  for (const spec of analysis.specs) {
    if (spec.definition && containsOffset(spec.anchorRange, offset)) return spec.definition;
  }
  return undefined;
}
