import { sizeNameMismatch } from '../../src/core/rules/MOE018-size-name-mismatch';
import { runRuleTests } from '../rule-tester';

const CONFIG = 'models/config.json';

/** Qwen3-30B-A3B's sizes as its published config.json writes them (30.5B total, 3.35B active). */
function qwen3(overrides: Record<string, unknown> = {}, name = 'Qwen/Qwen3-30B-A3B'): string {
  const config = {
    _name_or_path: name,
    architectures: ['Qwen3MoeForCausalLM'],
    model_type: 'qwen3_moe',
    vocab_size: 151936,
    hidden_size: 2048,
    num_hidden_layers: 48,
    num_attention_heads: 32,
    num_key_value_heads: 4,
    head_dim: 128,
    intermediate_size: 6144,
    moe_intermediate_size: 768,
    num_experts: 128,
    num_experts_per_tok: 8,
    norm_topk_prob: true,
    tie_word_embeddings: false,
    ...overrides,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** gpt-oss-120b's sizes (116.8B total; 5.13B active without the input embedding, as OpenAI counts). */
function gptOss(layers: number, name: string): string {
  return `${JSON.stringify({ _name_or_path: name, model_type: 'gpt_oss', vocab_size: 201088, hidden_size: 2880, num_hidden_layers: layers, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 64, intermediate_size: 2880, num_local_experts: 128, num_experts_per_tok: 4, tie_word_embeddings: false }, null, 2)}\n`;
}

runRuleTests(sizeNameMismatch, {
  valid: [
    { name: 'Qwen3-30B-A3B as published: 30.5B total, 3.35B active', file: CONFIG, code: qwen3() },
    { name: 'gpt-oss-120b as published: 116.8B is within 10% of 120B', file: CONFIG, code: gptOss(36, 'openai/gpt-oss-120b') },
    { name: 'a name that states no size (Mixtral "8x7B" names widths)', file: CONFIG, code: qwen3({ num_hidden_layers: 24 }, 'mistralai/Mixtral-8x7B-v0.1') },
    { name: 'a size missing from the file: nothing is counted, nothing asserted', file: CONFIG, code: qwen3({ num_hidden_layers: 24, vocab_size: undefined }) },
    { name: 'no name at all', file: CONFIG, code: qwen3({ num_hidden_layers: 24, _name_or_path: undefined }) },
    // torchtitan-npu @306d569's flavor `671B_debug_4_layers`: the published shape cut to 4 layers, and its name says so.
    { name: 'a name that says it cuts the model down (debug, 4 layers) states the full model\'s size', file: CONFIG, code: gptOss(24, 'my-org/gpt-oss-120b-debug-24-layers') },
    { name: 'a test variant', file: CONFIG, code: gptOss(24, 'my-org/gpt-oss-120b_test') },
  ],
  invalid: [
    {
      name: 'a Qwen3-30B-A3B copy with half the layers: both halves of "30B-A3B" miss',
      file: CONFIG,
      code: qwen3({ num_hidden_layers: 24 }),
      errors: [
        { messageId: 'mismatch', text: '"Qwen/Qwen3-30B-A3B"', severity: 'warning', includes: ['30B parameters in total', '15.58B', '-48%'] },
        { messageId: 'mismatch', text: '"Qwen/Qwen3-30B-A3B"', includes: ['3B active parameters', '1.99B'] },
      ],
      output: null,
    },
    {
      name: 'experts per token changed under an "A3B" name: only active misses',
      file: CONFIG,
      code: qwen3({ num_experts_per_tok: 16 }),
      errors: [{ messageId: 'mismatch', includes: ['3B active parameters', '5.16B', '+72%'] }],
      output: null,
    },
    {
      name: 'a "120b" named config with 20b\'s 24 layers',
      file: CONFIG,
      code: gptOss(24, 'openai/gpt-oss-120b'),
      errors: [{ messageId: 'mismatch', text: '"openai/gpt-oss-120b"', includes: ['120B parameters in total', '78.27B'] }],
      output: null,
    },
  ],
});
