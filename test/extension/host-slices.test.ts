/**
 * HostSlices: a slice's own share is its wall time less the extension host's GC pauses inside it; pauses outside
 * it do not count, and the wall time is reported beside.
 */
import assert from 'node:assert/strict';
import type { PerformanceEntry } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { HostSlices } from '../../src/extension/host-slices';

/** Feeds GC pauses as the observer would deliver them. */
const pause = (slices: HostSlices, start: number, duration: number): void =>
  (slices as unknown as { observed(entries: readonly PerformanceEntry[]): void }).observed([{ startTime: start, duration } as PerformanceEntry]);

describe('HostSlices', () => {
  it("subtracts a GC pause inside a slice from MoE Lens's own share, and reports the wall time beside", () => {
    const slices = new HostSlices();
    const started = performance.now() - 60;
    slices.record('lint', started);
    pause(slices, started + 5, 50);
    const report = slices.report;
    assert.ok(report.wall.lint >= 60, String(report.wall.lint));
    assert.ok(report.lint >= 10 && report.lint < 15, String(report.lint));
    slices.dispose();
  });

  it('a pause outside every slice changes nothing; the longest own share wins across slices', () => {
    const slices = new HostSlices();
    const a = performance.now() - 100;
    slices.record('hover', a, 'the one mostly paused'); // 100 ms, of which 95 ms GC → 5 ms own
    pause(slices, a + 2, 95);
    const after = performance.now() + 40;
    while (performance.now() < after); // the second slice starts after the first one and its pause end
    const b = performance.now() - 30;
    slices.record('hover', b, 'the long one'); // 30 ms, no pause → 30 ms own
    pause(slices, b - 500, 200);
    const report = slices.report;
    assert.ok(report.hover >= 30 && report.hover < 40, String(report.hover));
    assert.ok(report.wall.hover >= 100);
    assert.equal(report.what.hover, 'the long one', 'the report says which slice was the longest own one');
    assert.ok(report.second.hover >= 5 && report.second.hover < 10, String(report.second.hover));
    assert.equal(report.lint, 0);
    slices.dispose();
  });
});
