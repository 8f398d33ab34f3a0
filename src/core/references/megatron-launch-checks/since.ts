/**
 * The Megatron-LM commit that added each launch check younger than a year before MEGATRON_COMMIT (d98e8a6,
 * 2026-08-22): `git log --reverse -S<its message> d98e8a6` in NVIDIA/Megatron-LM, the first commit whose Python
 * holds the message. A launch pinned to a Megatron-LM older than that does not stop on it (Megatron added the
 * recompute-and-offload check MEG-043 on 2026-07-02; a fork on a March 2026 Megatron runs that config), so MOE020
 * reports these as what Megatron-LM does since then, at warning severity. Older checks are in every Megatron-LM a
 * current MoE config runs with.
 *
 * `with`: the check came in the same commit as a flag or value that every config it fires on writes (a trigger entry
 * without which it does not fire; `git log -S` of the flag's dest name or the value in megatron/). A Megatron-LM older
 * than the check refuses that flag or value itself (argparse's "unrecognized arguments" or "invalid choice", a
 * TransformerConfig without the field), so such a launch stops on every Megatron-LM: an error, and the diagnostic
 * says why. `scripts/launch-check-since.ts` cross-checks this table against Megatron-LM's history (2026-11-29: it
 * found MEG-056, MEG-088, MEG-091 and MEG-094 missing, each added with its flag or value, and 35 entries that
 * wanted `with`). It also lists MEG-032 and MEG-034, whose messages were reworded after the cutoff as their conditions
 * were relaxed (ebfa138, e58d908): the older check refused every config the current one does, so they stay errors.
 * So do these, each a rewording, relaxing or narrowing of an older check that refused every config the current one
 * does (`git log -S` of the older message, and `git show` of the commit that changed it; session 26, helper sweep 31):
 * MEG-087 (acd0e35 let mtp_num_layers be 0 too; "MTP layernum only supports 1 …" since d7bf5aa, 2025-08-26, "(Temporary)
 * MTP is not supported …" since ae1c882, 2025-08-01), MEG-078 (d7bf5aa; ae1c882 refused overlap with any PP > 1),
 * MEG-025 (3df2009 narrowed c544aee's 2025-02-27 "Flex token dispatcher does not support
 * moe_pad_expert_input_to_capacity" to DeepEP), MEG-146 (8c5cf05 narrowed 0d389f5's 2025-02-25 "Flex token dispatcher
 * requires TPxEP > 1" to DeepEP), MEG-149 and MEG-051 (a329dd6 replaced "Bias is not supported for MoE", 2659630,
 * 2025-04-09: every MoE with a bias stopped), MEG-015 (e8e79a4 reworded 1b1b6b8's 2025-04-12 "moe_ffn_hidden_size must
 * be None when num_experts is not set") and MEG-062 (e41b370 renamed 2b343d7's "cuda_graph_scope must not contain both
 * moe and moe_router", and the values came with 2b343d7: before it `--cuda-graph-scope` took only full, attn and
 * full_iteration). The cuda-graph checks of 2b343d7 that point at `--cuda-graph-modules` fire only where a config
 * writes it, a flag that came later (e41b370, 2026-05-18) and that every older Megatron-LM refuses: `with` it. MEG-120
 * came with `--moe-latent-size` as MEG-119 did (the script had left out the checks that fire without experts).
 */
export const CHECK_CUTOFF = '2025-08-22';

export interface CheckSince {
  readonly commit: string;
  readonly date: string;
  /** The flag or value, as a launch writes it, that Megatron-LM added in the same commit (see above). */
  readonly with?: string;
}

export const CHECK_SINCE: Readonly<Record<string, CheckSince>> = {
  'MEG-055': { commit: 'e8b9df1', date: '2025-11-17', with: '--moe-router-padding-for-quantization' },
  'MEG-056': { commit: 'e8b9df1', date: '2025-11-17', with: '--moe-router-padding-for-quantization' },
  'MEG-148': { commit: '3df2009', date: '2025-11-18' },
  'MEG-024': { commit: '326ec8c', date: '2025-11-24' },
  'MEG-117': { commit: '9927a85', date: '2025-12-03', with: '--fake-process-group' },
  'MEG-119': { commit: 'b51db3e', date: '2025-12-08', with: '--moe-latent-size' },
  'MEG-120': { commit: 'b51db3e', date: '2025-12-08', with: '--moe-latent-size' },
  'MEG-095': { commit: 'f19b59e', date: '2025-12-18', with: '--inference-fuse-tp-communication' },
  'MEG-063': { commit: '2b343d7', date: '2025-12-31', with: '--cuda-graph-modules moe_preprocess' },
  'MEG-064': { commit: '2b343d7', date: '2025-12-31', with: '--cuda-graph-modules' },
  'MEG-065': { commit: '2b343d7', date: '2025-12-31', with: '--cuda-graph-modules' },
  'MEG-066': { commit: '2b343d7', date: '2025-12-31', with: '--cuda-graph-modules' },
  'MEG-067': { commit: '2b343d7', date: '2025-12-31', with: '--cuda-graph-modules moe_preprocess' },
  'MEG-068': { commit: '2b343d7', date: '2025-12-31', with: '--cuda-graph-modules' },
  'MEG-069': { commit: '2b343d7', date: '2025-12-31' },
  'MEG-070': { commit: '2b343d7', date: '2025-12-31' },
  'MEG-094': { commit: 'a56a0b0', date: '2026-01-06', with: '--ep-overlap-early-attn-memory-release' },
  'MEG-089': { commit: '1501c0f', date: '2026-01-16' },
  'MEG-003': { commit: '7d1c016', date: '2026-03-02' },
  'MEG-004': { commit: '7d1c016', date: '2026-03-02' },
  'MEG-005': { commit: '7d1c016', date: '2026-03-02' },
  'MEG-133': { commit: '7d1c016', date: '2026-03-02' },
  'MEG-134': { commit: '7d1c016', date: '2026-03-02', with: '--moe-router-score-function sqrtsoftplus' },
  'MEG-006': { commit: '589cd9e', date: '2026-03-17' },
  'MEG-007': { commit: '589cd9e', date: '2026-03-17', with: '--inference-grouped-gemm-backend' },
  'MEG-009': { commit: '589cd9e', date: '2026-03-17' },
  'MEG-084': { commit: '45b8eac', date: '2026-03-20' },
  'MEG-091': { commit: '97e36aa', date: '2026-04-01', with: '--overlap-dispatch-backward-with-experts-wgrad' },
  'MEG-126': { commit: '20f0936', date: '2026-05-06' },
  'MEG-016': { commit: '6815c0f', date: '2026-05-15', with: '--moe-single-grouped-weight' },
  'MEG-018': { commit: '6815c0f', date: '2026-05-15', with: '--moe-single-grouped-weight' },
  'MEG-021': { commit: '6815c0f', date: '2026-05-15', with: '--moe-single-grouped-bias' },
  'MEG-036': { commit: 'f007db7', date: '2026-05-22', with: '--moe-expert-rank-capacity-factor' },
  'MEG-037': { commit: 'f007db7', date: '2026-05-22', with: '--moe-expert-rank-capacity-factor' },
  'MEG-047': { commit: 'f007db7', date: '2026-05-22', with: '--moe-paged-stash' },
  'MEG-048': { commit: 'f007db7', date: '2026-05-22', with: '--moe-paged-stash' },
  'MEG-049': { commit: 'f007db7', date: '2026-05-22', with: '--moe-paged-stash' },
  'MEG-074': { commit: '9a7cd17', date: '2026-05-22' },
  // Offloading (b97184d, 2026-01-16) ran with local CUDA graphs until 9a7cd17 refused them all ("only supported with
  // transformer_engine … or … full_iteration scope"), a superset of these two (69c4868 narrowed it): a Megatron-LM of
  // those four months runs their configs (helper sweep H).
  'MEG-072': { commit: '9a7cd17', date: '2026-05-22' },
  'MEG-073': { commit: '9a7cd17', date: '2026-05-22' },
  'MEG-143': { commit: 'f007db7', date: '2026-05-22', with: '--moe-expert-rank-capacity-factor' },
  'MEG-044': { commit: '5c660c3', date: '2026-06-17', with: '--offload-modules fused_group_mlp' },
  'MEG-045': { commit: '5c660c3', date: '2026-06-17', with: '--offload-modules fused_group_mlp' },
  'MEG-043': { commit: '69c4868', date: '2026-07-02' },
  'MEG-154': { commit: '115ce7f', date: '2026-07-07', with: '--use-grouped-gemm-for-shared-expert' },
  'MEG-155': { commit: '115ce7f', date: '2026-07-07', with: '--use-grouped-gemm-for-shared-expert' },
  'MEG-026': { commit: '2d7060f', date: '2026-07-08', with: '--moe-flex-dispatcher-backend ncclep' },
  'MEG-030': { commit: '2d7060f', date: '2026-07-08' },
  'MEG-147': { commit: '2d7060f', date: '2026-07-08', with: '--moe-flex-dispatcher-backend ncclep' },
  'MEG-088': { commit: '2d7060f', date: '2026-07-08', with: '--moe-flex-dispatcher-backend ncclep' },
  'MEG-130': { commit: '33706f9', date: '2026-07-14', with: '--moe-router-load-balancing-type quantile_balancing' },
  'MEG-131': { commit: '33706f9', date: '2026-07-14', with: '--moe-router-load-balancing-type quantile_balancing' },
  'MEG-020': { commit: '8d16c67', date: '2026-07-22' },
  'MEG-115': { commit: '8d16c67', date: '2026-07-22' },
  'MEG-071': { commit: 'c5ff22b', date: '2026-07-26', with: '--tensor-parallel-num-weight-shards' },
  'MEG-142': { commit: '4da9212', date: '2026-07-28', with: '--moe-ncclep-zero-copy' },
  'MEG-012': { commit: '57deb43', date: '2026-07-31' },
  'MEG-013': { commit: '57deb43', date: '2026-07-31' },
  'MEG-019': { commit: 'd378bfb', date: '2026-07-31' },
  'MEG-096': { commit: '57deb43', date: '2026-07-31' },
  'MEG-098': { commit: '57deb43', date: '2026-07-31' },
  'MEG-099': { commit: '57deb43', date: '2026-07-31' },
  'MEG-100': { commit: '57deb43', date: '2026-07-31' },
  'MEG-046': { commit: 'fb24e87', date: '2026-08-11', with: '--gtp-remat-opt-in-modules' },
  'MEG-141': { commit: '8971d19', date: '2026-08-11' },
  'MEG-050': { commit: '2a75ac1', date: '2026-08-13' },
  'MEG-001': { commit: '883533e', date: '2026-08-14', with: '--moe-use-grouped-tensor' },
  // 6815c0f (2026-05-15) brought --moe-single-grouped-bias with its add_bias_linear check only; this message and
  // condition came with 883533e, and a config it fires on does not write --moe-use-grouped-tensor (helper sweep H:
  // Megatron-Bridge 067f987's own pin, 2a75ac1, runs it).
  'MEG-022': { commit: '883533e', date: '2026-08-14' },
  'MEG-027': { commit: '883533e', date: '2026-08-14', with: '--moe-use-grouped-tensor' },
  'MEG-028': { commit: '7afe031', date: '2026-08-20', with: '--moe-dispatch-fwd-dtype' },
  'MEG-029': { commit: '7afe031', date: '2026-08-20', with: '--moe-dispatch-fwd-dtype' },
};
