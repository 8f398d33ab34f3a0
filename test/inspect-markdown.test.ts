import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeDocument } from '../src/core/analyze';
import { inspectionMarkdown, reportConfig } from '../src/core/inspect';
import { LineIndex } from '../src/core/text/source';

describe('the editor\'s inspect view (Markdown)', () => {
  it('one table per config, with value, source and where; names from the file cannot break the table', () => {
    const text = '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "norm_topk_prob": true}';
    const lines = new LineIndex(text);
    const reports = analyzeDocument('a|b`c/config.json', text).specs.map((spec) => reportConfig(spec, 'config.json', lines));
    const markdown = inspectionMarkdown('a|b`c/config.json', reports);
    assert.match(markdown, /^# a\\\|b`c\/config\.json\n/);
    // The field's name, and the key as the file spells it where that differs (issue #12: names as the file spells them).
    assert.match(markdown, /\| `top_k` \(` num_experts_per_tok `\) \| ` 8 ` \| literal \| line 1 \|/);
    assert.match(markdown, /\| `num_experts` \| ` 128 ` \| literal \| line 1 \|/);
    assert.equal(reports[0]!.fields.top_k.key, 'num_experts_per_tok');
    assert.equal(reports[0]!.fields.num_experts.key, undefined, 'spelled as the field is named');
    assert.match(markdown, /Note: softmax over all experts, top-8, then renormalise is the same routing/);
  });

  it('with the group count unknown, the groups kept show as written, not as "no groups"', () => {
    // luukkonenr/megatron-workdir-lumi train-moe.sh l.262 (trimmed): `--moe-router-num-groups ${EP}` from the
    // environment made `--moe-router-group-topk 4` read as None, as if no group limited the routing.
    const text = 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 8 --moe-router-num-groups ${EP} --moe-router-group-topk 4\n';
    const [report] = analyzeDocument('train-moe.sh', text).specs.map((spec) => reportConfig(spec, 'train-moe.sh', new LineIndex(text)));
    assert.deepEqual([report!.fields.num_expert_groups.source, report!.fields.num_limited_groups.value, report!.fields.num_limited_groups.source], ['unknown', 4, 'literal']);
  });

  it('notes what a router does that no field shows (Hunyuan-A13B drops tokens over its own capacity)', () => {
    const text = '{"model_type": "hunyuan", "num_experts": 64, "moe_topk": [8, 8], "moe_drop_tokens": false}';
    const [report] = analyzeDocument('config.json', text).specs.map((spec) => reportConfig(spec, 'config.json', new LineIndex(text)));
    assert.match(report!.notes?.join('\n') ?? '', /the router itself drops what an expert receives beyond max\(k, ⌊k·T\/E⌋\) tokens of a batch \(.*modeling_hunyuan\.py topkgating L78\)/);
    const other = '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "norm_topk_prob": false}';
    const [plain] = analyzeDocument('config.json', other).specs.map((spec) => reportConfig(spec, 'config.json', new LineIndex(other)));
    assert.equal(plain!.notes, undefined, 'nothing to note');
  });

  it('says why when a file holds no config it understands', () => {
    assert.match(inspectionMarkdown('x.py', [], 'could not parse this Python'), /No router config MoE Lens understands: could not parse this Python/);
    assert.match(inspectionMarkdown('x.py', []), /No MoE router config in this file\./);
  });
});
