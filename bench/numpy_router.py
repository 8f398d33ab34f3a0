"""The gpt-oss router's math in numpy, for `npm run bench`: logits = x·Wᵀ + b, top-k, softmax over the k,
counts per expert. Prints the median time of the computation (inputs are made outside the timing)."""
import json
import sys
import time

import numpy as np

tokens, hidden, experts, k, runs = (int(a) for a in sys.argv[1:6])
rng = np.random.default_rng(0)
x = rng.standard_normal((tokens, hidden), dtype=np.float32)
w = (rng.standard_normal((experts, hidden), dtype=np.float32) / np.sqrt(hidden)).astype(np.float32)
b = (rng.standard_normal(experts, dtype=np.float32) * 0.1).astype(np.float32)


def route():
    logits = x @ w.T + b
    idx = np.argpartition(-logits, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(logits, idx, axis=1)
    e = np.exp(top - top.max(axis=1, keepdims=True))
    weights = e / e.sum(axis=1, keepdims=True)
    counts = np.bincount(idx.ravel(), minlength=experts)
    return idx, weights, counts


times = []
first = None
for _ in range(runs):
    start = time.perf_counter()
    route()
    times.append((time.perf_counter() - start) * 1000)
    first = times[0] if first is None else first
print(json.dumps({"median_ms": sorted(times)[len(times) // 2], "first_ms": first, "numpy": np.__version__}))
