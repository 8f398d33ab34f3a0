import { groupsWithTopkBeforeScore } from '../../src/core/rules/MOE007-groups-with-topk-before-score';
import { PLAIN_PY, runRuleTests } from '../rule-tester';

runRuleTests(groupsWithTopkBeforeScore, {
  valid: [
    { name: 'groups without the flag', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=64, top_k=4, num_expert_groups=8, num_limited_groups=2)\n' },
    { name: 'the flag without groups', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=64, top_k=4, topk_before_score=True)\n' },
  ],
  invalid: [
    {
      name: 'groups with topk_before_score=True',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=64, top_k=4, num_expert_groups=8, num_limited_groups=2, topk_before_score=True)\n',
      errors: [{ messageId: 'conflict', text: 'True', includes: ['cannot run with `topk_before_score`=True', 'Groups are chosen from the scores of all experts, but top-k-before-score only scores the k selected logits.'] }],
      output: 'a = MoEArgs(num_experts=64, top_k=4, num_expert_groups=8, num_limited_groups=2, topk_before_score=False)\n',
    },
  ],
});
