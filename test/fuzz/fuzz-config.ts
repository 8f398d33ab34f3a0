/** Seeded, bounded fuzzing: CI runs a fixed seed; `npm run fuzz` runs many more cases with a random seed. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261126);
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 150);
/** Wall time one file's analysis may take before the property fails. */
export const MAX_MS_PER_FILE = Number(process.env.FUZZ_MAX_MS ?? 5000);

export const worst = { ms: 0, what: '' };

export function timed<T>(what: string, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  const ms = performance.now() - start;
  if (ms > worst.ms) Object.assign(worst, { ms, what });
  if (ms > MAX_MS_PER_FILE) throw new Error(`${what} took ${ms.toFixed(0)} ms (limit ${MAX_MS_PER_FILE} ms)`);
  return result;
}
