# MoEArgs as torchtitan PR #2212 extended it (torchtitan/models/moe/moe.py @238fa99 plus the PR's fields).
from dataclasses import dataclass
from typing import Literal


@dataclass
class MoEArgs:
    num_experts: int = 8
    num_shared_experts: int = 1

    # router
    score_func: Literal["softmax", "sigmoid"] = "sigmoid"
    route_norm: bool = False
    route_scale: float = 1.0
    gate_bias: bool = False
    score_before_experts: bool = True
    topk_before_score: bool = False

    # token-choice with optional node limited routing
    top_k: int = 1
    num_expert_groups: int | None = None  # must be a divisor of num_experts
    num_limited_groups: int | None = None
    use_grouped_mm: bool = True
    load_balance_coeff: float | None = 1e-3

    _debug_force_load_balance: bool = False
