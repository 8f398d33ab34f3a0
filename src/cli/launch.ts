/**
 * The CLI's first file (dist/cli.js): loads the engine (dist/cli-main.js) through V8's code cache.
 *
 * Compiling the 0.6 MB engine, and then every function a lint calls, costs a short `lint` about a tenth of its
 * time. V8 can save that work: `Script.createCachedData()` taken *after* a run holds the bytecode of every function
 * the run compiled, so the next process starts with it instead of parsing and compiling again (the bench's
 * 5,000-line file, alternated runs: 360 → 332 ms a lint). This is what Node 22's `module.enableCompileCache()`
 * does; Node 20 has no such switch, and v8-compile-cache, which saves the cache before anything has run, gave
 * nothing here (ARCHITECTURE.md, "CLI start-up").
 *
 * The cache lives in the user's cache folder (never the workspace), one file per engine build (its size and
 * modification time), Node version and architecture. V8 checks the rest (its version and flags) and rejects a
 * cache that does not fit; then this run compiles as usual and writes a fresh one. Any failure here (no cache
 * folder, a read-only disk) only means no cache: `MOE_LENS_COMPILE_CACHE=0` turns it off.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

const ENGINE = join(__dirname, 'cli-main.js');

function cacheFolder(): string | undefined {
  if (process.env.MOE_LENS_COMPILE_CACHE === '0') return undefined;
  const base = process.env.XDG_CACHE_HOME || (process.platform === 'win32' ? process.env.LOCALAPPDATA : undefined) || join(homedir(), '.cache');
  // Beside, not among, the other things MoE Lens caches there (the e2e suite's code-server, the demo).
  return join(base, 'moe-lens', 'compile-cache');
}

/** Replaces this engine's cache, and drops those of other builds (each upgrade would leave one behind). */
function saveCache(folder: string, name: string, data: Buffer): void {
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    // Written aside and renamed: a process starting meanwhile reads the old file or the new one, never half.
    const partial = join(folder, `${name}.${process.pid}.partial`);
    writeFileSync(partial, data, { mode: 0o600 });
    renameSync(partial, join(folder, name));
    for (const other of readdirSync(folder)) {
      if (other !== name && other.startsWith('cli-') && other.endsWith('.v8cache')) unlinkSync(join(folder, other));
    }
  } catch {
    // No cache is only slower.
  }
}

function load(): void {
  // esbuild writes ASCII only (its default charset), so latin1 reads the same text without UTF-8 decoding.
  const source = readFileSync(ENGINE, 'latin1');
  const folder = cacheFolder();
  // The build's size and time stand for its contents: hashing 0.6 MB on every start cost more than it saved.
  const { size, mtimeMs } = statSync(ENGINE);
  const name = `cli-${size}-${Math.round(mtimeMs)}-${process.version}-${process.arch}.v8cache`;
  let cached: Buffer | undefined;
  if (folder) {
    try {
      cached = readFileSync(join(folder, name));
    } catch {
      cached = undefined;
    }
  }
  const script = new Script(Module.wrap(source), {
    filename: ENGINE,
    ...(cached ? { cachedData: cached } : {}),
  });
  if (folder && (!cached || script.cachedDataRejected === true)) {
    // Taken at exit, so that it holds every function this run compiled, not only the top level.
    process.once('exit', () => saveCache(folder, name, script.createCachedData()));
  }
  const engine = { exports: {} };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  // The engine's `require` resolves from dist/, as if Node had loaded the file itself (./cli-route.js, onnxruntime-node).
  run.call(engine.exports, engine.exports, createRequire(ENGINE), engine, ENGINE, dirname(ENGINE));
}

load();
