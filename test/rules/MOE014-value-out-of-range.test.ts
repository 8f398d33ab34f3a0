import { valueOutOfRange } from '../../src/core/rules/MOE014-value-out-of-range';
import { PLAIN_PY, runRuleTests } from '../rule-tester';

runRuleTests(valueOutOfRange, {
  valid: [
    { name: 'a float scaling factor loads', file: 'config.json', code: '{"model_type": "deepseek_v3", "n_routed_experts": 64, "num_experts_per_tok": 6, "routed_scaling_factor": 1.0, "norm_topk_prob": true}' },
    { name: "NemotronHConfig declares `routed_scaling_factor: float | int`", file: 'config.json', code: '{"model_type": "nemotron_h", "n_routed_experts": 128, "num_experts_per_tok": 6, "routed_scaling_factor": 2}' },
    { name: 'a remote-code model is not checked against transformers\' classes (Kimi-K2)', file: 'config.json', code: '{"model_type": "kimi_k2", "n_routed_experts": 384, "num_experts_per_tok": 8, "routed_scaling_factor": 3}' },
    { name: 'decoder_sparse_step 1 (every layer sparse)', file: 'config.json', code: '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "decoder_sparse_step": 1}' },
    { name: 'interleave_moe_layer_step 0 with moe_layers listed (the step is not used)', file: 'config.json', code: '{"model_type": "llama4_text", "num_local_experts": 16, "num_experts_per_tok": 1, "interleave_moe_layer_step": 0, "moe_layers": [1, 3]}' },
    { name: 'sound values', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=2, route_scale=2.5, load_balance_coeff=1e-3)\n' },
    { name: 'load balancing off with None', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=2, load_balance_coeff=None)\n' },
  ],
  invalid: [
    // GigaChat3.1-10B-A1.8B (deepseek_v3) writes `"routed_scaling_factor": 1`: transformers 5.18.0 refuses it (jundot/omlx #432).
    {
      name: 'a config.json int where transformers 5.18 declares a float: the config does not load there',
      file: 'config.json',
      code: '{"model_type": "deepseek_v3", "n_routed_experts": 64, "num_experts_per_tok": 6, "routed_scaling_factor": 1}',
      errors: [{ messageId: 'strictType', text: '1', severity: 'warning', includes: ['not a float: transformers 5.18.0 refuses to load the config', 'Its config class (deepseek_v3) declares', "expected float, got int"] }],
      output: '{"model_type": "deepseek_v3", "n_routed_experts": 64, "num_experts_per_tok": 6, "routed_scaling_factor": 1.0}',
    },
    {
      name: 'a config.json int where transformers 5.18 declares a float, in a file that names its own code',
      file: 'config.json',
      code: '{"model_type": "deepseek_v3", "auto_map": {"AutoConfig": "configuration_deepseek.DeepseekV3Config"}, "n_routed_experts": 64, "num_experts_per_tok": 6, "routed_scaling_factor": 2}',
      errors: [{ messageId: 'strictType', text: '2', includes: ['loaded with trust_remote_code'] }],
      output: '{"model_type": "deepseek_v3", "auto_map": {"AutoConfig": "configuration_deepseek.DeepseekV3Config"}, "n_routed_experts": 64, "num_experts_per_tok": 6, "routed_scaling_factor": 2.0}',
    },
    {
      name: 'a config.json int where transformers 5.18 declares a bool',
      file: 'config.json',
      code: '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "norm_topk_prob": 1}',
      errors: [{ messageId: 'strictType', text: '1', severity: 'warning', includes: ['not a bool'] }],
      output: '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "norm_topk_prob": true}',
    },
    {
      name: 'HF-011: decoder_sparse_step 0 (Qwen3 MoE divides by it)',
      file: 'config.json',
      code: '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "decoder_sparse_step": 0}',
      errors: [{ messageId: 'stepZero', text: '0', includes: ['ZeroDivisionError', 'transformers tests `(layer_idx + 1) % decoder_sparse_step` for every layer and fails with "ZeroDivisionError: integer division or modulo by zero".'] }],
      output: null,
    },
    {
      name: 'HF-008: interleave_moe_layer_step 0 without moe_layers (Llama 4 range step)',
      file: 'config.json',
      code: '{"model_type": "llama4_text", "num_local_experts": 16, "num_experts_per_tok": 1, "interleave_moe_layer_step": 0}',
      errors: [{ messageId: 'stepZero', text: '0', includes: ['range() arg 3 must not be zero', 'Llama4TextConfig builds `range(interleave_moe_layer_step - 1, num_hidden_layers, interleave_moe_layer_step)` and fails with "ValueError: range() arg 3 must not be zero".', 'Use 1 for every layer MoE, or list `moe_layers`.'] }],
      output: null,
    },
    {
      name: 'float top_k is rewritten as an integer',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=8, top_k=2.0)\n',
      errors: [{ messageId: 'integralFloat', text: '2.0', includes: ['`torch.topk` and `view` reject floats.'] }],
      output: 'a = MoEArgs(num_experts=8, top_k=2)\n',
    },
    {
      name: 'string count in JSON',
      file: 'config.json',
      code: '{"model_type": "mixtral", "num_local_experts": "8", "num_experts_per_tok": 2}',
      errors: [{ messageId: 'numericString', text: '"8"' }],
      output: '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2}',
    },
    { name: 'fractional count', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=2.5)\n', errors: [{ messageId: 'notInteger', text: '2.5' }], output: null },
    { name: 'zero route_scale', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=2, route_scale=0.0)\n', errors: [{ messageId: 'scaleNotPositive', text: '0.0', includes: ["the experts' outputs are zeroed or flipped"] }], output: null },
    { name: 'negative route_scale', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=2, route_scale=-1)\n', errors: [{ messageId: 'scaleNotPositive', text: '-1' }], output: null },
    { name: 'zero load_balance_coeff', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=2, load_balance_coeff=0)\n', errors: [{ messageId: 'coeffNotPositive', text: '0', includes: ['use None to turn balancing off', 'torchtitan asserts `load_balance_coeff > 0`.'] }], output: null },
    { name: 'zero experts', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=0, top_k=2)\n', errors: [{ messageId: 'expertsNotPositive', text: '0', includes: ['Megatron: "num_moe_experts must be non-negative."'] }], output: null },
  ],
});
