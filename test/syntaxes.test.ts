import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

const grammar = JSON.parse(readFileSync(resolve(import.meta.dirname, '../syntaxes/moe-routing-keys.injection.json'), 'utf8'));
const pattern = (name: string) => new RegExp(grammar.repository[name].match);

describe('routing-key injection grammar', () => {
  it('is injected into Python, JSON, YAML and TOML', () => {
    for (const scope of ['source.python', 'source.json', 'source.yaml', 'source.toml']) assert.ok(grammar.injectionSelector.includes(scope), scope);
  });

  it('scopes Python keyword arguments and dataclass fields, not other identifiers', () => {
    const re = pattern('python-keyword');
    assert.deepEqual('MoEArgs(top_k=8, topk=3)'.match(new RegExp(re.source, 'g')), ['top_k']);
    assert.ok(re.test('    topk_before_score: bool = False'));
    assert.ok(!re.test('x = top_k_value'));
  });

  it('scopes quoted JSON keys and bare YAML/TOML keys', () => {
    assert.equal('  "num_experts_per_tok": 4,'.match(pattern('quoted-key'))?.[2], 'num_experts_per_tok');
    assert.equal('moe_router_topk: 4'.match(pattern('bare-key'))?.[1], 'moe_router_topk');
    assert.equal('top_k = 4'.match(pattern('bare-key'))?.[1], 'top_k');
  });
});
