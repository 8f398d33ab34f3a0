"""Capture what a Hugging Face MoE model's routers really see and really choose, for `moe-lens route`.

Runs a transformers MoE model on a few prompts (or random token ids), with forward hooks on every MoE block's
router, and writes:

  OUT (activations)        layers.N.hidden_states  [T, H] float32   the router's input, as the model fed it
                           layers.N.topk_indices   [T, K] int64     the experts the model chose (its own output)
                           layers.N.router_logits  [T, E] float32   only with --save-logits, when the router returns them
  --weights-out (weights)  model.layers.N.mlp.router.weight / .bias                  (gpt-oss)
                           model.layers.N.mlp.gate.weight / .e_score_correction_bias (DeepSeek-V3, Qwen3-MoE, ...)
                           model.layers.N.block_sparse_moe.gate.weight               (Mixtral, transformers 4.x)
                           model.layers.N.router.proj.weight / .scale / .per_expert_scale (Gemma 4; under
                           model.language_model. in the multimodal model)
                           the names `moe-lens route --weights` reads; float32

Then, on any machine (no torch needed):

    moe-lens route config.json --weights router.safetensors --activations acts.safetensors --all-layers

routes every captured layer with the config's router in MoE Lens and reports, per layer, the share of tokens
whose chosen expert set equals the model's.

Usage:
    # a checkpoint (local folder or hub id) on a few prompts
    python3 scripts/capture_router_inputs.py Qwen/Qwen3-30B-A3B --prompt "Hello" --prompt "def f(x):" \\
        --out acts.safetensors --weights-out router.safetensors
    # a small random-initialised model built from a config (nothing is downloaded)
    python3 scripts/capture_router_inputs.py --config config.json --random-init --seed 0 --random-tokens 64 \\
        --random-bias 0.05 --out acts.safetensors --weights-out router.safetensors

Needs torch and transformers (4.x or 5.x); safetensors is used when installed (a small writer stands in
otherwise). Routers are found by what they are, not by where: a module with an `experts` child and a `router`
or `gate` child whose 2-D weight (or its `proj`'s, Gemma 4) is [experts, hidden]. The chosen experts are read from the model itself, in this
order: an integer [.., K] tensor the router returns (gpt-oss, Mixtral/Qwen3-MoE in transformers 5, DeepSeek-V3
in 4.x); what the block's `route_tokens_to_experts` returns (DeepSeek-V3 in 5.x); else the last
`topk(k=K)` over the experts taken inside the block's forward (Mixtral/Qwen3-MoE in 4.x, where the gate is a
plain Linear). Nothing is recomputed here.
"""

import argparse
import json
import os
import re
import struct
import sys
import tempfile

import torch
import transformers
from torch import nn


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", nargs="?", help="a local checkpoint folder or hub id (omit with --config --random-init)")
    p.add_argument("--config", help="a config.json to build the model from (with --random-init)")
    p.add_argument("--random-init", action="store_true", help="build the model from --config with random weights; nothing is downloaded")
    p.add_argument("--random-bias", type=float, default=None, metavar="STD",
                   help="with --random-init: draw router biases and e_score_correction_bias from N(0, STD) (they start at zero)")
    p.add_argument("--random-scale", type=float, default=None, metavar="STD",
                   help="with --random-init: multiply learned router scales (Gemma 4's scale, per_expert_scale; they start at one) by exp(N(0, STD))")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--prompt", action="append", default=[], help="a prompt to run (repeatable); needs the model's tokenizer")
    p.add_argument("--random-tokens", type=int, default=None, metavar="T", help="run T random token ids instead of prompts")
    p.add_argument("--out", required=True, help="the activations file to write (.safetensors)")
    p.add_argument("--weights-out", help="the router weights file to write (default: OUT with .router.safetensors); the same path as --out writes one file")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--device-map", help="passed to from_pretrained (e.g. auto) for a model that does not fit one device; --device is then ignored")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"], help="the model's dtype (hidden states are written as float32 either way)")
    p.add_argument("--save-logits", action="store_true", help="also write layers.N.router_logits when the router returns them")
    p.add_argument("--trust-remote-code", action="store_true")
    args = p.parse_args(argv)
    if args.random_init and not args.config:
        p.error("--random-init needs --config config.json")
    if not args.random_init and not args.model:
        p.error("give a MODEL (folder or hub id), or --config config.json --random-init")
    if args.random_scale is not None and not args.random_init:
        raise SystemExit("capture: --random-scale only applies with --random-init")
    if args.random_bias is not None and not args.random_init:
        p.error("--random-bias only applies with --random-init (a trained model's biases are kept)")
    if args.random_tokens is None and not args.prompt:
        if args.random_init:
            args.random_tokens = 64
        else:
            args.prompt = ["The quick brown fox jumps over the lazy dog.", "def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)"]
    if args.random_tokens is not None and args.random_tokens < 1:
        p.error("--random-tokens must be at least 1")
    if not args.weights_out:
        stem = args.out[: -len(".safetensors")] if args.out.endswith(".safetensors") else args.out
        args.weights_out = stem + ".router.safetensors"
    return args


# ---------------------------------------------------------------------------------------------------------------
# Loading


def load_model(args, dtype):
    """The model, built from --config with random weights, or loaded with from_pretrained; eager attention and
    eager experts where this transformers version knows them (routing does not depend on either)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    attempts = [{"attn_implementation": "eager", "experts_implementation": "eager"}, {"attn_implementation": "eager"}, {}]
    if args.random_init:
        with open(args.config) as f:
            raw = json.load(f)
        raw.pop("quantization_config", None)  # random weights are never quantised
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "config.json"), "w") as f:
                json.dump(raw, f)
            config = AutoConfig.from_pretrained(directory, trust_remote_code=args.trust_remote_code)
        torch.manual_seed(args.seed)
        last = None
        for extra in attempts:
            try:
                torch.manual_seed(args.seed)
                model = AutoModelForCausalLM.from_config(config, trust_remote_code=args.trust_remote_code, **extra)
                return model.to(dtype), config, None
            except (TypeError, ValueError) as error:  # an implementation name this version does not know
                last = error
        raise last
    last = None
    for extra in attempts:
        for dtype_key in ("dtype", "torch_dtype"):
            try:
                placement = {"device_map": args.device_map} if args.device_map else {}
                model = AutoModelForCausalLM.from_pretrained(args.model, trust_remote_code=args.trust_remote_code, **{dtype_key: dtype}, **placement, **extra)
                tokenizer = None
                if args.random_tokens is None:
                    from transformers import AutoTokenizer

                    tokenizer = AutoTokenizer.from_pretrained(args.model, trust_remote_code=args.trust_remote_code)
                # No model.to(dtype) here: it would undo the float32 that models keep for some router tensors.
                return model, model.config, tokenizer
            except (TypeError, ValueError) as error:
                last = error
    raise last


# ---------------------------------------------------------------------------------------------------------------
# Finding routers


def text_config(config):
    get = getattr(config, "get_text_config", None)
    return get() if callable(get) else config


def first_attr(objects, names):
    for obj in objects:
        for name in names:
            value = getattr(obj, name, None)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


class Site:
    """One MoE block: where it is, its router, and what was recorded at it."""

    def __init__(self, layer, block_name, block, attr, router, top_k):
        self.layer = layer
        self.block_name = block_name
        self.block = block
        self.attr = attr
        self.router = router
        self.experts, self.hidden = router_weight(router).shape
        self.top_k = top_k
        self.hidden_chunks = []
        self.index_chunks = []
        self.logit_chunks = []
        self.sources = set()
        self.cross_checks = []  # (source, tokens, same) where two sources were seen in one call
        self.call = None  # what the current forward of this block has recorded

    @property
    def prefix(self):
        """The checkpoint name prefix MoE Lens reads (src/core/router/safetensors.ts routerTensorCandidates)."""
        leaf = self.block_name.rsplit(".", 1)[-1]
        if self.scales() is not None:  # Gemma 4: the router sits in the decoder layer, its weight in `proj`
            return f"{self.block_name}.router"
        if self.attr == "router":
            return f"model.layers.{self.layer}.mlp.router"
        if leaf == "block_sparse_moe":
            return f"model.layers.{self.layer}.block_sparse_moe.gate"
        return f"model.layers.{self.layer}.mlp.gate"

    def selection_bias(self):
        # DeepSeek-V3 and its copies: `e_score_correction_bias` on the router or the block; ERNIE 4.5 keeps it in
        # the router's `moe_statics` ([1, experts]); Ling 2.0's remote gate calls it `expert_bias`.
        for owner in (self.router, self.block):
            for path in ("e_score_correction_bias", "moe_statics.e_score_correction_bias", "expert_bias"):
                bias = owner
                for name in path.split("."):
                    bias = getattr(bias, name, None)
                if isinstance(bias, torch.Tensor):
                    return bias.reshape(-1) if bias.dim() == 2 and bias.shape[0] == 1 else bias
        getter = getattr(self.router, "get_e_score_correction_bias", None)
        if callable(getter):
            return getter()
        return None

    def router_bias(self):
        bias = getattr(self.router, "bias", None)
        return bias if isinstance(bias, torch.Tensor) else None

    def scales(self):
        """Gemma 4's learned router scales (`scale` [hidden], `per_expert_scale` [experts]), or None."""
        scale, per_expert = getattr(self.router, "scale", None), getattr(self.router, "per_expert_scale", None)
        return (scale, per_expert) if isinstance(scale, torch.Tensor) and isinstance(per_expert, torch.Tensor) else None

    def weight_tensors(self):
        """The router's tensors under the names MoE Lens reads (src/core/router/safetensors.ts), float32."""
        out = {}
        if self.scales() is not None:
            out[f"{self.prefix}.proj.weight"] = router_weight(self.router)
            out[f"{self.prefix}.scale"], out[f"{self.prefix}.per_expert_scale"] = self.scales()
        else:
            out[f"{self.prefix}.weight"] = self.router.weight
            if self.router_bias() is not None:
                out[f"{self.prefix}.bias"] = self.router_bias()
            if self.selection_bias() is not None:
                out[f"{self.prefix}.e_score_correction_bias"] = self.selection_bias()
        return {name: tensor.detach().to(torch.float32) for name, tensor in out.items()}


def router_weight(router):
    """The router's [experts, hidden] weight: its own, or its `proj` Linear's (Gemma4TextRouter), else None."""
    for owner in (router, getattr(router, "proj", None)):
        weight = getattr(owner, "weight", None)
        if isinstance(weight, torch.Tensor) and weight.dim() == 2:
            return weight
    return None


LAYER_RE = re.compile(r"(?:^|\.)(?:layers|h|blocks|block)\.(\d+)(?:\.|$)")


def find_sites(model, config):
    tc = text_config(config)
    hidden_size = first_attr([tc], ["hidden_size", "d_model", "n_embd"])
    sites = []
    for name, module in model.named_modules():
        if not hasattr(module, "experts"):
            continue
        for attr in ("router", "gate"):
            router = getattr(module, attr, None)
            if not isinstance(router, nn.Module):
                continue
            weight = router_weight(router)
            if weight is None:
                continue
            if hidden_size is not None and weight.shape[1] != hidden_size:
                continue
            match = LAYER_RE.search(name)
            layer = int(match.group(1)) if match else len(sites)
            # `top_k_experts` (Gemma 4) first: its config's `top_k` is a generation setting, not the router's.
            top_k = first_attr([router, module, tc], ["top_k_experts", "top_k", "num_experts_per_tok", "experts_per_token", "moe_topk", "num_experts_per_token"])
            if top_k is None:
                raise SystemExit(f"capture: found the router {name}.{attr} but no top-k (top_k / num_experts_per_tok) on it, its block or the config")
            sites.append(Site(layer, name, module, attr, router, top_k))
            break
    if not sites:
        raise SystemExit("capture: no MoE block found (a module with `experts` and a `router` or `gate` whose weight is [experts, hidden])")
    layers = [s.layer for s in sites]
    if len(set(layers)) != len(layers):
        raise SystemExit(f"capture: two MoE blocks map to one layer index ({layers}); this model's layout is not understood")
    return sites


# ---------------------------------------------------------------------------------------------------------------
# Hooks


def integer_tensors(value, found):
    if isinstance(value, torch.Tensor):
        if not value.is_floating_point() and value.dtype != torch.bool and value.dim() >= 1:
            found.append(value)
    elif isinstance(value, (tuple, list)):
        for item in value:
            integer_tensors(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            integer_tensors(item, found)
    return found


def float_tensors(value, found):
    if isinstance(value, torch.Tensor):
        if value.is_floating_point():
            found.append(value)
    elif isinstance(value, (tuple, list)):
        for item in value:
            float_tensors(item, found)
    return found


def choice_in(value, site, tokens):
    """The [tokens, K] integer tensor among a router's (or route function's) outputs, if there is one."""
    for tensor in integer_tensors(value, []):
        if tensor.shape[-1] == site.top_k and tensor.numel() == tokens * site.top_k:
            return tensor.detach().reshape(tokens, site.top_k)
    return None


class TopkSpy:
    """Records topk calls made inside an MoE block's forward (the fallback for a gate that is a plain Linear)."""

    def __init__(self):
        self.active = None
        self.original_fn = torch.topk
        self.original_method = torch.Tensor.topk

    def record(self, tensor, k, result):
        site = self.active
        if site is None or site.call is None:
            return
        if isinstance(k, int) and k == site.top_k and tensor.dim() >= 1 and tensor.shape[-1] == site.experts:
            site.call["topk"] = result[1].detach()

    def install(self):
        spy = self

        def topk_fn(input, k, *a, **kw):
            result = spy.original_fn(input, k, *a, **kw)
            spy.record(input, k, result)
            return result

        def topk_method(self, k, *a, **kw):
            result = spy.original_method(self, k, *a, **kw)
            spy.record(self, k, result)
            return result

        torch.topk = topk_fn
        torch.Tensor.topk = topk_method

    def remove(self):
        torch.topk = self.original_fn
        torch.Tensor.topk = self.original_method


def attach(site, spy, save_logits):
    handles = []

    def block_pre(module, args):
        site.call = {}
        spy.active = site

    def block_post(module, args, output):
        spy.active = None
        call, site.call = site.call, None
        if "hidden" not in call:
            raise SystemExit(f"capture: the MoE block {site.block_name} ran but its router {site.attr} was not called")
        hidden = call["hidden"]
        tokens = hidden.shape[0]
        candidates = []
        for source in ("router-output", "route_tokens_to_experts", "topk-in-block"):
            value = call.get(source if source != "topk-in-block" else "topk")
            if value is None:
                continue
            choice = choice_in(value, site, tokens)
            if choice is not None:
                candidates.append((source, choice))
        if not candidates:
            raise SystemExit(f"capture: could not read the experts chosen at {site.block_name} (no [tokens, {site.top_k}] integer output from its router, "
                             "no route_tokens_to_experts, no topk over the experts in its forward)")
        source, choice = candidates[0]
        for other, alternative in candidates[1:]:
            same = (choice.sort(dim=-1).values == alternative.sort(dim=-1).values).all(dim=-1)
            site.cross_checks.append((other, tokens, int(same.sum())))
        site.sources.add(source)
        site.hidden_chunks.append(hidden)
        site.index_chunks.append(choice.to(torch.int64).cpu())
        if save_logits and "logits" in call:
            site.logit_chunks.append(call["logits"])

    def router_post(module, args, kwargs, output):
        if site.call is None:  # called outside its block: not a routing step we follow
            return
        x = args[0] if args else next((v for v in kwargs.values() if isinstance(v, torch.Tensor)), None)
        if x is None:
            raise SystemExit(f"capture: the router {site.block_name}.{site.attr} was called without a tensor input")
        hidden = x.detach().reshape(-1, site.hidden).to(torch.float32).cpu()
        site.call["hidden"] = hidden
        site.call["router-output"] = output
        for tensor in float_tensors(output, []):
            if tensor.shape[-1] == site.experts and tensor.numel() == hidden.shape[0] * site.experts:
                site.call["logits"] = tensor.detach().reshape(hidden.shape[0], site.experts).to(torch.float32).cpu()
                break

    handles.append(site.block.register_forward_pre_hook(block_pre))
    handles.append(site.block.register_forward_hook(block_post))
    handles.append(site.router.register_forward_hook(router_post, with_kwargs=True))

    route = getattr(site.block, "route_tokens_to_experts", None)
    if callable(route):
        def wrapped(*a, **kw):
            out = route(*a, **kw)
            if site.call is not None:
                site.call["route_tokens_to_experts"] = out
            return out

        site.block.route_tokens_to_experts = wrapped
    return handles


# ---------------------------------------------------------------------------------------------------------------
# Writing


DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.int32: "I32", torch.float16: "F16", torch.bfloat16: "BF16"}


def write_safetensors(path, tensors, metadata):
    tensors = {name: t.detach().contiguous().cpu() for name, t in tensors.items()}
    try:
        from safetensors.torch import save_file
    except ImportError:
        save_file = None
    if save_file is not None:
        save_file(tensors, path, metadata=metadata)
        return
    header = {"__metadata__": metadata}
    chunks, offset = [], 0
    for name in sorted(tensors):
        tensor = tensors[name]
        data = tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
        header[name] = {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for data in chunks:
            f.write(data)


# ---------------------------------------------------------------------------------------------------------------


def main(argv):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    # Full-precision float32 matmuls: TF32 would move the router's logits by ~1e-3 and flip near ties.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    dtype = getattr(torch, args.dtype)

    model, config, tokenizer = load_model(args, dtype)
    model.eval()
    if not args.device_map:
        model.to(args.device)
    device = next(model.parameters()).device
    tc = text_config(config)
    sites = find_sites(model, config)

    generator = torch.Generator().manual_seed(args.seed)
    if args.random_bias is not None:
        with torch.no_grad():
            for site in sites:
                for bias in (site.router_bias(), site.selection_bias()):
                    if bias is not None:
                        bias.copy_(torch.randn(bias.shape, generator=generator) * args.random_bias)
    if args.random_scale is not None:
        with torch.no_grad():
            for site in sites:
                for scale in site.scales() or ():
                    scale.mul_(torch.exp(torch.randn(scale.shape, generator=generator) * args.random_scale).to(device=scale.device, dtype=scale.dtype))

    spy = TopkSpy()
    handles = [h for site in sites for h in attach(site, spy, args.save_logits)]
    spy.install()
    try:
        with torch.no_grad():
            if args.random_tokens is not None:
                vocab = first_attr([tc, config], ["vocab_size"])
                ids = torch.randint(0, vocab, (1, args.random_tokens), generator=generator)
                batches = [ids]
            else:
                if tokenizer is None:
                    raise SystemExit("capture: prompts need the model's tokenizer; use --random-tokens T for a model without one")
                batches = [tokenizer(prompt, return_tensors="pt")["input_ids"] for prompt in args.prompt]
            for ids in batches:  # one sequence at a time: no padding tokens among the captured ones
                model(input_ids=ids.to(device), use_cache=False)
    finally:
        spy.remove()
        for handle in handles:
            handle.remove()

    acts, weights, sources = {}, {}, {}
    for site in sites:
        if not site.hidden_chunks:
            raise SystemExit(f"capture: the MoE block {site.block_name} never ran")
        acts[f"layers.{site.layer}.hidden_states"] = torch.cat(site.hidden_chunks).to(torch.float32)
        acts[f"layers.{site.layer}.topk_indices"] = torch.cat(site.index_chunks).to(torch.int64)
        if args.save_logits and len(site.logit_chunks) == len(site.hidden_chunks):
            acts[f"layers.{site.layer}.router_logits"] = torch.cat(site.logit_chunks)
        weights.update(site.weight_tensors())
        sources[site.layer] = sorted(site.sources)

    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    metadata = {
        "format": "pt",
        "producer": "moe-lens scripts/capture_router_inputs.py",
        "model": args.model or "",
        "config": os.path.basename(args.config) if args.config else "",
        "random_init": "true" if args.random_init else "false",
        "random_bias_std": "" if args.random_bias is None else repr(args.random_bias),
        "random_scale_std": "" if args.random_scale is None else repr(args.random_scale),
        "model_type": str(getattr(tc, "model_type", getattr(config, "model_type", ""))),
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "seed": str(args.seed),
        "device": device_name,
        "dtype": args.dtype,
        "tokens": str(acts[f"layers.{sites[0].layer}.hidden_states"].shape[0]),
        "inputs": f"random token ids ({args.random_tokens})" if args.random_tokens is not None else f"{len(args.prompt)} prompts",
        "layers": ",".join(str(s.layer) for s in sites),
        "top_k": str(sites[0].top_k),
        "num_experts": str(sites[0].experts),
        "hidden_size": str(sites[0].hidden),
        "choice_source": json.dumps({str(k): v for k, v in sources.items()}),
        "router_modules": json.dumps({str(s.layer): f"{s.block_name}.{s.attr} ({type(s.router).__name__})" for s in sites}),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if os.path.abspath(args.weights_out) == os.path.abspath(args.out):
        write_safetensors(args.out, {**acts, **weights}, metadata)
    else:
        write_safetensors(args.out, acts, metadata)
        write_safetensors(args.weights_out, weights, metadata)

    print(f"capture: {metadata['model_type']} · transformers {transformers.__version__} · torch {torch.__version__} · {device_name}", file=sys.stderr)
    for site in sites:
        checks = "; ".join(f"{other} agrees on {same}/{tokens}" for other, tokens, same in site.cross_checks)
        print(f"  layer {site.layer}: {site.block_name}.{site.attr} ({type(site.router).__name__}) E={site.experts} K={site.top_k} H={site.hidden} "
              f"tokens={acts[f'layers.{site.layer}.hidden_states'].shape[0]} choice from {', '.join(sorted(site.sources))}"
              + (f" ({checks})" if checks else ""), file=sys.stderr)
    print(f"  wrote {args.out}" + (f" and {args.weights_out}" if os.path.abspath(args.weights_out) != os.path.abspath(args.out) else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
