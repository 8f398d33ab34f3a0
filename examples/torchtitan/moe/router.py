# The router constructor from torchtitan PR #2212: its default for topk_before_score disagrees with MoEArgs.
import torch
from torch import nn


class TokenChoiceTopKRouter(nn.Module):
    def __init__(
        self,
        dim: int,
        num_experts: int,
        num_expert_groups: int | None,
        num_limited_groups: int | None,
        top_k: int,
        score_func: str,
        route_norm: bool,
        route_scale: float,
        gate_bias: bool,
        topk_before_score: bool = True,
        _debug_force_load_balance: bool = False,
    ):
        super().__init__()
        self.gate = nn.Linear(dim, num_experts, bias=gate_bias)
        self.top_k = top_k
        self.topk_before_score = topk_before_score
