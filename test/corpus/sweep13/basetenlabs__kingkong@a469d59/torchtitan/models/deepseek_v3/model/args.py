# Copyright (c) Meta Platforms, Inc. and affiliates.
# All rights reserved.
#
# This source code is licensed under the BSD-style license found in the
# LICENSE file in the root directory of this source tree.
#
# Copyright (c) Meta Platforms, Inc. All Rights Reserved.


from dataclasses import dataclass, field
from typing import List

from torch import nn
from torchtitan.config import JobConfig
from torchtitan.models.moe import MoEArgs
from torchtitan.models.utils import get_moe_model_nparams_and_flops
from torchtitan.protocols.model import BaseModelArgs
from torchtitan.tools.logging import logger
from torchtitan.tools.utils import has_cuda_capability


# Reference: https://github.com/deepseek-ai/DeepSeek-V3/blob/main/inference/model.py
@dataclass
class DeepSeekV3ModelArgs(BaseModelArgs):
    """
    Data class for defining model arguments and hyperparameters.

    Attributes:
        max_batch_size (int): Maximum batch size.
        max_seq_len (int): Maximum sequence length.
        vocab_size (int): Vocabulary size.
        dim (int): Model dimension.
        inter_dim (int): Intermediate dimension for MLP layers.
        moe_inter_dim (int): Intermediate dimension for MoE layers.
        n_layers (int): Number of transformer layers.
        n_dense_layers (int): Number of dense layers in the model.
        n_heads (int): Number of attention heads.
        norm_eps (float): Epsilon value used for RMSNorm.
        moe_args (MoEArgs): MoE configuration.
        q_lora_rank (int): LoRA rank for query projections.
        kv_lora_rank (int): LoRA rank for key-value projections.
        qk_nope_head_dim (int): Dimension for query-key projections without positional embeddings.
        qk_rope_head_dim (int): Dimension for query-key projections with rotary embeddings.
        v_head_dim (int): Dimension for value projections.
        attn_type (str): Attention type.
        attn_mask_type (str): Type of attention mask.
        original_seq_len (int): Original sequence length.
        rope_theta (float): Base for rotary positional encoding.
        rope_factor (float): Scaling factor for extended sequence lengths.
        beta_fast (int): Fast beta correction factor.
        beta_slow (int): Slow beta correction factor.
    """

    max_batch_size: int = 8
    max_seq_len: int = 4096 * 4
    vocab_size: int = 102400
    dim: int = 2048
    inter_dim: int = 10944
    moe_inter_dim: int = 1408
    n_layers: int = 27
    n_dense_layers: int = 1
    n_heads: int = 16
    norm_eps: float = 1e-5  # eps used for RMSNorm

    # MoE
    moe_args: MoEArgs = field(default_factory=MoEArgs)

    # Expert parallel communication backend (set from config)
    expert_parallel_comm_backend: str = "standard"  # "standard" or "deepep"

    # MoE implementation/backend used by MoE layers.
    # Keep this as a real field (not dynamically added) so model construction / conversion
    # doesn't fail when `update_from_config()` isn't called.
    moe_impl: str = "standard"  # "standard" or "deepep"

    # Multi-Head Latent Attention (MLA)
    q_lora_rank: int = 0
    kv_lora_rank: int = 512
    qk_nope_head_dim: int = 128
    qk_rope_head_dim: int = 64
    v_head_dim: int = 128
    attn_type: str = "sdpa"
    attn_mask_type: str = "causal"

    # yarn
    original_seq_len: int = 4096
    rope_theta: float = 10000.0
    rope_factor: float = 40
    beta_fast: int = 32
    beta_slow: int = 1
    mscale: float = 1.0

    # Fine-tuning LoRA (distinct from MLA's latent compression)
    # Set finetune_lora_rank > 0 to enable LoRA fine-tuning.
    # Control which projections get LoRA via finetune_lora_target_modules.
    finetune_lora_rank: int = 0
    finetune_lora_alpha: float = 32.0
    
    # Allowed values: ["wkv_a", "wkv_b", "wo"]
    finetune_lora_target_modules: List[str] = field(
        default_factory=lambda: ["wkv_a", "wkv_b", "wo"]
    )

    @property
    def is_lora_finetuning_enabled(self) -> bool:
        return self.finetune_lora_rank > 0

    def update_from_config(self, job_config: JobConfig, **kwargs) -> None:
        seq_len = job_config.training.seq_len
        if seq_len > self.max_seq_len:
            logger.warning(
                f"Sequence length {seq_len} exceeds original maximum {self.max_seq_len}."
            )
        self.max_seq_len = seq_len

        if self.moe_args.use_grouped_mm and not has_cuda_capability(9, 0):
            logger.warning(
                "Failed to use grouped mm, which is only supported on SM90 or later",
            )
            self.moe_args.use_grouped_mm = False

        if (
            job_config.parallelism.context_parallel_degree > 1
            and self.attn_type != "sdpa"
        ):
            raise NotImplementedError("CP support is only supported for SDPA.")

        self.moe_args._debug_force_load_balance = (
            job_config.debug.moe_force_load_balance
        )

        # Configure expert parallel communication backend from config (defaults to "standard")
        self.moe_impl = job_config.parallelism.expert_parallel_comm_backend

        # Validate fine-tuning LoRA target modules (if enabled).
        if self.is_lora_finetuning_enabled:
            allowed = {"wkv_a", "wkv_b", "wo"}
            if not self.finetune_lora_target_modules:
                raise ValueError(
                    "finetune_lora_target_modules must be non-empty when finetune_lora_rank > 0. "
                    f"Allowed values: {sorted(allowed)}"
                )
            invalid = set(self.finetune_lora_target_modules) - allowed
            if invalid:
                raise ValueError(
                    f"Unknown finetune_lora_target_modules: {sorted(invalid)}. "
                    f"Allowed values: {sorted(allowed)}"
                )

    def get_nparams_and_flops(self, model: nn.Module, seq_len: int) -> tuple[int, int]:
        return get_moe_model_nparams_and_flops(
            self,
            model,
            self.qk_nope_head_dim + self.qk_rope_head_dim + self.v_head_dim,
            seq_len,
        )
