/**
 * `npm run test:vscode`: runs the extension-host suite (test/vscode/suite, mocha) inside every VS Code it
 * can reach, each time on a scratch copy of examples/ with the extension under development loaded:
 *
 * - desktop VS Code through @vscode/test-electron: the one VSCODE_EXECUTABLE names, or a download;
 * - code-server's extension host (the cached code-server of the e2e suite): the workbench takes
 *   `extensionDevelopmentPath` / `extensionTestsPath` from its `payload` URL parameter when the server runs
 *   with `--enable-smoke-test-driver`, and reports the exit code through `window.codeAutomationExit`.
 *
 * A host that cannot run says why in one line and does not count as passed. Exits 0 only when at least one
 * host ran the suite and every host that ran it passed.
 *
 *   --host=electron|code-server   run on that host only
 *   --grep=TEXT                   run the tests whose full title contains TEXT
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS } from '../browser/harness';
import { escapedErrors, removeScratch, ROOT, startCodeServer, type CodeServer } from '../e2e/code-server';
import type { SuiteResults } from './runner';

const OUT = join(ROOT, 'dist', 'test-vscode');
const RUNNER = join(OUT, 'runner.js');
const SUITE_TIMEOUT_MS = 10 * 60_000;

type HostName = 'electron' | 'code-server';
type HostOutcome =
  | { readonly ran: false; readonly why: string }
  | { readonly ran: true; readonly results?: SuiteResults; readonly exitCode: number; readonly seconds: number; readonly escaped: readonly string[] };

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const grep = args.get('grep');
const only = args.get('host') as HostName | undefined;
if (only && only !== 'electron' && only !== 'code-server') throw new Error(`--host must be electron or code-server, not ${only}`);

async function buildSuite(): Promise<void> {
  const suites = readdirSync(join(ROOT, 'test', 'vscode', 'suite')).filter((f) => f.endsWith('.suite.ts'));
  await esbuild.build({
    // Flat: the runner loads every *.suite.js next to itself.
    entryPoints: [
      { in: join(ROOT, 'test', 'vscode', 'runner.ts'), out: 'runner' },
      ...suites.map((f) => ({ in: join(ROOT, 'test', 'vscode', 'suite', f), out: f.replace(/\.ts$/, '') })),
    ],
    outdir: OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
}

/** A fresh copy of examples/ to open as the workspace: the suite edits and creates files in it. */
function scratchWorkspace(): { workspace: string; base: string } {
  const base = mkdtempSync(join(tmpdir(), 'moe-lens-vscode-'));
  const workspace = join(base, 'workspace');
  cpSync(join(ROOT, 'examples'), workspace, { recursive: true });
  return { workspace, base };
}

const testEnv = (results: string): Record<string, string> => ({ MOE_LENS_TEST_RESULTS: results, ...(grep ? { MOE_LENS_TEST_GREP: grep } : {}) });

function readResults(file: string): SuiteResults | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SuiteResults) : undefined;
}

async function runInElectron(): Promise<HostOutcome> {
  const { downloadAndUnzipVSCode, runTests } = await import('@vscode/test-electron');
  let executable = process.env.VSCODE_EXECUTABLE;
  if (!executable) {
    try {
      executable = await Promise.race([
        downloadAndUnzipVSCode({ version: 'stable', timeout: 15_000, cachePath: join(ROOT, '.vscode-test') }),
        new Promise<never>((_, fail) => setTimeout(() => fail(new Error('no answer in 60 s')), 60_000).unref()),
      ]);
    } catch (error) {
      const reason = String((error as Error)?.message ?? error).split('\n')[0];
      return { ran: false, why: `VSCODE_EXECUTABLE is not set and VS Code could not be downloaded (${reason})` };
    }
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { ran: false, why: `${executable} needs a display: run under xvfb-run -a` };
  }
  const { workspace, base } = scratchWorkspace();
  const results = join(base, 'results.json');
  const userDataDir = join(base, 'user');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ 'workbench.startupEditor': 'none', 'moeLens.lint.debounceMs': 100 }));
  const started = Date.now();
  let exitCode: number;
  try {
    exitCode = await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: RUNNER,
      extensionTestsEnv: testEnv(results),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--user-data-dir', userDataDir],
    });
  } catch (error) {
    // TestRunFailedError carries VS Code's exit code; anything else (spawn failure) counts as 1.
    exitCode = typeof (error as { code?: unknown })?.code === 'number' ? (error as { code: number }).code : 1;
  }
  const outcome: HostOutcome = { ran: true, results: readResults(results), exitCode, seconds: (Date.now() - started) / 1000, escaped: escapedErrors(userDataDir, ROOT) };
  removeScratch(base);
  return outcome;
}

async function runInCodeServer(): Promise<HostOutcome> {
  // startCodeServer makes its own copy of examples/ to open; this folder only receives the results.
  const results = join(mkdtempSync(join(tmpdir(), 'moe-lens-vscode-')), 'results.json');
  let server: CodeServer;
  try {
    server = await startCodeServer({ installVsix: false, vscodeOptions: ['enable-smoke-test-driver'], env: testEnv(results) });
  } catch (error) {
    return { ran: false, why: `code-server could not be installed or started (${String((error as Error)?.message ?? error).split('\n')[0]})` };
  }
  const started = Date.now();
  let exitCode = -1;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let exit!: (code: number) => void;
    const exited = new Promise<number>((resolve) => (exit = resolve));
    await page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
    // The extension host's console reaches the page's: relay the runner's progress lines as they come.
    page.on('console', (message) => {
      const text = message.text().replace(/^%c\s*\w+\s+color:\s*#\w+\s+/, '');
      if (/^(ok {2}|FAIL|skip) /.test(text)) console.log(`  ${text}`);
    });
    const remote = (path: string): string => `vscode-remote://${server.authority}${path}`;
    const payload = [
      ['extensionDevelopmentPath', remote(ROOT)],
      ['extensionTestsPath', remote(RUNNER)],
    ];
    await page.goto(`${server.url}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(-1), SUITE_TIMEOUT_MS).unref());
    exitCode = await Promise.race([exited, timeout]);
    if (exitCode === -1) console.log(`  the suite did not finish within ${SUITE_TIMEOUT_MS / 60_000} minutes; server log:\n${server.log().slice(-3000)}`);
  } finally {
    await browser?.close();
    await server.stop();
  }
  // Read the extension host's log once the server has stopped and flushed it.
  const outcome: HostOutcome = { ran: true, results: readResults(results), exitCode, seconds: (Date.now() - started) / 1000, escaped: escapedErrors(server.userDataDir, server.extensionRoot) };
  server.removeFiles();
  removeScratch(dirname(results));
  return outcome;
}

function report(name: HostName, outcome: HostOutcome): boolean {
  const label = name.padEnd(11);
  if (!outcome.ran) {
    console.log(`${label} NOT RUN: ${outcome.why}`);
    return false;
  }
  const tests = outcome.results?.tests ?? [];
  const passed = tests.filter((t) => t.state === 'passed').length;
  for (const failure of tests.filter((t) => t.state === 'failed')) console.log(`${label} FAIL ${failure.title}\n${failure.error}\n`);
  for (const measurement of outcome.results?.measurements ?? []) console.log(`${label} measured: ${measurement}`);
  for (const error of outcome.escaped) console.log(`${label} ESCAPED from MoE Lens (logged by the extension host):\n${error}\n`);
  const ok = outcome.exitCode === 0 && passed > 0 && passed === tests.filter((t) => t.state !== 'pending').length && outcome.escaped.length === 0;
  const where = outcome.results?.host ?? 'no results written';
  const escapedNote = outcome.escaped.length > 0 ? `; ${outcome.escaped.length} error(s) escaped` : '; nothing escaped';
  console.log(`${label} ${ok ? 'passed' : 'FAILED'}: ${passed} of ${tests.length} tests in ${outcome.seconds.toFixed(0)} s (${where}; exit code ${outcome.exitCode}${escapedNote})`);
  return ok;
}

await buildSuite();
const hosts: [HostName, () => Promise<HostOutcome>][] = [
  ['electron', runInElectron],
  ['code-server', runInCodeServer],
];
const verdicts: boolean[] = [];
let ran = 0;
for (const [name, runHost] of hosts) {
  if (only && only !== name) continue;
  console.log(`${name.padEnd(11)} running the extension-host suite…`);
  const outcome = await runHost();
  if (outcome.ran) {
    ran++;
    verdicts.push(report(name, outcome));
  } else report(name, outcome);
}
if (ran === 0) console.log('test:vscode: the suite ran in no editor; this is not a pass.');
process.exit(ran > 0 && verdicts.every(Boolean) ? 0 : 1);
