/**
 * The longest synchronous slice each MoE Lens surface has taken on the extension host's thread. Every other
 * extension shares that thread: issue #14 allows no slice over 50 ms, and the editor suites read these.
 */
export type HostSurface = 'lint' | 'hover' | 'codeActions' | 'completions';

export class HostSlices {
  private readonly longest: Record<HostSurface, number> = { lint: 0, hover: 0, codeActions: 0, completions: 0 };

  /** Records the slice that began at `started` (a `performance.now()`) and ends now. */
  record(surface: HostSurface, started: number): void {
    this.longest[surface] = Math.max(this.longest[surface], performance.now() - started);
  }

  get report(): Readonly<Record<HostSurface, number>> {
    return { ...this.longest };
  }
}
