# DeepSeek flavors in torchtitan's layout (torchtitan/models/deepseek_v3/__init__.py @238fa99),
# plus an experimental flavor with three mistakes.
from ..moe.args import MoEArgs  # the MoEArgs beside these flavors (../moe/args.py), not an installed torchtitan

from .model.args import DeepSeekV3ModelArgs

deepseekv3_args = {
    "671B": DeepSeekV3ModelArgs(
        vocab_size=129280,
        dim=7168,
        inter_dim=18432,
        moe_inter_dim=2048,
        n_layers=61,
        n_dense_layers=3,
        n_heads=128,
        moe_args=MoEArgs(
            num_experts=256,
            num_shared_experts=1,
            top_k=8,
            score_func="sigmoid",
            route_norm=True,
            route_scale=2.5,
            score_before_experts=False,
            num_expert_groups=8,
            num_limited_groups=4,
        ),
    ),
    "experimental-96e": DeepSeekV3ModelArgs(
        dim=2048,
        n_layers=27,
        moe_args=MoEArgs(
            num_experts=96,
            num_shared_expert=2,
            top_k=6,
            score_func="sigmoid ",
            route_norm=True,
            num_expert_groups=7,
            num_limited_groups=3,
            _debug_force_load_balance=True,
        ),
    ),
}
