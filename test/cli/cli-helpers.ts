import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'moe-lens.js');

/** Runs the built CLI (npm test builds first) as a user would. */
export function moeLens(args: readonly string[], cwd = ROOT): { stdout: string; stderr: string; status: number } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? -1 };
}

export function copyExamples(): string {
  const dir = mkdtempSync(join(tmpdir(), 'moe-lens-examples-'));
  cpSync(join(ROOT, 'examples'), dir, { recursive: true });
  return dir;
}
