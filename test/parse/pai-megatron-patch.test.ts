/**
 * Pai-Megatron-Patch's launches, verbatim from the corpus: the program the script runs decides which router routes
 * (src/core/parse/pai-megatron-patch.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeDocument } from '../../src/core/analyze';
import { renormalizes } from '../../src/core/model/router-spec';
import { ProjectIndex } from '../../src/core/project';
import { lintText } from '../../src/core/lint';

const CORPUS = join(import.meta.dirname, '..', 'corpus');
const LAUNCH = 'examples/qwen3/run_mcore_qwen3.sh';
/** The fork's import is real (yumc-afk @d6ae36c); upstream's sits in a string (alibaba @de17272). */
const PATCHED = join(CORPUS, 'sweep15/yumc-afk__Pai-Megatron-Patch@d6ae36c');
const UPSTREAM = join(CORPUS, 'more/alibaba__Pai-Megatron-Patch@de17272');

function projectOf(root: string, edit: (file: string, text: string) => string | undefined) {
  return new ProjectIndex((file) => (file.startsWith(root) && existsSync(file) ? edit(file, readFileSync(file, 'utf8')) : undefined));
}

function configs(root: string, edit: (file: string, text: string) => string | undefined = (_, text) => text, launch = LAUNCH) {
  const file = join(root, launch);
  return analyzeDocument(file, readFileSync(file, 'utf8'), projectOf(root, edit)).specs;
}

describe("Pai-Megatron-Patch's own routers: Qwen3-MoE", () => {
  it('renormalises the softmax weights where the launched program imports the patched layer specs', () => {
    const specs = configs(PATCHED);
    assert.deepEqual(specs.map((s) => s.name), ['run_mcore_qwen3 MODEL_SIZE=A3B', 'run_mcore_qwen3 MODEL_SIZE=A22B']);
    for (const spec of specs) {
      assert.equal(spec.order.value, 'score-then-topk', '--moe-router-pre-softmax');
      assert.equal(renormalizes(spec), true);
      assert.match(spec.normalize.defaultFrom?.label ?? '', /pretrain_qwen\.py builds its MoE layers with Pai-Megatron-Patch's megatron_patch\.model\.qwen3_moe\.gpt_layer_specs.*moe_utils\.py l\.76-77/);
    }
  });

  it("stays Megatron-LM's where that import sits in a string (upstream @de17272): no renormalisation", () => {
    for (const spec of configs(UPSTREAM)) {
      assert.equal(renormalizes(spec), false);
      assert.equal(spec.normalize.defaultFrom?.label, 'Megatron softmax paths');
    }
  });

  it('is unknown where the patch is not in the workspace or not the one MoE Lens knows, never a guess', () => {
    const utils = 'megatron_patch/model/qwen3_moe/moe/moe_utils.py';
    for (const spec of configs(PATCHED, (file, text) => (file.endsWith(utils) ? undefined : text))) assert.match(spec.normalize.unknown ?? '', /is not in this workspace/);
    const edited = configs(PATCHED, (file, text) => (file.endsWith(utils) ? text.replace('probs = probs / (probs.sum(dim=-1, keepdim=True) + 1e-20)', 'pass') : text));
    for (const spec of edited) assert.match(spec.normalize.unknown ?? '', /not the one MoE Lens knows/);
  });

  it('follows the last binding of get_gpt_decoder_block_spec: Megatron-LM\'s imported after the patch wins', () => {
    const program = 'examples/qwen3/pretrain_qwen.py';
    const after = (file: string, text: string) => (file.endsWith(program) ? text.replace('from megatron.core.transformer.spec_utils import import_module', 'from megatron.core.models.gpt.gpt_layer_specs import get_gpt_decoder_block_spec\nfrom megatron.core.transformer.spec_utils import import_module') : text);
    for (const spec of configs(PATCHED, after)) assert.equal(renormalizes(spec), false);
  });
});

/** 2024's layout, the fork's own router (abgoswam @9d3e557); and upstream after d981422, Megatron-LM's. */
const OWN_V2 = join(CORPUS, 'sweep15/abgoswam__Pai-Megatron-Patch@9d3e557');
const MEGATRON_V2 = join(CORPUS, 'sweep15/alibaba__Pai-Megatron-Patch@d981422');
const V2_LAUNCH = 'examples/deepseek_v2/run_mcore_deepseek.sh';

describe("Pai-Megatron-Patch's own routers: DeepSeek-V2", () => {
  it('softmax over all experts, then top-k, unrenormalised, unscaled, no bias, where the MoE layer imports the fork\'s router: no MOE001', () => {
    const specs = configs(OWN_V2, undefined, V2_LAUNCH);
    assert.equal(specs.length, 2);
    for (const spec of specs) {
      assert.deepEqual([spec.scoreFunc.value, spec.order.value, spec.normalize.value, spec.scale.value, spec.routerBias.value, spec.groups], ['softmax', 'score-then-topk', 'never', 1, false, undefined]);
      for (const field of [spec.scoreFunc, spec.order, spec.normalize, spec.scale, spec.routerBias]) assert.equal(field.defaultFrom?.fixed, true);
      assert.match(spec.order.defaultFrom?.label ?? '', /pretrain_deepseek\.py builds its MoE layers with Pai-Megatron-Patch's megatron_patch\.model\.deepseek_v2\.layer_specs, whose router \(megatron_patch\/model\/deepseek_v2\/moe\/router\.py/);
    }
    const file = join(OWN_V2, V2_LAUNCH);
    assert.deepEqual(lintText(file, readFileSync(file, 'utf8'), projectOf(OWN_V2, (_, text) => text)).diagnostics.map((d) => d.code), []);
  });

  it("stays Megatron-LM's where the MoE layer imports Megatron-LM's router (upstream @d981422): MOE001 holds", () => {
    for (const spec of configs(MEGATRON_V2, undefined, V2_LAUNCH)) assert.equal(spec.order.defaultFrom?.label, 'Megatron post-softmax default');
    const file = join(MEGATRON_V2, V2_LAUNCH);
    // DeepSeek-V2's renormalisation (none) and its scaling factor (16), neither of which Megatron's defaults give.
    assert.deepEqual(lintText(file, readFileSync(file, 'utf8'), projectOf(MEGATRON_V2, (_, text) => text)).diagnostics.map((d) => [d.code, d.message.match(/deepseek-v2-236b (.*)/)?.[1]]), [
      ['MOE001', 'scales by 16'],
      ['MOE001', 'does not renormalise weights'],
    ]);
  });

  it('leaves the router unknown where its code is not in the workspace or not the one known', () => {
    const router = 'megatron_patch/model/deepseek_v2/moe/router.py';
    for (const spec of configs(OWN_V2, (file, text) => (file.endsWith(router) ? undefined : text), V2_LAUNCH)) assert.match(spec.order.unknown ?? '', /whose router \(megatron_patch\/model\/deepseek_v2\/moe\/router\.py\) is not in this workspace/);
    for (const spec of configs(OWN_V2, (file, text) => (file.endsWith(router) ? text.replace('torch.topk(routing_weights', 'torch.topk(logits') : text), V2_LAUNCH)) assert.match(spec.normalize.unknown ?? '', /not the one MoE Lens knows/);
  });
});
