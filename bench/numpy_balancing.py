"""torchtitan's auxiliary-loss-free balancing in vectorised numpy, for `npm run bench`: the peer of `moe-lens
route --balance`. Sigmoid scores of B batches are computed once (the gate is frozen), then each step routes one
batch with the bias (argpartition top-k), counts, and applies delta = coeff·sign(mean − counts), centred.
Prints the time of the steps and of the whole run (scores included); inputs are drawn outside the timing."""
import json
import sys
import time

import numpy as np

tokens, hidden, experts, k, steps, batches = (int(a) for a in sys.argv[1:7])
rng = np.random.default_rng(0)
x = rng.standard_normal((tokens, hidden), dtype=np.float32)
w = (rng.standard_normal((experts, hidden), dtype=np.float32) / np.sqrt(hidden)).astype(np.float32)

start = time.perf_counter()
per = tokens // batches
scores = [1.0 / (1.0 + np.exp(-(x[b * per:(b + 1) * per] @ w.T).astype(np.float64))) for b in range(batches)]
scored = time.perf_counter()
bias = np.zeros(experts)
for step in range(steps):
    choice = scores[step % batches] + bias
    idx = np.argpartition(-choice, k - 1, axis=1)[:, :k]
    counts = np.bincount(idx.ravel(), minlength=experts)
    delta = 1e-3 * np.sign(counts.mean() - counts)
    bias += delta - delta.mean()
done = time.perf_counter()
print(json.dumps({"steps_ms": (done - scored) * 1000, "total_ms": (done - start) * 1000, "numpy": np.__version__}))
