import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'moe-lens.js');

/** Runs the built CLI (npm test builds first) as a user would. */
export function moeLens(args: readonly string[], cwd = ROOT): { stdout: string; stderr: string; status: number } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? -1 };
}

/** A fresh folder under the OS temp dir, removed when the test process exits. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `moe-lens-${prefix}-`));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function copyExamples(): string {
  const dir = scratchDir('examples');
  cpSync(join(ROOT, 'examples'), dir, { recursive: true });
  return dir;
}
