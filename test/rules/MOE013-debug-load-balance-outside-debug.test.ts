import { debugLoadBalanceOutsideDebug } from '../../src/core/rules/MOE013-debug-load-balance-outside-debug';
import { PLAIN_PY, runRuleTests } from '../rule-tester';

runRuleTests(debugLoadBalanceOutsideDebug, {
  valid: [
    { name: 'in a debug flavor', file: PLAIN_PY, code: 'configs = {\n    "debugmodel": MoEArgs(num_experts=8, top_k=2, _debug_force_load_balance=True),\n}\n' },
    { name: 'off', file: PLAIN_PY, code: 'configs = {\n    "16B": MoEArgs(num_experts=64, top_k=6, _debug_force_load_balance=False),\n}\n' },
    // pytorch/ao @36027d8 benchmarks/prototype/moe_training/benchmark_moe_layer_fsdp.py l.92 (trimmed): a throughput
    // benchmark forces round-robin on purpose.
    { name: 'a benchmark function', file: PLAIN_PY, code: 'def bench_moe_training_fsdp():\n    return MoEArgs(num_experts=8, top_k=1, _debug_force_load_balance=True)\n' },
    { name: 'a file under benchmarks/', file: 'benchmarks/prototype/moe_training/run.py', code: 'def layer():\n    return MoEArgs(num_experts=8, top_k=1, _debug_force_load_balance=True)\n' },
    // Megatron-LM @d98e8a6 tests/functional_tests/test_cases/common/moe_perf: its perf cases switch it on.
    { name: "Megatron's random logits in a test", file: 'tests/functional_tests/moe_perf/run.sh', code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 6 --moe-router-force-load-balancing\n' },
    { name: "Megatron's random logits off", file: 'train.yaml', code: 'num_experts: 64\nmoe_router_topk: 6\nmoe_router_force_load_balancing: false\n' },
  ],
  invalid: [
    {
      name: 'forced round-robin in a real flavor',
      file: PLAIN_PY,
      code: 'configs = {\n    "16B": MoEArgs(num_experts=64, top_k=6, _debug_force_load_balance=True),\n}\n',
      errors: [{ messageId: 'forced', text: 'True', severity: 'info', includes: ['"16B"', 'In flavor "16B", routing is replaced by round-robin, so the experts each token goes to are never the router\'s choice.'] }],
      output: 'configs = {\n    "16B": MoEArgs(num_experts=64, top_k=6, _debug_force_load_balance=False),\n}\n',
    },
    {
      // HYGON-AI/Megatron-LM-das @0685d1f examples/deepseek_v3/train_deepseekv3_671B.sh l.157 (trimmed); the same switch
      // is in Megatron-LM's examples/megatron_fsdp/sbatch_mfsdp_deepseek_v3.sh @d98e8a6 l.106.
      name: "Megatron's random router logits left on in a training script (a switch: no fix)",
      file: 'examples/deepseek_v3/train_deepseekv3_671B.sh',
      code: 'torchrun pretrain_gpt.py --num-experts 256 --moe-router-topk 8 \\\n    --moe-router-force-load-balancing \\\n    --seq-length 4096\n',
      errors: [{ messageId: 'randomLogits', text: '--moe-router-force-load-balancing', severity: 'info', includes: ['random ones', 'In "train_deepseekv3_671B", Megatron replaces the router\'s logits with random ones (a benchmark switch)'] }],
      output: null,
    },
    {
      name: "Megatron's random router logits in a YAML of field names",
      file: 'conf/moe.yaml',
      code: 'num_experts: 64\nmoe_router_topk: 6\nmoe_router_force_load_balancing: true\n',
      errors: [{ messageId: 'randomLogits', text: 'moe_router_force_load_balancing', severity: 'info' }],
      output: 'num_experts: 64\nmoe_router_topk: 6\nmoe_router_force_load_balancing: false\n',
    },
  ],
});
