# The router constructor from torchtitan PR #2212: its default for topk_before_score disagrees with MoEArgs,
# which this file imports to build the router (torchtitan kept both in moe.py @238fa99).
import torch
from torch import nn

from .args import MoEArgs


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


class MoE(nn.Module):
    def __init__(self, moe_args: MoEArgs, dim: int):
        super().__init__()
        self.router = TokenChoiceTopKRouter(
            dim=dim,
            num_experts=moe_args.num_experts,
            num_expert_groups=moe_args.num_expert_groups,
            num_limited_groups=moe_args.num_limited_groups,
            top_k=moe_args.top_k,
            score_func=moe_args.score_func,
            route_norm=moe_args.route_norm,
            route_scale=moe_args.route_scale,
            gate_bias=moe_args.gate_bias,
        )
