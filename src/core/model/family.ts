/** Guesses a model family from identifiers around a config (paths, variable and class names, model_type). */
export type Family = 'gpt-oss' | 'deepseek' | 'qwen3' | 'llama4' | 'mixtral' | 'dbrx' | 'olmoe' | 'kimi' | 'glm' | 'minimax' | 'hunyuan' | 'gemma' | 'llama';

const FAMILY_PATTERNS: ReadonlyArray<readonly [Family, RegExp]> = [
  ['gpt-oss', /gpt[-_]?oss/i],
  ['deepseek', /deepseek/i],
  ['qwen3', /qwen[-_]?3/i],
  ['llama4', /llama[-_]?4/i],
  ['mixtral', /mixtral/i],
  ['dbrx', /dbrx/i],
  ['olmoe', /olmoe/i],
  ['kimi', /kimi[-_]?k2/i],
  ['glm', /glm[-_]?4/i],
  ['minimax', /minimax/i],
  ['hunyuan', /hunyuan/i],
  // Gemma 1–3 are dense, as are Gemma 4's E2B, E4B and 31B: only a shape (26B-A4B's) makes one a published MoE.
  ['gemma', /gemma/i],
  // Llama 1–3 are dense: an MoE built from one (an upcycled `llama3_moe`) is no published MoE, whatever its shape.
  ['llama', /llama[-_]?[123](?!\d)/i],
];

/** Any family at all: one test skips the many hints that name none (a lint asks for each of thousands of configs). */
const ANY_FAMILY = new RegExp(FAMILY_PATTERNS.map(([, pattern]) => pattern.source).join('|'), 'i');

/** First family named by any hint, in the order the hints are given (most specific first). */
export function familyFromHints(hints: readonly (string | undefined)[]): Family | undefined {
  for (const hint of hints) {
    if (!hint || !ANY_FAMILY.test(hint)) continue;
    for (const [family, pattern] of FAMILY_PATTERNS) if (pattern.test(hint)) return family;
  }
  return undefined;
}
