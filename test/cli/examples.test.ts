import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { moeLens, ROOT } from './cli-helpers';

test('examples produce exactly the diagnostics examples/README.md lists', () => {
  const readme = readFileSync(join(ROOT, 'examples', 'README.md'), 'utf8');
  const table = readme.split('<!-- expected-diagnostics:start -->')[1]!.split('<!-- expected-diagnostics:end -->')[0]!;
  const expected = table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split('|').map((cell) => cell.trim().replace(/`/g, '')).filter(Boolean).join(' '));
  assert.ok(expected.length >= 8, 'the README table looks empty');

  const { stdout, status } = moeLens(['lint', 'examples', '--format', 'json']);
  assert.equal(status, 1, 'examples contain errors, so lint exits 1');
  const actual = (JSON.parse(stdout) as { filePath: string; messages: { line: number; column: number; ruleId: string; level: string }[] }[]).flatMap((file) =>
    file.messages.map((m) => `${relative(join(ROOT, 'examples'), file.filePath)} ${m.line}:${m.column} ${m.ruleId} ${m.level}`),
  );
  assert.deepEqual(actual, expected);
});
