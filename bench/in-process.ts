/**
 * The bench's in-process measurements, run as the engine ships: `bench/run.mts` bundles this file with the
 * product's esbuild options (minified, as dist/analysis-worker.js is) and runs it in a fresh Node process; run
 * from source through tsx, the same code measured about 1.5× slower. Prints one JSON array of `{ what, ms }`.
 *
 * Usage: node in-process.cjs FILE   (FILE: the bench's generated 5,000-line flavors file)
 */
import { readFileSync } from 'node:fs';
import { lintText } from '../src/core/lint';
import { DocumentParses } from '../src/core/parse/python/document-parses';
import { ProjectIndex } from '../src/core/project';

const text = readFileSync(process.argv[2]!, 'utf8');
const lineCount = text.split('\n').length;

/**
 * What a keystroke costs the analysis worker: the editor sends the whole new text, the worker re-parses only
 * the edited region (DocumentParses) and re-runs analysis and rules. Alternates `top_k=` between 1..8 in the
 * middle of the file; median of 200 edits after 100 of warm-up.
 */
function perEdit(): { what: string; ms: number } {
  const at = text.indexOf('top_k=', text.length / 2) + 'top_k='.length;
  const versions = Array.from({ length: 8 }, (_, i) => text.slice(0, at) + String(1 + i) + text.slice(at + 1));
  const parses = new DocumentParses();
  const project = new ProjectIndex();
  const times: number[] = [];
  for (let i = 0; i < 300; i++) {
    const version = versions[i % versions.length]!;
    const start = performance.now();
    lintText('flavors.py', version, project, { parsed: parses.parse('flavors.py', version) });
    if (i >= 100) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { what: `an edit of the ${lineCount}-line file: incremental parse + analysis + rules, in process (target < 16 ms)`, ms: times[times.length >> 1]! };
}

/** The longest synchronous slice: one whole lint, after one of warm-up (as an editing session is). */
function inProcess(what: string, source: string, file: string): { what: string; ms: number } {
  lintText(file, source);
  const times = Array.from({ length: 5 }, () => {
    const start = performance.now();
    lintText(file, source);
    return performance.now() - start;
  }).sort((a, b) => a - b);
  return { what, ms: times[2]! };
}

console.log(
  JSON.stringify([
    perEdit(),
    inProcess(`one whole lint of the ${lineCount}-line file, warm, parsed from scratch (a file opened)`, text, 'flavors.py'),
    inProcess('worst fuzz input: 10,000 MoE calls in one file (856 KB)', `configs = {\n${Array.from({ length: 10_000 }, (_, i) => `    "f${i}": MoEArgs(num_experts=${8 + (i % 4) * 8}, top_k=${1 + (i % 9)}, score_func="softmax", route_norm=True),`).join('\n')}\n}\n`, 'huge.py'),
    inProcess('fuzz input: 20,000-deep nested literal (Python)', `x = MoEArgs(num_experts=8, top_k=${'['.repeat(20_000)}${']'.repeat(20_000)})\n`, 'deep.py'),
    inProcess('fuzz input: 20,000-deep nested literal (JSON)', `{"model_type": "mixtral", "num_local_experts": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`, 'config.json'),
  ]),
);
