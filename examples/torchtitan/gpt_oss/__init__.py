# gpt-oss flavors in torchtitan's layout (torchtitan/models/gpt_oss/__init__.py @238fa99),
# with the top_k change from torchtitan PR #2212 applied to "120b".
from ..moe.args import MoEArgs  # the MoEArgs beside these flavors (../moe/args.py), not an installed torchtitan

from .model.args import GptOssModelArgs

gptoss_configs = {
    "debugmodel": GptOssModelArgs(
        dim=256,
        n_layers=4,
        moe_args=MoEArgs(
            num_experts=8,
            num_shared_experts=0,
            score_func="softmax",
            route_norm=True,
            route_scale=1.0,
            gate_bias=True,
            score_before_experts=False,
            top_k=4,
            use_grouped_mm=True,
            load_balance_coeff=1e-3,
        ),
        attn_mask_type="causal",
    ),
    "20b": GptOssModelArgs(
        n_layers=24,
        moe_args=MoEArgs(
            num_experts=32,
            num_shared_experts=0,
            score_func="softmax",
            route_norm=True,
            route_scale=1.0,
            gate_bias=True,
            score_before_experts=False,
            top_k=4,
            use_grouped_mm=True,
            load_balance_coeff=None,
        ),
    ),
    "120b": GptOssModelArgs(
        n_layers=36,
        moe_args=MoEArgs(
            num_experts=128,
            num_shared_experts=0,
            score_func="softmax",
            route_norm=True,
            route_scale=1.0,
            gate_bias=True,
            score_before_experts=False,
            top_k=8,
            use_grouped_mm=True,
            load_balance_coeff=None,
        ),
    ),
}
