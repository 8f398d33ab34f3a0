/**
 * `npx tsx scripts/census-sync.ts`: rewrites the `moe_lens` column of test/census/moe-launch-checks.tsv from the
 * rules' `census` and `censusStoppedFirst` metadata, so that the census says which rule catches each row.
 * test/census.test.ts fails when
 * the two disagree; run this after giving a rule new rows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ALL_RULES } from '../src/core/rules/index';

const path = resolve(import.meta.dirname, '../test/census/moe-launch-checks.tsv');
const lines = readFileSync(path, 'utf8').split('\n');
const columns = lines[0]!.split('\t');
const id = columns.indexOf('id');
const moeLens = columns.indexOf('moe_lens');
const claimed = new Map<string, string[]>();
for (const rule of ALL_RULES) for (const row of [...(rule.census ?? []), ...Object.keys(rule.censusStoppedFirst ?? {})]) claimed.set(row, [...(claimed.get(row) ?? []), rule.code]);
let changed = 0;
const out = lines.map((line, index) => {
  if (index === 0 || line.trim() === '') return line;
  const cells = line.split('\t');
  const codes = (claimed.get(cells[id]!) ?? []).sort().join(' ');
  if (cells[moeLens] !== codes) changed++;
  cells[moeLens] = codes;
  return cells.join('\t');
});
writeFileSync(path, out.join('\n'));
console.log(`census: ${changed} rows changed`);
