import { unknownScoreFunction } from '../../src/core/rules/MOE006-unknown-score-function';
import { ProjectIndex } from '../../src/core/project';
import { PLAIN_PY, runRuleTests } from '../rule-tester';

/**
 * A torchtitan checkout whose router config declares the score functions it implements, as pytorch/torchtitan's
 * common/moe.py does (main: `Literal["softmax", "sigmoid"]`; its DeepSeek-V4 branch @91d5e3d adds "sqrtsoftplus").
 */
function torchtitan(choices: string): ProjectIndex {
  const index = new ProjectIndex();
  index.setText(
    '/w/torchtitan/models/common/moe.py',
    `from dataclasses import dataclass\nfrom typing import Literal\n\nclass TokenChoiceTopKRouter:\n    @dataclass(kw_only=True, slots=True)\n    class Config:\n        num_experts: int\n        top_k: int = 1\n        score_func: Literal[${choices}] = "sigmoid"\n`,
  );
  return index;
}
const V4 = '/w/torchtitan/models/deepseek_v4/__init__.py';
const v4 = (score: string): string =>
  `from torchtitan.models.common.moe import TokenChoiceTopKRouter\n\nrouter = TokenChoiceTopKRouter.Config(num_experts=256, top_k=6, score_func="${score}")\n`;

runRuleTests(unknownScoreFunction, {
  valid: [
    { name: 'softmax', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=2, score_func="softmax")\n' },
    { name: 'sigmoid in single quotes', file: PLAIN_PY, code: "a = MoEArgs(num_experts=8, top_k=2, score_func='sigmoid')\n" },
    { name: 'a variable is not checked', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=2, score_func=SCORE)\n' },
    {
      name: 'sqrtsoftplus where the router class of the workspace declares it (torchtitan @91d5e3d, DeepSeek-V4)',
      file: V4,
      code: v4('sqrtsoftplus'),
      project: torchtitan('"softmax", "sigmoid", "sqrtsoftplus"'),
    },
  ],
  invalid: [
    {
      name: "sqrtsoftplus where the workspace's router class declares only softmax and sigmoid (torchtitan main)",
      file: V4,
      code: v4('sqrtsoftplus'),
      project: torchtitan('"softmax", "sigmoid"'),
      errors: [{ messageId: 'unknown', text: '"sqrtsoftplus"', includes: ['Unknown score function "sqrtsoftplus": torchtitan\'s router raises', 'Known score functions for torchtitan: "softmax", "sigmoid".'] }],
      output: null,
    },
    {
      name: "a misspelling is measured against the class's own choices",
      file: V4,
      code: v4('sqrtsoftplux'),
      project: torchtitan('"softmax", "sigmoid", "sqrtsoftplus"'),
      errors: [{ messageId: 'unknown', includes: ['did you mean "sqrtsoftplus"'] }],
      output: v4('sqrtsoftplus'),
    },
    {
      name: 'misspelt softmax gets a did-you-mean fix',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=8, top_k=2, score_func="softmx")\n',
      errors: [{ messageId: 'unknown', text: '"softmx"', includes: ['did you mean "softmax"', "torchtitan raises NotImplementedError in the router's forward."] }],
      output: 'a = MoEArgs(num_experts=8, top_k=2, score_func="softmax")\n',
    },
    {
      name: 'sqrtsoftplus is Megatron-only, and too far from any torchtitan name for a fix',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=8, top_k=2, score_func="sqrtsoftplus")\n',
      errors: [{ messageId: 'unknown' }],
      output: null,
    },
    {
      name: 'HF DeepSeek scoring_func typo',
      file: 'config.json',
      code: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "scoring_func": "sigmod"}',
      errors: [{ messageId: 'unknown', text: '"sigmod"', includes: ['Unknown score function "sigmod" (did you mean "sigmoid"?): transformers ignores it; vLLM raises', 'transformers ignores it (sigmoid is hard-coded) while vLLM raises "Unsupported scoring function".'] }],
      output: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "scoring_func": "sigmoid"}',
    },
  ],
});
