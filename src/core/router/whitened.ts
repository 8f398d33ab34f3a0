/**
 * Synthetic tokens in the gate's own coordinates. A router sees a token x only through its logits W·x (the gate
 * is linear; its bias is added after). For the panel's isotropic tokens x ~ N(0, I_H) these logits are
 * N(0, W·Wᵀ); so are L·z for z ~ N(0, I_E) and L the Cholesky factor of W·Wᵀ (L·Lᵀ = W·Wᵀ). Routing z through a
 * gate of weight L is therefore the same experiment as routing x through W: the same distribution of logits,
 * jointly for every expert, for any router that reads the logits — with E values a token instead of H. At
 * gpt-oss-120b's 2880 × 128 that is 22× fewer numbers to draw and 22× less matmul (issue #11's first histogram).
 *
 * Clustered tokens x = μ_c + σ·ε have logits W·μ_c + σ·W·ε = L·(a_c + σ·z) with a_c solving L·a_c = W·μ_c.
 *
 * Only where E < H (else nothing is saved) and W has full row rank (else W·Wᵀ has no Cholesky factor): otherwise
 * the tokens are drawn whole, as before. Isotropic z does not depend on W, so a checkpoint's layers route the same
 * z, each through its own factor (`tokensForGate` in synthetic.ts); clustered tokens keep their σ·z and take each
 * gate's a_c.
 */
import { dot, dotFour } from './dot';

/** L with L·Lᵀ = W·Wᵀ (lower triangular, [E, E] row-major, float64), or undefined where E ≥ H or W·Wᵀ is singular. */
export function gateCholesky(weight: ArrayLike<number>, experts: number, hidden: number): Float64Array | undefined {
  const E = experts;
  const H = hidden;
  if (E >= H || weight.length < E * H) return undefined;
  const gram = new Float64Array(E * E);
  for (let i = 0; i < E; i++) {
    const a = i * H;
    let j = 0;
    for (; j + 3 <= i; j += 4) dotFour(weight, a, weight, j * H, H, gram, i * E + j, 0, 0, 0, 0); // the same bits as dot
    for (; j <= i; j++) gram[i * E + j] = dot(weight, a, weight, j * H, H);
  }
  let trace = 0;
  for (let i = 0; i < E; i++) trace += gram[i * E + i]!;
  // A pivot this small relative to the mean diagonal: W's rows are (numerically) dependent.
  const tiny = (trace / E) * 1e-10;
  const L = new Float64Array(E * E);
  for (let i = 0; i < E; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = gram[i * E + j]!;
      for (let k = 0; k < j; k++) sum -= L[i * E + k]! * L[j * E + k]!;
      if (i === j) {
        if (!(sum > tiny)) return undefined;
        L[i * E + i] = Math.sqrt(sum);
      } else {
        L[i * E + j] = sum / L[j * E + j]!;
      }
    }
  }
  return L;
}

/** a with L·a = W·μ for each centre μ (rows of `centres`, [C, H]): the centres in the gate's coordinates, [C, E]. */
export function centresInGateCoordinates(L: Float64Array, weight: ArrayLike<number>, centres: ArrayLike<number>, clusters: number, experts: number, hidden: number): Float32Array {
  const E = experts;
  const H = hidden;
  const out = new Float32Array(clusters * E);
  const logits = new Float64Array(E);
  const solved = new Float64Array(E);
  for (let c = 0; c < clusters; c++) {
    for (let e = 0; e < E; e++) {
      let sum = 0;
      for (let h = 0, a = e * H, b = c * H; h < H; h++) sum += weight[a + h]! * centres[b + h]!;
      logits[e] = sum;
    }
    // Forward substitution: L is lower triangular.
    for (let i = 0; i < E; i++) {
      let sum = logits[i]!;
      for (let k = 0; k < i; k++) sum -= L[i * E + k]! * solved[k]!;
      solved[i] = sum / L[i * E + i]!;
    }
    out.set(solved, c * E);
  }
  return out;
}
