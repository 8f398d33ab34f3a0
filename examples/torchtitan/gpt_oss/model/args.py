# GptOssModelArgs's sizes as torchtitan declares them (torchtitan/experiments/gpt_oss/model/args.py @aa5daa7,
# fields only): the flavors in ../__init__.py set n_layers and moe_args, and take the rest from these defaults.
from dataclasses import dataclass, field

from ...moe.args import MoEArgs


@dataclass
class GptOssModelArgs:
    max_batch_size: int = 8
    max_seq_len: int = 131072
    vocab_size: int = 201088
    dim: int = 2880
    moe_inter_dim: int = 2880
    n_layers: int = 24
    norm_eps: float = 1e-5  # eps used for RMSNorm
    # MoE
    moe_args: MoEArgs = field(default_factory=MoEArgs)
    swiglu_limit: float = 7.0
    head_dim: int = 64
    n_heads: int = 64
    n_kv_heads: int = 8
    sliding_window_size: int = 128
    attn_mask_type: str = "causal"
