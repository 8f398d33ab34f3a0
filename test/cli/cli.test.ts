import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ALL_RULES } from '../../src/core/rules/index';
import { CLI, copyExamples, moeLens, ROOT, scratchDir } from './cli-helpers';

describe('moe-lens lint', () => {
  it('exits 0 on clean files', () => {
    const result = moeLens(['lint', 'examples/hf/gpt-oss-120b/config.json', 'examples/hf/mixtral-8x7b']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), '');
  });

  it('exits 0 when there are only warnings and infos', () => {
    const result = moeLens(['lint', 'examples/torchtitan/moe']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /21:35\s+warning\s+`TokenChoiceTopKRouter` defaults `topk_before_score` to True, `MoEArgs` to False.*MOE002/);
    assert.match(result.stdout, /1 problem \(0 errors, 1 warning, 0 info\)/);
  });

  it("--details prints each problem's detail under its row: the framework's own message moved there (issue #12; helper review Q)", () => {
    const plain = moeLens(['lint', 'examples/megatron']).stdout;
    const detailed = moeLens(['lint', 'examples/megatron', '--details']).stdout;
    const quote = 'Megatron raises ValueError("Please use --moe-router-pre-softmax when topk is 1.")';
    assert.ok(!plain.includes(quote), plain);
    assert.match(detailed, /6:20\s+error\s+`moe_router_topk` is 1 with softmax after top-k: Megatron raises ValueError\s+MOE008\n\s+With softmax after top-k \(megatron\)/);
    assert.ok(detailed.includes(quote), detailed);
  });

  it('exits 1 on errors and prints stylish output with line:column and code', () => {
    const result = moeLens(['lint', 'examples/torchtitan/gpt_oss']);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /examples\/torchtitan\/gpt_oss\/__init__.py\n/);
    assert.match(result.stdout, /50:19\s+error\s+`top_k` is 8, but gpt-oss-120b routes to 4 of 128 experts/);
  });

  it('exits 2 on a missing path, naming it', () => {
    const result = moeLens(['lint', 'no/such/dir']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no\/such\/dir: no such file or directory/);
  });

  it('exits 2 on usage errors', () => {
    assert.equal(moeLens(['lint', '--format', 'xml']).status, 2);
    assert.equal(moeLens(['lint', '--rule', 'MOE999=off']).status, 2);
    assert.equal(moeLens(['frobnicate']).status, 2);
    assert.equal(moeLens(['--bogus']).status, 2);
  });

  it('--rule CODE=off silences a rule and CODE=error raises one', () => {
    const off = moeLens(['lint', 'examples/torchtitan/gpt_oss', '--rule', 'MOE001=off', '--format', 'json']);
    assert.equal(off.status, 0);
    assert.ok(!off.stdout.includes('MOE001'));
    const raised = moeLens(['lint', 'examples/torchtitan/moe', '--rule', 'MOE002=error']);
    assert.equal(raised.status, 1);
  });

  it('--format json has the shape of ESLint JSON with 1-based positions', () => {
    const result = moeLens(['lint', 'examples/torchtitan/gpt_oss', '--format', 'json']);
    const [file] = JSON.parse(result.stdout);
    assert.ok(file.filePath.endsWith('examples/torchtitan/gpt_oss/__init__.py'));
    assert.equal(file.errorCount, 1);
    assert.equal(file.warningCount, 0);
    const error = file.messages.find((m: { ruleId: string }) => m.ruleId === 'MOE001');
    assert.deepEqual(
      { severity: error.severity, line: error.line, column: error.column, endLine: error.endLine, endColumn: error.endColumn, fixable: error.fixable },
      { severity: 2, line: 50, column: 19, endLine: 50, endColumn: 20, fixable: false },
    );
    // The published value is an unsafe fix: not `fix` (what --fix applies), but one of the `suggestions`, as in ESLint.
    assert.equal(error.fix, undefined);
    const text = readFileSync(join(ROOT, 'examples/torchtitan/gpt_oss/__init__.py'), 'utf8');
    assert.deepEqual(error.suggestions.map((s: { desc: string; safety: string }) => [s.desc, s.safety]), [['Set `top_k` to 4 (published gpt-oss-120b)', 'unsafe']]);
    const [{ range, text: replacement }] = error.suggestions[0].edits;
    assert.equal(text.slice(0, range[0]) + replacement + text.slice(range[1]), text.replace(/top_k=8(?=,\n\s+use_grouped_mm=True,\n\s+load_balance_coeff=None,\n\s+\),\n\s+\),\n\})/, 'top_k=4'));
    assert.equal(file.messages.find((m: { level: string }) => m.level === 'info').severity, 1);
  });

  it('--format sarif is SARIF 2.1.0 with rules and regions', () => {
    const result = moeLens(['lint', 'examples', '--format', 'sarif']);
    const sarif = JSON.parse(result.stdout);
    assert.equal(sarif.version, '2.1.0');
    const run = sarif.runs[0];
    assert.equal(run.tool.driver.name, 'moe-lens');
    assert.ok(run.tool.driver.rules.some((r: { id: string; help: { markdown: string } }) => r.id === 'MOE001' && r.help.markdown.startsWith('# published-model-mismatch (MOE001)')));
    const result001 = run.results.find((r: { ruleId: string }) => r.ruleId === 'MOE001');
    assert.equal(result001.level, 'error');
    assert.equal(run.tool.driver.rules[result001.ruleIndex].id, 'MOE001');
    assert.deepEqual(result001.locations[0].physicalLocation.region, { startLine: 50, startColumn: 19, endLine: 50, endColumn: 20 });
    assert.equal(result001.locations[0].physicalLocation.artifactLocation.uri, 'examples/torchtitan/gpt_oss/__init__.py');
    assert.ok(run.results.some((r: { level: string }) => r.level === 'note'));
  });

  it('--fix applies the safe fixes, leaves the rest, and re-lints clean of what it fixed', () => {
    const dir = copyExamples();
    const result = moeLens(['lint', '--fix', '.'], dir);
    assert.match(result.stderr, /fixed 2 files/);
    assert.match(readFileSync(join(dir, 'torchtitan/moe/router.py'), 'utf8'), /topk_before_score: bool = False,/);
    assert.match(readFileSync(join(dir, 'torchtitan/deepseek_v3/__init__.py'), 'utf8'), /score_func="sigmoid",/);
    // A published value changes the routing, and another spelling another reader's value: unsafe, left for the user.
    assert.match(readFileSync(join(dir, 'torchtitan/gpt_oss/__init__.py'), 'utf8'), /top_k=8,/);
    assert.match(readFileSync(join(dir, 'hf/gpt-oss-120b-aliases/config.json'), 'utf8'), /"experts_per_token": 8,/);
    const after = JSON.parse(moeLens(['lint', '.', '--format', 'json'], dir).stdout) as { messages: { ruleId: string }[] }[];
    const codes = after.flatMap((f) => f.messages.map((m) => m.ruleId)).sort();
    assert.deepEqual(codes, ['MOE001', 'MOE001', 'MOE005', 'MOE008', 'MOE009', 'MOE010', 'MOE013', 'MOE015']);
  });

  it('--max-file-size skips larger files with one information note', () => {
    const result = moeLens(['lint', 'examples/torchtitan/gpt_oss', '--max-file-size', '1', '--format', 'json']);
    assert.equal(result.status, 0);
    const [file] = JSON.parse(result.stdout);
    assert.deepEqual(file.messages.map((m: { ruleId: string; level: string }) => [m.ruleId, m.level]), [['MOE000', 'info']]);
    assert.match(file.messages[0].message, /skipped this file: 2 KB is above the 1 KB limit/);
    assert.equal(moeLens(['lint', '--max-file-size', '0']).status, 2);
  });

  it("a file named bare, from its own folder, still has the folders above it (DeepSeek's inference/configs/*.json → inference/model.py)", () => {
    const dir = scratchDir('bare');
    mkdirSync(join(dir, 'inference', 'configs'), { recursive: true });
    writeFileSync(join(dir, 'inference', 'model.py'), 'from dataclasses import dataclass\n\n\n@dataclass\nclass ModelArgs:\n    n_routed_experts: int = 64\n    n_activated_experts: int = 6\n    score_func: str = "softmax"\n');
    writeFileSync(join(dir, 'inference', 'configs', 'config.json'), '{\n  "n_routed_experts": 64,\n  "n_activated_experts": 6,\n  "n_activated_expert": 6\n}\n');
    for (const [cwd, path] of [[join(dir, 'inference', 'configs'), 'config.json'], [dir, 'inference/configs/config.json']] as const) {
      const out = moeLens(['lint', path], cwd).stdout;
      assert.match(out, /`n_activated_expert` is not a keyword \(did you mean `n_activated_experts`\?\)/, `${path} from ${cwd}`);
      assert.match(out.split('\n')[0]!, new RegExp(`^${path.replace(/\./g, '\\.')}$`), 'printed as named');
    }
  });

  it('paths in messages are printed relative to the current folder, as files are (the engine works on absolute ones)', () => {
    const dir = scratchDir('relmsg');
    mkdirSync(join(dir, 'inference'), { recursive: true });
    writeFileSync(join(dir, 'inference', 'config.json'), '{"n_routed_experts": 64, "n_activated_experts": 6, "dim": 2048}\n');
    writeFileSync(join(dir, 'run.sh'), 'cd inference\ntorchrun --nproc-per-node 8 generate.py --ckpt-path /x --config config.json --interactive\n');
    const out = moeLens(['inspect', 'run.sh'], dir).stdout;
    assert.match(out, /the router is configured in inference\/config\.json/);
    assert.ok(!out.includes(dir), out);
    // Machine-readable output keeps absolute paths.
    assert.ok(moeLens(['inspect', 'run.sh', '--format', 'json'], dir).stdout.includes(join(dir, 'run.sh')));
  });

  it('--max-file-size: a larger file that names no MoE setting (a tokenizer vocabulary) is skipped silently', () => {
    const dir = scratchDir('vocab');
    // Words a BPE vocabulary holds ("experts", "router", "moe") are no setting.
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify(Object.fromEntries(['experts', 'router', 'moe', 'top', ...Array.from({ length: 200 }, (_, i) => `token${i}`)].map((t, i) => [t, i]))));
    const quiet = moeLens(['lint', dir, '--max-file-size', '1', '--format', 'json']);
    assert.equal(quiet.status, 0);
    assert.deepEqual(JSON.parse(quiet.stdout).flatMap((f: { messages: unknown[] }) => f.messages), []);
    writeFileSync(join(dir, 'vocab.json'), readFileSync(join(dir, 'vocab.json'), 'utf8').replace('"experts"', '"num_experts"'));
    assert.match(moeLens(['lint', dir, '--max-file-size', '1']).stdout, /skipped this file/);
  });

  it('reports unreadable and binary files without crashing', () => {
    const dir = scratchDir('junk');
    writeFileSync(join(dir, 'junk.py'), Buffer.from([0, 255, 254, 10, 40, 40, 40, 0x4d, 0x6f, 0x45]));
    writeFileSync(join(dir, 'config.json'), '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": ');
    const result = moeLens(['lint', dir, '--format', 'json']);
    assert.equal(result.status, 0, result.stderr);
    const files = JSON.parse(result.stdout) as { filePath: string; messages: { ruleId: string; line: number }[] }[];
    const json = files.find((f) => f.filePath.endsWith('config.json'))!;
    assert.deepEqual(json.messages.map((m) => m.ruleId), ['MOE000']);
  });
});

describe('moe-lens lint, hostile paths (issue #14)', () => {
  it('a FIFO named on the command line is reported, not read forever', () => {
    const dir = scratchDir('fifo');
    const fifo = join(dir, 'pipe.json');
    execFileSync('mkfifo', [fifo]);
    const result = moeLens(['lint', fifo]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /pipe\.json: not a regular file/);
    // Named relative to the current folder, it is reported as named.
    assert.match(moeLens(['lint', 'pipe.json'], dir).stderr, /^pipe\.json: not a regular file/m);
  });

  it('a loop of symbolic links is reported as one, not as a missing file', () => {
    const dir = scratchDir('loop');
    symlinkSync(join(dir, 'b.json'), join(dir, 'a.json'));
    symlinkSync(join(dir, 'a.json'), join(dir, 'b.json'));
    const result = moeLens(['lint', 'a.json'], dir);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^a\.json: a loop of symbolic links/m);
  });

  it('a reader that stops early (`| head`) ends the output quietly, without a stack trace', () => {
    const dir = scratchDir('epipe');
    const file = join(dir, 'moe.yaml');
    // Enough findings that the JSON is far larger than the pipe's buffer, so the write meets the closed pipe.
    writeFileSync(file, `num_moe_experts: 8\n${Array.from({ length: 20_000 }, (_, i) => `moe_router_topk: ${i % 8}\n`).join('')}`);
    const result = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" lint "${file}" --format json | head -c 10`], { encoding: 'utf8' });
    assert.equal(result.stdout, '[\n  {\n    ');
    assert.equal(result.stderr, '', 'nothing on stderr: no EPIPE stack trace');
  });

  it('--fix keeps a byte-order mark', () => {
    const dir = scratchDir('bom');
    const file = join(dir, 'config.json');
    writeFileSync(file, '\ufeff{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4, "scoring_func": "sigmoid "}');
    moeLens(['lint', '--fix', file]);
    const fixed = readFileSync(file, 'utf8');
    assert.equal(fixed.charCodeAt(0), 0xfeff);
    assert.ok(!fixed.includes('"sigmoid "'), fixed);
  });
});

describe('moe-lens inspect', () => {
  it('shows each field with its provenance, and never sends a file\'s control characters to the terminal', () => {
    const dir = scratchDir('inspect');
    const file = join(dir, 'config.json');
    // A value carrying an OSC 52 clipboard write and a line erase (issue #14).
    writeFileSync(file, '{"model_type": "mixtral", "_name_or_path": "x\u001b]52;c;cHduZWQ=\u0007\u001b[2K", "num_local_experts": 8, "num_experts_per_tok": 3, "num_experts_per_tok": 2}');
    const lint = moeLens(['lint', file]);
    assert.ok(!lint.stdout.includes('\u001b'), lint.stdout);
    const { stdout, status } = moeLens(['inspect', file]);
    assert.equal(status, 0);
    assert.ok(!stdout.includes('\u001b'), stdout);
    assert.match(stdout, /\\u001b\]52/);
    // Named by the field, and as the file spells it (issue #12).
    assert.match(stdout, /num_experts\s+8\s+literal\s+1:\d+ as num_local_experts\n/);
    assert.match(stdout, /top_k\s+2\s+literal\s+1:\d+ as num_experts_per_tok\n/);
    const json = JSON.parse(moeLens(['inspect', file, '--format', 'json']).stdout) as { configs: { fields: Record<string, { value: unknown; source: string }> }[] }[];
    const topK = json[0]!.configs[0]!.fields.top_k!;
    assert.equal(topK.value, 2, 'the key json.loads keeps (the last one)');
    assert.equal(topK.source, 'literal');
    assert.equal(json[0]!.configs[0]!.fields.score_func!.source, 'default');
  });
});

describe('moe-lens rules / rule', () => {
  it('lists every rule', () => {
    const result = moeLens(['rules']);
    assert.equal(result.status, 0);
    assert.equal(result.stdout.trim().split('\n').length, ALL_RULES.length);
    assert.match(result.stdout, /^MOE016 {2}unknown-key/m);
    assert.match(result.stdout, /^MOE001 {2}published-model-mismatch/m);
  });

  it('prints a rule doc with its sections', () => {
    const result = moeLens(['rule', 'MOE001']);
    assert.equal(result.status, 0);
    for (const heading of ['# published-model-mismatch (MOE001)', '## What it does', '## Why is this bad?', '## Example', 'Use instead:', '## References']) {
      assert.ok(result.stdout.includes(heading), heading);
    }
    assert.equal(JSON.parse(moeLens(['rule', 'published-model-mismatch', '--format', 'json']).stdout).code, 'MOE001');
  });

  it('exits 2 for an unknown rule', () => {
    const result = moeLens(['rule', 'MOE999']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no rule "MOE999"/);
  });
});
