/**
 * The launch-check census (test/census/moe-launch-checks.tsv, from shared/research: every MoE check in the
 * frameworks' own sources, with file, line, commit, condition, message, category and whether a config alone
 * decides it). Its `moe_lens` column and the rules' `census` metadata must say the same thing, row by row, and
 * the coverage per framework and category is printed for the table.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ALL_RULES } from '../src/core/rules/index';

/** Rows neither caught nor given a reason: none. */
const UNACCOUNTED_AT_MOST = 0;

interface Row {
  readonly id: string;
  readonly framework: string;
  readonly category: string;
  readonly static: string;
  readonly moeLens: string;
}

function rows(): Row[] {
  const [header, ...lines] = readFileSync(resolve(import.meta.dirname, 'census/moe-launch-checks.tsv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const columns = header!.split('\t');
  const at = (name: string): number => columns.indexOf(name);
  return lines.map((line) => {
    const cells = line.split('\t');
    return { id: cells[at('id')]!, framework: cells[at('framework')]!, category: cells[at('category')]!, static: cells[at('static')]!, moeLens: cells[at('moe_lens')] ?? '' };
  });
}

describe('launch-check census', () => {
  const census = rows();
  const claimed = new Map<string, string[]>();
  for (const rule of ALL_RULES) for (const id of rule.census ?? []) claimed.set(id, [...(claimed.get(id) ?? []), rule.code]);
  // Rows caught through the check the framework raises first on the same condition (their message is never printed).
  const stoppedFirst = new Map<string, { rule: string; by: readonly string[] }>();
  for (const rule of ALL_RULES) {
    for (const [id, by] of Object.entries(rule.censusStoppedFirst ?? {})) {
      claimed.set(id, [...(claimed.get(id) ?? []), rule.code]);
      stoppedFirst.set(id, { rule: rule.code, by });
    }
  }

  it('has 246 rows with unique ids (244 of the first census, 2 found on re-reading the frameworks)', () => {
    assert.equal(census.length, 246);
    assert.equal(new Set(census.map((r) => r.id)).size, census.length);
  });

  it('every row a rule claims exists, and the census names that rule for it (and no other)', () => {
    const ids = new Set(census.map((r) => r.id));
    assert.deepEqual([...claimed.keys()].filter((id) => !ids.has(id)), [], 'rules claim rows the census does not have');
    const disagreements = census.filter((r) => (claimed.get(r.id) ?? []).join(' ') !== r.moeLens.split(/[ ,]+/).filter(Boolean).sort().join(' ')).map((r) => `${r.id}: census says "${r.moeLens}", rules say "${(claimed.get(r.id) ?? []).join(' ')}"`);
    assert.deepEqual(disagreements, []);
  });

  it('a row caught through an earlier check names checks the same rule reports, and the rule\'s tests name the row', () => {
    const problems: string[] = [];
    for (const [id, { rule, by }] of stoppedFirst) {
      const owner = ALL_RULES.find((r) => r.code === rule)!;
      for (const first of by) if (!(owner.census ?? []).includes(first)) problems.push(`${id}: ${rule} does not report ${first}`);
      const tests = readdirSync(resolve(import.meta.dirname, 'rules')).filter((f) => f.startsWith(`${rule}-`));
      if (!tests.some((f) => readFileSync(resolve(import.meta.dirname, 'rules', f), 'utf8').includes(`${id} (stopped first`))) problems.push(`${id}: no test of ${rule} names it as "${id} (stopped first …"`);
    }
    assert.deepEqual(problems, []);
  });

  it('every row a config decides is caught by a rule or has a written reason it is out of scope (not both)', () => {
    const [, ...lines] = readFileSync(resolve(import.meta.dirname, 'census/out-of-scope.tsv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const reasons = new Map(lines.map((line) => [line.split('\t')[0]!, line.split('\t')[1] ?? ''] as const));
    const decidable = census.filter((r) => r.static === 'yes' || r.static === 'yes-with-world-size');
    assert.deepEqual([...reasons.keys()].filter((id) => !decidable.some((r) => r.id === id)), [], 'reasons for rows that are not decidable from a config, or do not exist');
    assert.deepEqual([...reasons].filter(([, reason]) => reason.trim().length < 20).map(([id]) => id), [], 'a reason must say why');
    assert.deepEqual(decidable.filter((r) => claimed.has(r.id) && reasons.has(r.id)).map((r) => r.id), [], 'a row a rule catches needs no reason');
    const unaccounted = decidable.filter((r) => !claimed.has(r.id) && !reasons.has(r.id)).map((r) => r.id);
    console.log(`# census: ${unaccounted.length} decidable rows neither caught nor given a reason: ${unaccounted.join(' ')}`);
    assert.ok(unaccounted.length <= UNACCOUNTED_AT_MOST, `${unaccounted.length} rows unaccounted for`);
  });

  it('prints the coverage of the rows a config decides, per framework and category', () => {
    const decidable = census.filter((r) => r.static === 'yes' || r.static === 'yes-with-world-size');
    const table = new Map<string, { covered: number; total: number }>();
    for (const row of decidable) {
      const key = `${row.framework} · ${row.category}`;
      const cell = table.get(key) ?? { covered: 0, total: 0 };
      cell.total++;
      if (claimed.has(row.id)) cell.covered++;
      table.set(key, cell);
    }
    const covered = decidable.filter((r) => claimed.has(r.id)).length;
    const throughEarlier = decidable.filter((r) => stoppedFirst.has(r.id)).length;
    console.log([`# census: ${covered} of ${decidable.length} rows decidable from configs (or with the GPU count) are caught (${(100 * covered / decidable.length).toFixed(1)}%): ${covered - throughEarlier} with their own message, ${throughEarlier} through the check the framework raises first`, ...[...table].sort().map(([k, c]) => `#   ${k}: ${c.covered}/${c.total}`)].join('\n'));
    // Coverage only grows: a rule that stops claiming its rows fails here.
    assert.ok(covered >= 203, `coverage fell to ${covered}`);
  });
});
