/** Generates a torchtitan-style flavor file: `calls` MoEArgs calls over about `lines` lines. */
export function generateConfigFile(calls = 200, lines = 5000): string {
  const out: string[] = [
    'from dataclasses import dataclass',
    'from typing import Literal',
    '',
    '',
    '@dataclass',
    'class ModelArgs:',
    '    dim: int = 2880',
    '    n_layers: int = 24',
    '    moe_args: object = None',
    '',
    '',
    'def MoEArgs(**kwargs):',
    '    return kwargs',
    '',
    '',
    'configs = {',
  ];
  const perCall = Math.max(20, Math.ceil((lines - out.length - 2) / calls));
  for (let i = 0; i < calls; i++) {
    const experts = [8, 16, 32, 64, 128, 256][i % 6]!;
    const block = [
      `    "flavor_${i}": ModelArgs(`,
      `        dim=${1024 + (i % 8) * 256},`,
      `        n_layers=${12 + (i % 24)},`,
      '        moe_args=MoEArgs(',
      `            num_experts=${experts},`,
      '            num_shared_experts=1,',
      `            score_func="${i % 2 ? 'softmax' : 'sigmoid'}",`,
      `            route_norm=${i % 3 ? 'True' : 'False'},`,
      `            route_scale=${(1 + (i % 5) * 0.5).toFixed(1)},`,
      '            gate_bias=False,',
      '            score_before_experts=False,',
      `            top_k=${1 + (i % 8)},`,
      `            num_expert_groups=${i % 4 === 0 ? 8 : 'None'},`,
      `            num_limited_groups=${i % 4 === 0 ? 4 : 'None'},`,
      '            use_grouped_mm=True,',
      `            load_balance_coeff=${i % 2 ? '1e-3' : 'None'},`,
      '        ),',
      '    ),',
    ];
    while (block.length < perCall) block.splice(3, 0, `        # flavor ${i}: padding comment line ${block.length}`);
    out.push(...block);
  }
  out.push('}', '');
  return out.join('\n');
}
