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
      errors: [{ messageId: 'conflict', text: '8', includes: ['`experts_per_token` is 8, but transformers gpt_oss reads `num_experts_per_tok` (4)'] }],
      output: '{"model_type": "gpt_oss", "num_local_experts": 128, "num_experts_per_tok": 4, "experts_per_token": 4}',
    },
    {
      name: 'a key written twice: json.loads keeps the last',
      file: 'config.json',
      code: '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2, "num_experts_per_tok": 3}',
      errors: [{ messageId: 'conflict', text: '2' }],
      output: '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 3, "num_experts_per_tok": 3}',
    },
    // transformers sets an attribute_map alias after the field it stands for, so the alias is what the model runs
    // with (sweep 34: DeepseekV3Config.from_dict gives 128 here); the fix keeps it.
    {
      name: 'expert-count aliases (DeepSeek attribute_map): the alias wins',
      file: 'config.json',
      code: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_local_experts": 128, "num_experts_per_tok": 8}',
      errors: [{ messageId: 'conflict', text: '256', includes: ['transformers deepseek_v3 reads `num_local_experts`'] }],
      output: '{"model_type": "deepseek_v3", "n_routed_experts": 128, "num_local_experts": 128, "num_experts_per_tok": 8}',
    },
    {
      name: "ERNIE 4.5's top-k: num_experts_per_tok (an alias of the field moe_k) wins",
      file: 'config.json',
      code: '{"model_type": "ernie4_5_moe", "moe_num_experts": 64, "moe_k": 6, "num_experts_per_tok": 4}',
      errors: [{ messageId: 'conflict', text: '6', includes: ['reads `num_experts_per_tok`'] }],
      output: '{"model_type": "ernie4_5_moe", "moe_num_experts": 64, "moe_k": 4, "num_experts_per_tok": 4}',
    },
    {
      name: "Qwen3-MoE: num_local_experts (what transformers 5 saves) wins over num_experts",
      file: 'config.json',
      code: '{"model_type": "qwen3_moe", "num_experts": 128, "num_local_experts": 64, "num_experts_per_tok": 8}',
      errors: [{ messageId: 'conflict', text: '128', includes: ['reads `num_local_experts`'] }],
      output: '{"model_type": "qwen3_moe", "num_experts": 64, "num_local_experts": 64, "num_experts_per_tok": 8}',
    },
  ],
});
