/** Dot products of the TypeScript router and the gate factor, summed in float64 in index order. */

/**
 * start + Σ a[ai + h] · b[bi + h] for h < n, summed in float64 from `start` (the router bias) in index order.
 * Its own small function so that V8 optimises it after a few calls: inlined in routeReference's token loop it
 * ran unoptimised until on-stack replacement, 2–3× slower on the panel's first look (256 × 2880 × 128).
 */
export function dot(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, n: number, start = 0): number {
  let sum = start;
  for (let h = 0; h < n; h++) sum += a[ai + h]! * b[bi + h]!;
  return sum;
}

/**
 * Four dots at once, of x with four consecutive rows of length n: out[at + r] = start_r + Σ x[xi + h] · rows[ri + r·n + h].
 * Each sum adds its products in the same order as `dot` (the same bits), but four independent chains of additions
 * keep the CPU busy where one waits on each add: W·Wᵀ at 128 × 2880 took 22 → 10–12 ms, the panel's first look
 * (1,024 × 128 × 128) 27 → 16–18 ms (Node).
 */
export function dotFour(x: ArrayLike<number>, xi: number, rows: ArrayLike<number>, ri: number, n: number, out: Float64Array, at: number, s0: number, s1: number, s2: number, s3: number): void {
  for (let h = 0, b = ri; h < n; h++, b++) {
    const v = x[xi + h]!;
    s0 += v * rows[b]!;
    s1 += v * rows[b + n]!;
    s2 += v * rows[b + 2 * n]!;
    s3 += v * rows[b + 3 * n]!;
  }
  out[at] = s0;
  out[at + 1] = s1;
  out[at + 2] = s2;
  out[at + 3] = s3;
}
