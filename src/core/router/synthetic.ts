/**
 * Seeded synthetic inputs, used when no checkpoint or activations are given. Documented in the README:
 * - PRNG: mulberry32(seed) (32-bit outputs); normals by Marsaglia & Tsang's ziggurat (128 strips), which
 *   needs about one 32-bit draw per sample — the panel draws tens of millions of them.
 * - gate weight [E, H] ~ N(0, 1/H) (so logits are ~N(0, 1) for unit-variance tokens); gate bias and
 *   selection bias ~ N(0, 0.1²) when the config has them.
 * - tokens: isotropic N(0, 1), or clustered: C centres ~ N(0, 1), each token = its centre (chosen uniformly)
 *   + N(0, 0.5²) noise — real tokens are not isotropic.
 * Draw order: weight, gate bias, selection bias, centres, then per token (cluster pick, then values).
 * - Where the gate has fewer experts than the hidden size, tokens are drawn in the gate's coordinates (E values a
 *   token, routed through the Cholesky factor of W·Wᵀ): the same distribution of logits for 1/22 of the work at
 *   2880 × 128 (whitened.ts says why). `fullTokens` draws them whole (drawsWholeTokens: a gate that norms
 *   each token); a checkpoint's gates take the draw into their own coordinates (tokensForGate).
 */
import type { RouterConfig } from './router-config';
import { centresInGateCoordinates, gateCholesky } from './whitened';

export type Distribution = { readonly kind: 'isotropic' } | { readonly kind: 'clustered'; readonly clusters: number };

export interface SyntheticOptions {
  readonly seed: number;
  readonly tokens: number;
  readonly hidden: number;
  readonly experts: number;
  readonly distribution: Distribution;
  /**
   * A learned selection bias (torchtitan's `expert_bias`, Megatron's expert bias) starts at zero; a random one
   * would swamp softmax scores of about 1/E and read as a property of the routing (issue #11). The values are
   * still drawn, so every other input stays the same.
   */
  readonly zeroSelectionBias?: boolean;
  /** Draw each token's `hidden` values even where E < H would allow the gate's coordinates (see tokensForGate). */
  readonly fullTokens?: boolean;
}

export interface SyntheticInputs {
  /** The width of a token row and of the gate's rows: `options.hidden`, or the expert count in the gate's coordinates. */
  readonly hidden: number;
  /** Drawn in the gate's coordinates: `gateWeight` is the Cholesky factor of the drawn gate's W·Wᵀ, [E, E]. */
  readonly whitened: boolean;
  /** [tokens, hidden], row-major. */
  readonly hiddenStates: Float32Array;
  /** [E, hidden], row-major: the drawn gate, or its factor L (L·Lᵀ = W·Wᵀ) in the gate's coordinates. */
  readonly gateWeight: Float32Array;
  readonly gateBias: Float32Array;
  readonly selectionBias: Float32Array;
  /**
   * Clustered tokens drawn in the gate's coordinates: each token is `inGate[id]` + 0.5·z. The centres, whole and in
   * the synthetic gate's coordinates, and each token's cluster carry the tokens into another gate's (tokensForGate).
   */
  readonly clustered?: { readonly centres: Float32Array; readonly inGate: Float32Array; readonly ids: Int32Array };
}

/** mulberry32: a small, fast 32-bit generator; returns unsigned 32-bit integers. */
export function mulberry32Bits(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function mulberry32(seed: number): () => number {
  const bits = mulberry32Bits(seed);
  return () => bits() / 4294967296;
}

/** Ziggurat tables (Marsaglia & Tsang 2000, "The Ziggurat Method for Generating Random Variables"). */
const ZIGGURAT = (() => {
  const kn = new Uint32Array(128);
  const wn = new Float64Array(128);
  const fn = new Float64Array(128);
  const m1 = 2147483648;
  let dn = 3.442619855899;
  let tn = dn;
  const vn = 9.91256303526217e-3;
  const q = vn / Math.exp(-0.5 * dn * dn);
  kn[0] = Math.floor((dn / q) * m1);
  kn[1] = 0;
  wn[0] = q / m1;
  wn[127] = dn / m1;
  fn[0] = 1;
  fn[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / m1;
  }
  return { kn, wn, fn, tail: 3.442619855899 };
})();

/** Standard normal samples from a 32-bit source. */
export function normalSampler(bits: () => number): () => number {
  const { kn, wn } = ZIGGURAT;
  return () => {
    const hz = bits() | 0;
    const iz = hz & 127;
    return Math.abs(hz) < kn[iz]! ? hz * wn[iz]! : zigguratSlowPath(hz, bits);
  };
}

/** The ziggurat's rare branch (about 1 draw in 40): the base strip's tail, or a wedge test and a redraw. */
function zigguratSlowPath(hz: number, bits: () => number): number {
  const { kn, wn, fn, tail } = ZIGGURAT;
  const uniform = (): number => (bits() + 0.5) / 4294967296; // in (0, 1)
  let iz = hz & 127;
  for (;;) {
    if (iz === 0) {
      let x: number;
      let y: number;
      do {
        x = -Math.log(uniform()) / tail;
        y = -Math.log(uniform());
      } while (y + y < x * x);
      return hz > 0 ? tail + x : -tail - x;
    }
    const x = hz * wn[iz]!;
    if (fn[iz]! + uniform() * (fn[iz - 1]! - fn[iz]!) < Math.exp(-0.5 * x * x)) return x;
    hz = bits() | 0;
    iz = hz & 127;
    if (Math.abs(hz) < kn[iz]!) return hz * wn[iz]!;
  }
}

/**
 * One seeded stream: mulberry32 bits and ziggurat normals, the same values as `normalSampler(mulberry32Bits(seed))`.
 * `fill` inlines the generator and the ziggurat's common branch in one loop: the panel draws ~47 million
 * normals, and a closure call per draw took 1.2× (Chromium) to 1.5× (Node) as long.
 */
class NormalStream {
  private state: number;
  private readonly bitsOf = (): number => this.bits(); // the slow path's source, sharing this stream's state

  constructor(seed: number) {
    this.state = seed | 0;
  }

  bits(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** out[offset + i] = base[baseOffset + i] + normal() · std (base 0 when absent), in draw order. */
  fill(out: Float32Array, offset: number, count: number, std: number, base?: Float32Array, baseOffset = 0): void {
    const { kn, wn } = ZIGGURAT;
    let a = this.state;
    for (let i = 0; i < count; i++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const hz = t ^ (t >>> 14);
      const iz = hz & 127;
      let z: number;
      if (Math.abs(hz) < kn[iz]!) z = hz * wn[iz]!;
      else {
        this.state = a;
        z = zigguratSlowPath(hz, this.bitsOf);
        a = this.state | 0;
      }
      out[offset + i] = base === undefined ? z * std : base[baseOffset + i]! + z * std;
    }
    this.state = a;
  }
}

/**
 * Synthetic inputs drawn token by token: the weights and biases at once, the tokens as they are asked for
 * (`drawTo`). The stream is sequential, so the first n tokens are the same whatever the total: the panel draws a
 * slice, routes it while ORT starts, and draws the next (a whole draw of 16,384 × 2880 takes about half a second).
 */
export class SyntheticDraw {
  readonly inputs: SyntheticInputs;
  /** Tokens drawn so far: `inputs.hiddenStates` holds them first, zeros after. */
  drawn = 0;
  private readonly stream: NormalStream;
  private readonly centres?: Float32Array;
  private readonly clusters: number;
  /** Values a token: the hidden size, or E in the gate's coordinates. */
  private readonly width: number;

  constructor(readonly options: SyntheticOptions) {
    const { tokens: T, hidden: H, experts: E } = options;
    this.stream = new NormalStream(options.seed);
    const fill = (length: number, std: number): Float32Array => {
      const out = new Float32Array(length);
      this.stream.fill(out, 0, length, std);
      return out;
    };
    const weight = fill(E * H, 1 / Math.sqrt(H));
    const gateBias = fill(E, 0.1);
    const selectionBias = fill(E, 0.1);
    if (options.zeroSelectionBias) selectionBias.fill(0);
    this.clusters = options.distribution.kind === 'clustered' ? Math.max(1, Math.floor(options.distribution.clusters)) : 0;
    const centres = this.clusters > 0 ? fill(this.clusters * H, 1) : undefined;
    const factor = options.fullTokens ? undefined : gateCholesky(weight, E, H);
    this.width = factor ? E : H;
    if (centres) this.centres = factor ? centresInGateCoordinates(factor, weight, centres, this.clusters, E, H) : centres;
    this.inputs = {
      hidden: this.width,
      whitened: factor !== undefined,
      hiddenStates: new Float32Array(T * this.width),
      gateWeight: factor ? Float32Array.from(factor) : weight,
      gateBias,
      selectionBias,
      ...(centres && factor ? { clustered: { centres, inGate: this.centres!, ids: new Int32Array(T) } } : {}),
    };
  }

  /** Draws the tokens up to `tokens` (at most the total), in stream order. */
  drawTo(tokens: number): void {
    const W = this.width;
    const end = Math.min(tokens, this.options.tokens);
    const { hiddenStates } = this.inputs;
    if (!this.centres) {
      if (end > this.drawn) this.stream.fill(hiddenStates, this.drawn * W, (end - this.drawn) * W, 1);
    } else {
      const ids = this.inputs.clustered?.ids;
      for (let t = this.drawn; t < end; t++) {
        const c = Math.min(this.clusters - 1, Math.floor((this.stream.bits() / 4294967296) * this.clusters));
        this.stream.fill(hiddenStates, t * W, W, 0.5, this.centres, c * W);
        if (ids) ids[t] = c;
      }
    }
    this.drawn = Math.max(this.drawn, end);
  }

  get complete(): boolean {
    return this.drawn === this.options.tokens;
  }
}

/**
 * The tokens a checkpoint's gate `weight` [E, H] routes, in that gate's coordinates. Isotropic tokens drawn in a
 * gate's coordinates do not depend on the gate (z ~ N(0, I_E)), so each layer routes the draw's tokens through its
 * own factor L (L·Lᵀ = W·Wᵀ): the same logits as whole tokens through W. A clustered token μ_c + 0.5·ε has logits
 * W·μ_c + 0.5·W·ε = L·(a_c + 0.5·z) with L·a_c = W·μ_c: the draw's noise stays, its centre is replaced by this
 * gate's (a new [T, E] array). A whole draw, or a gate of E ≥ H experts or dependent rows, has none (undefined).
 */
export function tokensForGate(drawn: SyntheticInputs, weight: ArrayLike<number>, experts: number, hidden: number): GateTokens | undefined {
  if (!drawn.whitened) return undefined;
  const factor = gateCholesky(weight, experts, hidden);
  if (!factor) return undefined;
  const gateWeight = Float32Array.from(factor);
  const clustered = drawn.clustered;
  if (!clustered) return { hidden: experts, hiddenStates: drawn.hiddenStates, gateWeight };
  const E = experts;
  const clusters = clustered.inGate.length / E;
  const inThisGate = centresInGateCoordinates(factor, weight, clustered.centres, clusters, E, hidden);
  const hiddenStates = new Float32Array(drawn.hiddenStates.length);
  for (let t = 0; t < clustered.ids.length; t++) {
    const at = clustered.ids[t]! * E;
    for (let e = 0; e < E; e++) hiddenStates[t * E + e] = drawn.hiddenStates[t * E + e]! - clustered.inGate[at + e]! + inThisGate[at + e]!;
  }
  return { hidden: E, hiddenStates, gateWeight };
}

/** A token array and the gate that routes it: a checkpoint layer's inputs. */
export interface GateTokens {
  readonly hidden: number;
  readonly hiddenStates: Float32Array;
  readonly gateWeight: Float32Array;
}

/**
 * A checkpoint layer's tokens and gate, as the panel and `route --weights` both route it: the draw's tokens through
 * the gate's factor where `tokensForGate` can, else whole tokens through the weight itself (`whole()` is called only
 * where the draw is in gate coordinates, so a whole draw is made only when a layer needs one).
 */
export function checkpointGateInputs(drawn: SyntheticInputs, whole: () => SyntheticInputs, weight: Float32Array, experts: number, hidden: number): GateTokens {
  return tokensForGate(drawn, weight, experts, hidden) ?? { hidden, hiddenStates: (drawn.whitened ? whole() : drawn).hiddenStates, gateWeight: weight };
}

/**
 * Whether a run draws whole tokens (`fullTokens`): a gate that norms each token (Gemma 4's `tokenNorm`) needs its H
 * values, not only the logits W·x. Everything else (a checkpoint's gates too, clustered or not) goes through the
 * gate's factor where it has one (tokensForGate).
 */
/**
 * What a synthetic gate does with the config's selection bias, in words for `route` and the panel (issue #11): a
 * learned one routes at its initial zero; any other (a checkpoint's, such as DeepSeek-V3's `e_score_correction_bias`)
 * is drawn, and a user must know that the drawn bias, not the routing order, may be what the loads show.
 */
export function syntheticSelectionBiasNote(config: Pick<RouterConfig, 'selectionBias' | 'scoreFunc'>, learned: boolean): string | undefined {
  if (!config.selectionBias) return undefined;
  if (learned) return 'the learned selection bias at its initial zero';
  return `the checkpoint's selection bias drawn N(0, 0.1²) per expert${config.scoreFunc === 'softmax' ? ', which can outweigh softmax scores of about 1/E' : ''}`;
}

export function drawsWholeTokens(config: Pick<RouterConfig, 'tokenNorm'>): boolean {
  return config.tokenNorm !== undefined;
}

/** The width a draw's token rows will have (the gate's coordinates unless E ≥ H or `fullTokens`), before drawing. */
export function syntheticWidth(options: Pick<SyntheticOptions, 'hidden' | 'experts' | 'fullTokens'>): number {
  return !options.fullTokens && options.experts < options.hidden ? options.experts : options.hidden;
}

export function syntheticInputs(options: SyntheticOptions): SyntheticInputs {
  const draw = new SyntheticDraw(options);
  draw.drawTo(options.tokens);
  return draw.inputs;
}
