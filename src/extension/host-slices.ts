/**
 * The longest synchronous slice each MoE Lens surface has taken on the extension host's thread. Every other
 * extension shares that thread: issue #14 allows no slice over 50 ms, and the editor suites read these.
 *
 * A slice is measured by the wall clock, so a garbage collection that stops the whole thread while MoE Lens
 * runs lands in it. The extension host's heap is every extension's, and on a busy 2-core machine its pauses
 * take 30–260 ms (measured in code-server's extension host: scavenges of 30–100 ms, a mark-compact of 259 ms),
 * whoever allocated last. So each slice also keeps its interval, the thread's GC pauses are observed
 * (perf_hooks), and MoE Lens's own share of a slice is its wall time less the pauses inside it. Both are
 * reported: `lint` (own) and `wall.lint`.
 */
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

export type HostSurface = 'lint' | 'hover' | 'codeActions' | 'completions';
const SURFACES: readonly HostSurface[] = ['lint', 'hover', 'codeActions', 'completions'];

interface Interval {
  readonly start: number;
  readonly end: number;
  /** What the slice did, for a report that has to say which one was long. */
  readonly what?: string;
}

/** The longest slices kept per surface (by wall time), among which the longest own share is found. */
const KEPT_SLICES = 16;
/** GC pauses kept (the most recent), enough to cover the kept slices of a session's measurements. */
const KEPT_PAUSES = 4096;

export type HostSliceReport = Readonly<Record<HostSurface, number>> & {
  readonly wall: Readonly<Record<HostSurface, number>>;
  /** What the longest own slice of each surface did (empty when it was not said). */
  readonly what: Readonly<Record<HostSurface, string>>;
  /**
   * The second-longest own slice: a cost of MoE Lens's recurs (every lint of the same file), while a one-off stall
   * (the thread descheduled on a busy machine: "publishing 1 diagnostic" took 58 ms once) lands in one slice only.
   */
  readonly second: Readonly<Record<HostSurface, number>>;
};

export class HostSlices {
  private readonly slices: Record<HostSurface, Interval[]> = { lint: [], hover: [], codeActions: [], completions: [] };
  private readonly pauses: Interval[] = [];
  private readonly observer: PerformanceObserver | undefined;

  constructor() {
    try {
      this.observer = new PerformanceObserver((list) => this.observed(list.getEntries()));
      this.observer.observe({ entryTypes: ['gc'] });
    } catch {
      this.observer = undefined; // without GC entries, a slice's own share is its wall time
    }
  }

  /** Records the slice that began at `started` (a `performance.now()`) and ends now. */
  record(surface: HostSurface, started: number, what?: string): void {
    const kept = this.slices[surface];
    const slice = { start: started, end: performance.now(), ...(what ? { what } : {}) };
    const length = slice.end - slice.start;
    if (kept.length < KEPT_SLICES) kept.push(slice);
    else {
      let shortest = 0;
      for (let i = 1; i < kept.length; i++) if (kept[i]!.end - kept[i]!.start < kept[shortest]!.end - kept[shortest]!.start) shortest = i;
      if (length > kept[shortest]!.end - kept[shortest]!.start) kept[shortest] = slice;
    }
  }

  /** Per surface, the longest own share of a slice (wall time less the GC pauses inside it), and the longest wall time. */
  get report(): HostSliceReport {
    // Entries not yet delivered to the observer's callback are read here, so a pause just past is counted.
    if (this.observer) this.observed(this.observer.takeRecords());
    const own = {} as Record<HostSurface, number>;
    const wall = {} as Record<HostSurface, number>;
    const what = {} as Record<HostSurface, string>;
    const second = {} as Record<HostSurface, number>;
    for (const surface of SURFACES) {
      const shares = this.slices[surface].map((slice) => ({ slice, own: slice.end - slice.start - this.pausedWithin(slice) })).sort((a, b) => b.own - a.own);
      own[surface] = Math.max(0, shares[0]?.own ?? 0);
      second[surface] = Math.max(0, shares[1]?.own ?? 0);
      wall[surface] = Math.max(0, ...this.slices[surface].map((slice) => slice.end - slice.start));
      what[surface] = shares[0]?.slice.what ?? '';
    }
    return { ...own, wall, what, second };
  }

  dispose(): void {
    this.observer?.disconnect();
  }

  private observed(entries: readonly PerformanceEntry[]): void {
    for (const entry of entries) this.pauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
    if (this.pauses.length > KEPT_PAUSES) this.pauses.splice(0, this.pauses.length - KEPT_PAUSES);
  }

  private pausedWithin(slice: Interval): number {
    let paused = 0;
    for (const pause of this.pauses) paused += Math.max(0, Math.min(pause.end, slice.end) - Math.max(pause.start, slice.start));
    return paused;
  }
}
