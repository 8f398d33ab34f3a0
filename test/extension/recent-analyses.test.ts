/** The worker's memory of its last analyses (src/extension/analysis/recent-analyses.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentAnalyses } from '../../src/extension/analysis/recent-analyses';

describe('RecentAnalyses', () => {
  it('answers only for the very text an analysis was made from', () => {
    const recent = new RecentAnalyses<string>();
    recent.set('a.py', 'x = 1', 'analysis of x = 1');
    assert.equal(recent.get('a.py', 'x = 1'), 'analysis of x = 1');
    assert.equal(recent.get('a.py', 'x = 2'), undefined);
    assert.equal(recent.get('b.py', 'x = 1'), undefined);
  });

  it("drops every other file's analysis when a file's text changes (it may import from it)", () => {
    const recent = new RecentAnalyses<string>();
    recent.set('flavors.py', 'F', 'flavors');
    recent.set('moe.py', 'M', 'moe');
    recent.changed('moe.py', 'M');
    assert.equal(recent.get('flavors.py', 'F'), undefined);
    assert.equal(recent.get('moe.py', 'M'), 'moe', 'its own analysis was made from this very text');
    recent.changed('moe.py', 'M2');
    assert.equal(recent.size, 0);
    recent.set('moe.py', 'M2', 'moe 2');
    recent.changed('moe.py', undefined);
    assert.equal(recent.size, 0, 'a deleted file keeps nothing');
  });

  it('keeps the newest entries up to its limit', () => {
    const recent = new RecentAnalyses<number>(2);
    recent.set('a', 'a', 1);
    recent.set('b', 'b', 2);
    recent.set('a', 'a', 3); // refreshed: now the newest
    recent.set('c', 'c', 4);
    assert.equal(recent.get('b', 'b'), undefined);
    assert.equal(recent.get('a', 'a'), 3);
    assert.equal(recent.get('c', 'c'), 4);
  });
});
