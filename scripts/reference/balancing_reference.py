#!/usr/bin/env python3
"""Independent simulation of auxiliary-loss-free load balancing, in NumPy float64, written from each
framework's own bias update (not from MoE Lens's TypeScript):

- torchtitan torchtitan/components/optimizer/optimizer.py @b5bcd76 l.512-518:
    delta = coeff * sign(tokens_per_expert.mean() - tokens_per_expert); delta -= delta.mean(); expert_bias += delta
- Megatron-LM megatron/core/transformer/moe/moe_utils.py @d98e8a6 l.1226-1228 (get_updated_expert_bias):
    expert_bias + sign(average_tokens - tokens_per_expert) * rate
- DeepSeek-V3 Technical Report §2.1.2: b_i -= gamma if overloaded, += gamma if underloaded.

Routing per step: choice = scores (+ node-limited group mask, torchtitan's top-2-sum) + bias, top-k on the biased
choice; the gate is frozen. Batches are used in turn.

Writes test/fixtures/balancing-vectors.json; test/router/balancing.test.ts replays it.
Run: python3 scripts/reference/balancing_reference.py
"""
import json
import pathlib

import numpy as np


def scores_of(x, w, score_func):
    logits = x @ w.T
    if score_func == "sigmoid":
        return 1.0 / (1.0 + np.exp(-logits))
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def top_k(values, k):
    # Largest first; ties to the lower index.
    return np.argsort(-values, kind="stable")[:k]


def route_counts(choice, k, groups):
    n, e = choice.shape
    counts = np.zeros(e, dtype=np.int64)
    for t in range(n):
        row = choice[t].copy()
        if groups is not None:
            count, selected = groups
            grouped = row.reshape(count, e // count)
            group_scores = np.array([np.sort(g)[::-1][:2].sum() for g in grouped])
            keep = set(top_k(group_scores, selected).tolist())
            for g in range(count):
                if g not in keep:
                    grouped[g, :] = -np.inf
            row = grouped.reshape(e)
        for i in top_k(row, k):
            counts[i] += 1
    return counts


def update(bias, counts, rate, kind):
    delta = rate * np.sign(counts.mean() - counts)
    if kind == "sign-centred":
        delta = delta - delta.mean()
    return bias + delta


def case(name, seed, tokens, hidden, experts, k, score_func, kind, rate, steps, batches, groups=None):
    rng = np.random.default_rng(seed)
    # Rounded to 4 decimals, so that the JSON holds exactly the numbers both sides compute with (and stays small).
    w = np.round(rng.normal(0, 1 / np.sqrt(hidden), size=(experts, hidden)), 4)
    # A skewed gate: a few experts favoured, so balancing has work to do.
    w[: experts // 4] += 0.3
    xs = [np.round(rng.normal(0, 1, size=(tokens, hidden)), 4) for _ in range(batches)]
    bias = np.zeros(experts)
    counts_per_step, bias_per_step = [], []
    for step in range(steps):
        choice = scores_of(xs[step % batches], w, score_func) + bias
        counts = route_counts(choice, k, groups)
        bias = update(bias, counts, rate, kind)
        counts_per_step.append(counts.tolist())
        bias_per_step.append(bias.tolist())
    return {
        "name": name,
        "experts": experts,
        "topK": k,
        "hidden": hidden,
        "tokens": tokens,
        "scoreFunc": score_func,
        "kind": kind,
        "rate": rate,
        "groups": None if groups is None else {"count": groups[0], "selected": groups[1]},
        "gateWeight": w.flatten().tolist(),
        "batches": [x.flatten().tolist() for x in xs],
        "counts": counts_per_step,
        "bias": bias_per_step,
    }


def main():
    cases = [
        case("torchtitan sigmoid top-2 of 16, coeff 1e-3", 1, 96, 12, 16, 2, "sigmoid", "sign-centred", 1e-3, 40, 3),
        case("megatron sigmoid top-4 of 32, rate 2e-3", 2, 256, 16, 32, 4, "sigmoid", "sign", 2e-3, 60, 2),
        case("torchtitan softmax top-2 of 16, 4 groups top-2", 3, 64, 8, 16, 2, "softmax", "sign-centred", 5e-3, 30, 2, groups=(4, 2)),
    ]
    out = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "balancing-vectors.json"
    out.write_text(json.dumps({"generator": "scripts/reference/balancing_reference.py", "cases": cases}) + "\n")
    print(f"wrote {out} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
