"""Count each config's parameters by building the model with transformers on the meta device (no weights).

The independent reference for MoE Lens's parameter arithmetic (test/parameters.test.ts): run it where torch and
transformers are installed, e.g. the GPU machine, and commit its JSON output as
test/fixtures/parameters/transformers-counts.json.

    python3 scripts/count_parameters_with_transformers.py CONFIG.json... > counts.json

Nothing is downloaded: each config.json is read from disk and the model is built with empty (meta) tensors.
"""

import json
import os
import sys
import tempfile

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM


def component(name: str) -> str:
    if "vision" in name or "multi_modal_projector" in name:
        return "encoder"
    if "embed_tokens" in name:
        return "embedding"
    if name.startswith("lm_head") or ".lm_head" in name:
        return "unembedding"
    if "shared_expert" in name:
        return "sharedExperts"
    if ".experts." in name or name.endswith(".experts.gate_up_proj") or ".experts" in name:
        return "routedExperts"
    if ".mlp.gate." in name or ".router." in name or "e_score_correction_bias" in name or ".mlp.gate.weight" in name:
        return "routers"
    if "self_attn" in name:
        return "attention"
    if "norm" in name:
        return "norms"
    if ".mlp." in name:
        return "denseFfn"
    return "other:" + name


def count(path: str) -> dict:
    with open(path) as f:
        raw = json.load(f)
    # Quantisation settings describe how weights are stored, not how many there are; building with them would
    # need the quantisation kernels installed.
    raw.pop("quantization_config", None)
    with tempfile.TemporaryDirectory() as directory:
        with open(os.path.join(directory, "config.json"), "w") as f:
            json.dump(raw, f)
        config = AutoConfig.from_pretrained(directory)
    with torch.device("meta"):
        if raw.get("model_type") == "llama4":
            model = transformers.Llama4ForConditionalGeneration(config)
        else:
            model = AutoModelForCausalLM.from_config(config)
    parts: dict = {}
    seen = set()
    for name, parameter in model.named_parameters():
        if id(parameter) in seen:
            continue
        seen.add(id(parameter))
        key = component(name)
        parts[key] = parts.get(key, 0) + parameter.numel()
    buffers = {}
    persistent = set(model.state_dict().keys())
    for name, buffer in model.named_buffers():
        if name in persistent:
            buffers[name.split(".")[-1]] = buffers.get(name.split(".")[-1], 0) + buffer.numel()
            key = component(name)
            parts[key] = parts.get(key, 0) + buffer.numel()
    return {"file": path, "model_type": raw.get("model_type"), "class": type(model).__name__, "total": sum(parts.values()), "parts": parts, "persistentBuffers": buffers}


def main() -> None:
    results = [count(path) for path in sys.argv[1:]]
    print(json.dumps({"transformers": transformers.__version__, "torch": torch.__version__, "counts": results}, indent=2))


if __name__ == "__main__":
    main()
