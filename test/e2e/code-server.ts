/**
 * Starts a cached code-server on 127.0.0.1: with the packaged VSIX installed (the e2e tests), or bare, for
 * the extension-host suite, which loads the extension under development through the workbench payload.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { installCodeServer } from '../../scripts/e2e/code-server-install.mjs';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const VSIX = join(ROOT, 'moe-lens.vsix');

export interface CodeServerOptions {
  /** Install moe-lens.vsix (default). Off for the extension-host suite, which loads the working tree. */
  readonly installVsix?: boolean;
  /** VS Code server options code-server does not model itself (`--vscode-option`). */
  readonly vscodeOptions?: readonly string[];
  /** Extra environment for the server, inherited by its extension host. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface CodeServer {
  /** host:port, the remote authority of `vscode-remote://` URIs in this server's workbench. */
  readonly authority: string;
  readonly url: string;
  readonly workspace: string;
  readonly userDataDir: string;
  /** Where MoE Lens's bundle runs from: the installed VSIX, or the working tree for the extension-host suite. */
  readonly extensionRoot: string;
  readonly log: () => string;
  stop(): Promise<void>;
  /** Deletes the scratch folder (workspace copy, user data, logs) once its logs have been read; kept when MOE_LENS_KEEP_SCRATCH is set. */
  removeFiles(): void;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const installVsix = options.installVsix ?? true;
  if (installVsix && !existsSync(VSIX)) throw new Error(`${VSIX} is missing: run npm run package first`);
  const { binary, nodeBin } = installCodeServer();
  const env = { ...process.env, ...options.env, PATH: `${nodeBin}:${process.env.PATH}` };
  const base = mkdtempSync(join(tmpdir(), 'moe-lens-e2e-'));
  const [userDataDir, extensionsDir, workspace] = ['user', 'extensions', 'workspace'].map((d) => join(base, d)) as [string, string, string];
  cpSync(join(ROOT, 'examples'), workspace, { recursive: true });
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'workbench.tips.enabled': false,
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'editor.minimap.enabled': false,
      'chat.disableAIFeatures': true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden', // an empty chat side bar would take a quarter of each screenshot
      'workbench.colorTheme': 'Default Dark Modern',
      'moeLens.lint.debounceMs': 100,
    }),
  );
  if (installVsix) {
    const install = spawnSync(binary, ['--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', VSIX], { env, encoding: 'utf8' });
    if (install.status !== 0 || !/successfully installed/.test(install.stdout + install.stderr)) throw new Error(`installing the VSIX failed: ${install.stdout}${install.stderr}`);
  }

  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(
    binary,
    [
      ...['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust'],
      ...['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir],
      ...(options.vscodeOptions ?? []).flatMap((option) => ['--vscode-option', option]),
      workspace,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 60_000;
  while (!output.includes('HTTP server listening')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`code-server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    authority: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`,
    workspace,
    userDataDir,
    extensionRoot: installVsix ? join(extensionsDir, readdirSync(extensionsDir).find((d) => d.startsWith('moe-lens.moe-lens-'))!) : ROOT,
    log: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    removeFiles: () => removeScratch(base),
  };
}

/** Deletes an editor suite's scratch folder, unless MOE_LENS_KEEP_SCRATCH is set (then says where it is). */
export function removeScratch(dir: string): void {
  if (process.env.MOE_LENS_KEEP_SCRATCH) console.log(`# kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

/** The log files under a user-data dir whose names pass `wanted` (VS Code writes them under logs/<session>/). */
export function logFiles(userDataDir: string, wanted: (name: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (wanted(entry.name)) found.push(full);
    }
  };
  if (existsSync(join(userDataDir, 'logs'))) walk(join(userDataDir, 'logs'));
  return found;
}

/**
 * Errors the extension host logged with a stack through MoE Lens's bundle (`<extensionRoot>/dist/`), start-up
 * included: an unhandled rejection or an exception that escaped MoE Lens is only logged by the host, so
 * asserts on what the user sees would miss it.
 */
export function escapedErrors(userDataDir: string, extensionRoot: string): string[] {
  const bundle = join(extensionRoot, 'dist') + '/';
  return logFiles(userDataDir, (name) => /exthost\.log$/i.test(name)).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split(/\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \[)/)
      .filter((entry) => entry.includes('[error]') && entry.includes(bundle)),
  );
}

/** The MoE Lens output-channel log the extension host wrote, if any. */
export function extensionLog(userDataDir: string): string {
  return logFiles(userDataDir, (name) => name.endsWith('MoE Lens.log'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}
