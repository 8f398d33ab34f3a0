/** Megatron-LM's command-line spelling of an argument's dest: `moe_router_topk` → `--moe-router-topk` (argparse defines its flags with dashes). */
export function flagOf(dest: string): string {
  return `--${dest.replace(/_/g, '-')}`;
}
