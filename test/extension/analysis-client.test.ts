/**
 * The analysis worker and its budget (issue #14), driven as the extension drives it: the built
 * dist/analysis-worker.js on its own thread. A file over the time or memory budget ends the worker and gets
 * one sentence; the next file is answered by a fresh worker; the same text is not tried again.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { AnalysisClient } from '../../src/extension/analysis/client';

const WORKER = resolve(import.meta.dirname, '../../dist/analysis-worker.js');
const OPTIONS = { severities: {}, maxFileSize: 4 * 1024 * 1024 };
const GPT_OSS = readFileSync(resolve(import.meta.dirname, '../../examples/torchtitan/gpt_oss/__init__.py'), 'utf8');

/** 20,000 MoE calls (about 1.7 MB): seconds of analysis, and far more than 64 MB of heap. */
function heavyFile(): string {
  const rows = Array.from({ length: 20_000 }, (_, i) => `    "f${i}": MoEArgs(num_experts=${8 << (i % 4)}, top_k=${1 + (i % 4)}, score_func="softmax", route_norm=True),`);
  return `from torchtitan.models.moe import MoEArgs\nconfigs = {\n${rows.join('\n')}\n}\n`;
}

describe('analysis worker and its budget', { skip: !existsSync(WORKER) && 'run `npm run build` first' }, () => {
  const clients: AnalysisClient[] = [];
  const client = (timeMs: number, memoryMb = 512): AnalysisClient => {
    const made = new AnalysisClient(WORKER, { timeMs, memoryMb });
    clients.push(made);
    return made;
  };
  after(() => clients.forEach((c) => c.dispose()));

  it('lints in the worker, with imports from the texts the host sent', async () => {
    const analysis = client(10_000);
    analysis.setText('file:///w/pkg/moe.py', '@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 3\n    score_func: str = "softmax"\n');
    const request = analysis.request({ kind: 'lint', file: 'file:///w/pkg/flavors.py', text: 'from .moe import MoEArgs\nx = MoEArgs(num_experts=4)\n', options: OPTIONS });
    assert.equal(analysis.workersStarted, 0, "the worker starts in a task of its own, not in the caller's");
    const outcome = await request;
    assert.equal(analysis.workersStarted, 1);
    assert.equal(outcome.status, 'answered');
    if (outcome.status !== 'answered') return;
    assert.deepEqual(outcome.answer.summary.configs.map((c) => c.name), ['x']);
    const full = await analysis.request({ kind: 'analyze', file: 'file:///w/pkg/flavors.py', text: 'from .moe import MoEArgs\nx = MoEArgs(num_experts=4)\n' });
    assert.ok(full.status === 'answered');
    const [spec] = full.answer.analysis.specs;
    assert.equal(spec?.topK.value, 3, 'the default came from the text the host sent');
    const real = await analysis.request({ kind: 'lint', file: 'file:///w/gpt_oss_flavors.py', text: GPT_OSS, options: OPTIONS });
    assert.ok(real.status === 'answered' && real.answer.diagnostics.some((d) => d.code === 'MOE001'));
  });

  it("an edit's answer is a summary; the full analysis of the same text comes after, and follows the files it imports", async () => {
    const analysis = client(10_000);
    const moe = (topK: number) => `@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = ${topK}\n    score_func: str = "softmax"\n`;
    const flavors = 'from .moe import MoEArgs\nconfigs = {\n    "a": MoEArgs(num_experts=4),\n    "b": MoEArgs(num_experts=16, top_k=2),\n}\n';
    analysis.setText('file:///w/pkg/moe.py', moe(3));
    const lint = await analysis.request({ kind: 'lint', file: 'file:///w/pkg/flavors.py', text: flavors, options: OPTIONS });
    assert.ok(lint.status === 'answered');
    assert.deepEqual(Object.keys(lint.answer.summary.configs[0]!).sort(), ['anchorRange', 'dialect', 'name', 'range'], 'only names and places cross on an edit');
    assert.deepEqual(lint.answer.summary.configs.map((c) => [c.name, flavors.slice(c.range.start, c.range.end)]), [
      ['a', '"a": MoEArgs(num_experts=4)'],
      ['b', '"b": MoEArgs(num_experts=16, top_k=2)'],
    ]);
    const topKs = async (): Promise<unknown[]> => {
      const full = await analysis.request({ kind: 'analyze', file: 'file:///w/pkg/flavors.py', text: flavors });
      assert.ok(full.status === 'answered');
      return full.answer.analysis.specs.map((spec) => spec.topK.value);
    };
    assert.deepEqual(await topKs(), [3, 2]);
    // The imported class's default changes: the kept analysis is not answered again.
    analysis.setText('file:///w/pkg/moe.py', moe(6));
    assert.deepEqual(await topKs(), [6, 2]);
  });

  it('a file over the time budget gets one sentence, and the next file is answered by a fresh worker', async () => {
    const analysis = client(300);
    // Warm the worker first, so that its start-up allowance does not cover the heavy file.
    assert.equal((await analysis.request({ kind: 'lint', file: 'file:///w/a.py', text: GPT_OSS, options: OPTIONS })).status, 'answered');
    const heavy = heavyFile();
    const started = Date.now();
    const stopped = await analysis.request({ kind: 'lint', file: 'file:///w/heavy.py', text: heavy, options: OPTIONS });
    assert.equal(stopped.status, 'stopped');
    assert.match(stopped.status === 'stopped' ? stopped.reason : '', /stopped analysing this file after 300 ms \(moeLens\.lint\.timeBudgetMs\)/);
    assert.ok(Date.now() - started < 3000, 'the budget, not the file, decided when it ended');
    const next = await analysis.request({ kind: 'lint', file: 'file:///w/b.py', text: GPT_OSS, options: OPTIONS });
    assert.equal(next.status, 'answered', next.status === 'stopped' ? next.reason : '');
    assert.equal(analysis.workersStarted, 2);
    // The same text is not tried again (no worker is sacrificed per keystroke); a changed one is.
    const again = await analysis.request({ kind: 'lint', file: 'file:///w/heavy.py', text: heavy, options: OPTIONS });
    assert.equal(again.status, 'stopped');
    assert.equal(analysis.workersStarted, 2);
  });

  it('a file that needs more than the memory budget gets one sentence; the worker after it still answers', async () => {
    const analysis = client(60_000, 64);
    const stopped = await analysis.request({ kind: 'lint', file: 'file:///w/heavy.py', text: heavyFile() + heavyFile(), options: OPTIONS });
    assert.equal(stopped.status, 'stopped');
    assert.match(stopped.status === 'stopped' ? stopped.reason : '', /stopped analysing this file: it needed more than 64 MB \(moeLens\.lint\.memoryBudgetMb\)/);
    const next = await analysis.request({ kind: 'lint', file: 'file:///w/b.py', text: GPT_OSS, options: OPTIONS });
    assert.equal(next.status, 'answered', next.status === 'stopped' ? next.reason : '');
  });

  it('a file the user looks at goes before files that are only open', async () => {
    const analysis = client(10_000);
    const order: string[] = [];
    const lint = (file: string, urgent = false) => analysis.request({ kind: 'lint', file, text: GPT_OSS, options: OPTIONS }, { urgent }).then(() => order.push(file));
    await lint('warm'); // a running worker takes the first request at once ('busy')
    order.length = 0;
    await Promise.all([lint('busy'), lint('open-1'), lint('open-2'), lint('visible', true)]);
    assert.deepEqual(order, ['busy', 'visible', 'open-1', 'open-2']);
  });

  it('only the newest queued lint of a file runs', async () => {
    const analysis = client(10_000);
    const busy = analysis.request({ kind: 'lint', file: 'file:///w/a.py', text: GPT_OSS, options: OPTIONS });
    const older = analysis.request({ kind: 'lint', file: 'file:///w/b.py', text: GPT_OSS, options: OPTIONS });
    const newer = analysis.request({ kind: 'lint', file: 'file:///w/b.py', text: `${GPT_OSS}\n`, options: OPTIONS });
    assert.equal((await older).status, 'superseded');
    assert.equal((await newer).status, 'answered');
    assert.equal((await busy).status, 'answered');
  });
});
