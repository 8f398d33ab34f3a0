import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintText } from '../src/core/lint';
import { suppressionEdit } from '../src/core/suppressions';
import { applyEdits, LineIndex } from '../src/core/text/source';

const apply = (file: string, text: string, code: string, scope: 'line' | 'file', line = 0): string | undefined => {
  const edit = suppressionEdit(file, text, new LineIndex(text), code, scope, line);
  return edit && applyEdits(text, [edit]).text;
};

describe('suppress from the lightbulb', () => {
  it('a line comment silences exactly that finding, and a second code joins the first', () => {
    const text = 'gptoss_configs = {\n    "120b": MoEArgs(num_experts=128, top_k=8, score_func="softmax", route_norm=True, gate_bias=True, topk_before_score=False),\n}\n';
    const file = 'torchtitan/models/gpt_oss/__init__.py';
    assert.ok(lintText(file, text).diagnostics.some((d) => d.code === 'MOE001'));
    const silenced = apply(file, text, 'MOE001', 'line', 1)!;
    assert.match(silenced.split('\n')[1]!, /\), {2}# moe-lens: disable=MOE001$/);
    assert.ok(!lintText(file, silenced).diagnostics.some((d) => d.code === 'MOE001'));
    assert.match(apply(file, silenced, 'MOE010', 'line', 1)!.split('\n')[1]!, /# moe-lens: disable=MOE001,MOE010$/);
  });

  it('a file comment goes first (after a shebang); JSON cannot hold one; a continued shell line is not offered', () => {
    assert.equal(apply('run.sh', '#!/bin/bash\ntorchrun x.py --moe-router-topk 1\n', 'MOE008', 'file'), '#!/bin/bash\n# moe-lens: disable-file=MOE008\ntorchrun x.py --moe-router-topk 1\n');
    assert.equal(apply('model.yaml', 'num_experts: 4\n', 'MOE008', 'file'), '# moe-lens: disable-file=MOE008\nnum_experts: 4\n');
    assert.equal(suppressionEdit('config.json', '{}', new LineIndex('{}'), 'MOE009', 'file'), undefined);
    const script = 'ARGS=" \\\n  --num-experts 4 \\\n  --moe-router-topk 1"\n';
    assert.equal(suppressionEdit('run.sh', script, new LineIndex(script), 'MOE008', 'line', 2), undefined);
  });
});
