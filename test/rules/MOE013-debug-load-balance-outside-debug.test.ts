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
  ],
  invalid: [
    {
      name: 'forced round-robin in a real flavor',
      file: PLAIN_PY,
      code: 'configs = {\n    "16B": MoEArgs(num_experts=64, top_k=6, _debug_force_load_balance=True),\n}\n',
      errors: [{ messageId: 'forced', text: 'True', severity: 'info', includes: ['"16B"'] }],
      output: 'configs = {\n    "16B": MoEArgs(num_experts=64, top_k=6, _debug_force_load_balance=False),\n}\n',
    },
  ],
});
