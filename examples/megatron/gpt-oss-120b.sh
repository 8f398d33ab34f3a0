#!/bin/bash
# gpt-oss-120b as in Megatron-LM examples/post_training/modelopt/conf/openai/gpt-oss-120b.sh @d98e8a6
MODEL_ARGS=(
    --num-layers 36
    --hidden-size 2880
    --num-experts 128
    --moe-ffn-hidden-size 2880
    --moe-router-topk 4
    --moe-router-score-function softmax
    --moe-aux-loss-coeff 0.0
    --moe-router-dtype fp32
)
torchrun --nproc-per-node 8 pretrain_gpt.py "${MODEL_ARGS[@]}"
