import { aliasConflict } from '../../src/core/rules/MOE009-alias-conflict';
import { runRuleTests } from '../rule-tester';

runRuleTests(aliasConflict, {
  valid: [
    { name: 'aliases agree', file: 'config.json', code: '{"model_type": "gpt_oss", "num_local_experts": 128, "num_experts_per_tok": 4, "experts_per_token": 4}' },
    { name: 'one key only', file: 'config.json', code: '{"model_type": "gpt_oss", "num_local_experts": 128, "num_experts_per_tok": 4}' },
  ],
  invalid: [
    {
      name: 'experts_per_token disagrees with num_experts_per_tok',
      file: 'config.json',
      code: '{"model_type": "gpt_oss", "num_local_experts": 128, "num_experts_per_tok": 4, "experts_per_token": 8}',
      errors: [{ messageId: 'conflict', text: '8', includes: ['transformers gpt_oss reads `num_experts_per_tok`'] }],
      output: '{"model_type": "gpt_oss", "num_local_experts": 128, "num_experts_per_tok": 4, "experts_per_token": 4}',
    },
    {
      name: 'a key written twice: json.loads keeps the last',
      file: 'config.json',
      code: '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2, "num_experts_per_tok": 3}',
      errors: [{ messageId: 'conflict', text: '2' }],
      output: '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 3, "num_experts_per_tok": 3}',
    },
    {
      name: 'expert-count aliases (DeepSeek attribute_map)',
      file: 'config.json',
      code: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_local_experts": 128, "num_experts_per_tok": 8}',
      errors: [{ messageId: 'conflict', text: '128' }],
      output: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_local_experts": 256, "num_experts_per_tok": 8}',
    },
  ],
});
