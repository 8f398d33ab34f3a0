/**
 * A launch that passes flags MoE Lens cannot read (`$EXTRA_ARGS`) may set any flag it does not write: no rule may
 * assert on Megatron's default for one. Checked for the shape of every published model, so that a new model or rule
 * cannot bring back the false findings this caught (MOE008 errors on both Llama 4s, MOE001 on GLM-4.5's scale).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintText } from '../../src/core/lint';
import { ProjectIndex } from '../../src/core/project';
import { PUBLISHED_MODELS } from '../../src/core/references/published-models';

const launch = (m: (typeof PUBLISHED_MODELS)[number], tail: string): string =>
  `torchrun pretrain_gpt.py --num-layers ${m.shape.layers} --hidden-size ${m.shape.hidden} --num-experts ${m.experts.value} --moe-router-topk ${m.topK.value}${tail}\n`;

describe('a Megatron launch that passes $EXTRA_ARGS', () => {
  for (const model of PUBLISHED_MODELS) {
    it(`${model.id}: its counts and nothing else give no finding`, () => {
      const found = lintText('train.sh', launch(model, ' $EXTRA_ARGS'), new ProjectIndex()).diagnostics.map((d) => `${d.code} ${d.message}`);
      assert.deepEqual(found, []);
    });
  }

  it('the same launches writing every flag do compare the defaults (the test above is not quiet for nothing)', () => {
    const glm = PUBLISHED_MODELS.find((m) => m.id === 'glm-4.5')!;
    const codes = lintText('train.sh', launch(glm, ''), new ProjectIndex()).diagnostics.map((d) => d.code);
    assert.ok(codes.includes('MOE001'), codes.join(', '));
  });
});
