/**
 * Snapshots of what users and CI scripts read: `lint examples` in all three formats, `rule MOE007 --format
 * json`, and the usage errors. A change shows as a diff of test/cli/snapshots/*; `UPDATE_SNAPSHOTS=1` rewrites
 * them after a reviewed change.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { moeLens } from './cli-helpers';

const DIR = join(import.meta.dirname, 'snapshots');
const ROOT = resolve(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The same on every machine: no absolute paths, no version number. */
function normalise(text: string): string {
  return text.split(ROOT).join('<root>').split(`"${VERSION}"`).join('"<version>"');
}

function matchesSnapshot(name: string, args: string[]): void {
  const run = moeLens(args);
  const actual = normalise(`$ moe-lens ${args.join(' ')}\nexit ${run.status}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  const file = join(DIR, `${name}.txt`);
  if (process.env.UPDATE_SNAPSHOTS || !existsSync(file)) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, actual);
    if (!process.env.UPDATE_SNAPSHOTS) assert.fail(`${file} did not exist; it was written: review it and commit it`);
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} changed: review the diff, then rerun with UPDATE_SNAPSHOTS=1`);
}

describe('CLI snapshots', () => {
  it('lint examples, stylish', () => matchesSnapshot('lint-stylish', ['lint', 'examples', '--no-color']));
  it('lint examples, json', () => matchesSnapshot('lint-json', ['lint', 'examples', '--format', 'json']));
  it('lint examples, sarif', () => matchesSnapshot('lint-sarif', ['lint', 'examples/torchtitan/gpt_oss', '--format', 'sarif']));
  it('rule MOE007 --format json', () => matchesSnapshot('rule-MOE007-json', ['rule', 'MOE007', '--format', 'json']));
  it('an option another command owns is refused, with this command\'s usage', () => matchesSnapshot('usage-unknown-option', ['lint', 'examples', '--weights', 'w.safetensors']));
  it('a bad format value names the formats', () => matchesSnapshot('usage-bad-format', ['rule', 'MOE007', '--format', 'yaml']));
  it('COMMAND --help prints that command\'s usage', () => matchesSnapshot('route-help', ['route', '--help']));
});
