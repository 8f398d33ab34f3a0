import { histcExpertCounts } from '../../src/core/rules/MOE017-histc-expert-counts';
import { runRuleTests } from '../rule-tester';

const MODEL = 'torchtitan/models/moe/moe.py';
const TORCH = 'import torch\n\n';

runRuleTests(histcExpertCounts, {
  valid: [
    { name: 'a float histogram (what histc is for)', file: MODEL, code: `${TORCH}h = torch.histc(scores, bins=10, min=0, max=1)\n` },
    { name: 'expert ids cast to float first', file: MODEL, code: `${TORCH}h = torch.histc(selected_experts_indices.view(-1).float(), bins=8, min=0, max=8)\n` },
    // EvolvingLMMs-Lab/lmms-engine @0524b88 qwen3_omni_moe_ops.py moe_sparse_layer_forward (trimmed; sweep 35).
    {
      name: 'expert ids cast to float in a statement of their own before histc (lmms-engine)',
      file: MODEL,
      code: `${TORCH}def forward(self, hidden_states, num_experts):
    router_logits, routing_weights, selected_experts = self.gate(hidden_states)
    selected_experts = selected_experts.to(torch.float32)
    num_tokens_per_expert = torch.histc(selected_experts, bins=num_experts, min=0, max=num_experts)
    return num_tokens_per_expert
`,
    },
    { name: 'ids rebound as floats with .type(torch.float)', file: MODEL, code: `${TORCH}def f(scores, k, n):
    _, idx = torch.topk(scores, k)
    idx = idx.type(torch.float)
    return torch.histc(idx, bins=n, min=0, max=n)
` },
    { name: "a histogram of the top-k scores ([0], .values): router confidence, floats", file: MODEL, code: `${TORCH}def f(scores, k):
    vals = torch.topk(scores, k)[0]
    out = torch.topk(scores, k)
    return torch.histc(vals, bins=20, min=0, max=1), torch.histc(out[0], bins=10), torch.histc(scores.topk(k).values.view(-1), bins=10)
` },
    { name: 'already bincount', file: MODEL, code: `${TORCH}n = torch.bincount(selected_experts_indices.view(-1), minlength=8)\n` },
    { name: 'a histc of something not named or built like ids', file: MODEL, code: `${TORCH}h = torch.histc(x, bins=8, min=0, max=8)\n` },
    {
      name: 'a module that loads only on Ascend NPUs (verl @b178a3c npu_patch.py: `import torch_npu`, histc beside npu_moe_token_permute)',
      file: 'verl/models/transformers/npu_patch.py',
      code: `${TORCH}import torch_npu\n\ndef permute(self, hidden_states, selected_experts):\n    permuted_tokens, row_ids_map = torch_npu.npu_moe_token_permute(hidden_states, selected_experts.to(torch.int32))\n    return torch.histc(selected_experts, bins=self.num_experts, min=0, max=self.num_experts)\n`,
    },
    {
      name: 'a function that calls Ascend ops, in a module that imports torch_npu in a try (MindSpeed-LLM modeling_deepseek_v4.py gmm_forward)',
      file: 'mindspeed_llm/fsdp2/models/deepseek_v4/modeling_deepseek_v4.py',
      code: `${TORCH}try:\n    import torch_npu\nexcept ImportError:\n    torch_npu = None\n\n\ndef gmm_forward(self, hidden_states, topk_indices):\n    permuted, row_ids_map = torch_npu.npu_moe_token_permute(hidden_states, topk_indices.to(torch.int32))\n    tokens_per_expert = torch.histc(topk_indices, bins=self.num_experts, min=0, max=self.num_experts)\n    return permuted, tokens_per_expert\n`,
    },
  ],
  invalid: [
    {
      name: 'ids rebound by a reshape are still ids',
      file: MODEL,
      code: `${TORCH}def f(scores, k, n):\n    idx = scores.topk(k).indices\n    idx = idx.view(-1)\n    return torch.histc(idx, bins=n, min=0, max=n)\n`,
      errors: [{ messageId: 'histc', text: 'torch.histc' }],
      output: `${TORCH}def f(scores, k, n):\n    idx = scores.topk(k).indices\n    idx = idx.view(-1)\n    return torch.bincount(idx.flatten(), minlength=n)\n`,
    },
    {
      name: "torchtitan's own line (moe.py @238fa9953): counting selected expert ids",
      file: MODEL,
      code: `${TORCH}class R:\n    def forward(self, selected_experts_indices):\n        return torch.histc(\n            selected_experts_indices.view(-1), bins=self.num_experts, min=0, max=self.num_experts\n        )\n`,
      errors: [{ messageId: 'histc', text: 'torch.histc', severity: 'warning', includes: ['fails on CPU', "CUDA only"] }],
      output: `${TORCH}class R:\n    def forward(self, selected_experts_indices):\n        return torch.bincount(selected_experts_indices.view(-1), minlength=self.num_experts)\n`,
    },
    {
      name: 'the portable function beside an Ascend one, in a module that imports torch_npu in a try',
      file: 'mindspeed_llm/fsdp2/models/qwen3/qwen3_moe.py',
      code: `${TORCH}try:\n    import torch_npu\nexcept ImportError:\n    torch_npu = None\n\n\ndef npu_forward(x, topk_idx):\n    return torch_npu.npu_moe_token_permute(x, topk_idx)\n\n\ndef forward(topk_idx):\n    return torch.histc(topk_idx, bins=8, min=0, max=8)\n`,
      errors: [{ messageId: 'histc', text: 'torch.histc' }],
      output: `${TORCH}try:\n    import torch_npu\nexcept ImportError:\n    torch_npu = None\n\n\ndef npu_forward(x, topk_idx):\n    return torch_npu.npu_moe_token_permute(x, topk_idx)\n\n\ndef forward(topk_idx):\n    return torch.bincount(topk_idx.flatten(), minlength=8)\n`,
    },
    {
      name: 'ids from topk(...)[1] in a variable with a neutral name; positional bins/min/max',
      file: MODEL,
      code: `${TORCH}_, idx = torch.topk(scores, k=2, dim=-1)\ncounts = torch.histc(idx, 16, 0, 16)\n`,
      errors: [{ messageId: 'histc', text: 'torch.histc' }],
      output: `${TORCH}_, idx = torch.topk(scores, k=2, dim=-1)\ncounts = torch.bincount(idx.flatten(), minlength=16)\n`,
    },
    {
      name: 'the method form on topk(...).indices',
      file: MODEL,
      code: `${TORCH}counts = scores.topk(2).indices.histc(bins=E, min=0, max=E)\n`,
      errors: [{ messageId: 'histc', text: 'scores.topk(2).indices.histc' }],
      output: `${TORCH}counts = torch.bincount(scores.topk(2).indices.flatten(), minlength=E)\n`,
    },
    {
      name: '`import torch_npu` only inside a docstring: the module does not import it',
      file: MODEL,
      code: `${TORCH}"""On Ascend, first\nimport torch_npu\n"""\n\ndef count(selected_experts):\n    return torch.histc(selected_experts, bins=8, min=0, max=8)\n`,
      errors: [{ messageId: 'histc' }],
      output: `${TORCH}"""On Ascend, first\nimport torch_npu\n"""\n\ndef count(selected_experts):\n    return torch.bincount(selected_experts.flatten(), minlength=8)\n`,
    },
    {
      name: 'bins wider than one id each (max is not bins): flagged, no fix',
      file: MODEL,
      code: `${TORCH}counts = torch.histc(expert_ids, bins=E, min=0, max=E - 1)\n`,
      errors: [{ messageId: 'histc' }],
      output: null,
    },
    {
      name: "ids in parentheses, shifted by one (fairseq's moe branch top1gate.py l.66): flagged, no fix (min is 1)",
      file: MODEL,
      code: `${TORCH}def gate(gates, num_experts):\n    indices1_s = torch.argmax(gates, dim=1)\n    return torch.histc((indices1_s.squeeze() + 1), bins=num_experts, min=1, max=num_experts)\n`,
      errors: [{ messageId: 'histc' }],
      output: null,
    },
  ],
});
