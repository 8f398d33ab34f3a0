import { expertBiasWithSoftmax } from '../../src/core/rules/MOE015-expert-bias-with-softmax';
import { runRuleTests } from '../rule-tester';

const flags = (rest: string) => `torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 4 ${rest}\n`;

runRuleTests(expertBiasWithSoftmax, {
  valid: [
    { name: 'expert bias with sigmoid', file: 'train.sh', code: flags('--moe-router-score-function sigmoid --moe-router-enable-expert-bias') },
    { name: 'softmax without expert bias', file: 'train.sh', code: flags('--moe-router-score-function softmax') },
    // Ascend/MindSpeed-LLM examples/mcore/longcat/pretrain_longcat_flash_560b_4k_A3_ptd.sh @c77308a (test/corpus/launch2).
    { name: 'on Ascend NPUs MindSpeed patches the check (its LongCat script pairs the two)', file: 'train.sh', code: `export HCCL_BUFFSIZE=400\n${flags('--moe-router-enable-expert-bias')}` },
    { name: 'Megatron-DeepSpeed has neither the check nor the flag', file: 'train.sh', code: flags('--deepspeed --moe-router-score-function softmax --moe-router-enable-expert-bias') },
    { name: 'the expert bias passed only in a branch MoE Lens cannot decide is not known to be on', file: 'train.sh', code: `if [ -f bias ]; then B=--moe-router-enable-expert-bias; fi\n${flags('--moe-router-score-function softmax $B')}` },
    { name: 'the default softmax is not known where the launch passes flags MoE Lens cannot read ($EXTRA_ARGS may set sigmoid)', file: 'train.sh', code: flags('--moe-router-enable-expert-bias $EXTRA_ARGS') },
    { name: 'torchtitan allows a selection bias with softmax', file: 'm.py', code: 'a = MoEArgs(num_experts=8, top_k=2, score_func="softmax", load_balance_coeff=1e-3)\n' },
  ],
  invalid: [
    {
      name: 'expert bias with the default softmax; the fix removes the flag',
      file: 'train.sh',
      code: flags('--moe-router-enable-expert-bias --disable-bias-linear'),
      errors: [{ messageId: 'rejected', text: '--moe-router-enable-expert-bias', includes: ['Megatron raises ValueError("Expert bias for aux-loss-free routing only supports \'sigmoid\' and \'sqrtsoftplus\' score functions. Please set --moe-router-score-function to \'sigmoid\' or \'sqrtsoftplus\', or unset --moe-router-enable-expert-bias.").'] }],
      output: flags('--disable-bias-linear'),
    },
    {
      name: 'YAML, fixed by switching to sigmoid',
      file: 'moe.yaml',
      code: 'num_experts: 64\nmoe_router_topk: 4\nmoe_router_score_function: softmax\nmoe_router_enable_expert_bias: true\n',
      fixTitle: 'sigmoid',
      errors: [{ messageId: 'rejected', text: 'moe_router_enable_expert_bias' }],
      output: 'num_experts: 64\nmoe_router_topk: 4\nmoe_router_score_function: "sigmoid"\nmoe_router_enable_expert_bias: true\n',
    },
  ],
});
