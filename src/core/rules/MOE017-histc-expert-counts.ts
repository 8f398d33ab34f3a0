import type { SyntaxNode } from '@lezer/common';
import { importBindings } from '../parse/python/imports';
import { callArguments, calleeName, literalOf, nodeText, type ParsedPython } from '../parse/python/syntax';
import type { FileEdit } from './types';
import type { Rule, RuleContext } from './types';

/** Names that hold selected expert ids in MoE code (`selected_experts_indices`, `topk_idx`, `expert_ids`). */
const EXPERT_IDS_NAME = /expert\w*(ind|idx|ids?\b)|selected\w*expert|topk_(ind|idx)|top_k_(ind|idx)/i;
/** An expression that yields expert ids: `topk(...).indices`, `topk(...)[1]`, `argsort(...)`, `argmax(...)`. */
const IDS_EXPRESSION = /\b(topk|top_k)\s*\([^]*\)\s*(\.indices|\[\s*1\s*\])|\b(argsort|argmax)\s*\(/;
/**
 * A module that imports `torch_npu` at its top level loads only where Ascend's PyTorch is installed: its code runs
 * on NPUs, never in a CPU test or debug run (verl @b178a3c verl/models/transformers/npu_patch.py, imported only
 * `if is_npu_available`, counts with histc beside `torch_npu.npu_moe_token_permute`).
 */
function importsTorchNpu(python: ParsedPython): boolean {
  for (let statement = python.tree.topNode.firstChild; statement; statement = statement.nextSibling) {
    if (statement.name === 'ImportStatement' && importBindings(statement, python.text).some((b) => b.level === 0 && /^torch_npu(\.|$)/.test(b.module))) return true;
  }
  return false;
}
/**
 * A function that calls an Ascend op (`torch_npu.npu_moe_token_permute(...)`, mindspeed's `npu_moe_token_permute`) runs
 * only on NPUs, whatever its module imports (MindSpeed-LLM @c77308a mindspeed_llm/fsdp2/models/deepseek_v4/
 * modeling_deepseek_v4.py l.1245-1266: `torch_npu` imported in a `try`, the function an NPU fast path).
 */
function inAscendFunction(call: SyntaxNode, text: string): boolean {
  for (let node = call.parent; node; node = node.parent) {
    if (node.name === 'FunctionDefinition') return ASCEND_OP.test(text.slice(node.from, node.to));
  }
  return false;
}
const ASCEND_OP = /\btorch_npu\.\w+\s*\(|\bnpu_\w+\s*\(/;
/** A float histogram is what `histc` is for: quiet. */
const FLOAT_CAST = /\.(float|double|half|bfloat16)\s*\(|\.(to|type)\s*\(\s*(torch\.)?(float|double|half|bfloat16|float16|float32|float64)\b|dtype\s*=\s*torch\.(float|double|half|bfloat16)/;

interface HistcCall {
  readonly call: SyntaxNode;
  /** The tensor counted: the first argument of `torch.histc`, or the receiver of `ids.histc(...)`. */
  readonly input: SyntaxNode;
  readonly positional: SyntaxNode[];
  readonly keywords: Map<string, SyntaxNode>;
  readonly method: boolean;
}

function histcCall(call: SyntaxNode, text: string): HistcCall | undefined {
  const callee = call.firstChild;
  if (!callee || callee.name !== 'MemberExpression' || callee.lastChild?.name !== 'PropertyName' || nodeText(text, callee.lastChild) !== 'histc') return undefined;
  const args = callArguments(call, text);
  if (!args || args.hasUnpacking) return undefined; // arguments we cannot see
  const positional = [...args.positional];
  const keywords = new Map(args.keywords.map((k) => [k.key, k.value] as const));
  if (calleeName(call, text) === 'torch.histc') {
    const input = positional.shift() ?? keywords.get('input');
    return input ? { call, input, positional, keywords, method: false } : undefined;
  }
  const receiver = callee.firstChild;
  return receiver ? { call, input: receiver, positional, keywords, method: true } : undefined;
}

/** The scores of a `topk`, `sort` or `max` (`[0]`, `.values`): floats, a histogram of router confidence. */
const VALUES_OF = /(\.values\b|\[\s*0\s*\])\s*(\.(view|reshape|flatten)\s*\([^()]*\))?\s*$/;

/**
 * What the last plain assignment of `name` before `at` (in the function around it, else the module) says the
 * tensor is: floats (`ids = ids.to(torch.float32)`, a `topk`'s values), ids (`topk(...).indices`), or undefined.
 */
function lastAssignment(name: string, text: string, scopeStart: number, at: number): 'float' | 'ids' | undefined {
  const assignments = [...text.slice(scopeStart, at).matchAll(new RegExp(`^[ \\t]*${name}[ \\t]*=(?!=)([^\\n]*)`, 'gm'))];
  const value = assignments.at(-1)?.[1];
  if (value === undefined) return undefined;
  if (FLOAT_CAST.test(value) || VALUES_OF.test(value)) return 'float';
  return IDS_EXPRESSION.test(value) ? 'ids' : undefined;
}

/** Whether the counted tensor is integer expert ids, as the code spells it (never a float histogram). */
function countsExpertIds(input: string, text: string, call: SyntaxNode): boolean {
  if (FLOAT_CAST.test(input)) return false;
  if (IDS_EXPRESSION.test(input)) return true;
  if (VALUES_OF.test(input)) return false;
  // `(ids.squeeze() + 1)`: the parentheses around the input say nothing (fairseq's moe top1gate.py l.66).
  const name = /^\(*\s*([A-Za-z_]\w*)/.exec(input)?.[1];
  if (!name) return false;
  // The tensor as last assigned before the call: a cast to float there makes it a float histogram (lmms-engine's
  // qwen3_omni_moe_ops.py @0524b88: `selected_experts = selected_experts.to(torch.float32)`, then `histc`).
  let scope: SyntaxNode | null = call.parent;
  while (scope && scope.name !== 'FunctionDefinition') scope = scope.parent;
  const last = lastAssignment(name, text, scope?.from ?? 0, call.from);
  if (last) return last === 'ids';
  if (EXPERT_IDS_NAME.test(name)) return true;
  // `_, idx = torch.topk(...)` / `idx = scores.topk(...).indices` somewhere in this file.
  const assigned = new RegExp(`(^|[\\s,(])${name}\\s*\\)?\\s*=\\s*[^\\n=]*?\\b(topk|argsort|argmax)\\s*\\(`, 'm');
  return assigned.test(text);
}

/** `torch.bincount(ids.flatten(), minlength=E)` where `histc(ids, bins=E, min=0, max=E)`: the same counts. */
function bincountEdit(found: HistcCall, text: string): FileEdit | undefined {
  const arg = (name: string, position: number): SyntaxNode | undefined => found.keywords.get(name) ?? found.positional[position];
  const [bins, min, max] = [arg('bins', 0), arg('min', 1), arg('max', 2)];
  if (!bins || !min || !max || found.keywords.has('out')) return undefined;
  const zero = literalOf(min, text);
  if (!((zero.kind === 'int' || zero.kind === 'float') && zero.value === 0)) return undefined;
  // One bin per expert id 0..E-1 only when max equals bins (as written): otherwise bins are wider or shifted.
  if (nodeText(text, bins).replace(/\s+/g, '') !== nodeText(text, max).replace(/\s+/g, '')) return undefined;
  if (found.method && !/^\s*(import torch\b|from torch\b)/m.test(text)) return undefined;
  const input = nodeText(text, found.input);
  const flat = /\.(view|reshape)\(\s*-1\s*\)$|\.flatten\(\s*\)$/.test(input) ? input : `${input}.flatten()`;
  return { range: { start: found.call.from, end: found.call.to }, newText: `torch.bincount(${flat}, minlength=${nodeText(text, bins)})` };
}

export const histcExpertCounts = {
  code: 'MOE017',
  name: 'histc-expert-counts',
  category: 'compatibility',
  defaultSeverity: 'warning',
  status: 'preview',
  since: '0.2.0',
  scope: 'python-source',
  messages: {
    histc: '`histc` on integer expert ids fails on CPU; `torch.bincount` counts them exactly',
  },
  fix: { availability: 'sometimes', kinds: { bincount: { title: 'Count with `torch.bincount(…, minlength={bins})`', safety: 'unsafe' } } },
  docs: {
    what:
      'Flags `torch.histc` (or `tensor.histc`) whose input is selected expert ids (from `topk(...).indices` or `[1]`, `argsort`, `argmax`, or a variable named or assigned like them), the way MoE code counts tokens per expert. Float histograms stay quiet. Where the call is `histc(ids, bins=E, min=0, max=E)`, it offers `torch.bincount(ids.flatten(), minlength=E)`, which gives the same int64 counts. A module that imports `torch_npu` at its top level (code that loads only on Ascend NPUs), or a function that calls an Ascend op (`torch_npu.npu_*`, `npu_*`), is left alone.',
    why: 'PyTorch implements `histc` for integer tensors on CUDA only: on CPU it raises NotImplementedError ("histogram_cpu" not implemented for \'Long\'), so the same model code cannot run its tests or a debug run on a CPU. torchtitan counted tokens this way (moe.py @238fa9953) until it switched to a routing map (#3450); PR #2212 proposed `bincount`.',
    example: {
      dialect: 'python',
      code: 'import torch\n\ndef count(selected_experts_indices, num_experts):\n    return torch.histc(selected_experts_indices.view(-1), bins=num_experts, min=0, max=num_experts)\n',
    },
    useInstead: {
      dialect: 'python',
      code: 'import torch\n\ndef count(selected_experts_indices, num_experts):\n    return torch.bincount(selected_experts_indices.view(-1), minlength=num_experts)\n',
    },
    fixSafety:
      'The counts are equal, the cost on a GPU is not: on CUDA `torch.bincount` synchronises with the host to size its output and cannot be captured in a CUDA graph, where `histc` does neither. In code that must run on CPU too that is the price; in a GPU-only trainer that captures CUDA graphs it is a regression, so the fix is unsafe.',
    references: [
      'Measured with torch 2.11.0+cu130 on an NVIDIA H200: `torch.cuda.set_sync_debug_mode` reports 2 synchronising operations for `bincount(ids, minlength=E)` and none for `histc`; capturing `bincount` in a CUDA graph raises "Cannot copy between CPU and CUDA tensors during CUDA graph capture"; both compile with `torch.compile(fullgraph=True)`',
      'Measured with torch 2.11.0+cu130 (NVIDIA H100 machine): CPU `torch.histc` on int64 ids raises NotImplementedError "histogram_cpu" not implemented for \'Long\'; on CUDA it returns int64 counts equal to `torch.bincount(ids.flatten(), minlength=E)`',
      'torchtitan torchtitan/models/moe/moe.py @238fa9953: `torch.histc(selected_experts_indices.view(-1), bins=self.num_experts, min=0, max=self.num_experts)`',
      'torchtitan commit 4c6f72d21 "[MoE] Using routing map instead of histc to count number_tokens_per_expert (#3450)"; PR #2212 "Change histc to bincount for token counting"',
    ],
  },
  /** Model code, not configs: every `histc` call of a parsed Python file. */
  check(context: RuleContext) {
    const python = context.python;
    if (!python || !context.text.includes('histc') || importsTorchNpu(python)) return;
    for (const call of python.calls) {
      const found = histcCall(call, context.text);
      if (!found || !countsExpertIds(nodeText(context.text, found.input), context.text, call) || inAscendFunction(call, context.text)) continue;
      const edit = bincountEdit(found, context.text);
      const bins = found.keywords.get('bins') ?? found.positional[0];
      context.report({
        messageId: 'histc',
        detail: 'PyTorch has `histc` for integer tensors on CUDA only; `torch.bincount(ids.flatten(), minlength=E)` gives the same int64 counts on every device (checked with torch 2.11 on CPU and an H100), but on CUDA it synchronises with the host and cannot be captured in a CUDA graph (measured on an H200).',
        range: { start: found.call.firstChild!.from, end: found.call.firstChild!.to },
        fixes: edit ? [{ kind: 'bincount', data: { bins: bins ? nodeText(context.text, bins) : 'E' }, edits: [edit], preferred: true }] : [],
      });
    }
  },
} satisfies Rule;
