#!/usr/bin/env python3
"""Independent router implementations in PyTorch, one per framework, written from each framework's own
forward pass (shared/research/moe-routing-facts.md §1.4, §2.2, §3, §4.2), in float64.

Writes test/fixtures/router-vectors.json: inputs and expected indices/weights/counts for every family.
The TypeScript reference router must reproduce these (test/router/reference.test.ts).

Run with Debian's python3-torch and python3-numpy:  /usr/bin/python3 scripts/reference/router_reference.py
"""
import json
import math
import pathlib

import numpy as np
import torch
import torch.nn.functional as F


# --- torchtitan TokenChoiceTopKRouter.forward (moe.py @238fa99), plus PR #2212's topk_before_score -------
def torchtitan(x, w, b, expert_bias, top_k, score_func, route_norm, route_scale,
               num_expert_groups=None, num_limited_groups=None, topk_before_score=False, debug_round_robin=False):
    scores = x @ w.T + (b if b is not None else 0)
    if topk_before_score:
        choice = scores if expert_bias is None else scores + expert_bias
        _, idx = torch.topk(choice, k=top_k, dim=-1)
        picked = scores.gather(1, idx)
        top = F.softmax(picked, dim=1) if score_func == "softmax" else torch.sigmoid(picked)
    else:
        scores = torch.sigmoid(scores) if score_func == "sigmoid" else F.softmax(scores, dim=1)
        choice = scores if expert_bias is None else scores + expert_bias
        if num_expert_groups is not None:
            n, e = choice.shape
            grouped = choice.view(n, num_expert_groups, e // num_expert_groups)
            group_scores = grouped.topk(2, dim=-1)[0].sum(dim=-1)
            group_idx = torch.topk(group_scores, k=num_limited_groups, dim=-1, sorted=False)[1]
            group_mask = torch.ones_like(group_scores, dtype=torch.bool).scatter_(1, group_idx, False)
            choice = grouped.masked_fill(group_mask.unsqueeze(-1), float("-inf")).view(n, e)
        _, idx = torch.topk(choice, k=top_k, dim=-1)
        if debug_round_robin:
            n = x.shape[0]
            idx = torch.arange(n * top_k).reshape(n, top_k) % scores.shape[1]
        top = scores.gather(dim=1, index=idx)
    if route_norm:
        top = top / (top.sum(dim=-1, keepdim=True) + 1e-20)
    return idx, top * route_scale


# --- transformers GptOssTopKRouter ----------------------------------------------------------------------
def hf_gpt_oss(x, w, b, top_k):
    logits = F.linear(x, w, b)
    values, idx = torch.topk(logits, top_k, dim=-1)
    return idx, F.softmax(values, dim=1)


# --- transformers DeepseekV3TopkRouter / MoE (5.17: -inf mask) ----------------------------------------------
def hf_deepseek_v3(x, w, e_score_correction_bias, top_k, n_group, topk_group, norm_topk_prob, routed_scaling_factor):
    scores = F.linear(x, w).sigmoid()
    for_choice = scores + e_score_correction_bias
    n = x.shape[0]
    group_scores = for_choice.view(n, n_group, -1).topk(2, dim=-1)[0].sum(dim=-1)
    group_idx = torch.topk(group_scores, k=topk_group, dim=-1, sorted=False)[1]
    group_mask = torch.zeros_like(group_scores).scatter_(1, group_idx, 1)
    score_mask = group_mask.unsqueeze(-1).expand(n, n_group, scores.shape[1] // n_group).reshape(n, -1)
    masked = for_choice.masked_fill(~score_mask.bool(), float("-inf"))
    idx = torch.topk(masked, k=top_k, dim=-1, sorted=False)[1]
    weights = scores.gather(1, idx)
    if norm_topk_prob:
        weights = weights / (weights.sum(dim=-1, keepdim=True) + 1e-20)
    return idx, weights * routed_scaling_factor


# --- transformers Qwen3Moe / Mixtral sparse blocks ----------------------------------------------------------
def hf_softmax_topk(x, w, top_k, renormalize):
    probs = F.softmax(F.linear(x, w), dim=1)
    weights, idx = torch.topk(probs, top_k, dim=-1)
    if renormalize:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return idx, weights


# --- transformers Llama4Router ------------------------------------------------------------------------------
def hf_llama4(x, w, top_k):
    logits = F.linear(x, w)
    values, idx = torch.topk(logits, top_k, dim=1)
    full = torch.full_like(logits, float("-inf")).scatter_(1, idx, values)
    return idx, torch.sigmoid(full).gather(1, idx)


# --- Megatron topk_routing_with_score_function (moe_utils.py @d98e8a6) -------------------------------------
def megatron(x, w, top_k, score_function, use_pre_softmax=False, num_groups=None, group_topk=None,
             scaling_factor=None, expert_bias=None):
    logits = x @ w.T

    def pick(scores):
        if num_groups:
            n, e = scores.shape
            group_scores = scores.view(n, num_groups, -1).topk(top_k // group_topk, dim=-1)[0].sum(dim=-1)
            group_idx = torch.topk(group_scores, k=group_topk, dim=-1, sorted=False)[1]
            group_mask = torch.zeros_like(group_scores).scatter(1, group_idx, 1)
            score_mask = group_mask.unsqueeze(-1).expand(n, num_groups, e // num_groups).reshape(n, -1)
            scores = scores.masked_fill(~score_mask.bool(), float("-inf"))
        return torch.topk(scores, k=top_k, dim=1)

    if score_function == "softmax":
        if use_pre_softmax:
            scores = torch.softmax(logits, dim=-1)
            probs, idx = pick(scores)
        else:
            values, idx = pick(logits)
            probs = torch.softmax(values, dim=-1)
    else:
        scores = torch.sigmoid(logits) if score_function == "sigmoid" else F.softplus(logits).sqrt()
        if expert_bias is not None:
            _, idx = pick(scores + expert_bias)
            probs = scores.gather(1, idx)
        else:
            probs, idx = pick(scores)
        probs = probs / (probs.sum(dim=-1, keepdim=True) + 1e-20) if top_k > 1 else probs
    if scaling_factor:
        probs = probs * scaling_factor
    return idx, probs


# --- DeepSeek official inference Gate (inference/model.py @9b4e978) -----------------------------------------
def deepseek_official(x, w, bias, topk, n_groups, topk_groups, score_func, route_scale):
    scores = x @ w.T
    scores = scores.softmax(dim=-1) if score_func == "softmax" else scores.sigmoid()
    original = scores
    if bias is not None:
        scores = scores + bias
    if n_groups > 1:
        grouped = scores.view(x.size(0), n_groups, -1)
        group_scores = grouped.amax(dim=-1) if bias is None else grouped.topk(2, dim=-1)[0].sum(dim=-1)
        keep = group_scores.topk(topk_groups, dim=-1)[1]
        mask = grouped.new_ones(x.size(0), n_groups, dtype=bool).scatter_(1, keep, False)
        scores = grouped.masked_fill_(mask.unsqueeze(-1), float("-inf")).flatten(1)
    idx = torch.topk(scores, topk, dim=-1)[1]
    weights = original.gather(1, idx)
    if score_func == "sigmoid":
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return idx, weights * route_scale


# --- transformers Gemma4TextRouter (modular_gemma4.py @527d8b4) ---------------------------------------------
def hf_gemma4(x, w, scale, per_expert_scale, top_k, eps):
    normed = x * torch.pow(x.pow(2).mean(-1, keepdim=True) + eps, -0.5)  # Gemma4RMSNorm(with_scale=False)
    scores = F.linear(normed * scale * x.shape[-1] ** -0.5, w)
    probs = F.softmax(scores, dim=-1)
    weights, idx = torch.topk(probs, k=top_k, dim=-1)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return idx, weights * per_expert_scale[idx]


def cases():
    """(name, RouterConfig for the TS side, shapes, which inputs exist, the torch function to call)."""
    def cfg(experts, top_k, order, score, router_bias=False, selection_bias=False, groups=None, normalize=False,
            epsilon=1e-20, scale=1.0, round_robin=False, token_norm=None, expert_scale=False):
        c = dict(experts=experts, topK=top_k, order=order, scoreFunc=score, routerBias=router_bias,
                 selectionBias=selection_bias, normalize=normalize, epsilon=epsilon, scale=scale,
                 roundRobin=round_robin, semantics="")
        if groups:
            c["groups"] = dict(count=groups[0], selected=groups[1], score=groups[2])
        if token_norm is not None:
            c["tokenNorm"] = dict(epsilon=token_norm)
        if expert_scale:
            c["expertScale"] = True
        return c

    yield ("torchtitan softmax + route_norm (gpt-oss style)", cfg(8, 2, "score-then-topk", "softmax", router_bias=True, normalize=True),
           lambda x, w, b, s: torchtitan(x, w, b, None, 2, "softmax", True, 1.0))
    yield ("torchtitan softmax, learned expert_bias, no norm", cfg(8, 2, "score-then-topk", "softmax", selection_bias=True),
           lambda x, w, b, s: torchtitan(x, w, None, s, 2, "softmax", False, 1.0))
    yield ("torchtitan sigmoid + expert_bias + node-limited groups + norm + scale (DeepSeek-V3 style)",
           cfg(16, 4, "score-then-topk", "sigmoid", selection_bias=True, groups=(4, 2, "top2-sum"), normalize=True, scale=2.5),
           lambda x, w, b, s: torchtitan(x, w, None, s, 4, "sigmoid", True, 2.5, 4, 2))
    yield ("torchtitan PR topk_before_score softmax + router bias + expert bias",
           cfg(8, 2, "topk-then-score", "softmax", router_bias=True, selection_bias=True),
           lambda x, w, b, s: torchtitan(x, w, b, s, 2, "softmax", False, 1.0, topk_before_score=True))
    yield ("torchtitan _debug_force_load_balance round-robin", cfg(8, 3, "score-then-topk", "sigmoid", normalize=True, round_robin=True),
           lambda x, w, b, s: torchtitan(x, w, None, None, 3, "sigmoid", True, 1.0, debug_round_robin=True))
    yield ("hf gpt_oss: top-k on logits then softmax, router bias", cfg(8, 4, "topk-then-score", "softmax", router_bias=True),
           lambda x, w, b, s: hf_gpt_oss(x, w, b, 4))
    yield ("hf deepseek_v3: sigmoid, correction bias, top-2-sum groups, -inf mask, norm, scale",
           cfg(16, 4, "score-then-topk", "sigmoid", selection_bias=True, groups=(4, 2, "top2-sum"), normalize=True, scale=2.5),
           lambda x, w, b, s: hf_deepseek_v3(x, w, s, 4, 4, 2, True, 2.5))
    yield ("hf qwen3_moe norm_topk_prob=False", cfg(8, 2, "score-then-topk", "softmax"),
           lambda x, w, b, s: hf_softmax_topk(x, w, 2, False))
    yield ("hf mixtral (always renormalises)", cfg(8, 2, "score-then-topk", "softmax", normalize=True, epsilon=0),
           lambda x, w, b, s: hf_softmax_topk(x, w, 2, True))
    yield ("hf llama4: top-k on logits then sigmoid", cfg(16, 1, "topk-then-score", "sigmoid"),
           lambda x, w, b, s: hf_llama4(x, w, 1))
    yield ("megatron post-softmax (default)", cfg(8, 2, "topk-then-score", "softmax"),
           lambda x, w, b, s: megatron(x, w, 2, "softmax"))
    yield ("megatron pre-softmax", cfg(8, 2, "score-then-topk", "softmax"),
           lambda x, w, b, s: megatron(x, w, 2, "softmax", use_pre_softmax=True))
    yield ("megatron sigmoid + expert bias + groups (top-(k/groups) sum) + scaling",
           cfg(16, 6, "score-then-topk", "sigmoid", selection_bias=True, groups=(4, 2, "topk-over-groups-sum"), normalize=True, scale=2.5),
           lambda x, w, b, s: megatron(x, w, 6, "sigmoid", num_groups=4, group_topk=2, scaling_factor=2.5, expert_bias=s))
    yield ("megatron sqrtsoftplus", cfg(8, 2, "score-then-topk", "sqrtsoftplus", normalize=True),
           lambda x, w, b, s: megatron(x, w, 2, "sqrtsoftplus"))
    yield ("deepseek official V2 style: softmax, max group score, no renormalisation, scale",
           cfg(16, 3, "score-then-topk", "softmax", groups=(4, 2, "max"), scale=16.0),
           lambda x, w, b, s: deepseek_official(x, w, None, 3, 4, 2, "softmax", 16.0))
    yield ("deepseek official V3 style: sigmoid + bias, top-2 groups, plain-sum renormalisation",
           cfg(16, 4, "score-then-topk", "sigmoid", selection_bias=True, groups=(4, 2, "top2-sum"), normalize=True, epsilon=0, scale=2.5),
           lambda x, w, b, s: deepseek_official(x, w, s, 4, 4, 2, "sigmoid", 2.5))
    # The learned scales are drawn away from their initial 1, so that the test sees them; the case's tokens are
    # scaled per row (0.1 to 10), which the norm must undo.
    yield ("hf gemma4: token RMS-normed with a learned scale, softmax, top-k renormalised, per-expert scale",
           cfg(16, 4, "score-then-topk", "softmax", normalize=True, epsilon=0, token_norm=1e-6, expert_scale=True),
           lambda x, w, b, s, extra: hf_gemma4(x, w, extra["tokenScale"], extra["expertScale"], 4, 1e-6))


def separated(x, w, b, s, config, extra):
    """True when no top-k decision is within 1e-4 of a tie (so float32 engines agree with float64)."""
    if "tokenNorm" in config:
        x = x * torch.pow(x.pow(2).mean(-1, keepdim=True), -0.5) * extra["tokenScale"] * x.shape[-1] ** -0.5
    logits = x @ w.T + (b if config["routerBias"] else 0)
    values = torch.sort(logits, dim=-1, descending=True)[0]
    return bool((values[:, :-1] - values[:, 1:]).min() > 1e-3)


def main():
    out = []
    rng = np.random.default_rng(20261126)
    tokens, hidden = 24, 16
    for name, config, fn in cases():
        experts = config["experts"]
        extra = {}
        for _ in range(1000):
            x = rng.normal(size=(tokens, hidden)).astype(np.float32)
            w = (rng.normal(size=(experts, hidden)) / math.sqrt(hidden)).astype(np.float32)
            b = (rng.normal(size=(experts,)) * 0.1).astype(np.float32)
            s = (rng.normal(size=(experts,)) * 0.1).astype(np.float32)
            if "tokenNorm" in config:
                x = (x * np.exp(rng.uniform(np.log(0.1), np.log(10), size=(tokens, 1)))).astype(np.float32)
                extra = {"tokenScale": rng.uniform(0.5, 2, size=(hidden,)).astype(np.float32),
                         "expertScale": rng.uniform(0.5, 2, size=(experts,)).astype(np.float32)}
            tx, tw, tb, ts = (torch.from_numpy(a).double() for a in (x, w, b, s))
            textra = {k: torch.from_numpy(v).double() for k, v in extra.items()}
            if separated(tx, tw, tb, ts, config, textra):
                break
        idx, weights = fn(tx, tw, tb, ts, textra) if extra else fn(tx, tw, tb, ts)
        # Rows sorted by expert id so engines that order the k differently (sorted=False) compare equal.
        order = torch.argsort(idx, dim=-1)
        idx = idx.gather(1, order)
        weights = weights.gather(1, order)
        counts = torch.bincount(idx.flatten(), minlength=experts)
        out.append({
            "name": name,
            "config": config,
            "tokens": tokens,
            "hidden": hidden,
            "hiddenStates": x.flatten().tolist(),
            "gateWeight": w.flatten().tolist(),
            "gateBias": b.tolist(),
            "selectionBias": s.tolist(),
            **{k: v.tolist() for k, v in extra.items()},
            "expected": {
                "indices": idx.flatten().tolist(),
                "weights": weights.flatten().tolist(),
                "counts": counts.tolist(),
            },
        })
    path = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "router-vectors.json"
    path.write_text(json.dumps({"generator": "scripts/reference/router_reference.py", "torch": torch.__version__, "cases": out}) + "\n")
    print(f"wrote {len(out)} cases to {path}")


if __name__ == "__main__":
    main()
