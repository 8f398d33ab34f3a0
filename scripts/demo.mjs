// `npm run demo`: shows MoE Lens on the bundled examples/ as a terminal user sees it, then applies the
// safe fixes to a scratch copy and prints the diff. (The repository's examples/ are never modified.)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'bin', 'moe-lens.js');
const run = (args, options = {}) => spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: root, ...options });

console.log('\n$ moe-lens lint examples\n');
run(['lint', 'examples', '--color']);

const scratch = mkdtempSync(join(tmpdir(), 'moe-lens-demo-'));
cpSync(join(root, 'examples'), join(scratch, 'examples'), { recursive: true });
cpSync(join(root, 'examples'), join(scratch, 'before'), { recursive: true });
console.log(`\n$ moe-lens lint --fix examples   (on a copy in ${scratch})\n`);
run(['lint', '--fix', 'examples', '--color'], { cwd: scratch });
console.log('\nWhat --fix changed:\n');
spawnSync('git', ['--no-pager', 'diff', '--no-index', '--color=always', 'before', 'examples'], { stdio: 'inherit', cwd: scratch });
console.log('\nRule docs: npx moe-lens rule MOE001 · all rules: npx moe-lens rules');
