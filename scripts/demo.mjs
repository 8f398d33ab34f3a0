// `npm run demo`: MoE Lens on the bundled examples/, as a user meets it.
// 1. The CLI: lint examples/, inspect one config (values and provenance), then --fix on a scratch copy, with the diff.
// 2. The editor: builds the VSIX and opens examples/ in VS Code with it installed — the local `code` when
//    there is one, otherwise a cached code-server on 127.0.0.1 (printing the URL). Interactive terminals keep
//    the server until Ctrl+C; non-interactive runs (CI, scripts) check that it serves the workbench and stop.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { installCodeServer } from './e2e/code-server-install.mjs';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'bin', 'moe-lens.js');
const run = (args, options = {}) => spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: root, ...options });

console.log('\n$ moe-lens lint examples\n');
run(['lint', 'examples', '--color']);

console.log('\n$ moe-lens inspect examples/torchtitan/gpt_oss/__init__.py   (what MoE Lens read, and where each value comes from)\n');
run(['inspect', 'examples/torchtitan/gpt_oss/__init__.py']);

const scratch = mkdtempSync(join(tmpdir(), 'moe-lens-demo-'));
cpSync(join(root, 'examples'), join(scratch, 'examples'), { recursive: true });
cpSync(join(root, 'examples'), join(scratch, 'before'), { recursive: true });
console.log(`\n$ moe-lens lint --fix examples   (on a copy in ${scratch})\n`);
run(['lint', '--fix', 'examples', '--color'], { cwd: scratch });
console.log('\nWhat --fix changed:\n');
spawnSync('git', ['--no-pager', 'diff', '--no-index', '--color=always', 'before', 'examples'], { stdio: 'inherit', cwd: scratch });

console.log('\nBuilding the VSIX…');
const packaged = spawnSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (packaged.status !== 0) process.exit(packaged.status ?? 1);
const vsix = join(root, 'moe-lens.vsix');

const code = spawnSync('code', ['--version'], { encoding: 'utf8' });
if (code.status === 0 && process.stdin.isTTY) {
  spawnSync('code', ['--install-extension', vsix, '--force'], { stdio: 'inherit' });
  spawnSync('code', [join(root, 'examples')], { stdio: 'inherit' });
  console.log('Opened examples/ in VS Code with MoE Lens installed.');
  process.exit(0);
}

let binary, nodeBin;
try {
  ({ binary, nodeBin } = installCodeServer());
} catch (error) {
  console.error(`\n${error.message}\nThe CLI part above ran; the editor part needs code-server (or a local \`code\`).`);
  process.exit(1);
}
const env = { ...process.env, PATH: `${nodeBin}:${process.env.PATH}` };
const base = join(process.env.MOE_LENS_CACHE ?? join(process.env.HOME ?? tmpdir(), '.cache', 'moe-lens'), 'demo');
const [userDataDir, extensionsDir] = [join(base, 'user'), join(base, 'extensions')];
mkdirSync(join(userDataDir, 'User'), { recursive: true });
writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false }));
spawnSync(binary, ['--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix, '--force'], { env, stdio: 'inherit' });

const port = await new Promise((done) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => done(free));
  });
});
const workspace = join(root, 'examples');
const server = spawn(binary, ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, workspace], { env, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((done) => server.stdout.on('data', (d) => String(d).includes('HTTP server listening') && done()));
const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
console.log(`\nMoE Lens is running in code-server: ${url}\nOpen torchtitan/gpt_oss/__init__.py, look at the Problems panel, press Ctrl+. on top_k=8, and click "Preview routing".`);
if (process.stdin.isTTY) {
  console.log('Press Ctrl+C to stop.');
  process.on('SIGINT', () => server.kill());
} else {
  const response = await fetch(url);
  const page = await response.text();
  console.log(`(non-interactive) the workbench answered HTTP ${response.status}${page.includes('workbench') ? ' with the VS Code workbench' : ''}; stopping.`);
  server.kill();
  process.exit(response.ok ? 0 : 1);
}
