# Copyright (c) Meta Platforms, Inc. and affiliates.
# All rights reserved.
#
# This source code is licensed under the BSD-style license found in the
# LICENSE file in the root directory of this source tree.

from .attention import (
    create_attention_mask,
    create_varlen_metadata_for_document,
    FlexAttentionWrapper,
    get_causal_mask_mod,
    get_document_mask_mod,
    get_fixed_block_mask_mod,
    get_sliding_window_mask_mod,
    GQAttention,
    ScaledDotProductAttentionWrapper,
    VarlenAttentionWrapper,
    VarlenMetadata,
)
from .decoder import Decoder, TransformerBlock
from .feed_forward import compute_ffn_hidden_dim, FeedForward
from .moe import MoE
from .rope import (
    apply_rotary_emb_complex,
    apply_rotary_emb_cos_sin,
    apply_rotary_emb_single_complex,
    RoPE,
)
from .utils import trunc_normal_

__all__ = [
    "create_attention_mask",
    "create_varlen_metadata_for_document",
    "Decoder",
    "FeedForward",
    "FlexAttentionWrapper",
    "get_causal_mask_mod",
    "get_document_mask_mod",
    "get_fixed_block_mask_mod",
    "get_sliding_window_mask_mod",
    "GQAttention",
    "MoE",
    "RoPE",
    "ScaledDotProductAttentionWrapper",
    "TransformerBlock",
    "VarlenAttentionWrapper",
    "VarlenMetadata",
    "apply_rotary_emb_complex",
    "apply_rotary_emb_cos_sin",
    "apply_rotary_emb_single_complex",
    "compute_ffn_hidden_dim",
    "trunc_normal_",
]
