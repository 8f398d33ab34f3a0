/**
 * Seeded synthetic inputs, used when no checkpoint or activations are given. Documented in the README:
 * - PRNG: mulberry32(seed); normals by Box–Muller.
 * - gate weight [E, H] ~ N(0, 1/H) (so logits are ~N(0, 1) for unit-variance tokens); gate bias and
 *   selection bias ~ N(0, 0.1²) when the config has them.
 * - tokens: isotropic N(0, 1), or clustered: C centres ~ N(0, 1), each token = its centre (chosen uniformly)
 *   + N(0, 0.5²) noise — real tokens are not isotropic.
 * Draw order: weight, gate bias, selection bias, centres, then per token (cluster pick, then values).
 */
export type Distribution = { readonly kind: 'isotropic' } | { readonly kind: 'clustered'; readonly clusters: number };

export interface SyntheticOptions {
  readonly seed: number;
  readonly tokens: number;
  readonly hidden: number;
  readonly experts: number;
  readonly distribution: Distribution;
}

export interface SyntheticInputs {
  readonly hiddenStates: Float32Array;
  readonly gateWeight: Float32Array;
  readonly gateBias: Float32Array;
  readonly selectionBias: Float32Array;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normalSampler(random: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    let u = 0;
    while (u === 0) u = random();
    const v = random();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
}

export function syntheticInputs(options: SyntheticOptions): SyntheticInputs {
  const { tokens: T, hidden: H, experts: E } = options;
  const random = mulberry32(options.seed);
  const normal = normalSampler(random);
  const fill = (length: number, std: number): Float32Array => {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = normal() * std;
    return out;
  };
  const gateWeight = fill(E * H, 1 / Math.sqrt(H));
  const gateBias = fill(E, 0.1);
  const selectionBias = fill(E, 0.1);
  const hiddenStates = new Float32Array(T * H);
  if (options.distribution.kind === 'clustered') {
    const clusters = Math.max(1, Math.floor(options.distribution.clusters));
    const centres = fill(clusters * H, 1);
    for (let t = 0; t < T; t++) {
      const c = Math.min(clusters - 1, Math.floor(random() * clusters));
      for (let h = 0; h < H; h++) hiddenStates[t * H + h] = centres[c * H + h]! + normal() * 0.5;
    }
  } else {
    for (let i = 0; i < T * H; i++) hiddenStates[i] = normal();
  }
  return { hiddenStates, gateWeight, gateBias, selectionBias };
}
