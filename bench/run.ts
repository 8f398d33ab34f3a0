/**
 * `npm run bench`: whole-process times, median of several runs, side by side with a peer on the same input.
 * Ratios matter, not absolute times: machines are noisy.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateConfigFile } from './generate';

const root = resolve(import.meta.dirname, '..');

function timeCommand(command: string, args: string[], runs: number): { median: number; status: number | null } {
  const times: number[] = [];
  let status: number | null = null;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    status = result.status;
    if (result.error) throw result.error;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, status };
}

const dir = mkdtempSync(join(tmpdir(), 'moe-lens-bench-'));
const file = join(dir, 'flavors.py');
const text = generateConfigFile(200, 5000);
writeFileSync(file, text);
const lineCount = text.split('\n').length;

const lens = timeCommand(process.execPath, [join(root, 'bin', 'moe-lens.js'), 'lint', file, '--format', 'json'], 7);
const pyright = timeCommand(process.execPath, [join(root, 'node_modules', 'pyright', 'index.js'), file], 3);

const rows = [
  ['task', 'moe-lens', 'peer', 'peer', 'ratio (peer / moe-lens)', 'target'],
  ['---', '---', '---', '---', '---', '---'],
  [
    `lint ${lineCount}-line file, 200 MoE calls (whole process)`,
    `${lens.median.toFixed(0)} ms`,
    'pyright 1.1.414',
    `${pyright.median.toFixed(0)} ms`,
    `${(pyright.median / lens.median).toFixed(1)}×`,
    '≥ 10× and < 300 ms',
  ],
];
console.log(rows.map((r) => `| ${r.join(' | ')} |`).join('\n'));
console.log(`\nmoe-lens exit ${lens.status}, pyright exit ${pyright.status}; medians of 7 and 3 runs; file: ${file}`);
