/**
 * The CLI's launcher (src/cli/launch.ts) runs the engine through V8's code cache: the cache must never change
 * what the CLI prints, must survive a damaged file, and must stay out of the way when turned off.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, ROOT, scratchDir } from './cli-helpers';

function lint(cacheHome: string, extra: Record<string, string> = {}): { stdout: string; status: number | null } {
  const result = spawnSync(process.execPath, [CLI, 'lint', 'examples/torchtitan', '--format', 'json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: cacheHome, ...extra } });
  return { stdout: result.stdout, status: result.status };
}

const cacheFiles = (cacheHome: string): string[] => {
  try {
    return readdirSync(join(cacheHome, 'moe-lens', 'compile-cache'));
  } catch {
    return [];
  }
};

describe('moe-lens compile cache', () => {
  it('writes one cache file on the first run and prints the same with it', () => {
    const home = scratchDir('cache');
    const first = lint(home);
    const files = cacheFiles(home);
    assert.equal(files.length, 1, files.join(', '));
    assert.match(files[0]!, /^cli-\d+-\d+-v\d+\.\d+\.\d+-\w+\.v8cache$/);
    const second = lint(home);
    assert.equal(second.status, first.status);
    assert.equal(second.stdout, first.stdout);
    assert.ok(JSON.parse(second.stdout).length > 0);
  });

  it('replaces a damaged cache file, and drops those of other builds', () => {
    const home = scratchDir('cache');
    const reference = lint(home);
    const [name] = cacheFiles(home);
    writeFileSync(join(home, 'moe-lens', 'compile-cache', name!), 'not a code cache');
    writeFileSync(join(home, 'moe-lens', 'compile-cache', 'cli-1-1-v0.0.0-x64.v8cache'), 'an older build');
    const damaged = lint(home);
    assert.equal(damaged.stdout, reference.stdout);
    assert.deepEqual(cacheFiles(home), [name]);
    assert.ok(statSync(join(home, 'moe-lens', 'compile-cache', name!)).size > 10_000, 'the damaged file was replaced by a real cache');
    assert.ok(readdirSync(join(home, 'moe-lens', 'compile-cache')).every((f) => !f.endsWith('.partial')));
  });

  it('writes nothing with MOE_LENS_COMPILE_CACHE=0', () => {
    const home = scratchDir('cache');
    const result = lint(home, { MOE_LENS_COMPILE_CACHE: '0' });
    assert.ok(JSON.parse(result.stdout).length > 0);
    assert.deepEqual(cacheFiles(home), []);
  });

  it('runs route, which loads its own module beside the engine, from a cached engine', () => {
    const home = scratchDir('cache');
    for (let run = 0; run < 2; run++) {
      const result = spawnSync(process.execPath, [CLI, 'route', 'examples/hf/gpt-oss-120b/config.json', '--tokens', '32', '--json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: home } });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).config.name !== undefined, true);
    }
    assert.equal(cacheFiles(home).length, 1);
  });
});
