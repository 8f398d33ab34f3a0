/**
 * Builds a config's exact router as an ONNX model (opset 17). The same bytes run in the CLI
 * (onnxruntime-node) and in the webview (onnxruntime-web, WebGPU or WASM).
 *
 * Counts, two ways. On the CPU (`counts: 'indices'`, WASM and onnxruntime-node) TopK's indices are added up by
 * ScatterElements. WebGPU (`counts: 'mask'`) never consumes TopK's int64 indices, which would fall back to the CPU:
 * the k chosen experts are a boolean mask `choice >= k-th largest choice` (TopK *values* + ReduceMin), counted
 * as mask → float → ReduceSum → int32; its eight [T, E] tensors made a first run cost 81 ms where the indices take
 * 45 ms (16,384 × 128 × 128, WASM). Ties at the k-th value go to the lower index either way (ONNX TopK's rule, which
 * the mask reproduces), so exactly k are chosen (a saturated sigmoid scores 1.0 for many experts in float32).
 * Indices and per-slot weights (gathered at TopK's indices, [T, K]) are only added with `outputs: 'full'`, which
 * only the CLI runs.
 */
import onnxProto from 'onnx-proto';
import type { RouterConfig } from './router-config';
import { GRAPH_INPUTS } from './graph-inputs';

const { onnx } = onnxProto;
type AttributeValue = number | number[];

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const INT32 = onnx.TensorProto.DataType.INT32;

export interface GraphOptions {
  readonly hidden: number;
  /**
   * counts only (the panel), or counts + indices [T,K] int32 + weights [T,K] (the CLI), or `choice`: only the
   * values top-k compares before any selection bias, [T,E] (scores; logits where top-k comes first), which the
   * load-balancing simulation reuses step after step.
   */
  readonly outputs: 'counts' | 'full' | 'choice';
  /** Where counts come from: TopK's int64 indices (the CPU; the default), or the chosen mask (WebGPU: no int64). */
  readonly counts?: 'indices' | 'mask';
}

export { GRAPH_INPUTS };

class GraphBuilder {
  readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private counter = 0;

  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputCount = 1): string[] {
    const outputs = Array.from({ length: outputCount }, () => `${opType.toLowerCase()}_${this.counter++}`);
    const attribute = Object.entries(attributes).map(([name, value]) =>
      Array.isArray(value)
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: value })
        : Number.isInteger(value)
          ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value })
          : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value }),
    );
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: outputs, attribute }));
    return outputs;
  }

  one(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.node(opType, inputs, attributes)[0]!;
  }

  int64(values: number[], dims: number[] = [values.length]): string {
    const name = `const_${this.counter++}`;
    this.initializers.push(onnx.TensorProto.create({ name, dataType: INT64, dims, int64Data: values }));
    return name;
  }

  int32(values: number[], dims: number[] = [values.length]): string {
    const name = `const_${this.counter++}`;
    this.initializers.push(onnx.TensorProto.create({ name, dataType: INT32, dims, int32Data: values }));
    return name;
  }

  /** Int32 counts [E] of the expert indices [T, K] (int64): ScatterElements adds a 1 per index, no [T, E] tensor. */
  countIndices(indices: string, experts: number, output: string): void {
    const flat = this.one('Reshape', [indices, this.int64([-1])]);
    const ones = this.one('Expand', [this.int32([1]), this.one('Shape', [flat])]);
    const attribute = [
      onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }),
      onnx.AttributeProto.create({ name: 'reduction', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('add') }),
    ];
    this.nodes.push(onnx.NodeProto.create({ opType: 'ScatterElements', input: [this.int32(new Array<number>(experts).fill(0)), flat, ones], output: [output], attribute }));
  }

  private readonly floats = new Map<number, string>();

  /** A float scalar initializer, created on first use (ORT warns about unused initializers). */
  float(value: number): string {
    let name = this.floats.get(value);
    if (!name) {
      name = `const_${this.counter++}`;
      this.initializers.push(onnx.TensorProto.create({ name, dataType: FLOAT, dims: [], floatData: [value] }));
      this.floats.set(value, name);
    }
    return name;
  }

  /**
   * Boolean mask of the k largest values along the last axis of a [T, N] tensor: exactly k, ties at the k-th value
   * going to the lower index (as ONNX TopK, torch.topk and the TypeScript reference). A value at least the k-th is
   * in unless it equals the k-th and more such values come before it (a running count, CumSum) than TopK kept.
   */
  topKMask(values: string, k: number): string {
    const [topValues] = this.node('TopK', [values, this.int64([k])], { axis: -1 }, 2);
    const kth = this.one('ReduceMin', [topValues!], { axes: [-1], keepdims: 1 });
    const tiedKept = this.one('ReduceSum', [this.one('Cast', [this.one('Equal', [topValues!, kth])], { to: FLOAT }), this.int64([-1])], { keepdims: 1 });
    const tied = this.one('Cast', [this.one('Equal', [values, kth])], { to: FLOAT });
    const tiedRank = this.one('Mul', [this.one('CumSum', [tied, this.int64([-1], [])]), tied]);
    return this.one('And', [this.one('GreaterOrEqual', [values, kth]), this.one('LessOrEqual', [tiedRank, tiedKept])]);
  }
}

export function buildRouterModel(config: RouterConfig, options: GraphOptions): Uint8Array {
  if (config.roundRobin) throw new Error('round-robin routing does not depend on the router; it is computed without a graph');
  const g = new GraphBuilder();
  const E = config.experts;
  const K = config.topK;
  // MatMul on the transposed weight measured faster than Gemm(transB=1) on the CPU EP (42 vs 46 ms at 16k×2880×128).
  const projected = g.one('MatMul', [config.tokenNorm ? normTokens(g, config.tokenNorm.epsilon, options.hidden) : GRAPH_INPUTS.hidden, g.one('Transpose', [GRAPH_INPUTS.weight], { perm: [1, 0] })]);
  const logits = config.routerBias ? g.one('Add', [projected, GRAPH_INPUTS.bias]) : projected;
  const withSelection = (x: string): string => (config.selectionBias ? g.one('Add', [x, GRAPH_INPUTS.selection]) : x);
  if (options.outputs === 'choice') {
    const values = config.order === 'topk-then-score' ? logits : config.scoreFunc === 'softmax' ? g.one('Softmax', [logits], { axis: -1 }) : score(g, config.scoreFunc, logits);
    g.nodes.push(onnx.NodeProto.create({ opType: 'Identity', input: [values], output: ['choice'] }));
    const inputs = [valueInfo(GRAPH_INPUTS.hidden, FLOAT, ['tokens', options.hidden]), valueInfo(GRAPH_INPUTS.weight, FLOAT, [E, options.hidden])];
    if (config.routerBias) inputs.push(valueInfo(GRAPH_INPUTS.bias, FLOAT, [E]));
    if (config.tokenNorm) inputs.push(valueInfo(GRAPH_INPUTS.tokenScale, FLOAT, [options.hidden]));
    const graph = onnx.GraphProto.create({ name: 'moe_lens_router_choice', node: g.nodes, initializer: g.initializers, input: inputs, output: [valueInfo('choice', FLOAT, ['tokens', E])] });
    return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'moe-lens', graph })).finish();
  }

  // The values top-k compares, and the k chosen experts' weights, [T, K]: their scores gathered at TopK's indices
  // (softmax over the chosen logits where top-k comes first). Built only for `full`, since ORT runs a node whose
  // result nobody reads (masked weights over [T, E] once took 15% of a counts-only run at 16,384 × 128 here).
  let choice: string;
  let chosenWeights: (indices: string) => string;
  const gathered = (values: string, indices: string): string => g.one('GatherElements', [values, indices], { axis: 1 });
  if (config.order === 'topk-then-score') {
    choice = withSelection(logits);
    chosenWeights = (indices) => (config.scoreFunc === 'softmax' ? g.one('Softmax', [gathered(logits, indices)], { axis: -1 }) : score(g, config.scoreFunc, gathered(logits, indices)));
  } else {
    const scores = config.scoreFunc === 'softmax' ? g.one('Softmax', [logits], { axis: -1 }) : score(g, config.scoreFunc, logits);
    choice = withSelection(scores);
    if (config.groups) choice = maskGroups(g, config, choice);
    chosenWeights = (indices) => gathered(scores, indices);
  }
  // TopK's indices: counted on the CPU, and the `full` outputs.
  const indices64 = options.counts !== 'mask' || options.outputs === 'full' ? g.node('TopK', [choice, g.int64([K])], { axis: -1 }, 2)[1]! : undefined;
  if (options.counts === 'mask') {
    const countsFloat = g.one('ReduceSum', [g.one('Cast', [g.topKMask(choice, K)], { to: FLOAT }), g.int64([0])], { keepdims: 0 });
    g.nodes.push(onnx.NodeProto.create({ opType: 'Cast', input: [countsFloat], output: ['counts'], attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: INT32 })] }));
  } else {
    g.countIndices(indices64!, E, 'counts');
  }

  const outputs = [valueInfo('counts', INT32, [E])];
  if (options.outputs === 'full') {
    let weights = chosenWeights(indices64!);
    if (config.normalize) {
      const total = g.one('ReduceSum', [weights, g.int64([-1])], { keepdims: 1 });
      weights = g.one('Div', [weights, g.one('Add', [total, g.float(config.epsilon)])]);
    }
    if (config.expertScale) weights = g.one('Mul', [weights, g.one('Gather', [GRAPH_INPUTS.expertScale, indices64!], { axis: 0 })]);
    if (config.scale !== 1) weights = g.one('Mul', [weights, g.float(config.scale)]);
    g.nodes.push(onnx.NodeProto.create({ opType: 'Cast', input: [indices64!], output: ['indices'], attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: INT32 })] }));
    g.nodes.push(onnx.NodeProto.create({ opType: 'Identity', input: [weights], output: ['weights'] }));
    outputs.push(valueInfo('indices', INT32, ['tokens', K]), valueInfo('weights', FLOAT, ['tokens', K]));
  }

  const inputs = [valueInfo(GRAPH_INPUTS.hidden, FLOAT, ['tokens', options.hidden]), valueInfo(GRAPH_INPUTS.weight, FLOAT, [E, options.hidden])];
  if (config.routerBias) inputs.push(valueInfo(GRAPH_INPUTS.bias, FLOAT, [E]));
  if (config.selectionBias) inputs.push(valueInfo(GRAPH_INPUTS.selection, FLOAT, [E]));
  if (config.tokenNorm) inputs.push(valueInfo(GRAPH_INPUTS.tokenScale, FLOAT, [options.hidden]));
  if (config.expertScale && options.outputs === 'full') inputs.push(valueInfo(GRAPH_INPUTS.expertScale, FLOAT, [E]));
  const graph = onnx.GraphProto.create({ name: 'moe_lens_router', node: g.nodes, initializer: g.initializers, input: inputs, output: outputs });
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'moe-lens', graph });
  return onnx.ModelProto.encode(model).finish();
}

/** The tokens as a `tokenNorm` gate sees them: x · (mean(x²) + ε)^-½ · token_scale · hidden^-½, [T, H]. */
function normTokens(g: GraphBuilder, epsilon: number, hidden: number): string {
  const x = GRAPH_INPUTS.hidden;
  const meanSquare = g.one('ReduceMean', [g.one('Mul', [x, x])], { axes: [-1], keepdims: 1 });
  const inverseRms = g.one('Reciprocal', [g.one('Sqrt', [g.one('Add', [meanSquare, g.float(epsilon)])])]);
  return g.one('Mul', [g.one('Mul', [x, inverseRms]), g.one('Mul', [GRAPH_INPUTS.tokenScale, g.float(hidden ** -0.5)])]);
}

function score(g: GraphBuilder, func: RouterConfig['scoreFunc'], x: string): string {
  if (func === 'sigmoid') return g.one('Sigmoid', [x]);
  if (func === 'sqrtsoftplus') return g.one('Sqrt', [g.one('Softplus', [x])]);
  return g.one('Softmax', [x], { axis: -1 });
}

/** Group-limited routing: keep the `selected` best groups (group score per framework), -inf elsewhere. */
function maskGroups(g: GraphBuilder, config: RouterConfig, choice: string): string {
  const groups = config.groups!;
  const perGroup = config.experts / groups.count;
  const grouped = g.one('Reshape', [choice, g.int64([0, groups.count, perGroup])]);
  let groupScores: string;
  if (groups.score === 'max') {
    groupScores = g.one('ReduceMax', [grouped], { axes: [-1], keepdims: 0 });
  } else {
    const take = groups.score === 'top2-sum' ? 2 : Math.floor(config.topK / groups.selected);
    const [topInGroup] = g.node('TopK', [grouped, g.int64([take])], { axis: -1 }, 2);
    groupScores = g.one('ReduceSum', [topInGroup!, g.int64([-1])], { keepdims: 0 });
  }
  const keep = g.one('Unsqueeze', [g.topKMask(groupScores, groups.selected), g.int64([-1])]);
  return g.one('Reshape', [g.one('Where', [keep, grouped, g.float(-Infinity)]), g.int64([0, config.experts])]);
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}
