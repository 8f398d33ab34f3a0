/**
 * The entry point VS Code's extension host loads as `extensionTestsPath`: runs every `*.suite.js` bundled
 * next to it with mocha (TDD interface) inside the host, next to the extension under development.
 *
 * It writes one JSON result file (MOE_LENS_TEST_RESULTS) that the driver, test/vscode/run.mts, prints:
 * in code-server the extension host has no terminal of its own. The run fails (and the host exits non-zero)
 * when any test fails or none ran.
 */
import Mocha from 'mocha';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

export interface TestOutcome {
  readonly title: string;
  readonly state: 'passed' | 'failed' | 'pending';
  readonly durationMs: number;
  readonly error?: string;
}

/** Numbers a test measured (`measured(...)` in suite/helpers.ts), printed by the driver. */
export const MEASUREMENTS_KEY = '__moeLensMeasurements';

export interface SuiteResults {
  /** The editor that ran the suite, e.g. "code-server 1.139.1 (remote: 127.0.0.1:41557)" or "Visual Studio Code 1.106.0 (remote: none)". */
  readonly host: string;
  readonly tests: readonly TestOutcome[];
  readonly measurements?: readonly string[];
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', timeout: 60_000, color: false, reporter: Mocha.reporters.Base });
  const grep = process.env.MOE_LENS_TEST_GREP;
  if (grep) mocha.grep(grep);
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.suite.js')).sort()) mocha.addFile(join(__dirname, file));

  const tests: TestOutcome[] = [];
  const record = (test: Mocha.Test, state: TestOutcome['state'], error?: Error): void => {
    const outcome: TestOutcome = { title: test.fullTitle(), state, durationMs: test.duration ?? 0, ...(error ? { error: String(error.stack ?? error) } : {}) };
    tests.push(outcome);
    console.log(`${state === 'passed' ? 'ok  ' : state === 'failed' ? 'FAIL' : 'skip'} ${outcome.title}${error ? `\n     ${error.message}` : ''}`);
  };
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    runner.on('pass', (test) => record(test, 'passed'));
    runner.on('fail', (test, error) => record(test as Mocha.Test, 'failed', error));
    runner.on('pending', (test) => record(test, 'pending'));
  });

  const measurements = ((globalThis as Record<string, unknown>)[MEASUREMENTS_KEY] as string[] | undefined) ?? [];
  const results: SuiteResults = { host: `${vscode.env.appName} ${vscode.version} (remote: ${vscode.env.remoteName ?? 'none'})`, tests, measurements };
  if (process.env.MOE_LENS_TEST_RESULTS) writeFileSync(process.env.MOE_LENS_TEST_RESULTS, JSON.stringify(results, null, 2));
  if (failures > 0) throw new Error(`${failures} of ${tests.length} extension-host tests failed`);
  if (tests.filter((t) => t.state === 'passed').length === 0) throw new Error('no extension-host test ran');
}
